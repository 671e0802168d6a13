//! The quickstart: a small service graph, a captive registration rejected by
//! `build()`, and two requests, each in its own scope.
//!
//! Run it with `cargo run --example quickstart`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use tenure::{Container, ScopeFactory};

/// Process-wide configuration.
struct Config {
    database_url: String,
}

/// A connection pool: one per process.
struct Pool {
    url: String,
    opened: AtomicU32,
}

/// A database session: one per request, never shared between requests.
struct Session {
    id: u32,
    pool: Arc<Pool>,
}

impl Drop for Session {
    fn drop(&mut self) {
        println!("    session #{} returned to {}", self.id, self.pool.url);
    }
}

/// A repository: a new one each time it is asked for; it holds the
/// request's session.
struct UserRepo {
    session: Arc<Session>,
}

impl UserRepo {
    fn find(&self, user: &str) -> String {
        format!("{user} (via session #{})", self.session.id)
    }
}

/// The bug tenure exists to stop: a process-wide helper that holds a
/// repository, which holds a per-request session.
struct AuditHelper {
    #[allow(dead_code)]
    repo: Arc<UserRepo>,
}

/// The fix: a singleton that opens a scope per operation.
struct AuditJob {
    scopes: ScopeFactory,
}

impl AuditJob {
    fn run(&self) -> Result<String, tenure::ResolveError> {
        let scope = self.scopes.open()?;
        Ok(scope.resolve::<UserRepo>()?.find("audit"))
    }
}

fn wiring() -> tenure::ContainerBuilder {
    let mut b = Container::builder();
    b.singleton(|| Config {
        database_url: "postgres://localhost/app".into(),
    })
    .singleton(|cfg: Arc<Config>| Pool {
        url: cfg.database_url.clone(),
        opened: AtomicU32::new(0),
    })
    .scoped(|pool: Arc<Pool>| {
        let id = pool.opened.fetch_add(1, Ordering::Relaxed) + 1;
        Session { id, pool }
    })
    .transient(|session: Arc<Session>| UserRepo { session })
    .singleton(|scopes: ScopeFactory| AuditJob { scopes });
    b
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. A captive registration never gets past build().
    let mut broken = wiring();
    broken.singleton(|repo: Arc<UserRepo>| AuditHelper { repo });
    match broken.build() {
        Ok(_) => unreachable!("a singleton holding a scoped session must be rejected"),
        Err(err) => println!("build() rejected the broken wiring:\n{err}\n"),
    }

    // 2. The correct wiring builds, and each request gets its own session.
    let container = wiring().build()?;
    for request in 1..=2 {
        println!("request {request}:");
        let scope = container.scope();
        let a = scope.resolve::<UserRepo>()?;
        let b = scope.resolve::<UserRepo>()?;
        println!("    found {}", a.find("alice"));
        println!("    found {}", b.find("bob"));
        assert!(Arc::ptr_eq(&a.session, &b.session), "one session per scope");
        drop((a, b));
        // The scope ends here: its session is dropped.
    }

    // 3. Resolving a scoped service from the root is an error, never a
    //    silent singleton.
    let err = container
        .resolve::<UserRepo>()
        .err()
        .ok_or("expected an error")?;
    println!("\nfrom the root: {err}");

    // 4. A singleton doing background work opens its own scopes.
    let job = container.resolve::<AuditJob>()?;
    println!("\nbackground job: {}", job.run()?);
    Ok(())
}
