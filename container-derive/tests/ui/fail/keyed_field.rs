// `#[inject(key = K)]` misuse: each is one error, at the key or the field.
use std::sync::Arc;
use tenure::Injectable;

struct Primary;
struct Replica;
struct Db;

#[derive(Injectable)]
#[injectable(singleton)]
struct NotAnArc {
    // A keyed field is `Arc<T>` or `Option<Arc<T>>`: a collection has no key.
    #[inject(key = Primary)]
    all: Vec<Arc<Db>>,
}

#[derive(Injectable)]
#[injectable(singleton)]
struct Misused {
    #[inject(key = Primary, key = Replica)]
    twice: Arc<Db>,
    #[inject(key = Primary, default)]
    not_injected: Option<Arc<Db>>,
    #[inject(key = Primary, checked_at_build)]
    nothing_to_silence: Arc<Db>,
}

fn main() {}
