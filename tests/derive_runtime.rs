//! `#[derive(Injectable)]` at run time: derived graphs resolve with the right
//! identity per lifetime, and `build()` catches what the compiler cannot
//! see (captives through `dyn Trait` bindings, lifetime overrides).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tenure::{BuildError, Container, Factory, Injectable, Lazy, Lifetime, Problem, ScopeFactory};

trait Clock: Send + Sync {
    fn now(&self) -> u64;
}

trait Plugin: Send + Sync {
    fn name(&self) -> &'static str;
}

#[derive(Injectable)]
#[injectable(singleton)]
struct Pool;

#[derive(Injectable)]
#[injectable(scoped)]
struct Session {
    pool: Arc<Pool>,
}

#[derive(Injectable)]
#[injectable(singleton, provides = dyn Clock)]
struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> u64 {
        42
    }
}

#[derive(Injectable)]
#[injectable(singleton)]
struct Audit;

#[derive(Default, Debug, PartialEq)]
struct Limits {
    max: u32,
}

impl Limits {
    fn standard() -> Limits {
        Limits { max: 100 }
    }
}

#[derive(Injectable)]
#[injectable(transient)]
struct Report {
    clock: Arc<dyn Clock>,
    session: Arc<Session>,
    audit: Option<Arc<Audit>>,
    #[inject(default)]
    cache: Vec<u8>,
    #[inject(with = "Limits::standard")]
    limits: Limits,
}

#[derive(Injectable)]
#[injectable(singleton, collect = dyn Plugin)]
struct First;

#[derive(Injectable)]
#[injectable(singleton, collect = dyn Plugin)]
struct Second;

impl Plugin for First {
    fn name(&self) -> &'static str {
        "first"
    }
}

impl Plugin for Second {
    fn name(&self) -> &'static str {
        "second"
    }
}

#[derive(Injectable)]
#[injectable(scoped)]
struct Host(Vec<Arc<dyn Plugin>>, Lazy<Audit>);

static BUILT: AtomicUsize = AtomicUsize::new(0);

/// Constructor form: the arguments of `new` are the dependencies.
#[derive(Injectable)]
#[injectable(transient, constructor = Self::new)]
struct Counted {
    pool: Arc<Pool>,
    serial: usize,
}

impl Counted {
    fn new(pool: Arc<Pool>) -> Self {
        let serial = BUILT.fetch_add(1, Ordering::SeqCst);
        Counted { pool, serial }
    }
}

#[derive(Debug)]
struct NoConfig;

impl std::fmt::Display for NoConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no configuration file")
    }
}

impl std::error::Error for NoConfig {}

#[derive(Injectable)]
#[injectable(singleton, try_constructor = Self::load)]
struct Config;

impl Config {
    fn load() -> Result<Self, NoConfig> {
        Err(NoConfig)
    }
}

/// Handles that hold nothing: a singleton may take them.
#[derive(Injectable)]
#[injectable(singleton)]
struct Worker {
    sessions: Factory<Session>,
    scopes: ScopeFactory,
}

/// A generic service: its bounds are carried through. `C` is a `dyn Trait`
/// here, so only `build()` can check what it keeps alive.
#[derive(Injectable)]
#[injectable(transient)]
struct Repo<C: Clock + ?Sized> {
    #[inject(checked_at_build)]
    clock: Arc<C>,
}

fn app() -> tenure::ContainerBuilder {
    let mut b = Container::builder();
    b.add::<Pool>()
        .add::<Session>()
        .add::<SystemClock>()
        .add::<Audit>()
        .add::<Report>()
        .add::<First>()
        .add::<Second>()
        .add::<Host>()
        .add::<Counted>()
        .add::<Worker>()
        .add::<Repo<dyn Clock>>();
    b
}

