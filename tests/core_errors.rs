//! Runtime failures: panicking and failing factories, re-entrant resolution,
//! `warm_up`, and the `Send + Sync` contract of the public types.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use common::Calls;
use parking_lot::Mutex;
use tenure::{
    BuildError, Container, ContainerBuilder, Factory, Lazy, Node, Problem, ResolveError,
    ResolveErrorKind, Scope, ScopeFactory, WarmUpError,
};

const F: &str = file!();

struct Flaky;
struct Steady;
struct Outer(#[allow(dead_code)] Arc<Flaky>);

fn panics_once(calls: &Calls) -> impl Fn() -> Flaky + Send + Sync + 'static {
    let k = calls.clone();
    move || {
        if k.hit() == 0 {
            panic!("first call fails");
        }
        Flaky
    }
}

#[test]
fn panicking_singleton_factory_leaves_nothing_behind_and_the_next_resolve_retries() {
    let (calls, outer_calls) = (Calls::new(), Calls::new());
    let o = outer_calls.clone();
    let c = Container::builder()
        .singleton(panics_once(&calls))
        .singleton(move |f: Arc<Flaky>| {
            o.hit();
            Outer(f)
        })
        .singleton(|| Steady)
        .build()
        .unwrap();

    let r = catch_unwind(AssertUnwindSafe(|| c.resolve::<Outer>()));
    assert!(r.is_err(), "the panic reaches the caller");
    assert_eq!((calls.get(), outer_calls.get()), (1, 0));
    assert_eq!(c.singletons_created(), 0, "nothing half-built");

    // Other services are unaffected; another thread is not blocked.
    assert!(c.resolve::<Steady>().is_ok());
    let c2 = c.clone();
    let flaky = std::thread::spawn(move || c2.resolve::<Flaky>().map(|_| ()))
        .join()
        .unwrap();
    assert!(flaky.is_ok());
    // Retrying on the panicking thread works too (no stale re-entrancy mark).
    let outer = c.resolve::<Outer>().unwrap();
    assert!(Arc::ptr_eq(&outer.0, &c.resolve::<Flaky>().unwrap()));
    assert_eq!((calls.get(), outer_calls.get()), (2, 1));
}

#[test]
fn panicking_scoped_factory_retries_in_the_same_scope() {
    let calls = Calls::new();
    let c = Container::builder()
        .scoped(panics_once(&calls))
        .build()
        .unwrap();
    let scope = c.scope();
    assert!(catch_unwind(AssertUnwindSafe(|| scope.resolve::<Flaky>())).is_err());
    assert_eq!(scope.instances_created(), 0);
    let a = scope.resolve::<Flaky>().unwrap();
    assert!(Arc::ptr_eq(&a, &scope.resolve::<Flaky>().unwrap()));
    assert_eq!(calls.get(), 2);
}

#[derive(Debug)]
struct PoolDown;
impl std::fmt::Display for PoolDown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection refused")
    }
}
impl std::error::Error for PoolDown {}

struct Pool;

fn chain(e: &dyn std::error::Error) -> Vec<String> {
    let mut out = Vec::new();
    let mut src = e.source();
    while let Some(s) = src {
        out.push(s.to_string());
        src = s.source();
    }
    out
}

#[test]
fn failing_factory_reports_its_error_as_the_source_and_the_next_resolve_retries() {
    let calls = Calls::new();
    let k = calls.clone();
    let mut b = Container::builder();
    let line = line!() + 1;
    b.try_singleton(move || -> anyhow::Result<Pool> {
        if k.hit() == 0 {
            return Err(anyhow::Error::new(PoolDown).context("opening the pool"));
        }
        Ok(Pool)
    });
    let c = b.build().unwrap();

    let err = c.resolve::<Pool>().err().unwrap();
    let ResolveErrorKind::Factory(inner) = err.kind() else {
        panic!("{err:?}")
    };
    assert!(inner.downcast_ref::<PoolDown>().is_some());
    assert_eq!(chain(&err), ["opening the pool", "connection refused"]);
    assert_eq!(
        err.to_string(),
        format!(
            "the factory of singleton `core_errors::Pool` failed [core_errors::Pool registered \
             at {F}:{line}:{}]",
            err.service().unwrap().site().column()
        )
    );
    assert_eq!(c.singletons_created(), 0);
    assert!(c.resolve::<Pool>().is_ok(), "retried");
    assert_eq!(calls.get(), 2);
}

