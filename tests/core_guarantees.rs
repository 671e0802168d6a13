//! The resolution core's guarantees, each run on both paths: sync
//! (`resolve`, `Lazy::get`, `Factory::create`, `warm_up`) and async
//! (`resolve_async`, `get_async`, `create_async`, `warm_up_async`). One
//! core decides them all; these tests hold it to that on each driver.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tenure::{
    Container, Factory, Lazy, ResolveError, ResolveErrorKind, Scope, ScopeFactory, WarmUpError,
};

mod common;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Sync,
    Async,
}

const MODES: [Mode; 2] = [Mode::Sync, Mode::Async];

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Resolves `T` in `scope` on the path `mode`.
fn resolve<T: ?Sized + Send + Sync + 'static>(
    mode: Mode,
    rt: &tokio::runtime::Runtime,
    scope: &Scope,
) -> Result<Arc<T>, ResolveError> {
    match mode {
        Mode::Sync => scope.resolve::<T>(),
        Mode::Async => rt.block_on(scope.resolve_async::<T>()),
    }
}

/// Resolves `T` from the root on the path `mode`.
fn resolve_root<T: ?Sized + Send + Sync + 'static>(
    mode: Mode,
    rt: &tokio::runtime::Runtime,
    c: &Container,
) -> Result<Arc<T>, ResolveError> {
    match mode {
        Mode::Sync => c.resolve::<T>(),
        Mode::Async => rt.block_on(c.resolve_async::<T>()),
    }
}

fn lazy_get<T: ?Sized + Send + Sync + 'static>(
    mode: Mode,
    rt: &tokio::runtime::Runtime,
    lazy: &Lazy<T>,
) -> Result<Arc<T>, ResolveError> {
    match mode {
        Mode::Sync => lazy.get(),
        Mode::Async => rt.block_on(lazy.get_async()),
    }
}

fn warm_up(mode: Mode, rt: &tokio::runtime::Runtime, c: &Container) -> Result<(), WarmUpError> {
    match mode {
        Mode::Sync => c.warm_up(),
        Mode::Async => rt.block_on(c.warm_up_async()),
    }
}

/// Runs `f` on its own thread and fails the test if it has not finished
/// after a generous bound: a deadlock fails instead of hanging the suite.
fn within_bound<R: Send + 'static>(what: &str, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|_| panic!("{what}: still running after 30 s (a deadlock)"))
}

fn kinds(err: &ResolveError) -> Vec<String> {
    common::error_chain(err)
}

// ---------------------------------------------------------------------------
// Defect 1: a pooled factory runs outside the pool's locks.

struct Pooled {
    _nested: Option<Arc<Pooled>>,
}

/// A pooled factory that, the first time, re-enters its own pool (through
/// a `Factory` in a new scope): with the idle-list lock held across the
/// factory, this deadlocked.
#[test]
fn a_pooled_factory_may_re_enter_its_own_pool() {
    for mode in MODES {
        let outcome = within_bound("re-entrant pool", move || {
            let first = Arc::new(AtomicUsize::new(0));
            let c = Container::builder()
                .pooled(2, move |me: Factory<Pooled>, scopes: ScopeFactory| {
                    let nested = (first.fetch_add(1, Ordering::SeqCst) == 0).then(|| {
                        let scope = scopes.open().expect("open");
                        me.create(&scope)
                            .expect("a second instance from the same pool")
                    });
                    Pooled { _nested: nested }
                })
                .build()
                .unwrap();
            let rt = runtime();
            let scope = c.scope();
            let p = resolve::<Pooled>(mode, &rt, &scope).map(|p| p._nested.is_some());
            (p, c.pool_status::<Pooled>().unwrap().created)
        });
        assert!(outcome.0.expect("resolves"), "{mode:?}");
        assert_eq!(outcome.1, 2, "{mode:?}: two instances created");
    }
}

