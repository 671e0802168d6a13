// Keyed fields: `Arc<T>`, `Option<Arc<T>>` and `Arc<dyn Trait>` under a
// key, `Keyed<K, T>` without the attribute, and a handle with arguments.
use std::sync::Arc;
use tenure::{Container, FactoryWith, Injectable, Keyed};

struct Primary;
struct Replica;
trait Db: Send + Sync {}
struct Pg;
impl Db for Pg {}

#[derive(Injectable)]
#[injectable(scoped)]
struct Session;

struct Job;

#[derive(Injectable)]
#[injectable(singleton)]
struct Service {
    #[inject(key = Primary)]
    primary: Arc<Pg>,
    #[inject(key = Replica)]
    replica: Option<Arc<dyn Db>>,
    // A keyed scoped session in a singleton: left to `build()` (which
    // rejects it), not a compile error.
    #[inject(key = Primary)]
    session: Arc<Session>,
    also: Keyed<Primary, Pg>,
    jobs: FactoryWith<u32, Job>,
}

fn main() {
    let err = Container::builder()
        .keyed::<Primary>()
        .singleton(|| Pg)
        .keyed::<Primary>()
        .scoped(|| Session)
        .transient_with(|_n: u32| Job)
        .add::<Service>()
        .build()
        .unwrap_err();
    assert_eq!(err.problems().len(), 1);
    let _ = |s: Service| (s.primary, s.replica, s.session, s.also, s.jobs);
}
