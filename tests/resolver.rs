//! `Resolver<T>`: the lookup done once, a singleton kept after its first
//! resolution, and every rule of `resolve` still in force (scoped from the
//! root, ended scopes, shutdown, another container's scope).

mod common;

use std::sync::{Arc, Barrier};

use common::{Calls, Probe, Token};
use tenure::{Container, ResolveError, ResolveErrorKind};

/// The error of a resolution expected to fail (`T` need not be `Debug`).
fn fails<T>(r: Result<T, ResolveError>) -> ResolveError {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

struct Config(#[allow(dead_code)] Token);
struct Session(#[allow(dead_code)] Token, Arc<Config>);
struct Job(#[allow(dead_code)] Token);

trait Clock: Send + Sync {
    fn now(&self) -> u64;
}
struct Fixed(u64);
impl Clock for Fixed {
    fn now(&self) -> u64 {
        self.0
    }
}

fn container(probe: &Probe, config_calls: &Calls) -> Container {
    let (p1, p2, p3) = (probe.clone(), probe.clone(), probe.clone());
    let calls = config_calls.clone();
    Container::builder()
        .singleton(move || {
            calls.hit();
            Config(p1.token("config"))
        })
        .scoped(move |c: Arc<Config>| Session(p2.token("session"), c))
        .transient(move || Job(p3.token("job")))
        .singleton(|| Fixed(7))
        .bind::<dyn Clock, Fixed>(|f| f)
        .build()
        .unwrap()
}

#[test]
fn a_singleton_is_created_once_and_is_the_instance_resolve_returns() {
    let (probe, calls) = (Probe::new(), Calls::new());
    let c = container(&probe, &calls);
    let config = c.resolver::<Config>().unwrap();
    assert_eq!(probe.created(), 0, "making a resolver creates nothing");
    let first = config.get().unwrap();
    let again = config.get().unwrap();
    assert!(Arc::ptr_eq(&first, &again));
    assert!(Arc::ptr_eq(&first, &c.resolve::<Config>().unwrap()));
    let other = config.clone();
    assert!(Arc::ptr_eq(&first, &other.get().unwrap()));
    let scope = c.scope();
    assert!(Arc::ptr_eq(&first, &config.get_in(&scope).unwrap()));
    assert_eq!(calls.get(), 1, "one factory call");
    assert!(format!("{config:?}").contains("Config"), "{config:?}");
    assert!(config.node().type_name().ends_with("resolver::Config"));
}

#[test]
fn a_transient_is_new_on_every_call_and_never_kept() {
    let (probe, calls) = (Probe::new(), Calls::new());
    let c = container(&probe, &calls);
    let job = c.resolver::<Job>().unwrap();
    let a = job.get().unwrap();
    let b = job.get().unwrap();
    assert!(!Arc::ptr_eq(&a, &b));
    assert_eq!(probe.created(), 2);
    drop((a, b));
    assert_eq!(probe.alive(), 0, "the resolver holds no transient");
}

#[test]
fn a_binding_to_a_singleton_is_the_singleton() {
    let (probe, calls) = (Probe::new(), Calls::new());
    let c = container(&probe, &calls);
    let clock = c.resolver::<dyn Clock>().unwrap();
    let a = clock.get().unwrap();
    assert_eq!(a.now(), 7);
    assert!(Arc::ptr_eq(&a, &clock.get().unwrap()));
    assert!(Arc::ptr_eq(&a, &c.resolve::<dyn Clock>().unwrap()));
}

#[test]
fn a_scoped_service_is_per_scope_and_refused_from_the_root() {
    let (probe, calls) = (Probe::new(), Calls::new());
    let c = container(&probe, &calls);
    let session = c.resolver::<Session>().unwrap();
    let err = fails(session.get());
    assert!(
        matches!(err.kind(), ResolveErrorKind::ScopedFromRoot),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        fails(c.resolve::<Session>()).to_string(),
        "the same error as resolve"
    );
    let (s1, s2) = (c.scope(), c.scope());
    let a = session.get_in(&s1).unwrap();
    assert!(Arc::ptr_eq(&a, &session.get_in(&s1).unwrap()));
    assert!(Arc::ptr_eq(&a, &s1.resolve::<Session>().unwrap()));
    let b = session.get_in(&s2).unwrap();
    assert!(!Arc::ptr_eq(&a, &b), "one session per scope");
    assert!(Arc::ptr_eq(&a.1, &b.1), "one config");
    assert_eq!(probe.created(), 3);
    drop((a, b, s1, s2));
    assert_eq!(probe.drops(), ["session", "session"]);
}

#[test]
fn an_unregistered_type_fails_when_the_resolver_is_made() {
    let (probe, calls) = (Probe::new(), Calls::new());
    let c = container(&probe, &calls);
    assert!(c.resolver::<Fixed>().is_ok(), "Fixed is registered");
    struct Confg;
    let err = fails(c.resolver::<Confg>());
    assert!(
        matches!(err.kind(), ResolveErrorKind::NotRegistered { .. }),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        fails(c.resolve::<Confg>()).to_string(),
        "the same message and suggestions as resolve"
    );
}

#[test]
fn a_scope_of_another_container_is_refused_naming_the_resolver() {
    let (probe, calls) = (Probe::new(), Calls::new());
    let c = container(&probe, &calls);
    let other = container(&probe, &calls);
    let config = c.resolver::<Config>().unwrap();
    config.get().unwrap();
    let err = fails(config.get_in(&other.scope()));
    assert!(
        matches!(err.kind(), ResolveErrorKind::WrongContainer),
        "{err}"
    );
    assert!(
        err.to_string().starts_with(
            "`tenure::resolver::Resolver<resolver::Config>` was given a scope of another container"
        ),
        "{err}"
    );
    let session = c.resolver::<Session>().unwrap();
    let err = fails(session.get_in(&other.scope()));
    assert!(
        matches!(err.kind(), ResolveErrorKind::WrongContainer),
        "{err}"
    );
    assert_eq!(calls.get(), 1, "nothing was created in the other container");
}

#[test]
fn threads_racing_the_first_get_create_the_singleton_once() {
    for _ in 0..20 {
        let (probe, calls) = (Probe::new(), Calls::new());
        let c = container(&probe, &calls);
        let config = c.resolver::<Config>().unwrap();
        let barrier = Barrier::new(8);
        let got: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    let (config, barrier) = (config.clone(), &barrier);
                    s.spawn(move || {
                        barrier.wait();
                        config.get().unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(got.iter().all(|g| Arc::ptr_eq(g, &got[0])));
        assert_eq!(calls.get(), 1);
    }
}

/// A resolver that keeps a singleton and holds the last reference to its
/// container lets go of the singleton first, so that the container still
/// drops its singletons newest first.
#[test]
fn the_container_still_drops_its_singletons_in_reverse_creation_order() {
    let probe = Probe::new();
    let (p1, p2) = (probe.clone(), probe.clone());
    struct First(#[allow(dead_code)] Token);
    struct Second(#[allow(dead_code)] Token);
    let c = Container::builder()
        .singleton(move || First(p1.token("first")))
        .singleton(move || Second(p2.token("second")))
        .build()
        .unwrap();
    let first = c.resolver::<First>().unwrap();
    let second = c.resolver::<Second>().unwrap();
    drop(first.get().unwrap());
    drop(second.get().unwrap());
    drop((c, first));
    assert_eq!(probe.alive(), 2, "the resolver keeps the container");
    drop(second);
    assert_eq!(probe.drops(), ["second", "first"]);
}

#[tokio::test]
async fn after_shutdown_even_a_kept_singleton_is_refused() {
    let (probe, calls) = (Probe::new(), Calls::new());
    let c = container(&probe, &calls);
    let config = c.resolver::<Config>().unwrap();
    config.get().unwrap();
    c.shutdown().await.unwrap();
    let err = fails(config.get());
    assert!(matches!(err.kind(), ResolveErrorKind::ShutDown), "{err}");
    let err = fails(config.get_async().await);
    assert!(matches!(err.kind(), ResolveErrorKind::ShutDown), "{err}");
}

#[tokio::test]
async fn an_ended_scope_serves_nothing_through_a_resolver() {
    let (probe, calls) = (Probe::new(), Calls::new());
    let c = container(&probe, &calls);
    let config = c.resolver::<Config>().unwrap();
    let session = c.resolver::<Session>().unwrap();
    let scope = c.scope();
    config.get_in(&scope).unwrap();
    session.get_in(&scope).unwrap();
    let clone = scope.clone();
    scope.dispose().await.unwrap();
    for err in [
        config.get_in(&clone).map(drop).unwrap_err(),
        session.get_in(&clone).map(drop).unwrap_err(),
        config.get_in_async(&clone).await.map(drop).unwrap_err(),
    ] {
        assert!(matches!(err.kind(), ResolveErrorKind::ScopeEnded), "{err}");
    }
    assert!(config.get().is_ok(), "the root still serves");
}

struct Remote(u32);
struct Conn(u32, #[allow(dead_code)] Arc<Remote>);

#[tokio::test]
async fn async_services_resolve_through_the_async_methods() {
    let calls = Calls::new();
    let k = calls.clone();
    let c = Container::builder()
        .singleton_async(move || {
            let k = k.clone();
            async move {
                k.hit();
                tokio::task::yield_now().await;
                Remote(1)
            }
        })
        .scoped_async(|r: Arc<Remote>| async move { Conn(r.0 + 1, r) })
        .build()
        .unwrap();
    let remote = c.resolver::<Remote>().unwrap();
    let conn = c.resolver::<Conn>().unwrap();
    let err = fails(remote.get());
    assert!(
        matches!(err.kind(), ResolveErrorKind::AsyncRequired),
        "{err}"
    );
    let r = remote.get_async().await.unwrap();
    assert!(Arc::ptr_eq(&r, &remote.get().unwrap()), "kept once created");
    let scope = c.scope();
    let a = conn.get_in_async(&scope).await.unwrap();
    assert_eq!(a.0, 2);
    assert!(Arc::ptr_eq(&a, &conn.get_in(&scope).unwrap()));
    assert!(Arc::ptr_eq(
        &a,
        &scope.resolve_async::<Conn>().await.unwrap()
    ));
    assert_eq!(calls.get(), 1);
}

struct Primary;
struct Replica;
struct Db(&'static str);

#[test]
fn a_keyed_resolver_resolves_its_key() {
    let c = Container::builder()
        .keyed::<Primary>()
        .singleton(|| Db("primary"))
        .keyed::<Replica>()
        .singleton(|| Db("replica"))
        .build()
        .unwrap();
    let primary = c.resolver_keyed::<Primary, Db>().unwrap();
    let replica = c.resolver_keyed::<Replica, Db>().unwrap();
    assert_eq!(primary.get().unwrap().0, "primary");
    assert_eq!(replica.get().unwrap().0, "replica");
    assert!(Arc::ptr_eq(
        &primary.get().unwrap(),
        &c.resolve_keyed::<Primary, Db>().unwrap()
    ));
    let err = fails(c.resolver::<Db>());
    assert!(
        matches!(err.kind(), ResolveErrorKind::NotRegistered { .. }),
        "{err}"
    );
}

struct Greeting(String);

/// A resolver hands out what `resolve` does: the decorated instance, built
/// once for a singleton.
#[test]
fn a_decorated_singleton_is_resolved_decorated_and_kept() {
    let calls = Calls::new();
    let k = calls.clone();
    let c = Container::builder()
        .singleton(|| Greeting("hi".into()))
        .decorate(move |g: Arc<Greeting>| {
            k.hit();
            Greeting(format!("{}!", g.0))
        })
        .build()
        .unwrap();
    let greeting = c.resolver::<Greeting>().unwrap();
    let g = greeting.get().unwrap();
    assert_eq!(g.0, "hi!");
    assert!(Arc::ptr_eq(&g, &greeting.get().unwrap()));
    assert!(Arc::ptr_eq(&g, &c.resolve::<Greeting>().unwrap()));
    assert_eq!(calls.get(), 1, "decorated once");
}

struct Pooled(#[allow(dead_code)] Token);

/// A pooled service through a resolver: rented per scope, back in the pool
/// when the scope ends, never kept by the resolver.
#[test]
fn a_pooled_service_is_rented_per_scope_and_not_kept() {
    let probe = Probe::new();
    let p = probe.clone();
    let c = Container::builder()
        .pooled(1, move || Pooled(p.token("conn")))
        .build()
        .unwrap();
    let conn = c.resolver::<Pooled>().unwrap();
    let s1 = c.scope();
    let a = conn.get_in(&s1).unwrap();
    assert!(Arc::ptr_eq(&a, &conn.get_in(&s1).unwrap()), "one per scope");
    let err = fails(conn.get_in(&c.scope()));
    assert!(
        matches!(err.kind(), ResolveErrorKind::PoolExhausted { max: 1 }),
        "{err}"
    );
    let first = Arc::as_ptr(&a);
    drop((a, s1));
    let s2 = c.scope();
    assert_eq!(
        Arc::as_ptr(&conn.get_in(&s2).unwrap()),
        first,
        "the same instance, rented again"
    );
    assert_eq!(probe.created(), 1);
}
