//! tenure's `tracing` feature: the same resolutions as scenarios 1 and 6,
//! measured in the build without the feature (`off`) and in a second build
//! with it (`on_no_subscriber`: `--features tracing`, no subscriber
//! installed), so the report can put the two side by side.

use crate::model::*;
use crate::{Runner, keep};

/// The implementation id of this build: which side of the comparison.
pub const ID: &str = if cfg!(feature = "tracing") {
    "on_no_subscriber"
} else {
    "off"
};

/// Runs the tracing scenarios with this build's tenure.
pub fn run(r: &mut impl Runner) {
    let c = crate::tenure_impl::container();
    c.warm_up().expect("singletons start");
    r.bench("t1_tracing_singletons", ID, || {
        let c = keep(&c);
        (
            c.resolve::<S1>().unwrap(),
            c.resolve::<S2>().unwrap(),
            c.resolve::<S3>().unwrap(),
        )
    });
    r.bench("t2_tracing_request", ID, || {
        let scope = keep(&c).scope();
        let ctrl = scope.resolve::<Controller>().unwrap();
        drop(scope);
        ctrl
    });
}
