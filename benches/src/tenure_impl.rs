//! tenure.

use std::sync::Arc;

use tenure::Container;

use crate::model::*;
use crate::{Runner, keep};

const ID: &str = "tenure";
/// tenure through `Resolver<T>` (`container.resolver::<T>()`, made once).
pub const RESOLVER: &str = "tenure-resolver";

/// The benchmark graph (scenarios 1 to 7, and the tracing scenarios).
pub fn container() -> Container {
    Container::builder()
        .singleton(|| S1(1))
        .singleton(|| S2(2))
        .singleton(|| S3(3))
        .transient(|| T1(1))
        .transient(|| T2(2))
        .transient(|| T3(3))
        .transient(|a: Arc<S1>, b: Arc<S2>, c: Arc<S3>| U1(a, b, c))
        .transient(|a: Arc<S1>, b: Arc<S2>, c: Arc<S3>| U2(a, b, c))
        .transient(|a: Arc<S1>, b: Arc<S2>, c: Arc<S3>| U3(a, b, c))
        .transient(|s: Arc<S1>| Ta(s))
        .transient(|s: Arc<S2>| Tb(s))
        .transient(|s: Arc<S3>| Tc(s))
        .transient(
            |a: Arc<S1>, b: Arc<S2>, c: Arc<S3>, d: Arc<Ta>, e: Arc<Tb>, f: Arc<Tc>| {
                Complex(a, b, c, d, e, f)
            },
        )
        .scoped(|| Sc1(1))
        .scoped(|| Sc2(2))
        .scoped(|| Sc3(3))
        .scoped(|| Sc4(4))
        .scoped(|| Sc5(5))
        .singleton(|| G1(1))
        .singleton(|| G2(2))
        .singleton(|| G3(3))
        .singleton(|| G4(4))
        .singleton(|| G5(5))
        .transient(repo(|g, s| R1 { g, s }))
        .transient(repo(|g, s| R2 { g, s }))
        .transient(repo(|g, s| R3 { g, s }))
        .transient(repo(|g, s| R4 { g, s }))
        .transient(repo(|g, s| R5 { g, s }))
        .transient(
            |a: Arc<R1>, b: Arc<R2>, c: Arc<R3>, d: Arc<R4>, e: Arc<R5>| Controller(a, b, c, d, e),
        )
        .build()
        .expect("the benchmark graph is valid")
}

type Scoped = (Arc<Sc1>, Arc<Sc2>, Arc<Sc3>, Arc<Sc4>, Arc<Sc5>);

/// A repository factory: one singleton and the five scoped services.
#[allow(clippy::type_complexity)]
fn repo<G: Send + Sync + 'static, R: 'static>(
    make: fn(Arc<G>, Scoped) -> R,
) -> impl Fn(Arc<G>, Arc<Sc1>, Arc<Sc2>, Arc<Sc3>, Arc<Sc4>, Arc<Sc5>) -> R + Send + Sync + 'static
{
    move |g, a, b, c, d, e| make(g, (a, b, c, d, e))
}

/// Scenario 9: the request graph with the five scoped services created by
/// async factories (as a database session would be), resolved with
/// `resolve_async`.
fn async_container() -> Container {
    Container::builder()
        .scoped_async(|| async { Sc1(1) })
        .scoped_async(|| async { Sc2(2) })
        .scoped_async(|| async { Sc3(3) })
        .scoped_async(|| async { Sc4(4) })
        .scoped_async(|| async { Sc5(5) })
        .singleton(|| G1(1))
        .singleton(|| G2(2))
        .singleton(|| G3(3))
        .singleton(|| G4(4))
        .singleton(|| G5(5))
        .transient(repo(|g, s| R1 { g, s }))
        .transient(repo(|g, s| R2 { g, s }))
        .transient(repo(|g, s| R3 { g, s }))
        .transient(repo(|g, s| R4 { g, s }))
        .transient(repo(|g, s| R5 { g, s }))
        .transient(
            |a: Arc<R1>, b: Arc<R2>, c: Arc<R3>, d: Arc<R4>, e: Arc<R5>| Controller(a, b, c, d, e),
        )
        .build()
        .expect("the async benchmark graph is valid")
}

/// Runs every scenario with tenure.
pub fn run(r: &mut impl Runner) {
    let c = container();
    c.warm_up().expect("singletons start");
    r.bench("s1_singleton", ID, || {
        let c = keep(&c);
        (
            c.resolve::<S1>().unwrap(),
            c.resolve::<S2>().unwrap(),
            c.resolve::<S3>().unwrap(),
        )
    });
    // The typed entry point: the lookup done once, a singleton kept.
    let (r1, r2, r3) = (
        c.resolver::<S1>().unwrap(),
        c.resolver::<S2>().unwrap(),
        c.resolver::<S3>().unwrap(),
    );
    r.bench("s1_singleton", RESOLVER, || {
        let r1 = keep(&r1);
        (r1.get().unwrap(), r2.get().unwrap(), r3.get().unwrap())
    });
    r.bench("s2a_transient_nodeps", ID, || {
        let c = keep(&c);
        (
            c.resolve::<T1>().unwrap(),
            c.resolve::<T2>().unwrap(),
            c.resolve::<T3>().unwrap(),
        )
    });
    r.bench("s2b_transient_3deps", ID, || {
        let c = keep(&c);
        (
            c.resolve::<U1>().unwrap(),
            c.resolve::<U2>().unwrap(),
            c.resolve::<U3>().unwrap(),
        )
    });
    r.bench("s3_complex", ID, || keep(&c).resolve::<Complex>().unwrap());
    let scope = c.scope();
    let _ = (
        scope.resolve::<Sc1>(),
        scope.resolve::<Sc2>(),
        scope.resolve::<Sc3>(),
    );
    r.bench("s4_scoped_hit", ID, || {
        let s = keep(&scope);
        (
            s.resolve::<Sc1>().unwrap(),
            s.resolve::<Sc2>().unwrap(),
            s.resolve::<Sc3>().unwrap(),
        )
    });
    let (q1, q2, q3) = (
        c.resolver::<Sc1>().unwrap(),
        c.resolver::<Sc2>().unwrap(),
        c.resolver::<Sc3>().unwrap(),
    );
    r.bench("s4_scoped_hit", RESOLVER, || {
        let s = keep(&scope);
        (
            q1.get_in(s).unwrap(),
            q2.get_in(s).unwrap(),
            q3.get_in(s).unwrap(),
        )
    });
    r.bench("s5_empty_scope", ID, || keep(&c).scope());
    r.bench("s6_request", ID, || {
        let scope = keep(&c).scope();
        let ctrl = scope.resolve::<Controller>().unwrap();
        drop(scope);
        ctrl
    });
    let ac = async_container();
    ac.warm_up().expect("singletons start");
    let rt = crate::direct::runtime();
    r.bench("s9_async_request", ID, || {
        rt.block_on(async {
            let scope = keep(&ac).scope();
            let ctrl = scope.resolve_async::<Controller>().await.unwrap();
            drop(scope);
            ctrl
        })
    });
    r.bench_threads("s7a_threads_singleton", ID, || {
        let c = keep(&c);
        (
            c.resolve::<S1>().unwrap(),
            c.resolve::<S2>().unwrap(),
            c.resolve::<S3>().unwrap(),
        )
    });
    r.bench_threads("s7b_threads_scope", ID, || {
        let scope = keep(&c).scope();
        let v = (
            scope.resolve::<Sc1>().unwrap(),
            scope.resolve::<Sc2>().unwrap(),
            scope.resolve::<Sc3>().unwrap(),
        );
        drop(scope);
        v
    });
}
