//! Request-per-scope on a multi-threaded runtime: scoped async connections
//! are never shared between tasks, and each is disposed exactly once.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use parking_lot::Mutex;
use tenure::{AsyncDispose, Container, Lifetime, ResolveErrorKind};

#[derive(Default)]
struct Stats {
    created: AtomicUsize,
    disposed: AtomicUsize,
    next_id: AtomicU64,
    /// connection id -> the task that used it
    owners: Mutex<HashMap<u64, usize>>,
    /// connection id -> how many times it was disposed
    disposals: Mutex<HashMap<u64, usize>>,
}

struct Conn {
    id: u64,
    stats: Arc<Stats>,
}

impl AsyncDispose for Conn {
    async fn dispose(&self) -> anyhow::Result<()> {
        tokio::task::yield_now().await;
        *self.stats.disposals.lock().entry(self.id).or_default() += 1;
        self.stats.disposed.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

struct Repo {
    conn: Arc<Conn>,
}

fn container(stats: Arc<Stats>) -> Container {
    Container::builder()
        .instance_arc(stats)
        .scoped_async(|stats: Arc<Stats>| async move {
            tokio::task::yield_now().await;
            stats.created.fetch_add(1, Ordering::SeqCst);
            Conn {
                id: stats.next_id.fetch_add(1, Ordering::SeqCst),
                stats,
            }
        })
        .dispose::<Conn>()
        .transient(|conn: Arc<Conn>| Repo { conn })
        .build()
        .expect("valid graph")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_tasks_never_share_a_connection_and_every_one_is_disposed_once() {
    const TASKS: usize = 10;
    const ITERATIONS: usize = 1_000;
    let stats = Arc::new(Stats::default());
    let c = container(stats.clone());

    let mut handles = Vec::new();
    for task in 0..TASKS {
        let c = c.clone();
        let stats = stats.clone();
        handles.push(tokio::spawn(async move {
            for _ in 0..ITERATIONS {
                let scope = c.scope();
                let repo = scope.resolve_async::<Repo>().await.expect("resolves");
                let again = scope.resolve_async::<Conn>().await.expect("resolves");
                assert!(Arc::ptr_eq(&repo.conn, &again), "one connection per scope");
                let previous = stats.owners.lock().insert(repo.conn.id, task);
                assert_eq!(
                    previous, None,
                    "connection {} handed out twice",
                    repo.conn.id
                );
                tokio::task::yield_now().await;
                assert_eq!(stats.owners.lock()[&repo.conn.id], task);
                drop((repo, again));
                scope.dispose().await.expect("disposal succeeds");
            }
        }));
    }
    for h in handles {
        h.await.expect("task completes");
    }

    let created = stats.created.load(Ordering::SeqCst);
    assert_eq!(created, TASKS * ITERATIONS);
    assert_eq!(
        stats.disposed.load(Ordering::SeqCst),
        created,
        "create count == dispose count"
    );
    let disposals = stats.disposals.lock();
    assert_eq!(disposals.len(), created);
    assert!(
        disposals.values().all(|&n| n == 1),
        "each connection disposed exactly once"
    );
    assert_eq!(c.undisposed_scopes(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn run_scoped_gives_parallel_branches_their_own_connections() {
    let stats = Arc::new(Stats::default());
    let c = container(stats.clone());
    let branches = (0..8).map(|_| {
        c.run_scoped(|scope| async move {
            let conn = scope.resolve_async::<Conn>().await.expect("resolves");
            tokio::task::yield_now().await;
            conn.id
        })
    });
    let mut ids: Vec<u64> = Vec::new();
    for b in branches {
        ids.push(b.await.expect("disposal succeeds"));
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 8, "each branch had its own connection");
    assert_eq!(stats.disposed.load(Ordering::SeqCst), 8);
}

#[tokio::test]
async fn sync_resolve_of_an_async_service_names_it() {
    let c = Container::builder()
        .singleton_async(|| async { 7u32 })
        .transient(|n: Arc<u32>| u64::from(*n))
        .build()
        .unwrap();
    let err = c.resolve::<u64>().unwrap_err();
    assert!(matches!(err.kind(), ResolveErrorKind::AsyncRequired));
    let msg = err.to_string();
    assert!(
        msg.contains("singleton `u32` has an async factory"),
        "{msg}"
    );
    assert!(msg.contains("resolve_async"), "{msg}");
    assert_eq!(
        err.path().iter().map(|n| n.type_name()).collect::<Vec<_>>(),
        ["u64", "u32"]
    );

    // Mixed graph through resolve_async; afterwards sync resolution works.
    assert_eq!(*c.resolve_async::<u64>().await.unwrap(), 7);
    assert_eq!(*c.resolve::<u64>().unwrap(), 7);
}

#[tokio::test]
async fn warm_up_async_reports_every_failing_singleton() {
    let c = Container::builder()
        .try_singleton_async(|| async { Err::<u8, _>(anyhow::anyhow!("database unreachable")) })
        .singleton_async(|| async { 1u16 })
        .try_register_async(Lifetime::Singleton, || async {
            Err::<u32, _>(std::io::Error::other("cache down"))
        })
        .build()
        .unwrap();
    let err = c.warm_up_async().await.unwrap_err();
    assert_eq!(err.errors().len(), 2);
    let msg = err.to_string();
    assert!(msg.starts_with("2 singletons failed to start:"), "{msg}");
    assert!(
        msg.contains("database unreachable") && msg.contains("cache down"),
        "{msg}"
    );
    assert_eq!(
        *c.resolve::<u16>().unwrap(),
        1,
        "the healthy singleton was created"
    );
}

#[tokio::test]
async fn async_needs_propagate_through_chains_registered_in_any_order() {
    struct A;
    struct B(#[allow(dead_code)] Arc<A>);
    struct C(#[allow(dead_code)] Arc<B>);
    // Dependents registered before what they depend on.
    let c = Container::builder()
        .transient(|b: Arc<B>| C(b))
        .scoped(|a: Arc<A>| B(a))
        .singleton_async(|| async { A })
        .build()
        .unwrap();
    let scope = c.scope();
    assert!(scope.resolve_async::<C>().await.is_ok());
    assert!(scope.resolve::<C>().is_ok(), "B and A exist now");
}
