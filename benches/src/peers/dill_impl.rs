//! dill 0.17. Singletons use `#[dill::scope(dill::Singleton)]`; scoped
//! services use the `Transaction` scope, whose cache lives in a chained
//! catalog (one per request, as dill documents).
#![allow(dead_code)]

use std::sync::Arc;

use dill::{Catalog, Singleton, Transaction, TransactionCache, component, scope};

use crate::{Runner, keep};

const ID: &str = "dill";

macro_rules! singleton {
    ($($S:ident),*) => {$(
        #[component]
        #[scope(Singleton)]
        pub struct $S;
    )*};
}
singleton!(DS1, DS2, DS3, DG1, DG2, DG3, DG4, DG5);

macro_rules! transient {
    ($($T:ident),*) => {$(
        #[component]
        pub struct $T;
    )*};
}
transient!(DT1, DT2, DT3);

macro_rules! transient_3deps {
    ($($T:ident),*) => {$(
        #[component]
        pub struct $T {
            a: Arc<DS1>,
            b: Arc<DS2>,
            c: Arc<DS3>,
        }
    )*};
}
transient_3deps!(DU1, DU2, DU3);

#[component]
pub struct DTa {
    s: Arc<DS1>,
}
#[component]
pub struct DTb {
    s: Arc<DS2>,
}
#[component]
pub struct DTc {
    s: Arc<DS3>,
}
#[component]
pub struct DComplex {
    a: Arc<DS1>,
    b: Arc<DS2>,
    c: Arc<DS3>,
    d: Arc<DTa>,
    e: Arc<DTb>,
    f: Arc<DTc>,
}

macro_rules! scoped {
    ($($S:ident),*) => {$(
        #[component]
        #[scope(Transaction)]
        pub struct $S;
    )*};
}
scoped!(DSc1, DSc2, DSc3, DSc4, DSc5);

macro_rules! repo {
    ($($R:ident $G:ident),*) => {$(
        #[component]
        pub struct $R {
            g: Arc<$G>,
            s1: Arc<DSc1>,
            s2: Arc<DSc2>,
            s3: Arc<DSc3>,
            s4: Arc<DSc4>,
            s5: Arc<DSc5>,
        }
    )*};
}
repo!(DR1 DG1, DR2 DG2, DR3 DG3, DR4 DG4, DR5 DG5);

#[component]
pub struct DController {
    r1: Arc<DR1>,
    r2: Arc<DR2>,
    r3: Arc<DR3>,
    r4: Arc<DR4>,
    r5: Arc<DR5>,
}

fn catalog() -> Catalog {
    let mut b = Catalog::builder();
    b.add::<DS1>().add::<DS2>().add::<DS3>();
    b.add::<DT1>().add::<DT2>().add::<DT3>();
    b.add::<DU1>().add::<DU2>().add::<DU3>();
    b.add::<DTa>().add::<DTb>().add::<DTc>().add::<DComplex>();
    b.add::<DSc1>()
        .add::<DSc2>()
        .add::<DSc3>()
        .add::<DSc4>()
        .add::<DSc5>();
    b.add::<DG1>()
        .add::<DG2>()
        .add::<DG3>()
        .add::<DG4>()
        .add::<DG5>();
    b.add::<DR1>()
        .add::<DR2>()
        .add::<DR3>()
        .add::<DR4>()
        .add::<DR5>();
    b.add::<DController>();
    b.build()
}

fn request(base: &Catalog) -> Catalog {
    base.builder_chained()
        .add_value(TransactionCache::new())
        .build()
}

/// Runs every scenario dill can express (all but 8-9).
pub fn run(r: &mut impl Runner) {
    let cat = catalog();
    let _ = (
        cat.get_one::<DS1>(),
        cat.get_one::<DS2>(),
        cat.get_one::<DS3>(),
    );
    r.bench("s1_singleton", ID, || {
        let c = keep(&cat);
        (
            c.get_one::<DS1>().unwrap(),
            c.get_one::<DS2>().unwrap(),
            c.get_one::<DS3>().unwrap(),
        )
    });
    r.bench("s2a_transient_nodeps", ID, || {
        let c = keep(&cat);
        (
            c.get_one::<DT1>().unwrap(),
            c.get_one::<DT2>().unwrap(),
            c.get_one::<DT3>().unwrap(),
        )
    });
    r.bench("s2b_transient_3deps", ID, || {
        let c = keep(&cat);
        (
            c.get_one::<DU1>().unwrap(),
            c.get_one::<DU2>().unwrap(),
            c.get_one::<DU3>().unwrap(),
        )
    });
    r.bench("s3_complex", ID, || {
        keep(&cat).get_one::<DComplex>().unwrap()
    });
    let req = request(&cat);
    let _ = (
        req.get_one::<DSc1>(),
        req.get_one::<DSc2>(),
        req.get_one::<DSc3>(),
    );
    r.bench("s4_scoped_hit", ID, || {
        let c = keep(&req);
        (
            c.get_one::<DSc1>().unwrap(),
            c.get_one::<DSc2>().unwrap(),
            c.get_one::<DSc3>().unwrap(),
        )
    });
    r.bench("s5_empty_scope", ID, || request(keep(&cat)));
    r.bench("s6_request", ID, || {
        let req = request(keep(&cat));
        let ctrl = req.get_one::<DController>().unwrap();
        drop(req);
        ctrl
    });
    r.bench_threads("s7a_threads_singleton", ID, || {
        let c = keep(&cat);
        (
            c.get_one::<DS1>().unwrap(),
            c.get_one::<DS2>().unwrap(),
            c.get_one::<DS3>().unwrap(),
        )
    });
    r.bench_threads("s7b_threads_scope", ID, || {
        let req = request(keep(&cat));
        (
            req.get_one::<DSc1>().unwrap(),
            req.get_one::<DSc2>().unwrap(),
            req.get_one::<DSc3>().unwrap(),
        )
    });
}
