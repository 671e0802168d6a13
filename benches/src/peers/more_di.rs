//! more-di 3.2 (feature `async`: `Ref = Arc`, thread-safe). Dependencies are
//! declared with `depends_on` so that `build_provider` validates them.

use di::{
    Ref, ServiceCollection, ServiceProvider, exactly_one, scoped_factory, singleton_factory,
    transient_factory,
};

use crate::model::*;
use crate::{Runner, keep};

const ID: &str = "more-di";

fn provider() -> ServiceProvider {
    ServiceCollection::new()
        .add(singleton_factory(|_| Ref::new(S1(1))))
        .add(singleton_factory(|_| Ref::new(S2(2))))
        .add(singleton_factory(|_| Ref::new(S3(3))))
        .add(transient_factory(|_| Ref::new(T1(1))))
        .add(transient_factory(|_| Ref::new(T2(2))))
        .add(transient_factory(|_| Ref::new(T3(3))))
        .add(
            di::transient::<U1, U1>()
                .depends_on(exactly_one::<S1>())
                .depends_on(exactly_one::<S2>())
                .depends_on(exactly_one::<S3>())
                .from(|sp| Ref::new(U1(sp.get_required(), sp.get_required(), sp.get_required()))),
        )
        .add(
            di::transient::<U2, U2>()
                .depends_on(exactly_one::<S1>())
                .depends_on(exactly_one::<S2>())
                .depends_on(exactly_one::<S3>())
                .from(|sp| Ref::new(U2(sp.get_required(), sp.get_required(), sp.get_required()))),
        )
        .add(
            di::transient::<U3, U3>()
                .depends_on(exactly_one::<S1>())
                .depends_on(exactly_one::<S2>())
                .depends_on(exactly_one::<S3>())
                .from(|sp| Ref::new(U3(sp.get_required(), sp.get_required(), sp.get_required()))),
        )
        .add(
            di::transient::<Ta, Ta>()
                .depends_on(exactly_one::<S1>())
                .from(|sp| Ref::new(Ta(sp.get_required()))),
        )
        .add(
            di::transient::<Tb, Tb>()
                .depends_on(exactly_one::<S2>())
                .from(|sp| Ref::new(Tb(sp.get_required()))),
        )
        .add(
            di::transient::<Tc, Tc>()
                .depends_on(exactly_one::<S3>())
                .from(|sp| Ref::new(Tc(sp.get_required()))),
        )
        .add(
            di::transient::<Complex, Complex>()
                .depends_on(exactly_one::<S1>())
                .depends_on(exactly_one::<S2>())
                .depends_on(exactly_one::<S3>())
                .depends_on(exactly_one::<Ta>())
                .depends_on(exactly_one::<Tb>())
                .depends_on(exactly_one::<Tc>())
                .from(|sp| {
                    Ref::new(Complex(
                        sp.get_required(),
                        sp.get_required(),
                        sp.get_required(),
                        sp.get_required(),
                        sp.get_required(),
                        sp.get_required(),
                    ))
                }),
        )
        .add(scoped_factory(|_| Ref::new(Sc1(1))))
        .add(scoped_factory(|_| Ref::new(Sc2(2))))
        .add(scoped_factory(|_| Ref::new(Sc3(3))))
        .add(scoped_factory(|_| Ref::new(Sc4(4))))
        .add(scoped_factory(|_| Ref::new(Sc5(5))))
        .add(singleton_factory(|_| Ref::new(G1(1))))
        .add(singleton_factory(|_| Ref::new(G2(2))))
        .add(singleton_factory(|_| Ref::new(G3(3))))
        .add(singleton_factory(|_| Ref::new(G4(4))))
        .add(singleton_factory(|_| Ref::new(G5(5))))
        .add(repo::<R1, G1>(|g, s| R1 { g, s }))
        .add(repo::<R2, G2>(|g, s| R2 { g, s }))
        .add(repo::<R3, G3>(|g, s| R3 { g, s }))
        .add(repo::<R4, G4>(|g, s| R4 { g, s }))
        .add(repo::<R5, G5>(|g, s| R5 { g, s }))
        .add(
            di::transient::<Controller, Controller>()
                .depends_on(exactly_one::<R1>())
                .depends_on(exactly_one::<R2>())
                .depends_on(exactly_one::<R3>())
                .depends_on(exactly_one::<R4>())
                .depends_on(exactly_one::<R5>())
                .from(|sp| {
                    Ref::new(Controller(
                        sp.get_required(),
                        sp.get_required(),
                        sp.get_required(),
                        sp.get_required(),
                        sp.get_required(),
                    ))
                }),
        )
        .build_provider()
        .expect("the benchmark graph is valid")
}

