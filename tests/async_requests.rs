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

/// The async driver resolves ahead only what awaits: here a binding to an
/// async scoped service and a collection whose elements are partly async,
/// between dependencies that exist already or are built synchronously. Each
/// argument must reach its own parameter, in declaration order, on the first
/// resolution (everything created) and on a later one (some cached).
///
/// Run twice: along the request's route, and (with `Fast` made by a
/// transient async factory, which cannot be made ahead of its dependent)
/// on the driver's frames, whose arena hands the values over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_resolved_ahead_reach_their_own_parameters() {
    for fast_is_async in [false, true] {
        values_reach_their_parameters(fast_is_async).await;
    }
}

async fn values_reach_their_parameters(fast_is_async: bool) {
    trait Plugin: Send + Sync {
        fn name(&self) -> String;
    }
    trait Store: Send + Sync {
        fn id(&self) -> u64;
    }
    struct Config(u64);
    struct Slow(u64);
    struct Fast;
    struct Pg(u64);
    impl Plugin for Slow {
        fn name(&self) -> String {
            format!("slow{}", self.0)
        }
    }
    impl Plugin for Fast {
        fn name(&self) -> String {
            "fast".into()
        }
    }
    impl Store for Pg {
        fn id(&self) -> u64 {
            self.0
        }
    }
    struct Page {
        config: Arc<Config>,
        plugins: Vec<Arc<dyn Plugin>>,
        store: Arc<dyn Store>,
        again: Arc<dyn Store>,
        slow: Arc<Slow>,
    }
    let next = Arc::new(AtomicU64::new(1));
    let (n1, n2) = (next.clone(), next.clone());
    let mut builder = Container::builder();
    if fast_is_async {
        builder.transient_async(|| async {
            tokio::task::yield_now().await;
            Fast
        });
    } else {
        builder.transient(|| Fast);
    }
    let c = builder
        .singleton(|| Config(7))
        .scoped_async(move || {
            let n = n1.clone();
            async move {
                tokio::task::yield_now().await;
                Slow(n.fetch_add(1, Ordering::SeqCst))
            }
        })
        .collect::<dyn Plugin, Slow>(|p| p)
        .collect::<dyn Plugin, Fast>(|p| p)
        .scoped_async(move || {
            let n = n2.clone();
            async move {
                tokio::task::yield_now().await;
                Pg(100 + n.fetch_add(1, Ordering::SeqCst))
            }
        })
        .bind::<dyn Store, Pg>(|p| p)
        // `slow` is resolved ahead, and then read from the scope by the
        // factory's own fetch: its value in the arena is never taken, and
        // must not be handed to the parameters after it.
        .transient(
            |slow: Arc<Slow>,
             config: Arc<Config>,
             store: Arc<dyn Store>,
             plugins: Vec<Arc<dyn Plugin>>,
             again: Arc<dyn Store>| Page {
                config,
                plugins,
                store,
                again,
                slow,
            },
        )
        .build()
        .unwrap();
    for scope_no in 0..2u64 {
        let scope = c.scope();
        for _ in 0..2 {
            let page = scope.resolve_async::<Page>().await.unwrap();
            assert_eq!(page.config.0, 7);
            let names: Vec<String> = page.plugins.iter().map(|p| p.name()).collect();
            let slow = scope.resolve_async::<Slow>().await.unwrap();
            assert_eq!(names, [format!("slow{}", slow.0), "fast".to_owned()]);
            assert!(Arc::ptr_eq(&page.slow, &slow), "one Slow per scope");
            let pg = scope.resolve_async::<Pg>().await.unwrap();
            assert_eq!(page.store.id(), pg.0);
            assert_eq!(page.again.id(), pg.0);
            assert!(pg.0 > 100);
        }
        // Two scoped services per scope, numbered in creation order.
        assert_eq!(next.load(Ordering::SeqCst), 1 + 2 * (scope_no + 1));
        scope.dispose().await.unwrap();
    }
}
