//! Every resolve error on a path names where each service on the path was
//! registered: its `Debug` (what `.unwrap()` and `?` out of `main` print)
//! has one line per node with its `file:line:column`, and `path()` carries
//! each node's site for tools.

use std::sync::Arc;

use tenure::{Container, Factory, Lazy, Node, ResolveError, ResolveErrorKind};

/// Asserts that `err`'s path runs through `expected` (short names), that its
/// `Debug` has a site line for each node, and that each site is in this
/// file at one of `lines`.
fn assert_sites(err: &ResolveError, expected: &[&str], lines: &[u32]) {
    let names: Vec<_> = err.path().iter().map(Node::short_name).collect();
    assert_eq!(names, expected, "{err:?}");
    let report = format!("{err:?}");
    assert!(report.starts_with(&err.to_string()), "{report}");
    let site_lines: Vec<&str> = report
        .lines()
        .skip(1)
        .filter(|l| l.contains("  registered at "))
        .collect();
    assert_eq!(site_lines.len(), expected.len(), "{report}");
    for (node, line) in err.path().iter().zip(&site_lines) {
        let site = node.site();
        assert_eq!(site.file(), file!());
        assert!(lines.contains(&site.line()), "{site} not one of {lines:?}");
        assert!(line.trim_start().starts_with(&node.to_string()), "{line}");
        assert!(line.ends_with(&format!("registered at {site}")), "{line}");
    }
}

struct Config;
struct Repo {
    _cfg: Arc<Config>,
}
struct Session;
struct Handler {
    _session: Arc<Session>,
}
struct User;
struct Greeting {
    _user: Arc<User>,
}
struct Conn;
struct Query {
    _conn: Arc<Conn>,
}
struct Tx;
struct Unit {
    _tx: Arc<Tx>,
}

#[test]
fn a_failed_factory_below_the_requested_service() {
    let (l1, l2) = (line!() + 2, line!() + 3);
    let c = Container::builder()
        .try_singleton(|| -> Result<Config, std::io::Error> { Err(std::io::Error::other("gone")) })
        .transient(|_cfg: Arc<Config>| Repo { _cfg })
        .build()
        .unwrap();
    let err = c.resolve::<Repo>().err().unwrap();
    assert!(matches!(err.kind(), ResolveErrorKind::Factory(_)));
    assert_sites(&err, &["Repo", "Config"], &[l1, l2]);
    // The causes still follow the sites.
    assert!(format!("{err:?}").ends_with("\n   caused by: gone"));
}

#[test]
fn a_scoped_service_needed_from_the_root() {
    let (l1, l2) = (line!() + 2, line!() + 3);
    let c = Container::builder()
        .scoped(|| Session)
        .transient(|_session: Arc<Session>| Handler { _session })
        .build()
        .unwrap();
    let err = c.resolve::<Handler>().err().unwrap();
    assert!(matches!(err.kind(), ResolveErrorKind::ScopedFromRoot));
    assert_sites(&err, &["Handler", "Session"], &[l1, l2]);
}

#[test]
fn a_scope_value_not_supplied() {
    let (l1, l2) = (line!() + 2, line!() + 3);
    let c = Container::builder()
        .scope_value::<User>()
        .scoped(|_user: Arc<User>| Greeting { _user })
        .build()
        .unwrap();
    let err = c.scope().resolve::<Greeting>().err().unwrap();
    assert!(matches!(err.kind(), ResolveErrorKind::NotSupplied));
    assert_sites(&err, &["Greeting", "User"], &[l1, l2]);
}

#[test]
fn an_async_factory_behind_a_sync_resolve() {
    let (l1, l2) = (line!() + 2, line!() + 3);
    let c = Container::builder()
        .singleton_async(|| async { Config })
        .transient(|_cfg: Arc<Config>| Repo { _cfg })
        .build()
        .unwrap();
    let err = c.resolve::<Repo>().err().unwrap();
    assert!(matches!(err.kind(), ResolveErrorKind::AsyncRequired));
    assert_sites(&err, &["Repo", "Config"], &[l1, l2]);
}