/// While one thread's pooled factory runs (slowly), another thread rents
/// from the same pool: it must not wait behind the factory.
#[test]
fn other_renters_do_not_wait_behind_a_pooled_factory() {
    for mode in MODES {
        within_bound("renters behind a slow factory", move || {
            let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
            let done_rx = parking_lot::Mutex::new(done_rx);
            let calls = Arc::new(AtomicUsize::new(0));
            let c = Container::builder()
                .pooled(2, move || {
                    if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                        // The first factory finishes only once the other
                        // thread has rented an instance of its own.
                        done_rx
                            .lock()
                            .recv_timeout(Duration::from_secs(20))
                            .expect("the other renter was not blocked");
                    }
                    Pooled { _nested: None }
                })
                .build()
                .unwrap();
            let c2 = c.clone();
            let slow = std::thread::spawn(move || {
                let rt = runtime();
                let scope = c2.scope();
                resolve::<Pooled>(mode, &rt, &scope).map(|_| ())
            });
            // Wait until the slow factory holds its permit.
            while c.pool_status::<Pooled>().unwrap().available == 2 {
                std::thread::yield_now();
            }
            let rt = runtime();
            let scope = c.scope();
            resolve::<Pooled>(mode, &rt, &scope).expect("rents without waiting");
            done_tx.send(()).unwrap();
            slow.join().unwrap().expect("the slow one resolves too");
        });
    }
}

// ---------------------------------------------------------------------------
// Defect 2: a wait cycle across tasks is `Reentrant`, not a hang.

struct A;
struct B;

#[test]
fn a_wait_cycle_across_tasks_is_reentrant_not_a_hang() {
    let rt = runtime();
    rt.block_on(async {
        let barrier = Arc::new(tokio::sync::Barrier::new(2));
        let first = Arc::new(AtomicUsize::new(0));
        let (b1, b2) = (barrier.clone(), barrier.clone());
        let (f1, f2) = (first.clone(), first.clone());
        let c = Container::builder()
            .try_singleton_async(move |b: Lazy<B>| {
                let (barrier, first) = (b1.clone(), f1.clone());
                async move {
                    if first.fetch_add(1, Ordering::SeqCst) < 2 {
                        barrier.wait().await; // both creations are under way
                    }
                    b.get_async().await?;
                    Ok::<_, ResolveError>(A)
                }
            })
            .try_singleton_async(move |a: Lazy<A>| {
                let (barrier, first) = (b2.clone(), f2.clone());
                async move {
                    if first.fetch_add(1, Ordering::SeqCst) < 2 {
                        barrier.wait().await;
                    }
                    a.get_async().await?;
                    Ok::<_, ResolveError>(B)
                }
            })
            .build()
            .unwrap();
        let (ca, cb) = (c.clone(), c.clone());
        let ta = tokio::spawn(async move { ca.resolve_async::<A>().await.map(|_| ()) });
        let tb = tokio::spawn(async move { cb.resolve_async::<B>().await.map(|_| ()) });
        let both = tokio::time::timeout(Duration::from_secs(30), async {
            (ta.await.unwrap(), tb.await.unwrap())
        })
        .await
        .expect("a wait cycle across tasks must not hang");
        // Neither can be built: each needs the other during creation. Both
        // fail, and the cycle is named as re-entrant resolution.
        for r in [both.0, both.1] {
            let err = r.expect_err("a cycle through lazy handles during creation");
            assert!(
                kinds(&err)
                    .iter()
                    .any(|m| m.starts_with("re-entrant resolution")),
                "{:?}",
                kinds(&err)
            );
        }
        assert_eq!(c.singletons_created(), 0);
    });
}

// ---------------------------------------------------------------------------
// Defect 3: nested handle resolutions are capped on both paths.

struct Recursive;

#[test]
fn a_transient_creating_itself_through_a_handle_is_stopped_on_both_paths() {
    for mode in MODES {
        let calls = Arc::new(AtomicUsize::new(0));
        let mut b = Container::builder();
        let n = calls.clone();
        match mode {
            Mode::Sync => b.try_transient(
                move |me: Factory<Recursive>, scopes: ScopeFactory| -> Result<_, ResolveError> {
                    n.fetch_add(1, Ordering::SeqCst);
                    me.create(&scopes.open()?)?;
                    Ok(Recursive)
                },
            ),
            Mode::Async => {
                b.try_transient_async(move |me: Factory<Recursive>, scopes: ScopeFactory| {
                    let n = n.clone();
                    async move {
                        n.fetch_add(1, Ordering::SeqCst);
                        me.create_async(&scopes.open()?).await?;
                        Ok::<_, ResolveError>(Recursive)
                    }
                })
            }
        };
        let c = b.build().unwrap();
        let rt = runtime();
        let err = within_bound("self-creating transient", move || {
            resolve_root::<Recursive>(mode, &rt, &c).map(|_| ())
        })
        .expect_err("endless self-creation");
        assert!(
            kinds(&err)
                .iter()
                .any(|m| m.starts_with("re-entrant resolution")),
            "{mode:?}: {:?}",
            kinds(&err)
        );
        let made = calls.load(Ordering::SeqCst);
        assert!(
            (60..=70).contains(&made),
            "{mode:?}: stopped at the cap, after {made} calls"
        );
    }
}

