//! The quickstart's services and their wiring, shared by the `quickstart`
//! and `graph` examples (each includes this file with `#[path]`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use tenure::{Container, ContainerBuilder, ScopeFactory};

/// Process-wide configuration.
pub struct Config {
    pub database_url: String,
}

/// A connection pool: one per process.
pub struct Pool {
    pub url: String,
    pub opened: AtomicU32,
}

/// A database session: one per request, never shared between requests.
pub struct Session {
    pub id: u32,
    pub pool: Arc<Pool>,
}

impl Drop for Session {
    fn drop(&mut self) {
        println!("    session #{} returned to {}", self.id, self.pool.url);
    }
}

/// A repository: a new one each time it is asked for; it holds the
/// request's session.
pub struct UserRepo {
    pub session: Arc<Session>,
}

impl UserRepo {
    pub fn find(&self, user: &str) -> String {
        format!("{user} (via session #{})", self.session.id)
    }
}

/// A singleton doing background work: it opens a scope per operation.
pub struct AuditJob {
    pub scopes: ScopeFactory,
}

impl AuditJob {
    pub fn run(&self) -> Result<String, tenure::ResolveError> {
        let scope = self.scopes.open()?;
        Ok(scope.resolve::<UserRepo>()?.find("audit"))
    }
}

/// The quickstart's registrations.
pub fn wiring() -> ContainerBuilder {
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
