use std::sync::Arc;
use tenure::Injectable;

#[derive(Injectable)]
#[injectable(singleton)]
struct Pool;

#[derive(Injectable)]
#[injectable(transient)]
struct Report {
    pool: Arc<Pool>,
    cache: Vec<u8>,
    name: String,
}

fn main() {}
