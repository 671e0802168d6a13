//! shaku 0.6: a module generated at compile time. Components are
//! singletons, providers are transients (returned as `Box<dyn I>`); there is
//! no scoped lifetime, so scenarios 4-6 and 7b are n/a. Services are trait
//! objects, as shaku requires an interface trait per service.
#![allow(dead_code)]

use std::sync::Arc;

use shaku::{Component, HasComponent, HasProvider, Interface, Provider, module};

use crate::{Runner, keep};

const ID: &str = "shaku";
const NO_SCOPE: &str = "no scoped lifetime (components and providers only)";

macro_rules! component {
    ($($I:ident $K:ident),*) => {$(
        pub trait $I: Interface {}
        #[derive(Component)]
        #[shaku(interface = $I)]
        pub struct $K {
            #[shaku(default = 1)]
            v: u64,
        }
        impl $I for $K {}
    )*};
}
component!(IS1 KS1, IS2 KS2, IS3 KS3);

macro_rules! provider_nodeps {
    ($($I:ident $P:ident),*) => {$(
        pub trait $I {}
        #[derive(Provider)]
        #[shaku(interface = $I)]
        pub struct $P {
            #[shaku(force_default)]
            v: u64,
        }
        impl $I for $P {}
    )*};
}
provider_nodeps!(IT1 PT1, IT2 PT2, IT3 PT3);

macro_rules! provider_3deps {
    ($($I:ident $P:ident),*) => {$(
        pub trait $I {}
        #[derive(Provider)]
        #[shaku(interface = $I)]
        pub struct $P {
            #[shaku(inject)]
            a: Arc<dyn IS1>,
            #[shaku(inject)]
            b: Arc<dyn IS2>,
            #[shaku(inject)]
            c: Arc<dyn IS3>,
        }
        impl $I for $P {}
    )*};
}
provider_3deps!(IU1 PU1, IU2 PU2, IU3 PU3);

macro_rules! provider_1dep {
    ($($I:ident $P:ident $S:ident),*) => {$(
        pub trait $I {}
        #[derive(Provider)]
        #[shaku(interface = $I)]
        pub struct $P {
            #[shaku(inject)]
            s: Arc<dyn $S>,
        }
        impl $I for $P {}
    )*};
}
provider_1dep!(ITa PTa IS1, ITb PTb IS2, ITc PTc IS3);

pub trait IComplex {}
#[derive(Provider)]
#[shaku(interface = IComplex)]
pub struct PComplex {
    #[shaku(inject)]
    a: Arc<dyn IS1>,
    #[shaku(inject)]
    b: Arc<dyn IS2>,
    #[shaku(inject)]
    c: Arc<dyn IS3>,
    #[shaku(provide)]
    d: Box<dyn ITa>,
    #[shaku(provide)]
    e: Box<dyn ITb>,
    #[shaku(provide)]
    f: Box<dyn ITc>,
}
impl IComplex for PComplex {}

module! {
    BenchModule {
        components = [KS1, KS2, KS3],
        providers = [PT1, PT2, PT3, PU1, PU2, PU3, PTa, PTb, PTc, PComplex]
    }
}

/// Runs every scenario shaku can express.
pub fn run(r: &mut impl Runner) {
    let m = BenchModule::builder().build();
    r.bench("s1_singleton", ID, || {
        let m = keep(&m);
        (
            HasComponent::<dyn IS1>::resolve(m),
            HasComponent::<dyn IS2>::resolve(m),
            HasComponent::<dyn IS3>::resolve(m),
        )
    });
    r.bench("s2a_transient_nodeps", ID, || {
        let m = keep(&m);
        (
            HasProvider::<dyn IT1>::provide(m).unwrap(),
            HasProvider::<dyn IT2>::provide(m).unwrap(),
            HasProvider::<dyn IT3>::provide(m).unwrap(),
        )
    });
    r.bench("s2b_transient_3deps", ID, || {
        let m = keep(&m);
        (
            HasProvider::<dyn IU1>::provide(m).unwrap(),
            HasProvider::<dyn IU2>::provide(m).unwrap(),
            HasProvider::<dyn IU3>::provide(m).unwrap(),
        )
    });
    r.bench("s3_complex", ID, || {
        HasProvider::<dyn IComplex>::provide(keep(&m)).unwrap()
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
        let m = keep(&m);
        (
            HasComponent::<dyn IS1>::resolve(m),
            HasComponent::<dyn IS2>::resolve(m),
            HasComponent::<dyn IS3>::resolve(m),
        )
    });
}
