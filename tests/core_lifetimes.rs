//! Identity of instances per lifetime, scoped-from-root, instances, optional
//! dependencies, trait bindings and collections.

mod common;

use std::sync::Arc;

use common::{Calls, Probe, Token};
use tenure::{Container, Lifetime, ResolveErrorKind};

struct Config(Token);
struct Session(#[allow(dead_code)] Token);
struct Repo(Token, Arc<Session>);
struct Report(#[allow(dead_code)] Token, Arc<Config>);

#[test]
fn singleton_is_one_instance_shared_by_root_and_every_scope() {
    let probe = Probe::new();
    let p = probe.clone();
    let c = Container::builder()
        .singleton(move || Config(p.token("config")))
        .build()
        .unwrap();
    assert_eq!(
        probe.created(),
        0,
        "nothing is created before it is asked for"
    );

    let root = c.resolve::<Config>().unwrap();
    let (s1, s2) = (c.scope(), c.scope());
    let a = s1.resolve::<Config>().unwrap();
    let b = s2.resolve::<Config>().unwrap();
    let clone = c.clone().resolve::<Config>().unwrap();
    assert!(Arc::ptr_eq(&root, &a));
    assert!(Arc::ptr_eq(&root, &b));
    assert!(Arc::ptr_eq(&root, &clone));
    assert_eq!(probe.created(), 1);
    assert_eq!(c.singletons_created(), 1);
    assert_eq!(
        s1.instances_created(),
        0,
        "a singleton is not a scoped instance"
    );
}

#[test]
fn singleton_first_resolved_in_a_scope_outlives_that_scope() {
    let probe = Probe::new();
    let p = probe.clone();
    let c = Container::builder()
        .singleton(move || Config(p.token("config")))
        .build()
        .unwrap();
    let first = {
        let scope = c.scope();
        let cfg = scope.resolve::<Config>().unwrap();
        cfg.0.id
    };
    assert_eq!(
        probe.alive(),
        1,
        "the scope's end does not drop a singleton"
    );
    assert_eq!(c.resolve::<Config>().unwrap().0.id, first);
    assert_eq!(probe.created(), 1);
}

#[test]
fn scoped_is_one_instance_per_scope() {
    let probe = Probe::new();
    let p = probe.clone();
    let c = Container::builder()
        .scoped(move || Session(p.token("session")))
        .build()
        .unwrap();
    let (s1, s2) = (c.scope(), c.scope());
    let a1 = s1.resolve::<Session>().unwrap();
    let a2 = s1.resolve::<Session>().unwrap();
    let b1 = s2.resolve::<Session>().unwrap();
    let b2 = s2.resolve::<Session>().unwrap();
    assert!(Arc::ptr_eq(&a1, &a2));
    assert!(Arc::ptr_eq(&b1, &b2));
    assert!(!Arc::ptr_eq(&a1, &b1));
    assert_eq!(probe.created(), 2);
    assert_eq!((s1.instances_created(), s2.instances_created()), (1, 1));
}

#[test]
fn transient_is_new_on_every_resolve_and_shares_its_scoped_dependency() {
    let probe = Probe::new();
    let (p1, p2) = (probe.clone(), probe.clone());
    let c = Container::builder()
        .scoped(move || Session(p1.token("session")))
        .transient(move |s: Arc<Session>| Repo(p2.token("repo"), s))
        .build()
        .unwrap();
    let scope = c.scope();
    let r1 = scope.resolve::<Repo>().unwrap();
    let r2 = scope.resolve::<Repo>().unwrap();
    assert!(!Arc::ptr_eq(&r1, &r2));
    assert_ne!(r1.0.id, r2.0.id);
    assert!(Arc::ptr_eq(&r1.1, &r2.1), "one session per scope");
    let other = c.scope().resolve::<Repo>().unwrap();
    assert!(!Arc::ptr_eq(&other.1, &r1.1));
    assert_eq!(probe.created(), 5, "3 repos, 2 sessions");
}

#[test]
fn transient_from_the_root_is_new_each_time_and_kept_by_nobody() {
    let probe = Probe::new();
    let (p1, p2) = (probe.clone(), probe.clone());
    let c = Container::builder()
        .singleton(move || Config(p1.token("config")))
        .transient(move |cfg: Arc<Config>| Report(p2.token("report"), cfg))
        .build()
        .unwrap();
    let a = c.resolve::<Report>().unwrap();
    let b = c.resolve::<Report>().unwrap();
    assert!(!Arc::ptr_eq(&a, &b));
    assert!(Arc::ptr_eq(&a.1, &b.1));
    drop((a, b));
    assert_eq!(
        probe.alive(),
        1,
        "only the singleton is alive: the root keeps no transient"
    );
}

#[test]
fn scoped_from_the_root_is_an_error_that_says_to_open_a_scope() {
    let calls = Calls::new();
    let k = calls.clone();
    let probe = Probe::new();
    let p = probe.clone();
    let c = Container::builder()
        .scoped(move || {
            k.hit();
            Session(p.token("session"))
        })
        .build()
        .unwrap();
    for _ in 0..2 {
        let err = c.resolve::<Session>().err().unwrap();
        assert!(matches!(err.kind(), ResolveErrorKind::ScopedFromRoot));
        assert_eq!(err.path().len(), 1);
        assert_eq!(err.path()[0].lifetime(), Some(Lifetime::Scoped));
        let msg = err.to_string();
        assert!(
            msg.contains("scoped `core_lifetimes::Session` can only be resolved inside a scope"),
            "{msg}"
        );
        assert!(msg.contains("container.scope()"), "{msg}");
        assert!(msg.contains(file!()), "names the registration site: {msg}");
    }
    assert_eq!(calls.get(), 0, "the factory never ran for the root");
    // It never became a singleton: scopes still get their own instances.
    let (s1, s2) = (c.scope(), c.scope());
    assert!(!Arc::ptr_eq(
        &s1.resolve::<Session>().unwrap(),
        &s2.resolve::<Session>().unwrap()
    ));
    assert!(c.resolve::<Session>().is_err());
    assert_eq!(calls.get(), 2);
}

#[test]
fn scoped_from_the_root_through_a_transient_names_the_path() {
    let probe = Probe::new();
    let (p1, p2) = (probe.clone(), probe.clone());
    let c = Container::builder()
        .scoped(move || Session(p1.token("session")))
        .transient(move |s: Arc<Session>| Repo(p2.token("repo"), s))
        .build()
        .unwrap();
    let err = c.resolve::<Repo>().err().unwrap();
    assert!(matches!(err.kind(), ResolveErrorKind::ScopedFromRoot));
    let names: Vec<_> = err.path().iter().map(|n| n.type_name()).collect();
    assert_eq!(names, ["core_lifetimes::Repo", "core_lifetimes::Session"]);
    assert_eq!(
        err.service().unwrap().type_name(),
        "core_lifetimes::Session"
    );
    let msg = err.to_string();
    assert!(
        msg.contains(
            "(while resolving transient `core_lifetimes::Repo` -> scoped `core_lifetimes::Session`)"
        ),
        "{msg}"
    );
    assert_eq!(probe.created(), 0, "nothing half-built");
    assert!(c.scope().resolve::<Repo>().is_ok());
}

#[test]
fn instance_is_a_singleton_with_the_given_value() {
    let probe = Probe::new();
    let mut b = Container::builder();
    b.instance(Config(probe.token("config")));
    let c = b.build().unwrap();
    let a = c.resolve::<Config>().unwrap();
    let s = c.scope().resolve::<Config>().unwrap();
    assert!(Arc::ptr_eq(&a, &s));
    assert_eq!(a.0.id, 0);
    assert_eq!(probe.created(), 1);
    drop((a, s, c));
    assert_eq!(probe.alive(), 1, "the builder still holds the value");
    drop(b);
    assert_eq!(probe.alive(), 0);
}

struct Mailer;
struct Metrics;
struct Signup(Option<Arc<Mailer>>, Option<Arc<Metrics>>);

#[test]
fn optional_dependency_is_some_when_registered_and_none_otherwise() {
    let c = Container::builder()
        .singleton(|| Mailer)
        .transient(|m: Option<Arc<Mailer>>, x: Option<Arc<Metrics>>| Signup(m, x))
        .build()
        .unwrap();
    let s = c.resolve::<Signup>().unwrap();
    assert!(Arc::ptr_eq(
        s.0.as_ref().unwrap(),
        &c.resolve::<Mailer>().unwrap()
    ));
    assert!(s.1.is_none());
}

#[test]
fn optional_dependency_that_fails_to_resolve_is_an_error_not_none() {
    let c = Container::builder()
        .scoped(|| Mailer)
        .transient(|m: Option<Arc<Mailer>>, x: Option<Arc<Metrics>>| Signup(m, x))
        .build()
        .unwrap();
    let err = c.resolve::<Signup>().err().unwrap();
    assert!(matches!(err.kind(), ResolveErrorKind::ScopedFromRoot));
    assert!(c.scope().resolve::<Signup>().unwrap().0.is_some());
}

trait Read: Send + Sync {
    fn id(&self) -> usize;
}
trait Write: Send + Sync {
    fn id(&self) -> usize;
}
struct Store(Token);
impl Read for Store {
    fn id(&self) -> usize {
        self.0.id
    }
}
impl Write for Store {
    fn id(&self) -> usize {
        self.0.id
    }
}

fn two_traits(lifetime: Lifetime, probe: &Probe) -> Container {
    let p = probe.clone();
    Container::builder()
        .register(lifetime, move || Store(p.token("store")))
        .bind::<dyn Read, Store>(|s| s)
        .bind::<dyn Write, Store>(|s| s)
        .build()
        .unwrap()
}

#[test]
fn one_singleton_behind_two_traits_is_one_instance() {
    let probe = Probe::new();
    let c = two_traits(Lifetime::Singleton, &probe);
    let r = c.resolve::<dyn Read>().unwrap();
    let w = c.scope().resolve::<dyn Write>().unwrap();
    let s = c.resolve::<Store>().unwrap();
    assert!(std::ptr::addr_eq(Arc::as_ptr(&r), Arc::as_ptr(&w)));
    assert!(std::ptr::addr_eq(Arc::as_ptr(&r), Arc::as_ptr(&s)));
    assert_eq!((r.id(), w.id()), (0, 0));
    assert_eq!(probe.created(), 1);
}

#[test]
fn one_scoped_service_behind_two_traits_is_one_instance_per_scope() {
    let probe = Probe::new();
    let c = two_traits(Lifetime::Scoped, &probe);
    let (s1, s2) = (c.scope(), c.scope());
    let r1 = s1.resolve::<dyn Read>().unwrap();
    let w1 = s1.resolve::<dyn Write>().unwrap();
    let w2 = s2.resolve::<dyn Write>().unwrap();
    assert_eq!(r1.id(), w1.id());
    assert_ne!(w1.id(), w2.id());
    assert_eq!(probe.created(), 2);
}

#[test]
fn a_transient_behind_a_trait_is_new_each_time() {
    let probe = Probe::new();
    let c = two_traits(Lifetime::Transient, &probe);
    let (a, b) = (
        c.resolve::<dyn Read>().unwrap(),
        c.resolve::<dyn Read>().unwrap(),
    );
    assert_ne!(a.id(), b.id());
}

trait Plugin: Send + Sync {
    fn name(&self) -> String;
}
struct Named<const N: usize>(Token);
impl<const N: usize> Plugin for Named<N> {
    fn name(&self) -> String {
        format!("{}#{}", self.0.name, self.0.id)
    }
}
struct Host(Vec<Arc<dyn Plugin>>);

#[test]
fn collection_keeps_registration_order_and_each_element_keeps_its_lifetime() {
    let probe = Probe::new();
    let (p0, p1, p2) = (probe.clone(), probe.clone(), probe.clone());
    let c = Container::builder()
        .scoped(move || Named::<2>(p2.token("two")))
        .singleton(move || Named::<0>(p0.token("zero")))
        .transient(move || Named::<1>(p1.token("one")))
        // Registration order of the elements, not of the services:
        .collect::<dyn Plugin, Named<1>>(|p| p)
        .collect::<dyn Plugin, Named<0>>(|p| p)
        .collect::<dyn Plugin, Named<2>>(|p| p)
        .transient(|plugins: Vec<Arc<dyn Plugin>>| Host(plugins))
        .build()
        .unwrap();
    let scope = c.scope();
    let h1 = scope.resolve::<Host>().unwrap();
    let h2 = scope.resolve::<Host>().unwrap();
    let names = |h: &Host| h.0.iter().map(|p| p.name()).collect::<Vec<_>>();
    let n1 = names(&h1);
    let n2 = names(&h2);
    assert_eq!(n1.len(), 3);
    assert!(n1[0].starts_with("one#") && n1[1].starts_with("zero#") && n1[2].starts_with("two#"));
    assert_ne!(n1[0], n2[0], "transient element: new each time");
    assert_eq!(
        n1[1..],
        n2[1..],
        "singleton and scoped elements: the same within a scope"
    );
    assert!(std::ptr::addr_eq(
        Arc::as_ptr(&h1.0[2]),
        Arc::as_ptr(&scope.resolve::<Named<2>>().unwrap())
    ));
    let all = scope.resolve_all::<dyn Plugin>().unwrap();
    assert_eq!(all.len(), 3);
    assert!(all[0].name().starts_with("one#"));
    let other = c.scope().resolve::<Host>().unwrap();
    assert_ne!(names(&other)[2], n1[2], "scoped element: one per scope");
    assert_eq!(names(&other)[1], n1[1], "singleton element: shared");
}

#[test]
fn empty_collection_is_an_empty_vec() {
    let c = Container::builder()
        .singleton(|plugins: Vec<Arc<dyn Plugin>>| Host(plugins))
        .build()
        .unwrap();
    assert!(c.resolve::<Host>().unwrap().0.is_empty());
    assert!(c.resolve_all::<dyn Plugin>().unwrap().is_empty());
}

#[test]
fn not_registered_is_an_error_with_a_did_you_mean() {
    mod other {
        pub struct Config;
    }
    let c = Container::builder()
        .singleton(|| other::Config)
        .build()
        .unwrap();
    let err = c.resolve::<Config>().err().unwrap();
    match err.kind() {
        ResolveErrorKind::NotRegistered {
            service,
            did_you_mean,
        } => {
            assert_eq!(*service, "core_lifetimes::Config");
            assert_eq!(did_you_mean.len(), 1);
            assert!(
                did_you_mean[0].contains("other::Config"),
                "{did_you_mean:?}"
            );
        }
        k => panic!("unexpected {k:?}"),
    }
    assert!(err.to_string().contains("is not registered"));
    assert!(c.contains::<other::Config>());
    assert!(!c.contains::<Config>());
}

#[test]
fn scoped_from_the_root_through_a_trait_binding() {
    let c = two_traits(Lifetime::Scoped, &Probe::new());
    let err = c.resolve::<dyn Read>().err().unwrap();
    assert!(matches!(err.kind(), ResolveErrorKind::ScopedFromRoot));
    let names: Vec<_> = err.path().iter().map(|n| n.type_name()).collect();
    assert_eq!(names, ["dyn core_lifetimes::Read", "core_lifetimes::Store"]);
    assert!(c.scope().resolve::<dyn Read>().is_ok());
}

/// A thread keeps the slot tables of the scopes it drops for its next
/// scopes (so a request allocates no table): a table must come back empty,
/// whichever container it served, however its scope ended.
#[test]
fn a_new_scope_never_sees_what_an_ended_scope_on_the_same_thread_held() {
    struct Db(Token);
    struct Audit(#[allow(dead_code)] Token);
    #[derive(Debug)]
    struct User(u32);
    let probe = Probe::new();
    let fail_audit = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Two containers with the same number of scoped slots share tables.
    let make = |name: &'static str| {
        let (p1, p2, fail) = (probe.clone(), probe.clone(), fail_audit.clone());
        Container::builder()
            .scoped(move || Db(p1.token(name)))
            .try_scoped(move || {
                if fail.load(std::sync::atomic::Ordering::SeqCst) {
                    anyhow::bail!("audit store down")
                }
                Ok(Audit(p2.token("audit")))
            })
            .scope_value::<User>()
            .build()
            .unwrap()
    };
    let (a, b) = (make("db-a"), make("db-b"));
    let mut seen = Vec::new();
    for round in 0..20u32 {
        let c = if round % 2 == 0 { &a } else { &b };
        let scope = c.scope();
        // A scope value supplied in one scope is not in the next one.
        assert!(matches!(
            scope.resolve::<User>().unwrap_err().kind(),
            ResolveErrorKind::NotSupplied
        ));
        scope.provide(User(round)).unwrap();
        assert_eq!(scope.resolve::<User>().unwrap().0, round);
        let db = scope.resolve::<Db>().unwrap();
        assert!(Arc::ptr_eq(&db, &scope.resolve::<Db>().unwrap()));
        assert!(
            seen.iter().all(|old: &Arc<Db>| !Arc::ptr_eq(old, &db)),
            "round {round}: a scope was served an ended scope's instance"
        );
        // A failed creation leaves its slot free and empty.
        fail_audit.store(round % 3 == 0, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(scope.resolve::<Audit>().is_ok(), round % 3 != 0);
        seen.push(db);
        // Ended by dropping here, or by a drop on another thread.
        if round % 4 == 1 {
            std::thread::spawn(move || drop(scope)).join().unwrap();
        } else {
            drop(scope);
        }
    }
    let dbs: std::collections::HashSet<usize> = seen.iter().map(|d| d.0.id).collect();
    assert_eq!(dbs.len(), 20, "one Db per scope");
    let audits = (0..20).filter(|r| r % 3 != 0).count();
    assert_eq!(probe.created(), 20 + audits);
    drop(seen);
    assert_eq!(probe.alive(), 0, "every scope dropped what it created");
}
