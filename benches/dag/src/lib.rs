//! Scenario 8 of the benchmarks: random DAGs of 1,000 and 10,000 services.
//!
//! A crate of its own so that its ~11,000 generated registrations can be
//! compiled without optimisation (see `benches/Cargo.toml`): only
//! `ContainerBuilder::build`, compiled in `tenure` itself, is timed.
//!
//! `build.rs` generates the registrations (see there for the graph's
//! shape); each node `N` is the type `Svc<N>` and its dependencies are the
//! typed arguments of its factory, so the container sees exactly the
//! generated edges.

use std::sync::Arc;

use tenure::ContainerBuilder;

/// Node `N` of a generated graph.
pub struct Svc<const N: usize>;

/// A factory without dependencies.
pub fn d0<const N: usize>() -> Svc<N> {
    Svc
}
/// A factory with one dependency.
pub fn d1<const N: usize, const A: usize>(_: Arc<Svc<A>>) -> Svc<N> {
    Svc
}
/// A factory with two dependencies.
pub fn d2<const N: usize, const A: usize, const B: usize>(
    _: Arc<Svc<A>>,
    _: Arc<Svc<B>>,
) -> Svc<N> {
    Svc
}
/// A factory with three dependencies.
pub fn d3<const N: usize, const A: usize, const B: usize, const C: usize>(
    _: Arc<Svc<A>>,
    _: Arc<Svc<B>>,
    _: Arc<Svc<C>>,
) -> Svc<N> {
    Svc
}
/// A factory with four dependencies.
pub fn d4<const N: usize, const A: usize, const B: usize, const C: usize, const D: usize>(
    _: Arc<Svc<A>>,
    _: Arc<Svc<B>>,
    _: Arc<Svc<C>>,
    _: Arc<Svc<D>>,
) -> Svc<N> {
    Svc
}

include!(concat!(env!("OUT_DIR"), "/dag_gen.rs"));

/// Builders for the four graphs: valid 1k, 1k with a cycle, 1k with a
/// missing dependency, valid 10k.
pub fn builders() -> [ContainerBuilder; 4] {
    let mut small = ContainerBuilder::new();
    register_1k(&mut small);
    let mut cycle = small.clone();
    make_cycle_1k(&mut cycle);
    let mut missing = small.clone();
    make_missing_1k(&mut missing);
    let mut large = ContainerBuilder::new();
    register_10k(&mut large);
    [small, cycle, missing, large]
}
