// The compile-time captive check of a generic struct sees through a type
// parameter only when it is bounded `Injectable`. Otherwise `cargo build`
// accepts `add::<Cache<Uow>>()` below, however short-lived `Uow` is (only
// `build()` would catch it), so the derive warns at each such field. The
// warnings are denied here so that they show in the `.stderr`.
#![deny(deprecated)]

use std::sync::Arc;
use tenure::{Container, Injectable, Lazy};

#[derive(Injectable)]
#[injectable(scoped)]
struct Uow;

#[derive(Injectable)]
#[injectable(singleton)]
struct Cache<S: Send + Sync + 'static> {
    source: Arc<S>,
}

// A pooled service and a where clause. `B` is bounded `Injectable`, so the
// check sees through it; `both` holds a `(A, B)` service, not `A` itself
// (the check cannot see that type at all, with or without a bound, as for
// any type registered with a closure): no warning for either. Whether a
// field holds the parameter is a question of types, so an alias of `Arc`
// does not hide it.
type Shared<T> = Arc<T>;

#[derive(Injectable)]
#[injectable(pooled)]
struct Pair<A, B>
where
    A: Send + Sync + 'static,
    B: Injectable,
{
    first: Option<Arc<A>>,
    second: Vec<Arc<B>>,
    both: Vec<Arc<(A, B)>>,
    aliased: Shared<A>,
}

// A transient: a service that holds it is checked against what its fields
// keep alive.
trait Clock: Send + Sync {}

#[derive(Injectable)]
#[injectable(transient)]
struct Stamp<C: Clock + ?Sized, T: Send + Sync + 'static> {
    clock: Arc<C>,
    later: Lazy<T>,
}

fn main() {
    let _ = Container::builder().add::<Uow>().add::<Cache<Uow>>().build();
}
