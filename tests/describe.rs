//! `describe()`: one row per service, in registration order, with its
//! lifetime, what it provides, its dependencies and their kinds, and its
//! registration site; for a builder whether or not it builds.

use std::sync::Arc;

use tenure::{
    Container, ContainerBuilder, DependencyKind, DependencyTarget, Description, Factory, Lazy,
    Lifetime, MadeBy, Role, ScopeFactory, ServiceRow,
};

trait Clock: Send + Sync {}
trait Plugin: Send + Sync {}

struct Config;
struct SystemClock;
impl Clock for SystemClock {}
struct Metrics;
impl Plugin for Metrics {}
struct Tracing;
impl Plugin for Tracing {}
struct Conn;
struct CurrentUser;
struct Session;
struct Audit;
struct Handler {
    _clock: Arc<dyn Clock>,
    _conn: Arc<Conn>,
    _session: Arc<Session>,
    _audit: Option<Arc<Audit>>,
    _plugins: Vec<Arc<dyn Plugin>>,
    _later: Lazy<Config>,
    _user: Arc<CurrentUser>,
}
struct Jobs {
    _sessions: Factory<Session>,
    _scopes: ScopeFactory,
}

/// Registration lines, to check the sites.
struct Lines {
    config: u32,
    clock: u32,
    bind: u32,
    handler: u32,
}

fn app() -> (ContainerBuilder, Lines) {
    let mut b = Container::builder();
    let config = line!() + 1;
    b.instance(Config);
    let clock = line!() + 1;
    b.singleton(|| SystemClock);
    let bind = line!() + 1;
    b.bind::<dyn Clock, SystemClock>(|c| c);
    b.singleton(|| Metrics)
        .collect::<dyn Plugin, Metrics>(|p| p)
        .singleton(|| Tracing)
        .collect::<dyn Plugin, Tracing>(|p| p)
        .pooled_async(4, || async { Conn })
        .on_return(|_: &Conn| {})
        .scope_value::<CurrentUser>()
        .scoped(|| Session)
        .dispose_with::<Session, _, _, std::io::Error>(|_| async { Ok(()) })
        .request_bound::<Session>();
    let handler = line!() + 1;
    b.transient(
        |_clock: Arc<dyn Clock>,
         _conn: Arc<Conn>,
         _session: Arc<Session>,
         _audit: Option<Arc<Audit>>,
         _plugins: Vec<Arc<dyn Plugin>>,
         _later: Lazy<Config>,
         _user: Arc<CurrentUser>| Handler {
            _clock,
            _conn,
            _session,
            _audit,
            _plugins,
            _later,
            _user,
        },
    )
    .singleton(|_sessions: Factory<Session>, _scopes: ScopeFactory| Jobs { _sessions, _scopes })
    .root::<Handler>()
    .root::<Jobs>();
    (
        b,
        Lines {
            config,
            clock,
            bind,
            handler,
        },
    )
}

fn names(d: &Description) -> Vec<&'static str> {
    d.rows().iter().map(|r| r.service.short_name()).collect()
}

fn row<T: ?Sized + 'static>(d: &Description) -> &ServiceRow {
    d.get::<T>()
        .unwrap_or_else(|| panic!("no row for {}", std::any::type_name::<T>()))
}

#[test]
fn one_row_per_service_in_registration_order_with_lifetimes_and_sites() {
    let (b, lines) = app();
    let d = b.describe();
    assert_eq!(
        names(&d),
        [
            "Config",
            "SystemClock",
            "Metrics",
            "Tracing",
            "Conn",
            "CurrentUser",
            "Session",
            "Handler",
            "Jobs"
        ]
    );
    let lifetimes: Vec<_> = d
        .rows()
        .iter()
        .map(|r| r.service.lifetime().unwrap())
        .collect();
    use Lifetime::*;
    assert_eq!(
        lifetimes,
        [
            Singleton, Singleton, Singleton, Singleton, Pooled, Scoped, Scoped, Transient,
            Singleton
        ]
    );
    let at = |l: u32| format!("{}:{l}", file!());
    assert!(
        row::<Config>(&d)
            .service
            .site()
            .to_string()
            .starts_with(&at(lines.config))
    );
    assert!(
        row::<Handler>(&d)
            .service
            .site()
            .to_string()
            .starts_with(&at(lines.handler))
    );
    // A binding resolves to its implementation's row, which lists it.
    let clock = row::<dyn Clock>(&d);
    assert_eq!(clock.service.short_name(), "SystemClock");
    assert!(
        clock
            .service
            .site()
            .to_string()
            .starts_with(&at(lines.clock))
    );
    assert_eq!(clock.provides.len(), 1);
    assert_eq!(clock.provides[0].role(), Role::Binding);
    assert_eq!(clock.provides[0].type_name(), "dyn describe::Clock");
    assert!(
        clock.provides[0]
            .site()
            .to_string()
            .starts_with(&at(lines.bind))
    );
    let metrics = row::<Metrics>(&d);
    assert_eq!(metrics.provides[0].role(), Role::Element);
}

