//! An async resolution along its route: the cached services whose creation
//! awaits are obtained first, then the rest of the graph is built by the
//! sync path. What a user relies on must not depend on whether a request
//! takes its route or the driver's frames (a pool, or a transient async
//! factory, in its graph): every factory runs once per instance, failures
//! carry the whole path, a dropped request releases what it was creating,
//! and tasks sharing a scope wait for each other without blocking a thread.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use tenure::{Container, ContainerBuilder, ResolveErrorKind};

struct Session(usize);
struct Repo(Arc<Session>);
struct Audit(Arc<Session>);
struct Controller(Arc<Repo>, Arc<Audit>);

/// How a request's graph is built: along its route, or (a transient async
/// factory in it) on the driver's frames.
#[derive(Clone, Copy, Debug)]
enum Way {
    Route,
    Frames,
}

const WAYS: [Way; 2] = [Way::Route, Way::Frames];

/// A transient async service that forces the driver's frames when the
/// controller depends on it through `Audit`.
struct Clock;

fn controller_graph(b: &mut ContainerBuilder, way: Way) -> Container {
    match way {
        Way::Route => b.transient(|s: Arc<Session>| Audit(s)),
        Way::Frames => b
            .transient_async(|| async { Clock })
            .transient(|s: Arc<Session>, _c: Arc<Clock>| Audit(s)),
    };
    b.transient(Repo)
        .transient(|r: Arc<Repo>, a: Arc<Audit>| Controller(r, a))
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_failing_async_service_is_reported_through_the_services_above_it_and_run_once() {
    for way in WAYS {
        let calls = Arc::new(AtomicUsize::new(0));
        let fail = Arc::new(AtomicBool::new(true));
        let (n, f) = (calls.clone(), fail.clone());
        let c = controller_graph(
            Container::builder().try_scoped_async(move || {
                let (n, f) = (n.clone(), f.clone());
                async move {
                    tokio::task::yield_now().await;
                    let id = n.fetch_add(1, Ordering::SeqCst);
                    if f.load(Ordering::SeqCst) {
                        anyhow::bail!("database unreachable")
                    }
                    Ok(Session(id))
                }
            }),
            way,
        );
        let scope = c.scope();
        for attempt in 1..=2 {
            let err = scope
                .resolve_async::<Controller>()
                .await
                .err()
                .expect("the session fails");
            let path: Vec<&str> = err.path().iter().map(|n| n.short_name()).collect();
            assert_eq!(path, ["Controller", "Repo", "Session"], "{way:?}: {err:?}");
            assert!(
                common::error_chain(&err)
                    .iter()
                    .any(|m| m.contains("database unreachable")),
                "{way:?}: {err:?}"
            );
            assert_eq!(
                calls.load(Ordering::SeqCst),
                attempt,
                "{way:?}: the factory runs once per attempt"
            );
        }
        fail.store(false, Ordering::SeqCst);
        let ctrl = scope.resolve_async::<Controller>().await.unwrap();
        assert!(Arc::ptr_eq(&ctrl.0.0, &ctrl.1.0), "{way:?}: one Session");
        assert_eq!(ctrl.0.0.0, 2, "{way:?}");
        let again = scope.resolve_async::<Controller>().await.unwrap();
        assert!(Arc::ptr_eq(&ctrl.0.0, &again.0.0), "{way:?}: cached");
        assert_eq!(calls.load(Ordering::SeqCst), 3, "{way:?}");
    }
}

#[tokio::test]
async fn a_failing_async_singleton_below_a_singleton_is_reported_through_both() {
    struct Pool;
    struct Cache(#[allow(dead_code)] Arc<Pool>);
    struct Handler(#[allow(dead_code)] Arc<Cache>);
    let calls = Arc::new(AtomicUsize::new(0));
    let n = calls.clone();
    let c = Container::builder()
        .try_singleton_async(move || {
            let n = n.clone();
            async move {
                n.fetch_add(1, Ordering::SeqCst);
                tokio::task::yield_now().await;
                Err::<Pool, _>(anyhow::anyhow!("pool exhausted at startup"))
            }
        })
        .singleton(Cache)
        .transient(Handler)
        .build()
        .unwrap();
    for (from_scope, expected_calls) in [(false, 1), (true, 2)] {
        let err = if from_scope {
            c.scope().resolve_async::<Handler>().await.err()
        } else {
            c.resolve_async::<Handler>().await.err()
        }
        .expect("the pool fails");
        let path: Vec<&str> = err.path().iter().map(|n| n.short_name()).collect();
        assert_eq!(path, ["Handler", "Cache", "Pool"], "{err:?}");
        // The factory's own error, under the path that needed it.
        assert!(
            matches!(err.kind(), ResolveErrorKind::Factory(_)),
            "{err:?}"
        );
        assert!(
            common::error_chain(&err)
                .iter()
                .any(|m| m.contains("pool exhausted at startup")),
            "{err:?}"
        );
        assert_eq!(calls.load(Ordering::SeqCst), expected_calls);
    }
}

#[tokio::test]
async fn a_request_dropped_while_its_async_service_is_created_releases_it() {
    for way in WAYS {
        let calls = Arc::new(AtomicUsize::new(0));
        let made = Arc::new(AtomicUsize::new(0));
        let (n, m) = (calls.clone(), made.clone());
        let c = controller_graph(
            Container::builder().scoped_async(move || {
                let (n, m) = (n.clone(), m.clone());
                async move {
                    // The first call never finishes.
                    if n.fetch_add(1, Ordering::SeqCst) == 0 {
                        std::future::pending::<()>().await;
                    }
                    Session(m.fetch_add(1, Ordering::SeqCst))
                }
            }),
            way,
        );
        let scope = c.scope();
        let abandoned = tokio::time::timeout(
            Duration::from_millis(20),
            scope.resolve_async::<Controller>(),
        )
        .await;
        assert!(abandoned.is_err(), "{way:?}: the first request hangs");
        let ctrl =
            tokio::time::timeout(Duration::from_secs(5), scope.resolve_async::<Controller>())
                .await
                .unwrap_or_else(|_| panic!("{way:?}: the slot was left claimed"))
                .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2, "{way:?}");
        assert_eq!(made.load(Ordering::SeqCst), 1, "{way:?}");
        assert!(Arc::ptr_eq(&ctrl.0.0, &ctrl.1.0), "{way:?}: one Session");
    }
}

/// Two requests in one scope, on one thread: one takes its route, the other
/// the driver's frames, and both need `Shared` (scoped, created by a sync
/// factory from an async `Session` that yields while it is created). Each
/// waits for the other's creation by awaiting: neither blocks the thread
/// (which would hang a current-thread runtime), and the scope has one
/// `Session` and one `Shared`. A blocked thread would hang the runtime
/// (its timers too), so the runtime runs on a thread of its own, watched.
#[test]
fn requests_sharing_a_scope_wait_for_each_other_without_blocking() {
    common::on_a_watched_thread(
        Duration::from_secs(30),
        "the requests hung: a thread blocked waiting for a creation that awaits",
        || common::current_thread_runtime().block_on(sharing_a_scope()),
    );
}

async fn sharing_a_scope() {
    struct Shared(#[allow(dead_code)] Arc<Session>);
    struct ByRoute(Arc<Shared>);
    struct ByFrames(Arc<Shared>, #[allow(dead_code)] Arc<Clock>);
    let sessions = Arc::new(AtomicUsize::new(0));
    let shared = Arc::new(AtomicUsize::new(0));
    let (s1, s2) = (sessions.clone(), shared.clone());
    let c = Container::builder()
        .scoped_async(move || {
            let s = s1.clone();
            async move {
                for _ in 0..3 {
                    tokio::task::yield_now().await;
                }
                Session(s.fetch_add(1, Ordering::SeqCst))
            }
        })
        .scoped(move |s: Arc<Session>| {
            s2.fetch_add(1, Ordering::SeqCst);
            Shared(s)
        })
        .transient_async(|| async {
            tokio::task::yield_now().await;
            Clock
        })
        .transient(ByRoute)
        .transient(ByFrames)
        .build()
        .unwrap();
    for round in 0..50 {
        let scope = c.scope();
        let both = async {
            if round % 2 == 0 {
                let (a, b) = tokio::join!(
                    scope.resolve_async::<ByRoute>(),
                    scope.resolve_async::<ByFrames>()
                );
                (a.unwrap().0.clone(), b.unwrap().0.clone())
            } else {
                let (b, a) = tokio::join!(
                    scope.resolve_async::<ByFrames>(),
                    scope.resolve_async::<ByRoute>()
                );
                (a.unwrap().0.clone(), b.unwrap().0.clone())
            }
        };
        let (a, b) = tokio::time::timeout(Duration::from_secs(5), both)
            .await
            .unwrap_or_else(|_| panic!("round {round}: the requests hung"));
        assert!(Arc::ptr_eq(&a, &b), "round {round}: one Shared per scope");
        assert_eq!(sessions.load(Ordering::SeqCst), round + 1);
        assert_eq!(shared.load(Ordering::SeqCst), round + 1);
    }
}

/// The same on many threads: tasks of one scope released together by a
/// barrier, half of them by each way; one `Session` per scope, every task
/// served it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_requests_in_one_scope_share_its_async_services() {
    const TASKS: usize = 8;
    for way in WAYS {
        let sessions = Arc::new(AtomicUsize::new(0));
        let n = sessions.clone();
        let c = controller_graph(
            Container::builder().scoped_async(move || {
                let n = n.clone();
                async move {
                    tokio::task::yield_now().await;
                    Session(n.fetch_add(1, Ordering::SeqCst))
                }
            }),
            way,
        );
        for round in 0..20 {
            let scope = Arc::new(c.scope());
            let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
            let tasks: Vec<_> = (0..TASKS)
                .map(|_| {
                    let (scope, barrier) = (scope.clone(), barrier.clone());
                    tokio::spawn(async move {
                        barrier.wait().await;
                        scope.resolve_async::<Controller>().await.unwrap()
                    })
                })
                .collect();
            let mut got = Vec::new();
            for t in tasks {
                got.push(
                    tokio::time::timeout(Duration::from_secs(5), t)
                        .await
                        .unwrap()
                        .unwrap(),
                );
            }
            for ctrl in &got {
                assert!(
                    Arc::ptr_eq(&ctrl.0.0, &got[0].0.0),
                    "{way:?}: one Session per scope"
                );
                assert!(Arc::ptr_eq(&ctrl.1.0, &got[0].0.0), "{way:?}");
            }
            assert_eq!(sessions.load(Ordering::SeqCst), round + 1, "{way:?}");
        }
    }
}
