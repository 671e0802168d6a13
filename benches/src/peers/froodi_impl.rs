//! froodi 1.0.0-beta.20 (default features: thread-safe, `Arc`). Singletons
//! live in the `App` scope, scoped services in `Request`; a transient is any
//! provider resolved with `get_transient` (it returns `T` by value).

use std::sync::Arc;

use froodi::{
    Container,
    DefaultScope::{App, Request},
    Inject, InjectTransient, registry,
};

use crate::model::*;
use crate::{Runner, keep};

const ID: &str = "froodi";

fn container() -> Container {
    Container::new(registry! {
        scope(App) [
            provide(|| Ok(S1(1))),
            provide(|| Ok(S2(2))),
            provide(|| Ok(S3(3))),
            provide(|| Ok(T1(1))),
            provide(|| Ok(T2(2))),
            provide(|| Ok(T3(3))),
            provide(|Inject(a): Inject<S1>, Inject(b): Inject<S2>, Inject(c): Inject<S3>| Ok(U1(a, b, c))),
            provide(|Inject(a): Inject<S1>, Inject(b): Inject<S2>, Inject(c): Inject<S3>| Ok(U2(a, b, c))),
            provide(|Inject(a): Inject<S1>, Inject(b): Inject<S2>, Inject(c): Inject<S3>| Ok(U3(a, b, c))),
            provide(|Inject(s): Inject<S1>| Ok(Ta(s))),
            provide(|Inject(s): Inject<S2>| Ok(Tb(s))),
            provide(|Inject(s): Inject<S3>| Ok(Tc(s))),
            provide(|Inject(a): Inject<S1>, Inject(b): Inject<S2>, Inject(c): Inject<S3>,
                     InjectTransient(d): InjectTransient<Ta>, InjectTransient(e): InjectTransient<Tb>,
                     InjectTransient(f): InjectTransient<Tc>| {
                Ok(Complex(a, b, c, Arc::new(d), Arc::new(e), Arc::new(f)))
            }),
            provide(|| Ok(G1(1))),
            provide(|| Ok(G2(2))),
            provide(|| Ok(G3(3))),
            provide(|| Ok(G4(4))),
            provide(|| Ok(G5(5))),
        ],
        scope(Request) [
            provide(|| Ok(Sc1(1))),
            provide(|| Ok(Sc2(2))),
            provide(|| Ok(Sc3(3))),
            provide(|| Ok(Sc4(4))),
            provide(|| Ok(Sc5(5))),
            provide(|Inject(g): Inject<G1>, Inject(a): Inject<Sc1>, Inject(b): Inject<Sc2>,
                     Inject(c): Inject<Sc3>, Inject(d): Inject<Sc4>, Inject(e): Inject<Sc5>| {
                Ok(R1 { g, s: (a, b, c, d, e) })
            }),
            provide(|Inject(g): Inject<G2>, Inject(a): Inject<Sc1>, Inject(b): Inject<Sc2>,
                     Inject(c): Inject<Sc3>, Inject(d): Inject<Sc4>, Inject(e): Inject<Sc5>| {
                Ok(R2 { g, s: (a, b, c, d, e) })
            }),
            provide(|Inject(g): Inject<G3>, Inject(a): Inject<Sc1>, Inject(b): Inject<Sc2>,
                     Inject(c): Inject<Sc3>, Inject(d): Inject<Sc4>, Inject(e): Inject<Sc5>| {
                Ok(R3 { g, s: (a, b, c, d, e) })
            }),
            provide(|Inject(g): Inject<G4>, Inject(a): Inject<Sc1>, Inject(b): Inject<Sc2>,
                     Inject(c): Inject<Sc3>, Inject(d): Inject<Sc4>, Inject(e): Inject<Sc5>| {
                Ok(R4 { g, s: (a, b, c, d, e) })
            }),
            provide(|Inject(g): Inject<G5>, Inject(a): Inject<Sc1>, Inject(b): Inject<Sc2>,
                     Inject(c): Inject<Sc3>, Inject(d): Inject<Sc4>, Inject(e): Inject<Sc5>| {
                Ok(R5 { g, s: (a, b, c, d, e) })
            }),
            provide(|InjectTransient(a): InjectTransient<R1>, InjectTransient(b): InjectTransient<R2>,
                     InjectTransient(c): InjectTransient<R3>, InjectTransient(d): InjectTransient<R4>,
                     InjectTransient(e): InjectTransient<R5>| {
                Ok(Controller(Arc::new(a), Arc::new(b), Arc::new(c), Arc::new(d), Arc::new(e)))
            }),
        ],
    })
}

/// Runs every scenario froodi can express (all but 8-9).
pub fn run(r: &mut impl Runner) {
    let c = container();
    let _ = (c.get::<S1>(), c.get::<S2>(), c.get::<S3>());
    let _ = (
        c.get::<G1>(),
        c.get::<G2>(),
        c.get::<G3>(),
        c.get::<G4>(),
        c.get::<G5>(),
    );
    r.bench("s1_singleton", ID, || {
        let c = keep(&c);
        (
            c.get::<S1>().unwrap(),
            c.get::<S2>().unwrap(),
            c.get::<S3>().unwrap(),
        )
    });
    r.bench("s2a_transient_nodeps", ID, || {
        let c = keep(&c);
        (
            c.get_transient::<T1>().unwrap(),
            c.get_transient::<T2>().unwrap(),
            c.get_transient::<T3>().unwrap(),
        )
    });
    r.bench("s2b_transient_3deps", ID, || {
        let c = keep(&c);
        (
            c.get_transient::<U1>().unwrap(),
            c.get_transient::<U2>().unwrap(),
            c.get_transient::<U3>().unwrap(),
        )
    });
    r.bench("s3_complex", ID, || {
        keep(&c).get_transient::<Complex>().unwrap()
    });
    let req = c.clone().enter_build().unwrap();
    let _ = (req.get::<Sc1>(), req.get::<Sc2>(), req.get::<Sc3>());
    r.bench("s4_scoped_hit", ID, || {
        let s = keep(&req);
        (
            s.get::<Sc1>().unwrap(),
            s.get::<Sc2>().unwrap(),
            s.get::<Sc3>().unwrap(),
        )
    });
    r.bench("s5_empty_scope", ID, || {
        let req = keep(&c).clone().enter_build().unwrap();
        req.close();
    });
    r.bench("s6_request", ID, || {
        let req = keep(&c).clone().enter_build().unwrap();
        let ctrl = req.get_transient::<Controller>().unwrap();
        req.close();
        ctrl
    });
    r.bench_threads("s7a_threads_singleton", ID, || {
        let c = keep(&c);
        (
            c.get::<S1>().unwrap(),
            c.get::<S2>().unwrap(),
            c.get::<S3>().unwrap(),
        )
    });
    r.bench_threads("s7b_threads_scope", ID, || {
        let req = keep(&c).clone().enter_build().unwrap();
        let v = (
            req.get::<Sc1>().unwrap(),
            req.get::<Sc2>().unwrap(),
            req.get::<Sc3>().unwrap(),
        );
        req.close();
        v
    });
}