// ---------------------------------------------------------------------------
// Defect 5: an ended scope serves nothing, cached or not.

struct Conn;

#[test]
fn an_ended_scope_serves_nothing_not_even_what_it_cached() {
    for mode in MODES {
        let c = Container::builder()
            .scoped(|| Conn)
            .transient(|conn: Lazy<Conn>| conn)
            .build()
            .unwrap();
        let rt = runtime();
        let scope = c.scope();
        let clone = scope.clone();
        resolve::<Conn>(mode, &rt, &clone).expect("cached in the scope");
        let lazy = resolve::<Lazy<Conn>>(mode, &rt, &clone).expect("a handle from the scope");
        rt.block_on(scope.dispose()).unwrap();
        assert!(clone.is_ended());
        for err in [
            resolve::<Conn>(mode, &rt, &clone).err(),
            lazy_get(mode, &rt, &lazy).err(),
        ] {
            let err = err.expect("an ended scope serves nothing");
            assert!(
                matches!(err.kind(), ResolveErrorKind::ScopeEnded),
                "{mode:?}: {err}"
            );
            assert!(
                err.to_string().contains("Conn"),
                "{mode:?}: names it: {err}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Defect 6: after shutdown nothing resolves.

struct Config;
struct Session;

#[test]
fn after_shutdown_nothing_resolves() {
    for mode in MODES {
        let c = Container::builder()
            .singleton(|| Config)
            .scoped(|| Session)
            .singleton(|scopes: ScopeFactory| scopes)
            .build()
            .unwrap();
        let rt = runtime();
        let scope = c.scope();
        resolve_root::<Config>(mode, &rt, &c).expect("before shutdown");
        let scopes = resolve_root::<ScopeFactory>(mode, &rt, &c).unwrap();
        rt.block_on(c.shutdown()).unwrap();
        assert!(c.is_shut_down());
        let errors = [
            resolve_root::<Config>(mode, &rt, &c).err(),
            resolve::<Session>(mode, &rt, &scope).err(),
            resolve::<Session>(mode, &rt, &c.scope()).err(),
            scopes.open().err(),
        ];
        for err in errors {
            let err = err.expect("nothing resolves after shutdown");
            assert!(
                matches!(err.kind(), ResolveErrorKind::ShutDown),
                "{mode:?}: {err}"
            );
        }
        let warm = warm_up(mode, &rt, &c).unwrap_err();
        assert!(matches!(
            warm.errors()[0].kind(),
            ResolveErrorKind::ShutDown
        ));
    }
}

// ---------------------------------------------------------------------------
// Defect 7: what `build()` accepts resolves: a singleton's lazy handle to a
// transient with an async disposer.

struct Tx {
    disposed: Arc<AtomicUsize>,
}

struct Holder {
    tx: Lazy<Tx>,
}

#[test]
fn a_singletons_lazy_transient_with_an_async_disposer_resolves_and_is_disposed_at_shutdown() {
    for mode in MODES {
        let disposed = Arc::new(AtomicUsize::new(0));
        let d = disposed.clone();
        let c = Container::builder()
            .transient(move || Tx {
                disposed: d.clone(),
            })
            .dispose_with(|tx: Arc<Tx>| async move {
                tx.disposed.fetch_add(1, Ordering::SeqCst);
                Ok::<_, anyhow::Error>(())
            })
            .singleton(|tx: Lazy<Tx>| Holder { tx })
            .build()
            .expect("a singleton may hold a transient");
        let rt = runtime();
        let holder = resolve_root::<Holder>(mode, &rt, &c).unwrap();
        lazy_get(mode, &rt, &holder.tx).expect("owned by the container");
        rt.block_on(c.shutdown()).unwrap();
        assert_eq!(disposed.load(Ordering::SeqCst), 1, "{mode:?}");
    }
}

// ---------------------------------------------------------------------------
// Defect 9: errors from handles name their service.

#[test]
fn handle_errors_name_their_service() {
    for mode in MODES {
        let c = Container::builder()
            .scoped(|| Session)
            .singleton(|f: Factory<Session>| f)
            .build()
            .unwrap();
        let other = Container::builder().scoped(|| Session).build().unwrap();
        let rt = runtime();
        let f = resolve_root::<Factory<Session>>(mode, &rt, &c).unwrap();
        let scope = other.scope();
        let err = match mode {
            Mode::Sync => f.create(&scope).err(),
            Mode::Async => rt.block_on(f.create_async(&scope)).err(),
        }
        .expect("a scope of another container");
        assert!(matches!(err.kind(), ResolveErrorKind::WrongContainer));
        let msg = err.to_string();
        assert!(
            msg.contains(
                "`Factory<core_guarantees::Session>` was given a scope of another container"
            ),
            "{mode:?}: {msg}"
        );
        assert!(!msg.contains('?'), "{mode:?}: no placeholder: {msg}");
        assert!(msg.contains("core_guarantees.rs"), "{mode:?}: where: {msg}");
    }
}

// ---------------------------------------------------------------------------
// Defect 10: a long path is recorded in order (pushed, not inserted).

macro_rules! chain {
    ($first:ident $(, $next:ident)*) => {
        struct $first;
        chain!(@link $first $(, $next)*);
    };
    (@link $prev:ident, $next:ident $(, $rest:ident)*) => {
        struct $next(#[allow(dead_code)] Arc<$prev>);
        chain!(@link $next $(, $rest)*);
    };
    (@link $last:ident) => {};
}

chain!(
    L00, L01, L02, L03, L04, L05, L06, L07, L08, L09, L10, L11, L12, L13, L14, L15
);

#[test]
fn a_deep_failure_path_runs_from_the_request_down_to_the_failure() {
    macro_rules! register {
        ($b:ident; $($prev:ident => $next:ident),*) => {
            $($b.transient(|p: Arc<$prev>| $next(p));)*
        };
    }
    for mode in MODES {
        let mut b = Container::builder();
        b.try_transient(|| Err::<L00, _>(anyhow::anyhow!("bottom")));
        register!(b; L00 => L01, L01 => L02, L02 => L03, L03 => L04, L04 => L05, L05 => L06,
            L06 => L07, L07 => L08, L08 => L09, L09 => L10, L10 => L11, L11 => L12,
            L12 => L13, L13 => L14, L14 => L15);
        let c = b.build().unwrap();
        let rt = runtime();
        let err = resolve_root::<L15>(mode, &rt, &c).err().unwrap();
        let names: Vec<&str> = err.path().iter().map(|n| n.short_name()).collect();
        let expected: Vec<String> = (0..16).rev().map(|i| format!("L{i:02}")).collect();
        assert_eq!(names, expected, "{mode:?}");
        assert_eq!(err.service().map(|n| n.short_name()), Some("L00"));
        assert!(
            err.to_string()
                .contains("transient `core_guarantees::L15` -> transient")
        );
    }
}

// ---------------------------------------------------------------------------
// Issue 11, item 2: a warm-up tries each singleton once; dependents report
// the cause.

struct Db;
struct Users(#[allow(dead_code)] Arc<Db>);
struct Orders(#[allow(dead_code)] Arc<Db>);

#[test]
fn a_warm_up_tries_a_failing_singleton_once_and_groups_its_dependents() {
    for mode in MODES {
        let attempts = Arc::new(AtomicUsize::new(0));
        let n = attempts.clone();
        let mut b = Container::builder();
        // Dependents first: the warm-up still tries `Db` first.
        b.singleton(|db: Arc<Db>| Users(db))
            .singleton(|db: Arc<Db>| Orders(db));
        match mode {
            Mode::Sync => b.try_singleton(move || {
                n.fetch_add(1, Ordering::SeqCst);
                Err::<Db, _>(anyhow::anyhow!("connection refused"))
            }),
            Mode::Async => b.try_singleton_async(move || {
                let n = n.clone();
                async move {
                    n.fetch_add(1, Ordering::SeqCst);
                    Err::<Db, _>(anyhow::anyhow!("connection refused"))
                }
            }),
        };
        let c = b.build().unwrap();
        let rt = runtime();
        let err = warm_up(mode, &rt, &c).unwrap_err();
        assert_eq!(attempts.load(Ordering::SeqCst), 1, "{mode:?}: one attempt");
        assert_eq!(err.errors().len(), 3);
        let roots: Vec<_> = err.root_causes().collect();
        assert_eq!(roots.len(), 1);
        assert_eq!(roots[0].service().map(|n| n.short_name()), Some("Db"));
        for dependent in &err.errors()[1..] {
            assert!(matches!(
                dependent.kind(),
                ResolveErrorKind::DependencyFailed { cause } if cause.short_name() == "Db"
            ));
        }
        let msg = err.to_string();
        assert!(
            msg.starts_with("3 singletons failed to start, from 1 root cause:\n1. "),
            "{msg}"
        );
        assert_eq!(msg.matches("connection refused").count(), 1, "{msg}");
        assert!(msg.contains("so these were not started: singleton `core_guarantees::Users`"));
        assert!(msg.contains("singleton `core_guarantees::Orders`"), "{msg}");
        // A later resolution tries again (the memo lives for one warm-up).
        assert!(resolve_root::<Users>(mode, &rt, &c).is_err());
        assert_eq!(attempts.load(Ordering::SeqCst), 2);
    }
}

// ---------------------------------------------------------------------------
// Issue 11, item 3: an untrackable transient is refused before it exists.

struct Untracked;

#[test]
fn a_transient_with_an_async_disposer_is_refused_from_the_root_before_its_factory_runs() {
    for mode in MODES {
        let calls = Arc::new(AtomicUsize::new(0));
        let n = calls.clone();
        let c = Container::builder()
            .transient(move || {
                n.fetch_add(1, Ordering::SeqCst);
                Untracked
            })
            .dispose_with(|_: Arc<Untracked>| async { Ok::<_, anyhow::Error>(()) })
            .build()
            .unwrap();
        let rt = runtime();
        let err = resolve_root::<Untracked>(mode, &rt, &c).err().unwrap();
        assert!(matches!(err.kind(), ResolveErrorKind::UntrackedDisposable));
        assert_eq!(calls.load(Ordering::SeqCst), 0, "{mode:?}: nothing created");
        // From a scope it is created and owned by the scope.
        let scope = c.scope();
        resolve::<Untracked>(mode, &rt, &scope).unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(scope.instances_created(), 1);
    }
}

// ---------------------------------------------------------------------------
// Issue 11, item 9: a sync resolve that meets an async factory names it.

struct AsyncConn;
struct Handler(#[allow(dead_code)] Arc<AsyncConn>);
struct AsyncPool;
struct Repo(#[allow(dead_code)] Arc<AsyncPool>);

#[test]
fn a_sync_resolve_names_the_async_service_on_its_path_and_the_call_that_helps() {
    let c = Container::builder()
        .scoped_async(|| async { AsyncConn })
        .scoped(|conn: Arc<AsyncConn>| Handler(conn))
        .singleton_async(|| async { AsyncPool })
        .singleton(|pool: Arc<AsyncPool>| Repo(pool))
        .build()
        .unwrap();
    let scope = c.scope();
    let err = scope.resolve::<Handler>().err().unwrap();
    assert!(matches!(err.kind(), ResolveErrorKind::AsyncRequired));
    assert_eq!(err.service().map(|n| n.short_name()), Some("AsyncConn"));
    let msg = err.to_string();
    assert!(
        msg.starts_with("scoped `core_guarantees::AsyncConn` has an async factory"),
        "{msg}"
    );
    assert!(msg.contains("resolve_async"), "{msg}");
    assert!(
        !msg.contains("warm_up_async"),
        "no advice that cannot help: {msg}"
    );

    let err = c.resolve::<Repo>().err().unwrap();
    assert_eq!(err.service().map(|n| n.short_name()), Some("AsyncPool"));
    let msg = err.to_string();
    assert!(
        msg.starts_with("singleton `core_guarantees::AsyncPool` has an async factory"),
        "{msg}"
    );
    assert!(msg.contains("warm_up_async"), "{msg}");
    // Once the async singleton exists, the sync path builds on it.
    runtime().block_on(c.warm_up_async()).unwrap();
    c.resolve::<Repo>().unwrap();
}
