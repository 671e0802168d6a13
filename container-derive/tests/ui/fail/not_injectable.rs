// A field that cannot be injected is one error, at the field: not a second
// one where the struct is registered.
use std::sync::Arc;
use tenure::{Container, Injectable};

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

fn main() {
    let _ = Container::builder().add::<Pool>().add::<Report>().build();
}
