// `#[inject(checked_at_build)]` silences the warning about a field the
// compile-time captive check cannot see through. Where there is no such
// warning it would do nothing, so the derive says so: an error where the
// attributes tell, a warning (denied here to show it) where the types do.
#![deny(deprecated)]

use std::sync::Arc;
use tenure::{Factory, Injectable};

#[derive(Injectable)]
#[injectable(singleton)]
struct Config;

// A scoped service may hold every cached service: nothing to check.
#[derive(Injectable)]
#[injectable(scoped)]
struct Scoped<S: Send + Sync + 'static> {
    #[inject(checked_at_build)]
    source: Arc<S>,
}

#[derive(Injectable)]
#[injectable(singleton)]
struct Cache<S: Send + Sync + 'static, S2: Send + Sync + 'static, T: Injectable> {
    // Names no type parameter.
    #[inject(checked_at_build)]
    config: Arc<Config>,
    // Bounded `Injectable`: checked at `add::<Cache<..>>()`.
    #[inject(checked_at_build)]
    checked: Arc<T>,
    // Not injected.
    #[inject(default, checked_at_build)]
    count: u32,
    // Two parameters: holds neither itself.
    #[inject(checked_at_build)]
    pair: Arc<(S, S2)>,
    // Given twice.
    #[inject(checked_at_build, checked_at_build)]
    twice: Arc<S>,
}

// The attributes are fine here; the types tell that the key does nothing.
#[derive(Injectable)]
#[injectable(singleton)]
struct Handles<S: Send + Sync + 'static> {
    // Holds nothing.
    #[inject(checked_at_build)]
    make: Factory<S>,
    // Holds a `Vec<S>` service, not `S`.
    #[inject(checked_at_build)]
    many: Arc<Vec<S>>,
}

fn main() {}
