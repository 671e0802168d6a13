//! Async singletons under a race, fault injection under load, and
//! re-entrant async resolution.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use tenure::{Container, Lazy, ResolveErrorKind};

mod common;

struct Pool {
    id: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_tasks_race_the_first_resolve_and_the_factory_runs_once() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let c = Container::builder()
        .singleton_async(move || {
            let counter = counter.clone();
            async move {
                let id = counter.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
                Pool { id }
            }
        })
        .build()
        .unwrap();
    let barrier = Arc::new(tokio::sync::Barrier::new(100));
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let (c, barrier) = (c.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                c.resolve_async::<Pool>().await.unwrap()
            })
        })
        .collect();
    let mut pools = Vec::new();
    for t in tasks {
        pools.push(t.await.unwrap());
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1, "the factory ran once");
    assert!(pools.iter().all(|p| Arc::ptr_eq(p, &pools[0]) && p.id == 0));
}

/// A per-request unit of work whose creation fails one time in ten.
struct Conn {
    live: Arc<AtomicUsize>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.live.fetch_sub(1, Ordering::SeqCst);
    }
}

#[derive(Default)]
struct Faults {
    attempts: AtomicUsize,
    failures: AtomicUsize,
    disposed: AtomicUsize,
    enabled: AtomicBool,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_in_ten_failing_factories_fail_exactly_their_requests_and_leak_nothing() {
    let live = Arc::new(AtomicUsize::new(0));
    let faults = Arc::new(Faults {
        enabled: AtomicBool::new(true),
        ..Default::default()
    });
    let (l, f, d) = (live.clone(), faults.clone(), faults.clone());
    let c = Container::builder()
        .try_scoped_async(move || {
            let (live, faults) = (l.clone(), f.clone());
            async move {
                tokio::task::yield_now().await;
                let n = faults.attempts.fetch_add(1, Ordering::SeqCst);
                if faults.enabled.load(Ordering::SeqCst) && n % 10 == 9 {
                    faults.failures.fetch_add(1, Ordering::SeqCst);
                    return Err(anyhow::anyhow!("connection reset (attempt {n})"));
                }
                live.fetch_add(1, Ordering::SeqCst);
                Ok(Conn { live })
            }
        })
        .dispose_with(move |_: Arc<Conn>| {
            let d = d.clone();
            async move {
                d.disposed.fetch_add(1, Ordering::SeqCst);
                Ok::<_, anyhow::Error>(())
            }
        })
        .build()
        .unwrap();

    let failed_requests = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (c, failed) = (c.clone(), failed_requests.clone());
            tokio::spawn(async move {
                for _ in 0..200 {
                    let outcome = c
                        .run_scoped(|scope| async move {
                            scope.resolve_async::<Conn>().await.map(|_| ())
                        })
                        .await
                        .expect("disposal succeeds");
                    if let Err(e) = outcome {
                        assert!(matches!(e.kind(), ResolveErrorKind::Factory(_)), "{e}");
                        let source = std::error::Error::source(&e).expect("the factory's error");
                        assert!(
                            source.to_string().starts_with("connection reset"),
                            "{source}"
                        );
                        failed.fetch_add(1, Ordering::SeqCst);
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let failures = faults.failures.load(Ordering::SeqCst);
    assert_eq!(faults.attempts.load(Ordering::SeqCst), 2_000);
    assert_eq!(failures, 200);
    assert_eq!(
        failed_requests.load(Ordering::SeqCst),
        failures,
        "each failure reached exactly its request"
    );
    assert_eq!(
        faults.disposed.load(Ordering::SeqCst),
        2_000 - failures,
        "every created connection disposed"
    );
    assert_eq!(live.load(Ordering::SeqCst), 0, "nothing leaked");

    // Later requests succeed.
    faults.enabled.store(false, Ordering::SeqCst);
    for _ in 0..20 {
        let ok = c
            .run_scoped(|scope| async move { scope.resolve_async::<Conn>().await.is_ok() })
            .await
            .unwrap();
        assert!(ok);
    }
    assert_eq!(live.load(Ordering::SeqCst), 0);
}

struct SelfReferencing;

#[tokio::test]
async fn async_re_entrant_resolution_is_an_error_not_a_hang() {
    let c = Container::builder()
        .try_singleton_async(|me: Lazy<SelfReferencing>| async move {
            me.get_async().await?;
            Ok::<_, tenure::ResolveError>(SelfReferencing)
        })
        .build()
        .unwrap();
    let outcome = tokio::time::timeout(
        Duration::from_secs(10),
        c.resolve_async::<SelfReferencing>(),
    )
    .await
    .expect("no deadlock");
    let err = outcome.err().expect("re-entrant");
    let chain = common::error_chain(&err);
    assert!(
        chain.iter().any(|m| m.starts_with("re-entrant resolution")),
        "{chain:?}"
    );
    // Nothing half-built: the singleton is still absent, and a retry reports the same.
    assert_eq!(c.singletons_created(), 0);
    let retry = tokio::time::timeout(
        Duration::from_secs(10),
        c.resolve_async::<SelfReferencing>(),
    )
    .await
    .expect("no deadlock on retry")
    .err()
    .expect("still re-entrant");
    assert_eq!(
        common::error_chain(&retry),
        chain,
        "the retry reports the same"
    );
    assert_eq!(c.singletons_created(), 0);
}

struct Slow;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tasks_sharing_one_scope_get_one_instance_and_a_cancelled_creation_is_retried() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let c = Container::builder()
        .scoped_async(move || {
            let counter = counter.clone();
            async move {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                if n == 0 {
                    // The first attempt hangs until it is cancelled.
                    std::future::pending::<()>().await;
                }
                Slow
            }
        })
        .build()
        .unwrap();
    let scope = c.scope();
    let first =
        tokio::time::timeout(Duration::from_millis(20), scope.resolve_async::<Slow>()).await;
    assert!(first.is_err(), "the first creation was cancelled");

    let barrier = Arc::new(tokio::sync::Barrier::new(16));
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (scope, barrier) = (scope.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                scope.resolve_async::<Slow>().await.unwrap()
            })
        })
        .collect();
    let mut got = Vec::new();
    for t in tasks {
        got.push(t.await.unwrap());
    }
    assert!(
        got.iter().all(|s| Arc::ptr_eq(s, &got[0])),
        "one instance per scope"
    );
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "cancelled once, then created once"
    );
    assert_eq!(scope.instances_created(), 1);
}