#[test]
fn dependencies_with_their_kinds_and_what_they_resolve_to() {
    let (b, _) = app();
    let d = b.describe();
    let index = |name: &str| names(&d).iter().position(|n| *n == name).unwrap();
    let handler = row::<Handler>(&d);
    let deps: Vec<_> = handler
        .dependencies
        .iter()
        .map(|dep| (dep.kind, dep.type_name, dep.target.clone()))
        .collect();
    use DependencyKind::*;
    assert_eq!(
        deps,
        [
            (
                Required,
                "dyn describe::Clock",
                DependencyTarget::Service(index("SystemClock"))
            ),
            (
                Required,
                "describe::Conn",
                DependencyTarget::Service(index("Conn"))
            ),
            (
                Required,
                "describe::Session",
                DependencyTarget::Service(index("Session"))
            ),
            (Optional, "describe::Audit", DependencyTarget::Absent),
            (
                Collection,
                "dyn describe::Plugin",
                DependencyTarget::Collection(vec![index("Metrics"), index("Tracing")])
            ),
            (
                Lazy,
                "describe::Config",
                DependencyTarget::Service(index("Config"))
            ),
            (
                Required,
                "describe::CurrentUser",
                DependencyTarget::Service(index("CurrentUser"))
            ),
        ]
    );
    let jobs = row::<Jobs>(&d);
    assert_eq!(jobs.dependencies[0].kind, Factory);
    assert_eq!(
        jobs.dependencies[1].target,
        DependencyTarget::Scopes,
        "a ScopeFactory resolves nothing itself"
    );
}

#[test]
fn how_each_is_made_and_its_hooks_and_marks() {
    let (b, _) = app();
    let d = b.describe();
    assert_eq!(row::<Config>(&d).made_by, MadeBy::Instance);
    assert_eq!(row::<SystemClock>(&d).made_by, MadeBy::Factory);
    let conn = row::<Conn>(&d);
    assert_eq!(
        (conn.made_by, conn.pool_size, conn.on_return),
        (MadeBy::AsyncFactory, Some(4), true)
    );
    assert_eq!(row::<CurrentUser>(&d).made_by, MadeBy::ScopeValue);
    let session = row::<Session>(&d);
    assert!(session.async_disposer && session.request_bound && !session.root);
    assert!(row::<Handler>(&d).root && row::<Jobs>(&d).root);
}

