// The story of the helper that became a singleton: `Helper` is a singleton,
// `Repo` is transient and holds the scoped `ExecutionEngine`.
use std::sync::Arc;
use tenure::Injectable;

#[derive(Injectable)]
#[injectable(scoped)]
struct ExecutionEngine;

#[derive(Injectable)]
#[injectable(transient)]
struct Repo {
    engine: Arc<ExecutionEngine>,
}

#[derive(Injectable)]
#[injectable(singleton)]
struct Helper {
    repo: Arc<Repo>,
}

fn main() {}
