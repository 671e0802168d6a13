//! Benchmarks of tenure against hand-written wiring (`direct`) and peer
//! containers.
//!
//! Every scenario is written once, against the [`Runner`] trait, and run
//! twice: by criterion (`benches/scenarios.rs`, timing) and by the `report`
//! binary (allocation counting with a counting global allocator, then the
//! markdown table). Run everything with `benches/run.sh`.

pub mod dag;
pub mod direct;
pub mod model;
pub mod peers;
pub mod tenure_impl;
pub mod tracing_impl;

/// Something that runs one implementation of one scenario.
pub trait Runner {
    /// Measures `f`, one call per iteration.
    fn bench<R>(&mut self, group: &'static str, id: &'static str, f: impl FnMut() -> R);
    /// Measures `f` called on two threads at once (each `iters` times); the
    /// time per iteration is the wall time divided by `iters`.
    fn bench_threads<R>(&mut self, group: &'static str, id: &'static str, f: impl Fn() -> R + Sync);
    /// Records that `id` cannot express the scenario, and why.
    fn na(&mut self, group: &'static str, id: &'static str, why: &'static str);
}

/// One scenario of issue 7: its criterion group, its title and its target.
pub struct Scenario {
    /// The criterion group name.
    pub group: &'static str,
    /// What one iteration does.
    pub title: &'static str,
    /// The target for tenure.
    pub target: &'static str,
}

/// Every scenario, in report order.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        group: "s1_singleton",
        title: "1. three existing singletons -> `Arc<T>` (direct: 3x `Arc::clone`)",
        target: "<= 1.3x direct through a typed handle (`Resolver<T>`), `resolve::<T>()` itself <= 2x; 0 allocations",
    },
    Scenario {
        group: "s2a_transient_nodeps",
        title: "2a. three transients without dependencies",
        target: "<= 1.25x direct; same allocations as direct",
    },
    Scenario {
        group: "s2b_transient_3deps",
        title: "2b. three transients, each with 3 singleton dependencies",
        target: "<= 1.25x direct; same allocations as direct",
    },
    Scenario {
        group: "s3_complex",
        title: "3. \"complex\": a transient with 6 deps (3 singletons, 3 transients each taking one singleton)",
        target: "<= 1.3x direct; same allocations as direct",
    },
    Scenario {
        group: "s4_scoped_hit",
        title: "4. three scoped services already created in the scope (direct: 3x `Arc::clone`)",
        target: "<= singleton time + a few ns; no lock",
    },
    Scenario {
        group: "s5_empty_scope",
        title: "5. empty scope create + drop (direct: `Arc::new` + drop of a small struct)",
        target: "<= 2x direct; <= 1 allocation",
    },
    Scenario {
        group: "s6_request",
        title: "6. request: new scope, a controller with 5 transient repositories (each 1 singleton + the 5 scoped services), drop",
        target: "<= 1.5x direct; allocations = direct + 1",
    },
    Scenario {
        group: "s7a_threads_singleton",
        title: "7a. two threads resolving the same three singletons",
        target: "<= 1.1x direct (shared `Arc`s)",
    },
    Scenario {
        group: "s7b_threads_scope",
        title: "7b. two threads, each its own scopes: new scope, three scoped services, drop",
        target: "<= 1.5x direct; nothing shared between the threads but the plan",
    },
    Scenario {
        group: "s8_register_1k",
        title: "8. register the 1,000 services of the DAG into a new builder (before `build`; the generated registrations are compiled at opt-level 0, see `benches/Cargo.toml`)",
        target: "no target; allocations per registration reported",
    },
    Scenario {
        group: "s8_build_1k",
        title: "8. build + validate a random DAG of 1,000 services (valid)",
        target: "<= 1 ms; <= 4 allocations per registration",
    },
    Scenario {
        group: "s8_build_1k_cycle",
        title: "8. the same DAG with one cycle (error path)",
        target: "error path, no target",
    },
    Scenario {
        group: "s8_build_1k_missing",
        title: "8. the same DAG with one missing dependency (error path)",
        target: "error path, no target",
    },
    Scenario {
        group: "s8_build_10k",
        title: "8. build + validate a random DAG of 10,000 services (valid)",
        target: "<= 10 ms; t(10k)/t(1k) <= 12",
    },
    Scenario {
        group: "s9_async_request",
        title: "9. scenario 6 with async factories for the 5 scoped services, through `resolve_async` on a current-thread tokio runtime (direct: an `async fn` awaiting 5 async constructors)",
        target: "<= 1.5x a hand-written async equivalent; allocations = direct + 1",
    },
];

/// The tracing scenarios: tenure alone, built without and with its
/// `tracing` feature (implementations `off` and `on_no_subscriber`).
pub const TRACING: &[Scenario] = &[
    Scenario {
        group: "t1_tracing_singletons",
        title: "scenario 1 (three existing singletons), tracing off / on with no subscriber",
        target: "feature off: nothing; on, no subscriber: small",
    },
    Scenario {
        group: "t2_tracing_request",
        title: "scenario 6 (a request scope: a controller, 5 transients, 5 scoped services), tracing off / on with no subscriber",
        target: "feature off: nothing; on, no subscriber: small",
    },
];

/// Runs every scenario for every implementation. Built with the `tracing`
/// feature, only the tracing scenarios (the rest were measured without it).
pub fn run_all(r: &mut impl Runner) {
    if cfg!(feature = "tracing") {
        tracing_impl::run(r);
        return;
    }
    direct::run(r);
    tenure_impl::run(r);
    tracing_impl::run(r);
    peers::run(r);
    dag::run(r);
}

/// Keeps a value alive and opaque to the optimiser.
#[inline(always)]
pub fn keep<T>(v: T) -> T {
    std::hint::black_box(v)
}