#[test]
fn the_table_has_a_row_per_service_with_the_columns_that_matter() {
    let (b, lines) = app();
    let table = b.describe().to_string();
    let mut rows = table.lines();
    assert_eq!(rows.next(), Some("9 services, in registration order:"));
    let header = rows.next().unwrap();
    for col in [
        "lifetime",
        "service",
        "provides",
        "dependencies",
        "notes",
        "registered at",
    ] {
        assert!(header.contains(col), "{header}");
    }
    assert!(rows.next().unwrap().starts_with("---------"));
    let body: Vec<&str> = rows.collect();
    assert_eq!(body.len(), 9, "{table}");
    let line = |name: &str| {
        *body
            .iter()
            .find(|l| l.split_whitespace().nth(1) == Some(name) || l.contains(&format!(" {name} ")))
            .unwrap_or_else(|| panic!("no row for {name}:\n{table}"))
    };
    let clock = line("SystemClock");
    assert!(clock.starts_with("singleton"), "{clock}");
    assert!(clock.contains("dyn Clock"), "{clock}");
    assert!(
        clock.contains(&format!("  {}:{}:", file!(), lines.clock)),
        "{clock}"
    );
    let handler = line("Handler");
    assert!(handler.starts_with("transient"), "{handler}");
    for dep in [
        "Arc<dyn Clock>",
        "Arc<Conn>",
        "Option<Arc<Audit>> (absent)",
        "Vec<Arc<dyn Plugin>> (2)",
        "Lazy<Config>",
        "Arc<CurrentUser>",
    ] {
        assert!(handler.contains(dep), "{dep} in {handler}");
    }
    assert!(handler.contains("root"), "{handler}");
    let conn = line("Conn");
    assert!(conn.starts_with("pooled (4)"), "{conn}");
    assert!(
        conn.contains("async factory") && conn.contains("on_return"),
        "{conn}"
    );
    let session = line("Session");
    assert!(
        session.contains("async disposer, request-bound"),
        "{session}"
    );
    assert!(line("Jobs").contains("Factory<Session>, ScopeFactory"));
    assert!(line("Metrics").contains("Vec<Arc<dyn Plugin>>"));
    assert!(line("CurrentUser").contains("supplied per scope"));
}

#[test]
fn a_container_describes_what_it_was_built_from() {
    let (b, _) = app();
    let c = b.build().unwrap();
    assert_eq!(c.describe().rows(), b.describe().rows());
    // A subject-only build describes its subgraph.
    let sub = b.build_for::<Jobs>().unwrap();
    assert_eq!(names(&sub.describe()), ["Session", "Jobs"]);
}

struct Smtp;
struct Mailer {
    _smtp: Arc<Smtp>,
}
trait Notifier: Send + Sync {}
struct Push;
impl Notifier for Push {}

#[test]
fn a_builder_that_does_not_build_is_described_with_what_is_missing() {
    let mut b = Container::builder();
    b.singleton(|_smtp: Arc<Smtp>| Mailer { _smtp })
        .bind::<dyn Notifier, Push>(|p| p);
    assert!(b.build().is_err());
    let d = b.describe();
    assert_eq!(names(&d), ["Mailer", "Notifier"]);
    let mailer = row::<Mailer>(&d);
    assert_eq!(mailer.dependencies[0].target, DependencyTarget::Missing);
    // A binding whose implementation is not registered is a row of its own.
    let binding = &d.rows()[1];
    assert_eq!(binding.service.role(), Role::Binding);
    assert_eq!(binding.made_by, MadeBy::Unbound);
    assert_eq!(binding.dependencies[0].type_name, "describe::Push");
    assert_eq!(binding.dependencies[0].target, DependencyTarget::Missing);
    let table = d.to_string();
    assert!(table.contains("Arc<Smtp> (missing)"), "{table}");
    assert!(table.contains("implementation not registered"), "{table}");
}

#[test]
fn replacements_are_described_as_in_effect() {
    struct Fake;
    let mut b = Container::builder();
    b.singleton(|| Config);
    b.replacing(|b| {
        b.singleton(|| Config);
    });
    b.singleton(|| Fake);
    let d = b.describe();
    assert_eq!(names(&d), ["Config", "Fake"]);
    // The replacement's site, not the original's.
    assert!(d.rows()[0].service.site().line() > line!() - 8);
}

#[test]
fn a_container_describes_the_registrations_it_was_built_from_not_later_ones() {
    // The builder and the containers built from it share one list of
    // registrations until the builder changes: registering after a build
    // must not show up in (or change) what was built.
    let mut b = Container::builder();
    b.instance(Config);
    let first = b.build().unwrap();
    b.singleton(|| Conn);
    let second = b.build().unwrap();
    b.transient(|| Audit);

    assert_eq!(names(&first.describe()), ["Config"]);
    assert!(first.resolve::<Conn>().is_err());
    assert_eq!(names(&second.describe()), ["Config", "Conn"]);
    assert!(second.resolve::<Audit>().is_err());
    assert_eq!(names(&b.describe()).len(), 3);
    assert_eq!(names(&b.build().unwrap().describe()).len(), 3);
}
