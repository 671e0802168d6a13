//! Disposal: reverse creation order for scopes and singletons, nothing kept
//! alive after the last handle, no cycles through handles.

mod common;

use std::sync::Arc;

use common::{Probe, Token};
use tenure::{Container, Factory, Lazy, ResolveErrorKind, ScopeFactory};

struct A(#[allow(dead_code)] Token);
struct B(#[allow(dead_code)] Token, #[allow(dead_code)] Arc<A>);
struct C(#[allow(dead_code)] Token, #[allow(dead_code)] Arc<B>);
struct D(#[allow(dead_code)] Token);

/// `a`, `b(a)`, `c(b)`, `d` with the given lifetime for all four.
fn chain(probe: &Probe, scoped: bool) -> Container {
    let (p1, p2, p3, p4) = (probe.clone(), probe.clone(), probe.clone(), probe.clone());
    let mut b = Container::builder();
    let lifetime = if scoped {
        tenure::Lifetime::Scoped
    } else {
        tenure::Lifetime::Singleton
    };
    // Registered in an order unrelated to creation order.
    b.register(lifetime, move || D(p4.token("d")))
        .register(lifetime, move |b: Arc<B>| C(p3.token("c"), b))
        .register(lifetime, move |a: Arc<A>| B(p2.token("b"), a))
        .register(lifetime, move || A(p1.token("a")));
    b.build().unwrap()
}

#[test]
fn scope_drops_its_instances_in_reverse_creation_order() {
    let probe = Probe::new();
    let c = chain(&probe, true);
    let scope = c.scope();
    scope.resolve::<C>().unwrap(); // creates a, b, c
    scope.resolve::<D>().unwrap();
    assert_eq!(probe.events(), ["+a", "+b", "+c", "+d"]);
    assert_eq!(probe.alive(), 4, "the scope keeps them");
    drop(scope);
    assert_eq!(probe.drops(), ["d", "c", "b", "a"]);
}

#[test]
fn an_instance_held_outside_the_scope_outlives_it() {
    let probe = Probe::new();
    let c = chain(&probe, true);
    let scope = c.scope();
    let kept = scope.resolve::<B>().unwrap();
    drop(scope);
    assert_eq!(probe.alive(), 2, "b and the a it holds");
    drop(kept);
    assert_eq!(probe.alive(), 0);
}

#[test]
fn singletons_are_dropped_in_reverse_creation_order_with_the_last_handle() {
    let probe = Probe::new();
    let c = chain(&probe, false);
    let c2 = c.clone();
    c.resolve::<D>().unwrap();
    c2.scope().resolve::<C>().unwrap();
    assert_eq!(probe.events(), ["+d", "+a", "+b", "+c"]);
    drop(c);
    assert_eq!(probe.alive(), 4, "another handle is alive");
    drop(c2);
    assert_eq!(probe.drops(), ["c", "b", "a", "d"]);
}

#[test]
fn a_scope_keeps_the_container_alive_and_scoped_instances_go_first() {
    let probe = Probe::new();
    let (p1, p2, p3) = (probe.clone(), probe.clone(), probe.clone());
    let c = Container::builder()
        .singleton(move || A(p1.token("single-a")))
        .singleton(move |a: Arc<A>| B(p2.token("single-b"), a))
        .scoped(move |b: Arc<B>| C(p3.token("scoped-c"), b))
        .build()
        .unwrap();
    let scope = c.scope();
    scope.resolve::<C>().unwrap();
    drop(c);
    assert_eq!(probe.alive(), 3);
    let reopened = scope.container();
    assert_eq!(reopened.singletons_created(), 2);
    drop(reopened);
    drop(scope);
    assert_eq!(probe.drops(), ["scoped-c", "single-b", "single-a"]);
}

struct Session(#[allow(dead_code)] Token, #[allow(dead_code)] Arc<A>);
struct Repo(#[allow(dead_code)] Token, #[allow(dead_code)] Arc<Session>);

#[test]
fn nothing_is_alive_after_50_000_scope_cycles() {
    let probe = Probe::new();
    let (p1, p2, p3) = (probe.clone(), probe.clone(), probe.clone());
    let c = Container::builder()
        .singleton(move || A(p1.token("a")))
        .scoped(move |a: Arc<A>| Session(p2.token("session"), a))
        .transient(move |s: Arc<Session>| Repo(p3.token("repo"), s))
        .build()
        .unwrap();
    const CYCLES: usize = 50_000;
    for i in 0..CYCLES {
        let scope = c.scope();
        if i % 3 != 0 {
            // Some scopes resolve nothing: that must cost and leave nothing.
            let repo = scope.resolve::<Repo>().unwrap();
            let session = scope.resolve::<Session>().unwrap();
            assert!(Arc::ptr_eq(&repo.1, &session));
        }
    }
    let used = CYCLES - CYCLES.div_ceil(3);
    assert_eq!(probe.created(), 1 + 2 * used);
    assert_eq!(probe.alive(), 1, "only the singleton");
    drop(c);
    assert_eq!(probe.alive(), 0);
}

struct Background {
    _scopes: ScopeFactory,
    _lazy: Lazy<A>,
    _factory: Factory<A>,
    _token: Token,
}

#[test]
fn singletons_holding_handles_do_not_keep_the_container_alive() {
    let probe = Probe::new();
    let (p1, p2) = (probe.clone(), probe.clone());
    let c = Container::builder()
        .singleton(move || A(p1.token("a")))
        .singleton(
            move |scopes: ScopeFactory, lazy: Lazy<A>, factory: Factory<A>| Background {
                _scopes: scopes,
                _lazy: lazy,
                _factory: factory,
                _token: p2.token("background"),
            },
        )
        .build()
        .unwrap();
    let bg = c.resolve::<Background>().unwrap();
    bg._lazy.get().unwrap(); // the lazy now holds `a`
    let scopes = bg._scopes.clone();
    drop(bg);
    assert_eq!(probe.alive(), 2);
    drop(c);
    assert_eq!(probe.alive(), 0, "no cycle through the handles");
    assert!(matches!(
        scopes.open().err().unwrap().kind(),
        ResolveErrorKind::ContainerDropped
    ));
}

struct Unit {
    peer: Lazy<Peer>,
    _token: Token,
}
struct Peer(#[allow(dead_code)] Token);

#[test]
fn scoped_instances_holding_lazy_handles_do_not_keep_the_scope_alive() {
    let probe = Probe::new();
    let (p1, p2) = (probe.clone(), probe.clone());
    let c = Container::builder()
        .scoped(move |peer: Lazy<Peer>| Unit {
            peer,
            _token: p1.token("unit"),
        })
        .scoped(move || Peer(p2.token("peer")))
        .build()
        .unwrap();
    let scope = c.scope();
    let unit = scope.resolve::<Unit>().unwrap();
    unit.peer.get().unwrap();
    drop(unit);
    drop(scope);
    assert_eq!(probe.alive(), 0);
    assert_eq!(probe.drops(), ["peer", "unit"]);
}

#[test]
fn transients_resolved_in_a_scope_are_not_kept_by_it() {
    let probe = Probe::new();
    let p = probe.clone();
    let c = Container::builder()
        .transient(move || D(p.token("d")))
        .build()
        .unwrap();
    let scope = c.scope();
    drop(scope.resolve::<D>().unwrap());
    assert_eq!(probe.alive(), 0, "the scope keeps no transient");
    assert_eq!(scope.instances_created(), 0);
}