struct Db;
struct Audit;
#[allow(dead_code)]
struct Repo(Arc<Db>, Arc<Audit>);
#[allow(dead_code)]
struct Handler(Arc<Repo>);

/// The async driver keeps its creations on one explicit stack: a failure
/// three levels down names every service on the way, the instances created
/// on the way (`Audit`) stay in the scope, and a resolution dropped while a
/// factory deep in the stack is pending releases every claim, so the next
/// one runs that factory again and succeeds.
#[tokio::test]
async fn the_async_driver_reports_deep_failures_with_their_path_and_retries_after_cancellation() {
    let (db_calls, audit_calls) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let fail = Arc::new(AtomicBool::new(true));
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let (d, a, f, g) = (
        db_calls.clone(),
        audit_calls.clone(),
        fail.clone(),
        gate.clone(),
    );
    let c = Container::builder()
        .scoped_async(move || {
            let a = a.clone();
            async move {
                a.fetch_add(1, Ordering::SeqCst);
                Audit
            }
        })
        .try_scoped_async(move || {
            let (d, f, g) = (d.clone(), f.clone(), g.clone());
            async move {
                d.fetch_add(1, Ordering::SeqCst);
                if f.load(Ordering::SeqCst) {
                    return Err(anyhow::anyhow!("database unreachable"));
                }
                // Pending until the test opens the gate.
                let _permit = g.acquire().await.map_err(anyhow::Error::from)?;
                Ok(Db)
            }
        })
        .transient(|a: Arc<Audit>, d: Arc<Db>| Repo(d, a))
        .transient(|r: Arc<Repo>| Handler(r))
        .build()
        .unwrap();

    // 1. A failure three levels down: the whole path, the factory's error.
    let scope = c.scope();
    let err = scope
        .resolve_async::<Handler>()
        .await
        .err()
        .expect("Db fails");
    let path: Vec<&str> = err.path().iter().map(|n| n.short_name()).collect();
    assert_eq!(path, ["Handler", "Repo", "Db"], "{err:?}");
    assert!(
        common::error_chain(&err)
            .iter()
            .any(|m| m.contains("database unreachable")),
        "{err:?}"
    );
    assert_eq!(
        scope.instances_created(),
        1,
        "Audit was created on the way and kept"
    );

    // 2. Cancelled while Db's factory is pending deep in the stack.
    fail.store(false, Ordering::SeqCst);
    let pending = tokio::time::timeout(Duration::from_millis(20), scope.resolve_async::<Handler>());
    assert!(
        pending.await.is_err(),
        "the gate is closed: the resolution is still pending"
    );
    assert_eq!(db_calls.load(Ordering::SeqCst), 2);

    // 3. The claim on Db was released: the next resolution runs it again.
    gate.add_permits(1);
    let handler = scope.resolve_async::<Handler>().await.unwrap();
    assert_eq!(db_calls.load(Ordering::SeqCst), 3);
    assert_eq!(
        audit_calls.load(Ordering::SeqCst),
        1,
        "Audit is the scope's, created once"
    );
    assert!(Arc::ptr_eq(&handler.0.0, &scope.resolve::<Db>().unwrap()));
    assert_eq!(scope.instances_created(), 2);
}

struct Gate;

