use std::sync::Arc;
use tenure::{Injectable, Lazy};

#[derive(Injectable)]
#[injectable(scoped)]
struct Session;

#[derive(Injectable)]
#[injectable(singleton)]
struct Helper {
    session: Arc<Session>,
}

#[derive(Injectable)]
#[injectable(singleton)]
struct Optional(Option<Arc<Session>>);

#[derive(Injectable)]
#[injectable(singleton)]
struct Deferred {
    session: Lazy<Session>,
}

// A pooled instance serves scope after scope: it may hold only singletons.
#[derive(Injectable)]
#[injectable(pooled = 4)]
struct Connection {
    session: Arc<Session>,
}

fn main() {}
