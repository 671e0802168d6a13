//! The example service (`examples/service/`) over real HTTP on an
//! ephemeral loopback port, with its own modules compiled in: concurrent
//! clients that must only ever see their own data, injected faults after
//! which every count returns to where it was, and startup failures with a
//! clear message.

#[allow(dead_code)]
#[path = "../examples/service/app.rs"]
mod app;
#[allow(dead_code)]
#[path = "../examples/service/baseline.rs"]
mod baseline;
#[allow(dead_code)]
#[path = "../examples/service/load.rs"]
mod load;
#[allow(dead_code)]
#[path = "../examples/service/store.rs"]
mod store;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use app::{Config, Server, StartError, Variant};
use load::Plan;
use tenure::{Lifetime, Problem, ResolveErrorKind};

/// A directory of its own under the system's temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "tenure-service-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

async fn start(dir: &TempDir, faults: bool, variant: Variant) -> Server {
    let config = Config {
        faults,
        ..Config::new(dir.path().join("service.db"))
    };
    match app::start(config, loopback(), variant).await {
        Ok(server) => server,
        Err(e) => panic!("the service did not start: {e}"),
    }
}

const IDLE: Duration = Duration::from_secs(5);
const SETTLE: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_concurrent_clients_each_see_only_their_own_data() {
    let dir = TempDir::new();
    let server = start(&dir, false, Variant::Container(Lifetime::Transient)).await;
    let before = server.idle_counts(IDLE).await;
    let plan = Plan::new(16 * 50, 16, false);

    let o = load::run(&server.url(), &plan).await;

    assert!(o.failures.is_empty(), "failures: {:#?}", o.failures);
    assert_eq!(o.cross_client, 0);
    assert_eq!((o.sent, o.ok, o.expected_errors()), (800, 800, 0));
    let after = server
        .settle(&before, SETTLE)
        .await
        .unwrap_or_else(|c| panic!("leaks: {:?}", c.leaks_since(&before)));
    assert_eq!(load::accounting(&o, &before, &after), Vec::<String>::new());
    assert_eq!(after.committed - before.committed, 800);
    assert_eq!(after.rolled_back - before.rolled_back, 0);
    assert_eq!((after.transactions_open, after.connections_in_use), (0, 0));
    // Every per-request instance is gone: one unit of work per request.
    let uow = after.alive.iter().find(|a| a.0 == "UnitOfWork").unwrap();
    assert_eq!((uow.1, uow.2), (0, 800));
    assert!(after.alive.iter().all(|a| a.1 == 0), "{:?}", after.alive);
    assert_eq!(after.undisposed_scopes, 0);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_stay_with_their_request_and_every_count_returns_to_baseline() {
    let dir = TempDir::new();
    let server = start(&dir, true, Variant::Container(Lifetime::Transient)).await;
    let before = server.idle_counts(IDLE).await;
    let plan = Plan::new(16 * 40, 16, true);

    let o = load::run(&server.url(), &plan).await;

    // Every fault answered as its kind should, every other request
    // correct: the errors stayed with their requests.
    assert!(o.failures.is_empty(), "failures: {:#?}", o.failures);
    assert_eq!(o.cross_client, 0);
    // One request in 7 (k = 3, 10, 17, 24, 31, 38 of each client's 40),
    // the three kinds in turn.
    assert_eq!(
        (o.handler_faults, o.factory_faults, o.abandoned),
        (32, 32, 32)
    );
    assert_eq!(o.ok, 640 - 96);

    // Abandoned requests are disposed in the background: poll, bounded.
    let after = server
        .settle(&before, SETTLE)
        .await
        .unwrap_or_else(|c| panic!("leaks: {:?}", c.leaks_since(&before)));
    assert_eq!(load::accounting(&o, &before, &after), Vec::<String>::new());
    assert_eq!((after.transactions_open, after.connections_in_use), (0, 0));
    assert!(after.alive.iter().all(|a| a.1 == 0), "{:?}", after.alive);
    // No disposer skipped: no scope dropped without its disposal, no
    // transaction dropped open, and every transaction a fault had begun
    // rolled back by the unit of work's disposer: each handler fault's
    // (after its write) and each stalled request's. A factory fault fails
    // before any query, so its unit of work never began.
    assert_eq!(after.undisposed_scopes, 0);
    assert_eq!(after.dropped_open, 0);
    let rolled_back = after.rolled_back - before.rolled_back;
    assert_eq!(rolled_back, 32 + (after.stalled - before.stalled));
    assert!(after.stalled - before.stalled <= 32);
    assert_eq!(server.container.as_ref().unwrap().undisposed_scopes(), 0);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hand_wired_baseline_serves_the_same_answers() {
    let dir = TempDir::new();
    let server = start(&dir, true, Variant::Baseline).await;
    let before = server.idle_counts(IDLE).await;
    let o = load::run(&server.url(), &Plan::new(16 * 20, 16, true)).await;
    assert!(o.failures.is_empty(), "failures: {:#?}", o.failures);
    // k = 3, 10, 17 of each client's 20.
    assert_eq!(o.expected_errors(), 48);
    let after = server
        .settle(&before, SETTLE)
        .await
        .unwrap_or_else(|c| panic!("leaks: {:?}", c.leaks_since(&before)));
    assert_eq!(load::accounting(&o, &before, &after), Vec::<String>::new());
    server.stop().await.unwrap();
}

#[tokio::test]
async fn the_incidents_wiring_does_not_start() {
    let dir = TempDir::new();
    let config = Config::new(dir.path().join("service.db"));
    let err = match app::start(config, loopback(), Variant::Container(Lifetime::Singleton)).await {
        Err(StartError::Wiring(e)) => e,
        Err(e) => panic!("expected a wiring error, got {e}"),
        Ok(_) => panic!("the captive wiring started"),
    };
    // Each thing the singleton would capture, with its path.
    let paths: Vec<Vec<String>> = err
        .problems()
        .iter()
        .map(|p| {
            assert!(matches!(p, Problem::Captive { .. }), "{p}");
            p.path().iter().map(|n| n.to_string()).collect()
        })
        .collect();
    let short = |n: &str| n.rsplit("::").next().unwrap().to_owned();
    let shorts: Vec<Vec<String>> = paths
        .iter()
        .map(|p| p.iter().map(|n| short(n)).collect())
        .collect();
    assert_eq!(
        shorts,
        [
            vec!["TokenProvider`", "Caller`"],
            vec!["TokenProvider`", "Faults`"],
            vec!["TokenProvider`", "ClientRepo`", "UnitOfWork`"],
        ]
    );
    assert!(paths[2][0].starts_with("singleton `"));
    assert!(paths[2][1].starts_with("transient `"));
    assert!(paths[2][2].starts_with("scoped `"));
    let message = StartError::Wiring(err).to_string();
    assert!(message.starts_with("the service's wiring is invalid: 3 problems in the container:"));
    assert!(message.contains("captive dependency [T0001]"));
    assert!(
        message.contains("A singleton would keep one `UnitOfWork` alive for every scope at once.")
    );
    // Nothing ran: the database was never opened.
    assert!(!dir.path().join("service.db").exists());
}

#[tokio::test]
async fn an_unusable_database_path_fails_at_startup_naming_it() {
    let dir = TempDir::new();
    let file = dir.path().join("not-a-directory");
    std::fs::write(&file, "a file").unwrap();
    let db = file.join("service.db");

    let config = Config::new(db.clone());
    let err = match app::start(config, loopback(), Variant::Container(Lifetime::Transient)).await {
        Err(StartError::Startup(e)) => e,
        Err(e) => panic!("expected a startup error, got {e}"),
        Ok(_) => panic!("started on a database under a file"),
    };
    assert_eq!(err.errors().len(), 1);
    assert!(matches!(
        err.errors()[0].kind(),
        ResolveErrorKind::Factory(_)
    ));
    let message = StartError::Startup(err).to_string();
    let expected = format!("cannot open the database {}: ", db.display());
    assert!(
        message.starts_with("the service could not start: "),
        "{message}"
    );
    assert!(message.contains(&expected), "{message}");
    assert!(
        message.contains("unable to open database file"),
        "{message}"
    );

    // The hand-wired variant says the same.
    let err = app::start(Config::new(db.clone()), loopback(), Variant::Baseline)
        .await
        .err()
        .expect("the baseline does not start either");
    assert!(err.to_string().contains(&expected), "{err}");
}