/// Waiters are parked in a table shared by all slots. Waiters that give up
/// (a timeout drops their future) while a creation is in flight do not
/// disturb the others: every waiter that stays gets the one instance, in
/// each of many scopes whose slots share that table, and the factory runs
/// once per scope.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancelled_waiters_leave_the_other_waiters_of_every_scope_their_instance() {
    const SCOPES: usize = 80;
    const WAITERS: usize = 6;
    let open = Arc::new(tokio::sync::Notify::new());
    let calls = Arc::new(AtomicUsize::new(0));
    let (gate, counter) = (open.clone(), calls.clone());
    let c = Container::builder()
        .scoped_async(move || {
            let (gate, counter) = (gate.clone(), counter.clone());
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                gate.notified().await;
                Gate
            }
        })
        .build()
        .unwrap();
    let scopes: Vec<_> = (0..SCOPES).map(|_| c.scope()).collect();
    let mut staying = Vec::new();
    let mut leaving = Vec::new();
    for scope in &scopes {
        for w in 0..WAITERS {
            let scope = scope.clone();
            if w % 2 == 0 {
                staying.push(tokio::spawn(async move {
                    scope.resolve_async::<Gate>().await.unwrap()
                }));
            } else {
                leaving.push(tokio::spawn(async move {
                    tokio::time::timeout(Duration::from_millis(5), scope.resolve_async::<Gate>())
                        .await
                        .is_err()
                }));
            }
        }
    }
    for t in leaving {
        assert!(t.await.unwrap(), "a leaving waiter timed out");
    }
    // Each scope's creation is in flight (held by a staying or a leaving
    // task; a leaving creator's cancellation hands the slot to a stayer).
    // Release them until every staying task has its instance.
    let all = async {
        let mut got = Vec::new();
        for t in staying {
            got.push(t.await.unwrap());
        }
        got
    };
    tokio::pin!(all);
    let release = async {
        loop {
            tokio::select! {
                got = &mut all => break got,
                () = tokio::time::sleep(Duration::from_millis(2)) => open.notify_waiters(),
            }
        }
    };
    let got = tokio::time::timeout(Duration::from_secs(20), release)
        .await
        .expect("every staying waiter is woken");
    for (i, scope) in scopes.iter().enumerate() {
        let mine = &got[i * WAITERS.div_ceil(2)..(i + 1) * WAITERS.div_ceil(2)];
        assert!(mine.iter().all(|g| Arc::ptr_eq(g, &mine[0])), "scope {i}");
        assert_eq!(scope.instances_created(), 1, "scope {i}");
    }
    let calls = calls.load(Ordering::SeqCst);
    assert!(
        (SCOPES..=SCOPES * WAITERS).contains(&calls),
        "one creation per scope, plus one per cancelled creator: {calls}"
    );
}

/// A dependent whose async dependencies all exist already (created for an
/// earlier dependent in the same request) is created synchronously inside
/// the async resolution: with the scope's instances, and failing with the
/// same path and error as any other creation, on every attempt.
#[tokio::test]
async fn a_dependent_created_without_awaiting_fails_with_its_path() {
    struct Db(u32);
    struct First(Arc<Db>);
    struct Second(Arc<Db>);
    struct Page(Arc<First>, Arc<Second>);
    let dbs = Arc::new(AtomicUsize::new(0));
    let fail = Arc::new(AtomicBool::new(true));
    let (d, f) = (dbs.clone(), fail.clone());
    let c = Container::builder()
        .scoped_async(move || {
            let d = d.clone();
            async move {
                tokio::task::yield_now().await;
                Db(d.fetch_add(1, Ordering::SeqCst) as u32)
            }
        })
        .transient(First)
        .try_transient(move |db: Arc<Db>| {
            if f.load(Ordering::SeqCst) {
                anyhow::bail!("second store offline")
            }
            Ok(Second(db))
        })
        .transient(|a: Arc<First>, b: Arc<Second>| Page(a, b))
        .build()
        .unwrap();
    let scope = c.scope();
    for _ in 0..2 {
        let err = scope
            .resolve_async::<Page>()
            .await
            .err()
            .expect("Second fails");
        let path: Vec<&str> = err.path().iter().map(|n| n.short_name()).collect();
        assert_eq!(path, ["Page", "Second"], "{err:?}");
        assert!(
            common::error_chain(&err)
                .iter()
                .any(|m| m.contains("second store offline")),
            "{err:?}"
        );
    }
    assert_eq!(dbs.load(Ordering::SeqCst), 1, "one Db for the scope");
    fail.store(false, Ordering::SeqCst);
    let page = scope.resolve_async::<Page>().await.unwrap();
    assert!(Arc::ptr_eq(&page.0.0, &page.1.0), "the scope's Db in both");
    assert_eq!(page.0.0.0, 0);
    let other = c.scope().resolve_async::<Page>().await.unwrap();
    assert!(!Arc::ptr_eq(&page.0.0, &other.0.0), "a Db per scope");
    assert_eq!(dbs.load(Ordering::SeqCst), 2);
}