#[test]
fn derived_graph_resolves_with_the_right_identity_per_lifetime() {
    let c = app().build().expect("the derived graph is valid");

    // Singletons: one per container, shared by every scope.
    let pool = c.resolve::<Pool>().unwrap();
    let (s1, s2) = (c.scope(), c.scope());
    let (a, a2, b) = (
        s1.resolve::<Session>().unwrap(),
        s1.resolve::<Session>().unwrap(),
        s2.resolve::<Session>().unwrap(),
    );
    assert!(Arc::ptr_eq(&a.pool, &pool) && Arc::ptr_eq(&b.pool, &pool));
    // Scoped: one per scope.
    assert!(Arc::ptr_eq(&a, &a2));
    assert!(!Arc::ptr_eq(&a, &b));

    // Transient: new on every resolve; its scoped dependency is the scope's.
    let (r1, r2) = (
        s1.resolve::<Report>().unwrap(),
        s1.resolve::<Report>().unwrap(),
    );
    assert!(!Arc::ptr_eq(&r1, &r2));
    assert!(Arc::ptr_eq(&r1.session, &a) && Arc::ptr_eq(&r2.session, &a));
    assert_eq!(r1.clock.now(), 42);
    assert!(r1.audit.is_some());
    assert_eq!(r1.cache, Vec::<u8>::new());
    assert_eq!(r1.limits, Limits::standard());

    // `provides`: one instance behind the concrete type and the trait.
    let clock = c.resolve::<dyn Clock>().unwrap();
    let sys = c.resolve::<SystemClock>().unwrap();
    assert!(std::ptr::addr_eq(Arc::as_ptr(&clock), Arc::as_ptr(&sys)));

    // `collect`, in registration order; a tuple struct; `Lazy`.
    let host = s1.resolve::<Host>().unwrap();
    let names: Vec<_> = host.0.iter().map(|p| p.name()).collect();
    assert_eq!(names, ["first", "second"]);
    assert!(Arc::ptr_eq(
        &host.1.get().unwrap(),
        &c.resolve::<Audit>().unwrap()
    ));

    // Generic struct.
    let repo = c.resolve::<Repo<dyn Clock>>().unwrap();
    assert!(std::ptr::addr_eq(
        Arc::as_ptr(&repo.clock),
        Arc::as_ptr(&sys)
    ));

    // Handles in a singleton.
    let worker = c.resolve::<Worker>().unwrap();
    let scope = worker.scopes.open().unwrap();
    let made = worker.sessions.create(&scope).unwrap();
    assert!(Arc::ptr_eq(&made, &scope.resolve::<Session>().unwrap()));
}

#[test]
fn constructor_form_runs_the_constructor_per_lifetime() {
    let c = app().build().unwrap();
    let (x, y) = (
        c.resolve::<Counted>().unwrap(),
        c.resolve::<Counted>().unwrap(),
    );
    assert_ne!(x.serial, y.serial, "transient: the constructor ran twice");
    assert!(Arc::ptr_eq(&x.pool, &y.pool));
}

#[test]
fn try_constructor_error_reaches_resolve() {
    let c = Container::builder().add::<Config>().build().unwrap();
    let err = c.resolve::<Config>().err().expect("the constructor fails");
    let source = std::error::Error::source(&err).map(ToString::to_string);
    assert_eq!(source.as_deref(), Some("no configuration file"), "{err}");
}

#[test]
fn optional_dependency_is_none_when_unregistered() {
    let mut b = Container::builder();
    b.add::<Pool>()
        .add::<Session>()
        .add::<SystemClock>()
        .add::<Report>();
    let c = b.build().unwrap();
    assert!(c.scope().resolve::<Report>().unwrap().audit.is_none());
}

#[test]
fn add_records_the_callers_line() {
    let err = Container::builder().add::<Session>().build().unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(&format!("{}:{}", file!(), line!() - 3)),
        "the registration site is the line of `add`: {text}"
    );
}

// --- What only `build()` can see -------------------------------------------

trait Store: Send + Sync {}

#[derive(Injectable)]
#[injectable(scoped, provides = dyn Store)]
struct DbStore;

impl Store for DbStore {}

/// The compiler sees `Arc<dyn Store>`, not which implementation is bound.
#[derive(Injectable)]
#[injectable(transient)]
#[allow(dead_code)] // only the graph matters here
struct Accounts {
    store: Arc<dyn Store>,
}

#[derive(Injectable)]
#[injectable(singleton)]
#[allow(dead_code)] // only the graph matters here
struct Billing {
    accounts: Arc<Accounts>,
}

#[test]
fn build_catches_a_captive_through_a_dyn_trait_binding() {
    let err = Container::builder()
        .add::<DbStore>()
        .add::<Accounts>()
        .add::<Billing>()
        .build()
        .unwrap_err();
    assert_one_captive(
        &err,
        &[
            "Billing",
            "Accounts",
            "dyn derive_runtime::Store",
            "DbStore",
            "T0001",
        ],
    );
}

