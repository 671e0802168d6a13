//! A small application, wired with modules, shared by the `kernel_*` tests.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use tenure::{ContainerBuilder, Module};

/// Process configuration, registered by the composition root.
pub struct Config {
    pub database_url: String,
}

/// One per process.
pub struct Pool {
    pub url: String,
    next_session: AtomicU32,
}

/// One per request.
pub struct RequestContext {
    pub request_id: u32,
}

/// One per request: never shared between requests.
pub struct DbSession {
    pub id: u32,
    pub pool: Arc<Pool>,
}

/// New on every resolution; holds the request's session.
pub struct AccountsRepo {
    pub session: Arc<DbSession>,
}

pub trait Clock: Send + Sync {
    fn now(&self) -> u64;
}

pub struct SystemClock;
impl Clock for SystemClock {
    fn now(&self) -> u64 {
        1_700_000_000
    }
}

pub trait Mailer: Send + Sync {
    fn send(&self, to: &str, body: &str);
}

pub struct SmtpMailer {
    pub server: String,
}
impl Mailer for SmtpMailer {
    fn send(&self, _to: &str, _body: &str) {
        panic!("a test talked to the SMTP server {}", self.server);
    }
}

/// The subject of most tests: one per request.
pub struct Signup {
    pub repo: Arc<AccountsRepo>,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
}

impl Signup {
    pub fn run(&self, email: &str) -> String {
        let line = format!(
            "welcome {email} at {} (session #{})",
            self.clock.now(),
            self.repo.session.id
        );
        self.mailer.send(email, &line);
        line
    }
}

/// A process-wide scheduler that reads the clock.
pub struct Scheduler {
    pub clock: Arc<dyn Clock>,
}

/// A report that reads the database.
pub struct Reports {
    pub repo: Arc<AccountsRepo>,
}

pub struct DbModule;
impl Module for DbModule {
    fn register(&self, b: &mut ContainerBuilder) {
        b.singleton(|cfg: Arc<Config>| Pool {
            url: cfg.database_url.clone(),
            next_session: AtomicU32::new(1),
        })
        .scoped(|pool: Arc<Pool>| DbSession {
            id: pool.next_session.fetch_add(1, Ordering::Relaxed),
            pool,
        })
        .scoped(|| RequestContext { request_id: 0 })
        .transient(|session: Arc<DbSession>| AccountsRepo { session });
    }
}

pub struct InfraModule;
impl Module for InfraModule {
    fn register(&self, b: &mut ContainerBuilder) {
        b.singleton(|| SystemClock)
            .bind::<dyn Clock, SystemClock>(|c| c)
            .singleton(|cfg: Arc<Config>| SmtpMailer {
                server: format!("smtp for {}", cfg.database_url),
            })
            .bind::<dyn Mailer, SmtpMailer>(|m| m)
            .singleton(|clock: Arc<dyn Clock>| Scheduler { clock });
    }
}

pub struct AccountsModule;
impl Module for AccountsModule {
    fn register(&self, b: &mut ContainerBuilder) {
        b.include(DbModule).include(InfraModule).scoped(
            |repo: Arc<AccountsRepo>, mailer: Arc<dyn Mailer>, clock: Arc<dyn Clock>| Signup {
                repo,
                mailer,
                clock,
            },
        );
    }
}

pub struct ReportsModule;
impl Module for ReportsModule {
    fn register(&self, b: &mut ContainerBuilder) {
        b.include(DbModule)
            .scoped(|repo: Arc<AccountsRepo>| Reports { repo });
    }
}

/// The whole application: two feature modules that both include `DbModule`.
pub struct AppModule;
impl Module for AppModule {
    fn register(&self, b: &mut ContainerBuilder) {
        b.include(AccountsModule).include(ReportsModule);
    }
}

/// The composition root, as the application's `main` would build it.
pub fn base() -> ContainerBuilder {
    let mut b = ContainerBuilder::new();
    b.instance(Config {
        database_url: "postgres://prod".into(),
    })
    .include(AppModule);
    b
}

/// A message captured by a fake mailer.
pub type Sent = (String, String);
