//! `Lazy<T>`, `Factory<T>` and `ScopeFactory` as dependencies.

mod common;

use std::sync::Arc;

use common::{Probe, Token};
use tenure::{Container, Factory, Lazy, ResolveErrorKind, ScopeFactory};

struct Config(#[allow(dead_code)] Token);
struct Session(Token);
struct Repo(Token);

struct Worker {
    sessions: Factory<Session>,
    repos: Factory<Repo>,
    config: Factory<Config>,
    scopes: ScopeFactory,
}

fn worker_container(probe: &Probe) -> Container {
    let (p1, p2, p3) = (probe.clone(), probe.clone(), probe.clone());
    Container::builder()
        .singleton(move || Config(p1.token("config")))
        .scoped(move || Session(p2.token("session")))
        .transient(move || Repo(p3.token("repo")))
        .singleton(
            |sessions: Factory<Session>,
             repos: Factory<Repo>,
             config: Factory<Config>,
             scopes: ScopeFactory| Worker {
                sessions,
                repos,
                config,
                scopes,
            },
        )
        .build()
        .unwrap()
}

#[test]
fn factory_creates_in_the_scope_the_caller_passes() {
    let probe = Probe::new();
    let c = worker_container(&probe);
    let w = c.resolve::<Worker>().unwrap();
    assert_eq!(probe.created(), 0, "handles create nothing by themselves");

    let scope = w.scopes.open().unwrap();
    let s1 = w.sessions.create(&scope).unwrap();
    assert!(Arc::ptr_eq(&s1, &w.sessions.create(&scope).unwrap()));
    assert!(Arc::ptr_eq(&s1, &scope.resolve::<Session>().unwrap()));
    let other = w.scopes.open().unwrap();
    assert!(!Arc::ptr_eq(&s1, &w.sessions.create(&other).unwrap()));

    let (r1, r2) = (
        w.repos.create(&scope).unwrap(),
        w.repos.create(&scope).unwrap(),
    );
    assert_ne!(r1.0.id, r2.0.id, "transient: new each time");
    assert_ne!(w.repos.create_unscoped().unwrap().0.id, r1.0.id);

    let cfg = w.config.create(&scope).unwrap();
    assert!(Arc::ptr_eq(&cfg, &c.resolve::<Config>().unwrap()));
    assert!(Arc::ptr_eq(&cfg, &w.config.create_unscoped().unwrap()));
}

#[test]
fn factory_never_pulls_a_scoped_instance_out_of_the_root() {
    let probe = Probe::new();
    let c = worker_container(&probe);
    let w = c.resolve::<Worker>().unwrap();
    let err = w.sessions.create_unscoped().err().unwrap();
    assert!(matches!(err.kind(), ResolveErrorKind::ScopedFromRoot));
    assert_eq!(probe.created(), 0);
}

#[test]
fn factory_refuses_a_scope_of_another_container() {
    let probe = Probe::new();
    let (c1, c2) = (worker_container(&probe), worker_container(&probe));
    let w = c1.resolve::<Worker>().unwrap();
    let foreign = c2.scope();
    let err = w.sessions.create(&foreign).err().unwrap();
    assert!(matches!(err.kind(), ResolveErrorKind::WrongContainer));
    assert!(err.to_string().contains("another container"), "{err}");
    assert_eq!(foreign.instances_created(), 0);
}

#[test]
fn handles_of_a_dropped_container_say_so() {
    let probe = Probe::new();
    let c = worker_container(&probe);
    let w = c.resolve::<Worker>().unwrap();
    drop(c);
    let err = w.scopes.open().err().unwrap();
    assert!(matches!(err.kind(), ResolveErrorKind::ContainerDropped));
    assert!(matches!(
        w.config.create_unscoped().err().unwrap().kind(),
        ResolveErrorKind::ContainerDropped
    ));
    assert!(err.to_string().contains("has been dropped"));
}

#[test]
fn scope_factory_scopes_are_independent_and_dropped_with_their_scope() {
    let probe = Probe::new();
    let c = worker_container(&probe);
    let w = c.resolve::<Worker>().unwrap();
    for _ in 0..3 {
        let scope = w.scopes.open().unwrap();
        scope.resolve::<Session>().unwrap();
    }
    assert_eq!(probe.created(), 3);
    assert_eq!(probe.alive(), 0);
}

struct Report {
    session: Lazy<Session>,
    config: Lazy<Config>,
}

fn lazy_container(probe: &Probe) -> Container {
    let (p1, p2) = (probe.clone(), probe.clone());
    Container::builder()
        .singleton(move || Config(p1.token("config")))
        .scoped(move || Session(p2.token("session")))
        .transient(|session: Lazy<Session>, config: Lazy<Config>| Report { session, config })
        .build()
        .unwrap()
}

#[test]
fn lazy_resolves_on_first_use_from_its_holders_scope_then_keeps_it() {
    let probe = Probe::new();
    let c = lazy_container(&probe);
    let scope = c.scope();
    let report = scope.resolve::<Report>().unwrap();
    assert!(!report.session.is_resolved());
    assert_eq!(probe.created(), 0);
    let s = report.session.get().unwrap();
    assert!(report.session.is_resolved());
    assert!(Arc::ptr_eq(&s, &scope.resolve::<Session>().unwrap()));
    assert!(Arc::ptr_eq(&s, &report.session.get().unwrap()));
    assert!(Arc::ptr_eq(
        &report.config.get().unwrap(),
        &c.resolve::<Config>().unwrap()
    ));
    let second = c.scope();
    let other = second.resolve::<Report>().unwrap();
    assert_ne!(other.session.get().unwrap().0.id, s.0.id);
}

#[test]
fn lazy_from_a_scope_that_ended_is_an_error() {
    let probe = Probe::new();
    let c = lazy_container(&probe);
    let report = c.scope().resolve::<Report>().unwrap(); // the scope ends here
    let err = report.session.get().err().unwrap();
    assert!(matches!(err.kind(), ResolveErrorKind::ScopeEnded));
    let msg = err.to_string();
    assert!(msg.contains("the scope has ended"), "{msg}");
    // The handle's service is named, with where it was registered.
    assert!(msg.contains("Session` included"), "{msg}");
    assert_eq!(err.service().map(|n| n.short_name()), Some("Session"));
    assert_eq!(probe.created(), 0);
}

#[test]
fn lazy_in_a_root_transient_cannot_reach_a_scoped_service() {
    let probe = Probe::new();
    let c = lazy_container(&probe);
    let report = c.resolve::<Report>().unwrap();
    assert!(matches!(
        report.session.get().err().unwrap().kind(),
        ResolveErrorKind::ScopedFromRoot
    ));
    assert!(report.config.get().is_ok());
}
