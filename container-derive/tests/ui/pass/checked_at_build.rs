// The generic fields the derive does not warn about: bounded `Injectable`
// (checked at `add::<T>()`), handles that hold nothing, a scoped struct
// (which may hold any cached service), and fields marked
// `#[inject(checked_at_build)]`, which `build()` checks.
#![deny(warnings)]

use std::sync::Arc;
use tenure::{Container, Factory, Injectable, Lifetime, Problem};

#[derive(Injectable)]
#[injectable(scoped)]
struct Uow;

#[derive(Injectable)]
#[injectable(singleton)]
struct Config;

#[derive(Injectable)]
#[injectable(singleton)]
struct Cache<S: Send + Sync + 'static> {
    #[inject(checked_at_build)]
    source: Arc<S>,
}

#[derive(Injectable)]
#[injectable(singleton)]
struct Checked<S>
where
    S: tenure::Injectable,
{
    source: Arc<S>,
}

#[derive(Injectable)]
#[injectable(singleton)]
struct Maker<S: Send + Sync + 'static> {
    make: Factory<S>,
}

#[derive(Injectable)]
#[injectable(scoped)]
struct Scoped<S: Send + Sync + 'static> {
    source: Arc<S>,
}

fn main() {
    let c = Container::builder()
        .add::<Config>()
        .add::<Uow>()
        .add::<Cache<Config>>()
        .add::<Checked<Config>>()
        .add::<Maker<Uow>>()
        .add::<Scoped<Uow>>()
        .build()
        .unwrap();
    let scope = c.scope();
    let config = c.resolve::<Config>().unwrap();
    assert!(Arc::ptr_eq(&c.resolve::<Cache<Config>>().unwrap().source, &config));
    assert!(Arc::ptr_eq(&c.resolve::<Checked<Config>>().unwrap().source, &config));
    let uow = c.resolve::<Maker<Uow>>().unwrap().make.create(&scope).unwrap();
    assert!(Arc::ptr_eq(&scope.resolve::<Scoped<Uow>>().unwrap().source, &uow));

    // What the field leaves to `build()`, `build()` catches.
    let err = Container::builder()
        .add::<Uow>()
        .add::<Cache<Uow>>()
        .build()
        .unwrap_err();
    assert!(matches!(err.problems(), [Problem::Captive { .. }]), "{err}");
    let _ = Lifetime::Scoped;
}
