// Every mistake is reported, not only the first.
use std::sync::Arc;
use tenure::Injectable;

#[derive(Injectable)]
#[injectable(singleton)]
struct Pool;

#[derive(Injectable)]
#[injectable(scoped, lazy, provide = dyn Send)]
struct Session {
    #[inject(optional)]
    pool: Arc<Pool>,
    #[inject(default, with = String::new)]
    name: String,
}

#[derive(Injectable)]
#[injectable(singleton, scoped)]
struct Twice;

#[derive(Injectable)]
struct Missing;

#[derive(Injectable)]
#[injectable(transient, constructor = Self::new)]
struct Built {
    #[inject(default)]
    count: u32,
}

impl Built {
    fn new() -> Self {
        Built { count: 1 }
    }
}

#[derive(Injectable)]
#[injectable(transient)]
struct Borrowed<'a> {
    name: &'a str,
}

fn main() {}
