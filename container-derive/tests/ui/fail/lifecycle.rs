// `on_start` / `on_stop` are for singletons only, and each is given once.
use std::sync::Arc;

use tenure::Injectable;

async fn start<T>(_: Arc<T>) -> Result<(), std::io::Error> {
    Ok(())
}

#[derive(Injectable)]
#[injectable(scoped, on_start = start)]
struct Request;

#[derive(Injectable)]
#[injectable(singleton, on_stop = start, on_stop = start)]
struct Worker;

fn main() {}
