// In a generic struct too, a field that cannot be injected is one error at
// the field, whether or not its type names a type parameter, and
// `add::<Repo<dyn Clock>>()` adds none (before, it was the only place the
// error showed, with "consider manually implementing `Injectable`").
use std::sync::Arc;
use tenure::{Container, Injectable};

trait Clock: Send + Sync {}

#[derive(Injectable)]
#[injectable(scoped)]
struct Repo<C: Clock + ?Sized> {
    clock: Arc<C>,
    name: String,
    boxed: Box<C>,
}

fn main() {
    let _ = Container::builder().add::<Repo<dyn Clock>>().build();
}
