//! ferrunix 0.5 (feature `multithread`). No scoped lifetime: scenarios 4-6
//! and 7b are n/a. A transient is returned by value (`T`, not `Arc<T>`).

use std::sync::Arc;

use ferrunix::{Registry, Singleton, Transient};

use crate::model::*;
use crate::{Runner, keep};

const ID: &str = "ferrunix";
const NO_SCOPE: &str = "no scoped lifetime (singleton and transient only)";

fn registry() -> Registry {
    let r = Registry::empty();
    r.register_singleton(|| S1(1));
    r.register_singleton(|| S2(2));
    r.register_singleton(|| S3(3));
    r.register_transient(|| T1(1));
    r.register_transient(|| T2(2));
    r.register_transient(|| T3(3));
    r.with_deps::<_, (Singleton<S1>, Singleton<S2>, Singleton<S3>)>()
        .register_transient(|(a, b, c)| U1(a.get(), b.get(), c.get()));
    r.with_deps::<_, (Singleton<S1>, Singleton<S2>, Singleton<S3>)>()
        .register_transient(|(a, b, c)| U2(a.get(), b.get(), c.get()));
    r.with_deps::<_, (Singleton<S1>, Singleton<S2>, Singleton<S3>)>()
        .register_transient(|(a, b, c)| U3(a.get(), b.get(), c.get()));
    r.with_deps::<_, (Singleton<S1>,)>()
        .register_transient(|(s,)| Ta(s.get()));
    r.with_deps::<_, (Singleton<S2>,)>()
        .register_transient(|(s,)| Tb(s.get()));
    r.with_deps::<_, (Singleton<S3>,)>()
        .register_transient(|(s,)| Tc(s.get()));
    r.with_deps::<_, (
        Singleton<S1>,
        Singleton<S2>,
        Singleton<S3>,
        Transient<Ta>,
        Transient<Tb>,
        Transient<Tc>,
    )>()
    .register_transient(|(a, b, c, d, e, f)| {
        Complex(
            a.get(),
            b.get(),
            c.get(),
            Arc::new(d.get()),
            Arc::new(e.get()),
            Arc::new(f.get()),
        )
    });
    r.validate_all_full().expect("the benchmark graph is valid");
    r
}

/// Runs every scenario ferrunix can express.
pub fn run(r: &mut impl Runner) {
    let reg = registry();
    let _ = (
        reg.singleton::<S1>(),
        reg.singleton::<S2>(),
        reg.singleton::<S3>(),
    );
    r.bench("s1_singleton", ID, || {
        let reg = keep(&reg);
        (
            reg.singleton::<S1>().unwrap(),
            reg.singleton::<S2>().unwrap(),
            reg.singleton::<S3>().unwrap(),
        )
    });
    r.bench("s2a_transient_nodeps", ID, || {
        let reg = keep(&reg);
        (
            reg.transient::<T1>().unwrap(),
            reg.transient::<T2>().unwrap(),
            reg.transient::<T3>().unwrap(),
        )
    });
    r.bench("s2b_transient_3deps", ID, || {
        let reg = keep(&reg);
        (
            reg.transient::<U1>().unwrap(),
            reg.transient::<U2>().unwrap(),
            reg.transient::<U3>().unwrap(),
        )
    });
    r.bench("s3_complex", ID, || {
        keep(&reg).transient::<Complex>().unwrap()
    });
    for g in [
        "s4_scoped_hit",
        "s5_empty_scope",
        "s6_request",
        "s7b_threads_scope",
    ] {
        r.na(g, ID, NO_SCOPE);
    }
    r.bench_threads("s7a_threads_singleton", ID, || {
        let reg = keep(&reg);
        (
            reg.singleton::<S1>().unwrap(),
            reg.singleton::<S2>().unwrap(),
            reg.singleton::<S3>().unwrap(),
        )
    });
}
