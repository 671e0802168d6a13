//! Scenario 8: build + validate the generated DAGs (crate `tenure-bench-dag`).

use tenure::ContainerBuilder;
use tenure_bench_dag::{builders, register_1k};

use crate::Runner;

/// Runs scenario 8 with tenure.
pub fn run(r: &mut impl Runner) {
    let [small, cycle, missing, large] = builders();
    assert!(small.build().is_ok(), "the 1k graph is valid");
    assert!(large.build().is_ok(), "the 10k graph is valid");
    let e = cycle.build().expect_err("the cycle is found");
    assert_eq!(e.problems().len(), 1, "one problem, the cycle: {e}");
    let e = missing
        .build()
        .expect_err("the missing dependency is found");
    assert_eq!(
        e.problems().len(),
        1,
        "one problem, the missing dependency: {e}"
    );

    r.bench("s8_register_1k", "tenure", || {
        let mut b = ContainerBuilder::new();
        register_1k(&mut b);
        b
    });
    r.bench("s8_build_1k", "tenure", || small.build().unwrap());
    r.bench("s8_build_1k_cycle", "tenure", || {
        cycle.build().err().unwrap()
    });
    r.bench("s8_build_1k_missing", "tenure", || {
        missing.build().err().unwrap()
    });
    r.bench("s8_build_10k", "tenure", || large.build().unwrap());
}
