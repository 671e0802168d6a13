//! The service types of the scenarios, shared by `direct`, tenure and the
//! peers whose registrations take plain closures.
#![allow(missing_docs, dead_code)]

use std::sync::Arc;

// Scenario 1 (and the singletons everything else depends on).
pub struct S1(pub u64);
pub struct S2(pub u64);
pub struct S3(pub u64);

// Scenario 2a: transients without dependencies.
pub struct T1(pub u64);
pub struct T2(pub u64);
pub struct T3(pub u64);

// Scenario 2b: transients with three singleton dependencies.
pub struct U1(pub Arc<S1>, pub Arc<S2>, pub Arc<S3>);
pub struct U2(pub Arc<S1>, pub Arc<S2>, pub Arc<S3>);
pub struct U3(pub Arc<S1>, pub Arc<S2>, pub Arc<S3>);

// Scenario 3: IocPerformance's "Complex".
pub struct Ta(pub Arc<S1>);
pub struct Tb(pub Arc<S2>);
pub struct Tc(pub Arc<S3>);
pub struct Complex(
    pub Arc<S1>,
    pub Arc<S2>,
    pub Arc<S3>,
    pub Arc<Ta>,
    pub Arc<Tb>,
    pub Arc<Tc>,
);

// Scenarios 4-7: scoped services.
pub struct Sc1(pub u64);
pub struct Sc2(pub u64);
pub struct Sc3(pub u64);
pub struct Sc4(pub u64);
pub struct Sc5(pub u64);

// Scenario 6: IocPerformance's AspNetCore shape.
pub struct G1(pub u64);
pub struct G2(pub u64);
pub struct G3(pub u64);
pub struct G4(pub u64);
pub struct G5(pub u64);

macro_rules! repo {
    ($($R:ident($G:ident)),*) => {$(
        pub struct $R {
            pub g: Arc<$G>,
            pub s: (Arc<Sc1>, Arc<Sc2>, Arc<Sc3>, Arc<Sc4>, Arc<Sc5>),
        }
    )*};
}
repo!(R1(G1), R2(G2), R3(G3), R4(G4), R5(G5));

pub struct Controller(
    pub Arc<R1>,
    pub Arc<R2>,
    pub Arc<R3>,
    pub Arc<R4>,
    pub Arc<R5>,
);