#[test]
fn an_exhausted_pool_below_the_requested_service() {
    let (l1, l2) = (line!() + 2, line!() + 3);
    let c = Container::builder()
        .pooled(1, || Conn)
        .transient(|_conn: Arc<Conn>| Query { _conn })
        .build()
        .unwrap();
    let holder = c.scope();
    holder.resolve::<Conn>().unwrap();
    let err = c.scope().resolve::<Query>().err().unwrap();
    assert!(matches!(
        err.kind(),
        ResolveErrorKind::PoolExhausted { max: 1 }
    ));
    assert_sites(&err, &["Query", "Conn"], &[l1, l2]);
}

#[test]
fn a_disposable_transient_below_a_root_resolution() {
    let (l1, l2) = (line!() + 2, line!() + 4);
    let c = Container::builder()
        .transient(|| Tx)
        .dispose_with::<Tx, _, _, std::io::Error>(|_| async { Ok(()) })
        .transient(|_tx: Arc<Tx>| Unit { _tx })
        .build()
        .unwrap();
    let err = c.resolve::<Unit>().err().unwrap();
    assert!(matches!(err.kind(), ResolveErrorKind::UntrackedDisposable));
    assert_sites(&err, &["Unit", "Tx"], &[l1, l2]);
}

struct Left;
struct Right {
    _left: Arc<Left>,
}

#[test]
fn a_reentrant_resolution_through_a_handle() {
    let seen = Arc::new(parking_lot::Mutex::new(None));
    let s = seen.clone();
    let (l1, l2) = (line!() + 2, line!() + 6);
    let c = Container::builder()
        .singleton(move |right: Lazy<Right>| {
            *s.lock() = right.get().err();
            Left
        })
        .singleton(|_left: Arc<Left>| Right { _left })
        .build()
        .unwrap();
    c.resolve::<Left>().unwrap();
    let err = seen.lock().take().unwrap();
    assert!(matches!(err.kind(), ResolveErrorKind::Reentrant));
    assert_sites(&err, &["Right", "Left"], &[l1, l2]);
}

struct Maker {
    repos: Factory<Repo>,
}

#[tokio::test]
async fn an_ended_scope_asked_through_a_handle() {
    let repo = line!() + 3;
    let c = Container::builder()
        .scoped(|| Config)
        .transient(|_cfg: Arc<Config>| Repo { _cfg })
        .singleton(|repos: Factory<Repo>| Maker { repos })
        .build()
        .unwrap();
    let maker = c.resolve::<Maker>().unwrap();
    let scope = c.scope();
    let kept = scope.clone();
    scope.dispose().await.unwrap();
    let err = maker.repos.create(&kept).err().unwrap();
    assert!(matches!(err.kind(), ResolveErrorKind::ScopeEnded));
    // The handle's service is named (one node: the path is where it failed).
    assert_eq!(err.path().len(), 1);
    assert_eq!(err.path()[0].site().line(), repo);
    assert!(
        err.to_string()
            .contains(&format!("registered at {}", err.path()[0].site()))
    );
}

struct Base;
struct Top {
    _base: Arc<Base>,
}

#[test]
fn a_warm_up_failure_and_what_it_kept_from_starting() {
    let (l1, l2) = (line!() + 2, line!() + 3);
    let c = Container::builder()
        .try_singleton(|| -> Result<Base, std::io::Error> { Err(std::io::Error::other("down")) })
        .singleton(|_base: Arc<Base>| Top { _base })
        .build()
        .unwrap();
    let err = c.warm_up().unwrap_err();
    let report = err.to_string();
    // Each failure names its site; the blocked singleton names its own and its cause's.
    let at = |l: u32| format!("{}:{l}:", file!());
    assert!(
        report.contains(&at(l1)) && report.contains(&at(l2)),
        "{report}"
    );
    // Resolving the blocked one directly (outside a warm-up) fails on a path.
    let err = c.resolve::<Top>().err().unwrap();
    assert_sites(&err, &["Top", "Base"], &[l1, l2]);
}