/// `err` holds exactly one problem, a captive dependency whose message has
/// every one of `parts`.
fn assert_one_captive(err: &BuildError, parts: &[&str]) {
    assert_eq!(err.problems().len(), 1, "{err}");
    assert!(
        matches!(err.problems()[0], Problem::Captive { .. }),
        "{err}"
    );
    let text = err.to_string();
    for part in parts {
        assert!(text.contains(part), "`{part}` missing from: {text}");
    }
}

#[derive(Injectable)]
#[injectable(transient)]
#[allow(dead_code)] // only the graph matters here
struct Holder {
    pool: Arc<Pool>,
}

#[derive(Injectable)]
#[injectable(singleton)]
#[allow(dead_code)] // only the graph matters here
struct LongLived {
    holder: Arc<Holder>,
}

#[test]
fn build_validates_a_lifetime_override() {
    // Declared: Pool singleton, Holder transient: compiles. Overriding Pool
    // to scoped makes LongLived captive, which `build()` reports.
    let err = Container::builder()
        .add_as::<Pool>(Lifetime::Scoped)
        .add::<Holder>()
        .add::<LongLived>()
        .build()
        .unwrap_err();
    assert_eq!(err.problems().len(), 1, "{err}");
    assert!(
        matches!(err.problems()[0], Problem::Captive { .. }),
        "{err}"
    );
}

/// A type parameter not bounded `Injectable`: the compiler cannot see what
/// `S` is, so `add::<Cache<Uow>>()` compiles (the derive warns, unless the
/// field says `#[inject(checked_at_build)]`), and `build()` catches it.
#[derive(Injectable)]
#[injectable(singleton)]
#[allow(dead_code)] // only the graph matters here
struct Cache<S: Send + Sync + 'static> {
    #[inject(checked_at_build)]
    source: Arc<S>,
}

#[derive(Injectable)]
#[injectable(scoped)]
struct Uow;

#[test]
fn build_catches_a_captive_behind_a_type_parameter_left_to_it() {
    let err = Container::builder()
        .add::<Uow>()
        .add::<Cache<Uow>>()
        .build()
        .unwrap_err();
    assert_one_captive(&err, &["Cache<derive_runtime::Uow>", "T0001"]);
}

// --- Pooled ------------------------------------------------------------------

#[derive(Injectable)]
#[injectable(pooled = 2)]
struct Conn {
    pool: Arc<Pool>,
}

#[test]
fn pooled_derive_uses_the_declared_pool_size() {
    let c = Container::builder()
        .add::<Pool>()
        .add::<Conn>()
        .build()
        .unwrap();
    let (s1, s2, s3) = (c.scope(), c.scope(), c.scope());
    let a = s1.resolve::<Conn>().unwrap();
    let b = s2.resolve::<Conn>().unwrap();
    assert!(!Arc::ptr_eq(&a, &b));
    assert!(
        Arc::ptr_eq(&a, &s1.resolve::<Conn>().unwrap()),
        "one per scope"
    );
    assert!(Arc::ptr_eq(&a.pool, &b.pool));
    let err = s3
        .resolve::<Conn>()
        .err()
        .expect("both instances are rented");
    assert!(
        matches!(
            err.kind(),
            tenure::ResolveErrorKind::PoolExhausted { max: 2 }
        ),
        "{err}"
    );
    let first = Arc::as_ptr(&a);
    drop((a, s1));
    let again = s3.resolve::<Conn>().unwrap();
    assert_eq!(
        Arc::as_ptr(&again),
        first,
        "the returned instance is rented again"
    );
}

mod async_dispose_attribute {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tenure::{AsyncDispose, Container, Injectable};

    static DISPOSED: AtomicUsize = AtomicUsize::new(0);

    #[derive(Injectable)]
    #[injectable(scoped, async_dispose)]
    struct Conn;

    impl AsyncDispose for Conn {
        async fn dispose(&self) -> anyhow::Result<()> {
            DISPOSED.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    #[tokio::test]
    async fn the_attribute_registers_the_async_disposer() {
        let c = Container::builder().add::<Conn>().build().unwrap();
        let scope = c.scope();
        let a = scope.resolve::<Conn>().unwrap();
        assert!(Arc::ptr_eq(&a, &scope.resolve::<Conn>().unwrap()));
        scope.dispose().await.unwrap();
        assert_eq!(DISPOSED.load(Ordering::SeqCst), 1);
    }
}
