// A generic struct is checked where `add::<T>()` names its parameters
// (`cargo build`; `cargo check` does not evaluate it, `build()` still does).
use std::sync::Arc;
use tenure::{Container, Injectable};

#[derive(Injectable)]
#[injectable(scoped)]
struct Session;

#[derive(Injectable)]
#[injectable(singleton)]
struct Cache<S: Injectable> {
    source: Arc<S>,
}

fn main() {
    let _ = Container::builder().add::<Session>().add::<Cache<Session>>().build();
}
