//! The `reports` example's wiring, in two modules: the data layer (a
//! primary database for writes and a read replica, both behind one trait,
//! told apart by keys) and the export jobs (created per user with a runtime
//! argument, in the scope of the operation that asks for them).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use tenure::{ContainerBuilder, FactoryWith, Injectable, Keyed, Module, ScopeFactory};

/// The key of the database that takes writes.
pub struct Primary;
/// The key of the read replica.
pub struct Replica;

/// A database, as the services see it.
pub trait Db: Send + Sync {
    fn name(&self) -> &str;
}

/// A Postgres connection pool (one per key, so two in all).
pub struct PgPool {
    pub url: String,
}

impl Db for PgPool {
    fn name(&self) -> &str {
        &self.url
    }
}

/// The data layer: two pools of the same type under two keys, each bound
/// to `dyn Db` under its key.
pub struct DataModule;

impl Module for DataModule {
    fn register(&self, b: &mut ContainerBuilder) {
        b.keyed::<Primary>()
            .singleton(|| PgPool {
                url: "postgres://primary/app".into(),
            })
            .keyed::<Primary>()
            .bind::<dyn Db, PgPool>(|p| p)
            .keyed::<Replica>()
            .singleton(|| PgPool {
                url: "postgres://replica/app".into(),
            })
            .keyed::<Replica>()
            .bind::<dyn Db, PgPool>(|p| p);
    }
}

/// A user id: the runtime argument of an export job.
#[derive(Clone, Copy, Debug)]
pub struct UserId(pub u64);

/// One operation's unit of work: one per scope.
pub struct UnitOfWork {
    pub id: u32,
}

/// Exports one user's data: reads from the replica, records the export on
/// the primary, inside the unit of work of the scope it was created in.
pub struct ExportJob {
    pub user: UserId,
    pub reads: Keyed<Replica, dyn Db>,
    pub writes: Keyed<Primary, dyn Db>,
    pub work: Arc<UnitOfWork>,
}

impl ExportJob {
    pub fn run(&self) -> String {
        format!(
            "user {} read from {}, recorded on {} (unit of work #{})",
            self.user.0,
            self.reads.name(),
            self.writes.name(),
            self.work.id
        )
    }
}

/// A singleton that runs exports: it holds the job handle (which holds
/// nothing) and opens a scope per export.
#[derive(Injectable)]
#[injectable(singleton)]
pub struct Exporter {
    jobs: FactoryWith<UserId, ExportJob>,
    scopes: ScopeFactory,
    /// The derive takes keyed fields too.
    #[inject(key = Primary)]
    audit_db: Arc<dyn Db>,
}

impl Exporter {
    pub fn export(&self, user: UserId) -> Result<String, tenure::ResolveError> {
        let scope = self.scopes.open()?;
        let job = self.jobs.create(&scope, user)?;
        Ok(format!(
            "{} (audited on {})",
            job.run(),
            self.audit_db.name()
        ))
    }
}

/// The export jobs: needs the data layer.
pub struct ExportModule;

impl Module for ExportModule {
    fn register(&self, b: &mut ContainerBuilder) {
        let units = Arc::new(AtomicU32::new(0));
        b.include(DataModule)
            .scoped(move || UnitOfWork {
                id: units.fetch_add(1, Ordering::Relaxed) + 1,
            })
            .transient_with(
                |user: UserId,
                 reads: Keyed<Replica, dyn Db>,
                 writes: Keyed<Primary, dyn Db>,
                 work: Arc<UnitOfWork>| ExportJob {
                    user,
                    reads,
                    writes,
                    work,
                },
            )
            .add::<Exporter>();
    }
}