#[test]
fn failing_dependency_in_a_scope_names_the_path_and_a_plain_std_error_is_the_source() {
    let calls = Calls::new();
    let k = calls.clone();
    struct Repo(#[allow(dead_code)] Arc<Pool>);
    let c = Container::builder()
        .try_scoped(move || {
            if k.hit() == 0 {
                Err(PoolDown)
            } else {
                Ok(Pool)
            }
        })
        .transient(|p: Arc<Pool>| Repo(p))
        .build()
        .unwrap();
    let scope = c.scope();
    let err = scope.resolve::<Repo>().err().unwrap();
    assert!(matches!(err.kind(), ResolveErrorKind::Factory(_)));
    let names: Vec<_> = err.path().iter().map(Node::type_name).collect();
    assert_eq!(
        names,
        [
            "core_errors::failing_dependency_in_a_scope_names_the_path_and_a_plain_std_error_is_the_source::Repo",
            "core_errors::Pool"
        ]
    );
    let source = std::error::Error::source(&err).unwrap();
    assert!(source.downcast_ref::<PoolDown>().is_some());
    assert!(
        err.to_string().contains("(while resolving transient"),
        "{err}"
    );
    assert_eq!(scope.instances_created(), 0);
    assert!(scope.resolve::<Repo>().is_ok());
}

/// Runs `probe` inside a factory and keeps what it returned, so the test can
/// look at the error the factory saw.
type Seen = Arc<Mutex<Vec<ResolveError>>>;

fn assert_reentrant(seen: &Seen, service: &str) {
    let seen = seen.lock();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let e = &seen[0];
    assert!(matches!(e.kind(), ResolveErrorKind::Reentrant), "{e:?}");
    assert_eq!(e.service().unwrap().type_name(), service);
    assert!(e.to_string().contains("re-entrant resolution"), "{e}");
}

struct Selfish;

#[test]
fn singleton_resolving_itself_through_lazy_is_reentrant_not_a_hang() {
    let seen: Seen = Seen::default();
    let s = seen.clone();
    let c = Container::builder()
        .singleton(move |me: Lazy<Selfish>| {
            let got = me.get().err();
            s.lock().extend(got);
            Selfish
        })
        .build()
        .unwrap();
    let first = c.resolve::<Selfish>().unwrap();
    assert_reentrant(&seen, "core_errors::Selfish");
    assert!(Arc::ptr_eq(&first, &c.resolve::<Selfish>().unwrap()));
}

#[test]
fn singleton_resolving_itself_through_factory_is_reentrant() {
    let seen: Seen = Seen::default();
    let s = seen.clone();
    let c = Container::builder()
        .singleton(move |me: Factory<Selfish>| {
            let got = me.create_unscoped().err();
            s.lock().extend(got);
            Selfish
        })
        .build()
        .unwrap();
    c.resolve::<Selfish>().unwrap();
    assert_reentrant(&seen, "core_errors::Selfish");
}

#[test]
fn singleton_resolving_itself_through_a_scope_factory_is_reentrant() {
    let seen: Seen = Seen::default();
    let s = seen.clone();
    let c = Container::builder()
        .singleton(move |scopes: ScopeFactory| {
            let scope = scopes.open().unwrap();
            let got = scope.resolve::<Selfish>().err();
            s.lock().extend(got);
            Selfish
        })
        .build()
        .unwrap();
    c.scope().resolve::<Selfish>().unwrap();
    assert_reentrant(&seen, "core_errors::Selfish");
}

#[test]
fn scoped_resolving_itself_through_lazy_is_reentrant() {
    let seen: Seen = Seen::default();
    let s = seen.clone();
    let c = Container::builder()
        .scoped(move |me: Lazy<Selfish>| {
            let got = me.get().err();
            s.lock().extend(got);
            Selfish
        })
        .build()
        .unwrap();
    let scope = c.scope();
    scope.resolve::<Selfish>().unwrap();
    assert_reentrant(&seen, "core_errors::Selfish");
    assert_eq!(scope.instances_created(), 1);
}

struct Left;
struct Right(#[allow(dead_code)] Arc<Left>);

#[test]
fn indirect_reentrance_through_another_service_is_reported_with_its_path() {
    // Left's factory asks for Right, which needs Left: Left is being built.
    let seen: Seen = Seen::default();
    let s = seen.clone();
    let c = Container::builder()
        .singleton(move |right: Lazy<Right>| {
            let got = right.get().err();
            s.lock().extend(got);
            Left
        })
        .singleton(|l: Arc<Left>| Right(l))
        .build()
        .unwrap();
    c.resolve::<Left>().unwrap();
    assert_reentrant(&seen, "core_errors::Left");
    let path: Vec<_> = seen.lock()[0].path().iter().map(Node::type_name).collect();
    assert_eq!(path, ["core_errors::Right", "core_errors::Left"]);
}

struct Bad1;
struct Bad2;

#[test]
fn warm_up_creates_every_singleton_and_reports_every_failure() {
    let mut b = Container::builder();
    b.singleton(|| Steady);
    let l1 = line!() + 1;
    b.try_singleton(|| -> Result<Bad1, PoolDown> { Err(PoolDown) });
    b.scoped(|| Pool); // not a singleton: not warmed up
    let l2 = line!() + 1;
    b.try_singleton(|| -> anyhow::Result<Bad2> { anyhow::bail!("no config file") });
    let c = b.build().unwrap();
    let err: WarmUpError = c.warm_up().unwrap_err();
    let failed: Vec<_> = err
        .errors()
        .iter()
        .map(|e| {
            (
                e.service().unwrap().type_name(),
                e.service().unwrap().site().line(),
            )
        })
        .collect();
    assert_eq!(
        failed,
        [("core_errors::Bad1", l1), ("core_errors::Bad2", l2)]
    );
    let msg = err.to_string();
    assert!(
        msg.starts_with(
            "2 singletons failed to start:\n1. the factory of singleton `core_errors::Bad1` failed"
        ),
        "{msg}"
    );
    assert!(
        msg.contains("\n   caused by: connection refused\n2. "),
        "{msg}"
    );
    assert!(msg.ends_with("caused by: no config file"), "{msg}");
    assert_eq!(
        c.singletons_created(),
        1,
        "the healthy singleton was created"
    );

    let ok = Container::builder()
        .singleton(|| Steady)
        .singleton(|_s: Arc<Steady>| Flaky)
        .scoped(|| Pool)
        .build()
        .unwrap();
    ok.warm_up().unwrap();
    assert_eq!(ok.singletons_created(), 2);
}

#[test]
fn public_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync + 'static>() {}
    fn clone<T: Clone>() {}
    trait Plugin: Send + Sync {}
    send_sync::<Container>();
    send_sync::<ContainerBuilder>();
    send_sync::<Scope>();
    send_sync::<Lazy<Pool>>();
    send_sync::<Lazy<dyn Plugin>>();
    send_sync::<Factory<Pool>>();
    send_sync::<Factory<dyn Plugin>>();
    send_sync::<ScopeFactory>();
    send_sync::<BuildError>();
    send_sync::<Problem>();
    send_sync::<Node>();
    send_sync::<ResolveError>();
    send_sync::<WarmUpError>();
    clone::<Container>();
    clone::<ContainerBuilder>();
    clone::<Factory<dyn Plugin>>();
    clone::<ScopeFactory>();

    // And they do cross threads.
    let c = Container::builder().scoped(|| Pool).build().unwrap();
    let scope = c.scope();
    let here = scope.resolve::<Pool>().unwrap();
    let there = std::thread::spawn(move || scope.resolve::<Pool>().unwrap())
        .join()
        .unwrap();
    assert!(Arc::ptr_eq(&here, &there));
}

struct Gate;
struct First(#[allow(dead_code)] Arc<Second>);
struct Second;

/// Two threads, each creating one of two singletons, each needing the other
/// (`First` needs `Second`; `Second`'s factory asks for `First` through a
/// `Lazy`): on one thread this is `Reentrant` (tested above); on two threads
/// each holds the lock the other waits for. The barrier inside the factories
/// forces that interleaving. One of the threads must get `Reentrant` rather
/// than wait forever. A watchdog (a channel with a timeout) turns a hang
/// into a failure instead of stalling the suite.
#[test]
fn reentrance_across_two_threads_is_an_error_not_a_deadlock() {
    for _ in 0..20 {
        let gate = Arc::new(std::sync::Barrier::new(2));
        let (g1, g2) = (gate.clone(), gate);
        let gate_calls = Calls::new();
        let seen: Seen = Seen::default();
        let s = seen.clone();
        let c = Container::builder()
            .transient(move || {
                if gate_calls.hit() == 0 {
                    g1.wait(); // the first `First` attempt holds its slot here
                }
                Gate
            })
            .singleton(|_g: Arc<Gate>, s: Arc<Second>| First(s))
            .singleton(move |first: Lazy<First>| {
                g2.wait(); // `Second` holds its slot here
                let got = first.get().err();
                s.lock().extend(got);
                Second
            })
            .build()
            .unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        for i in 0..2 {
            let (c, tx, seen) = (c.clone(), tx.clone(), seen.clone());
            std::thread::spawn(move || {
                let got = if i == 0 {
                    c.resolve::<First>().err()
                } else {
                    c.resolve::<Second>().err()
                };
                seen.lock().extend(got);
                let _ = tx.send(());
            });
        }
        for _ in 0..2 {
            assert!(
                rx.recv_timeout(std::time::Duration::from_secs(10)).is_ok(),
                "the two threads deadlocked"
            );
        }
        let seen = seen.lock();
        assert!(!seen.is_empty(), "one side must have been refused");
        for e in seen.iter() {
            assert!(matches!(e.kind(), ResolveErrorKind::Reentrant), "{e:?}");
        }
        // Nothing half-built: both resolve now, and `First` holds the singleton.
        let first = c.resolve::<First>().unwrap();
        assert!(Arc::ptr_eq(&first.0, &c.resolve::<Second>().unwrap()));
    }
}

/// `Ring<I>`'s factory asks, through a `Lazy`, for the next ring member.
struct Ring<const I: usize>(
    #[allow(dead_code)] Lazy<Ring<0>>,
    Lazy<Ring<1>>,
    #[allow(dead_code)] Lazy<Ring<2>>,
);

#[test]
fn a_wait_cycle_of_three_threads_is_broken_with_an_error() {
    fn member<const I: usize>(b: &mut ContainerBuilder, gate: Arc<std::sync::Barrier>, seen: Seen) {
        let first = Calls::new();
        b.singleton(
            move |r0: Lazy<Ring<0>>, r1: Lazy<Ring<1>>, r2: Lazy<Ring<2>>| {
                if first.hit() == 0 {
                    gate.wait(); // all three hold their own slot here
                }
                let got = match I {
                    0 => r1.get().err(),
                    1 => r2.get().err(),
                    _ => r0.get().err(),
                };
                seen.lock().extend(got);
                Ring::<I>(r0, r1, r2)
            },
        );
    }
    for _ in 0..20 {
        let gate = Arc::new(std::sync::Barrier::new(3));
        let seen = Seen::default();
        let mut b = Container::builder();
        member::<0>(&mut b, gate.clone(), seen.clone());
        member::<1>(&mut b, gate.clone(), seen.clone());
        member::<2>(&mut b, gate, seen.clone());
        let c = b.build().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        for i in 0..3 {
            let (c, tx) = (c.clone(), tx.clone());
            std::thread::spawn(move || {
                let ok = match i {
                    0 => c.resolve::<Ring<0>>().is_ok(),
                    1 => c.resolve::<Ring<1>>().is_ok(),
                    _ => c.resolve::<Ring<2>>().is_ok(),
                };
                let _ = tx.send(ok);
            });
        }
        for _ in 0..3 {
            let done = rx.recv_timeout(std::time::Duration::from_secs(10));
            assert_eq!(done, Ok(true), "every member is created, nothing deadlocks");
        }
        let seen = seen.lock();
        assert!(!seen.is_empty(), "one wait must have been refused");
        for e in seen.iter() {
            assert!(matches!(e.kind(), ResolveErrorKind::Reentrant), "{e:?}");
        }
        let ring = c.resolve::<Ring<0>>().unwrap();
        assert!(Arc::ptr_eq(
            &ring.1.get().unwrap(),
            &c.resolve::<Ring<1>>().unwrap()
        ));
    }
}

/// A transient that creates itself through its own `Factory` handle would
/// recurse until the stack overflows; nested handle resolutions are capped
/// and reported as re-entrant instead.
#[test]
fn a_transient_creating_itself_through_its_factory_is_an_error_not_a_stack_overflow() {
    struct Recursive;
    let c = tenure::Container::builder()
        .try_transient(
            |me: tenure::Factory<Recursive>| -> Result<Recursive, tenure::ResolveError> {
                me.create_unscoped()?;
                Ok(Recursive)
            },
        )
        .build()
        .unwrap();
    let err = c.resolve::<Recursive>().err().expect("re-entrant");
    let chain = common::error_chain(&err);
    assert!(
        chain.iter().any(|m| m.starts_with("re-entrant resolution")),
        "{chain:?}"
    );
    // The thread's handle depth was unwound: a fresh resolution fails the same way.
    assert!(c.resolve::<Recursive>().is_err());
}