type Scoped = (Ref<Sc1>, Ref<Sc2>, Ref<Sc3>, Ref<Sc4>, Ref<Sc5>);

fn repo<R: Send + Sync + 'static, G: Send + Sync + 'static>(
    make: fn(Ref<G>, Scoped) -> R,
) -> di::ServiceDescriptor {
    di::transient::<R, R>()
        .depends_on(exactly_one::<G>())
        .depends_on(exactly_one::<Sc1>())
        .depends_on(exactly_one::<Sc2>())
        .depends_on(exactly_one::<Sc3>())
        .depends_on(exactly_one::<Sc4>())
        .depends_on(exactly_one::<Sc5>())
        .from(move |sp| {
            Ref::new(make(
                sp.get_required(),
                (
                    sp.get_required(),
                    sp.get_required(),
                    sp.get_required(),
                    sp.get_required(),
                    sp.get_required(),
                ),
            ))
        })
}

/// Runs every scenario more-di can express (all but 8-9).
pub fn run(r: &mut impl Runner) {
    let sp = provider();
    let _ = (
        sp.get_required::<S1>(),
        sp.get_required::<S2>(),
        sp.get_required::<S3>(),
    );
    r.bench("s1_singleton", ID, || {
        let sp = keep(&sp);
        (
            sp.get_required::<S1>(),
            sp.get_required::<S2>(),
            sp.get_required::<S3>(),
        )
    });
    r.bench("s2a_transient_nodeps", ID, || {
        let sp = keep(&sp);
        (
            sp.get_required::<T1>(),
            sp.get_required::<T2>(),
            sp.get_required::<T3>(),
        )
    });
    r.bench("s2b_transient_3deps", ID, || {
        let sp = keep(&sp);
        (
            sp.get_required::<U1>(),
            sp.get_required::<U2>(),
            sp.get_required::<U3>(),
        )
    });
    r.bench("s3_complex", ID, || keep(&sp).get_required::<Complex>());
    let scope = sp.create_scope();
    let _ = (
        scope.get_required::<Sc1>(),
        scope.get_required::<Sc2>(),
        scope.get_required::<Sc3>(),
    );
    r.bench("s4_scoped_hit", ID, || {
        let s = keep(&scope);
        (
            s.get_required::<Sc1>(),
            s.get_required::<Sc2>(),
            s.get_required::<Sc3>(),
        )
    });
    r.bench("s5_empty_scope", ID, || keep(&sp).create_scope());
    r.bench("s6_request", ID, || {
        let scope = keep(&sp).create_scope();
        let ctrl = scope.get_required::<Controller>();
        drop(scope);
        ctrl
    });
    r.bench_threads("s7a_threads_singleton", ID, || {
        let sp = keep(&sp);
        (
            sp.get_required::<S1>(),
            sp.get_required::<S2>(),
            sp.get_required::<S3>(),
        )
    });
    r.bench_threads("s7b_threads_scope", ID, || {
        let scope = keep(&sp).create_scope();
        (
            scope.get_required::<Sc1>(),
            scope.get_required::<Sc2>(),
            scope.get_required::<Sc3>(),
        )
    });
}
