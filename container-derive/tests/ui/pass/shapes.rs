// Every supported shape of `#[derive(Injectable)]` compiles, and the graph
// they form builds and resolves.
use std::sync::Arc;
use tenure::{Container, Factory, Injectable, Lazy, ScopeFactory};

trait Clock: Send + Sync {}
trait Plugin: Send + Sync {}
trait Named: Send + Sync {}

// Unit struct, bound under two traits.
#[derive(Injectable)]
#[injectable(singleton, provides = dyn Clock, provides = dyn Named)]
struct SystemClock;
impl Clock for SystemClock {}
impl Named for SystemClock {}

// Collection elements.
#[derive(Injectable)]
#[injectable(singleton, collect = dyn Plugin)]
struct PluginA;
impl Plugin for PluginA {}

#[derive(Injectable)]
#[injectable(transient, collect = dyn Plugin)]
struct PluginB;
impl Plugin for PluginB {}

#[derive(Injectable)]
#[injectable(scoped)]
struct Session;

// Named struct with every field form.
#[derive(Injectable)]
#[injectable(scoped)]
struct Everything {
    clock: Arc<dyn Clock>,
    concrete: Arc<SystemClock>,
    optional: Option<Arc<Missing>>,
    plugins: Vec<Arc<dyn Plugin>>,
    lazy: Lazy<Session>,
    factory: Factory<Session>,
    scopes: ScopeFactory,
    #[inject(default)]
    buffer: Vec<u8>,
    #[inject(with = Limits::standard)]
    limits: Limits,
    #[inject(with = "Limits::standard")]
    quoted: Limits,
}

struct Missing;
#[derive(Default)]
struct Limits(u32);
impl Limits {
    fn standard() -> Self {
        Limits(10)
    }
}

// Tuple struct.
#[derive(Injectable)]
#[injectable(transient)]
struct Pair(Arc<Session>, #[inject(default)] u32);

// Allowed lifetimes: scoped -> singleton, transient -> scoped, singleton ->
// transient that holds only singletons, singleton -> factory of scoped.
#[derive(Injectable)]
#[injectable(transient)]
struct Formatter {
    clock: Arc<SystemClock>,
}

#[derive(Injectable)]
#[injectable(singleton)]
struct Printer {
    formatter: Arc<Formatter>,
    sessions: Factory<Session>,
    // `dyn Trait`: not checked here (the binding is chosen at registration);
    // `build()` checks it.
    named: Arc<dyn Named>,
}

// Generic struct with bounds and a where clause, and a const parameter.
// `C` is a `dyn Trait` here, which the compile-time check cannot see
// through: `build()` checks the field (and without the key, the derive
// warns).
#[derive(Injectable)]
#[injectable(transient)]
struct Repo<C: ?Sized + Send + Sync + 'static, const N: usize>
where
    C: Clock,
{
    #[inject(checked_at_build)]
    clock: Arc<C>,
}

// A generic struct whose bounds do not say what an injected field needs
// (`S: Send + Sync + 'static` for `Arc<S>`): the derive carries it.
#[derive(Injectable)]
#[injectable(scoped)]
struct Loose<S> {
    source: Arc<S>,
}

// Constructor forms.
#[derive(Injectable)]
#[injectable(singleton, constructor = Self::new)]
struct Config {
    url: String,
}
impl Config {
    fn new(_clock: Arc<dyn Clock>) -> Self {
        Config { url: "db://".into() }
    }
}

#[derive(Injectable)]
#[injectable(scoped, try_constructor = Self::open)]
struct Connection;
impl Connection {
    fn open(_config: Arc<Config>) -> Result<Self, std::io::Error> {
        Ok(Connection)
    }
}

// More than 12 injected fields.
#[derive(Injectable)]
#[injectable(transient)]
#[allow(dead_code)]
struct Wide {
    a: Arc<Session>, b: Arc<Session>, c: Arc<Session>, d: Arc<Session>, e: Arc<Session>,
    f: Arc<Session>, g: Arc<Session>, h: Arc<Session>, i: Arc<Session>, j: Arc<Session>,
    k: Arc<Session>, l: Arc<Session>, m: Arc<Session>, n: Arc<dyn Clock>,
}

// A cycle broken by `Lazy`, through transients.
#[derive(Injectable)]
#[injectable(transient)]
struct Ping {
    pong: Arc<Pong>,
}

#[derive(Injectable)]
#[injectable(transient)]
struct Pong {
    ping: Lazy<Ping>,
}

// The runtime crate under another path.
mod elsewhere {
    pub use tenure as di;
}

#[derive(Injectable)]
#[injectable(singleton, crate = crate::elsewhere::di)]
struct Renamed;

fn main() {
    let c = Container::builder()
        .add::<SystemClock>()
        .add::<PluginA>()
        .add::<PluginB>()
        .add::<Session>()
        .add::<Everything>()
        .add::<Pair>()
        .add::<Formatter>()
        .add::<Printer>()
        .add::<Repo<dyn Clock, 3>>()
        .add::<Loose<Session>>()
        .add::<Config>()
        .add::<Connection>()
        .add::<Wide>()
        .add::<Renamed>()
        .add::<Ping>()
        .add::<Pong>()
        .build()
        .unwrap();
    let scope = c.scope();
    let e = scope.resolve::<Everything>().unwrap();
    assert_eq!(e.plugins.len(), 2);
    assert!(e.optional.is_none());
    assert_eq!((e.limits.0, e.quoted.0, e.buffer.len()), (10, 10, 0));
    let _ = (&e.clock, &e.concrete, &e.lazy, &e.factory, &e.scopes);
    let w = scope.resolve::<Wide>().unwrap();
    assert!(Arc::ptr_eq(&w.a, &w.m));
    assert_eq!(scope.resolve::<Pair>().unwrap().1, 0);
    assert_eq!(c.resolve::<Config>().unwrap().url, "db://");
    scope.resolve::<Connection>().unwrap();
    let p = c.resolve::<Printer>().unwrap();
    let _ = (&p.formatter.clock, &p.sessions, &p.named);
    let _ = c.resolve::<Repo<dyn Clock, 3>>().unwrap().clock;
    let loose = scope.resolve::<Loose<Session>>().unwrap();
    assert!(Arc::ptr_eq(&loose.source, &scope.resolve::<Session>().unwrap()));
    c.resolve::<Renamed>().unwrap();
    let ping = c.resolve::<Ping>().unwrap();
    assert!(!ping.pong.ping.is_resolved());
}
