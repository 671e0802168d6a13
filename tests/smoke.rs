use std::sync::Arc;
use tenure::{Container, Lazy};

trait Clock: Send + Sync {
    fn now(&self) -> u64;
}
struct Sys;
impl Clock for Sys {
    fn now(&self) -> u64 {
        1
    }
}
struct Session;
struct Repo(#[allow(dead_code)] Arc<Session>);
struct Helper(#[allow(dead_code)] Arc<Repo>);
struct Report(#[allow(dead_code)] Arc<dyn Clock>);

#[test]
fn smoke() {
    let err = Container::builder()
        .scoped(|| Session)
        .transient(|s: Arc<Session>| Repo(s))
        .singleton(|r: Arc<Repo>| Helper(r))
        .transient(|c: Arc<dyn Clock>| Report(c))
        .transient(|_l: Lazy<Helper>, _x: Option<Arc<u8>>| 5u32)
        .build()
        .unwrap_err();
    println!("{err}");
    let c = Container::builder()
        .singleton(|| Sys)
        .bind::<dyn Clock, Sys>(|c| c)
        .build()
        .unwrap();
    assert_eq!(c.resolve::<dyn Clock>().unwrap().now(), 1);
    println!("{}", c.resolve::<u8>().unwrap_err());
}
