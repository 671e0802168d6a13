//! The database layer, shared by the container wiring and the hand-wired
//! baseline: the SQLite pool ([`Db`]), the unit of work (one connection and
//! one transaction per request), the repositories, and the counters the
//! load mode checks for leaks.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{Row, Sqlite, Transaction};
use tenure::Injectable;
use tokio::sync::{Mutex, MutexGuard, OwnedSemaphorePermit, Semaphore};

/// Transactions begun and how each ended. `begun - committed - rolled_back
/// - dropped_open` are open now.
#[derive(Default, Debug)]
pub struct TxStats {
    pub begun: AtomicU64,
    pub committed: AtomicU64,
    /// Rolled back by the unit of work's disposer (or a failed commit).
    pub rolled_back: AtomicU64,
    /// Dropped with the transaction still open, without the disposer: sqlx
    /// then queues a rollback on the connection. A skipped disposer shows
    /// here.
    pub dropped_open: AtomicU64,
    /// Requests that reached the stalling handler (`X-Fault: stall`).
    pub stalled: AtomicU64,
}

impl TxStats {
    /// Transactions still open.
    pub fn open(&self) -> u64 {
        let ended = self.committed.load(Ordering::SeqCst)
            + self.rolled_back.load(Ordering::SeqCst)
            + self.dropped_open.load(Ordering::SeqCst);
        self.begun.load(Ordering::SeqCst).saturating_sub(ended)
    }
}

/// The connection pool: a singleton, opened asynchronously at startup.
///
/// SQLite takes one writer at a time. Writers queue here, on an async
/// semaphore, before they begin (`BEGIN IMMEDIATE`): waiting on SQLite's
/// own busy handler instead would sleep in steps of up to 100 ms and make
/// the tail latency that of the busy handler.
pub struct Db {
    pool: SqlitePool,
    writer: Arc<Semaphore>,
    pub stats: Arc<TxStats>,
}

impl Db {
    /// Opens (creating if needed) the database at `path`, in WAL mode, and
    /// creates the schema.
    pub async fn open(path: &Path, max_connections: u32) -> Result<Db, sqlx::Error> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(20))
            .connect_with(options)
            .await?;
        sqlx::raw_sql(
            "CREATE TABLE IF NOT EXISTS clients (
                 id TEXT PRIMARY KEY,
                 name TEXT NOT NULL,
                 secret TEXT NOT NULL
             );
             CREATE TABLE IF NOT EXISTS tokens (
                 token TEXT PRIMARY KEY,
                 client_id TEXT NOT NULL REFERENCES clients(id)
             );
             CREATE INDEX IF NOT EXISTS tokens_by_client ON tokens(client_id);",
        )
        .execute(&pool)
        .await?;
        Ok(Db {
            pool,
            writer: Arc::new(Semaphore::new(1)),
            stats: Arc::default(),
        })
    }

    /// Connections the pool holds open (idle or checked out).
    pub fn connections_open(&self) -> u32 {
        self.pool.size()
    }

    /// Connections checked out of the pool now.
    pub fn connections_in_use(&self) -> u32 {
        self.pool.size().saturating_sub(self.pool.num_idle() as u32)
    }

    /// Closes every connection (at shutdown).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Whether a request may write: writes take SQLite's write lock when the
/// transaction begins (`BEGIN IMMEDIATE`), so two writers queue on the
/// busy timeout instead of failing when a read lock would be upgraded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// One request's unit of work: a connection from the pool and a
/// transaction on it, begun by the first query (so a handler reads its
/// request body before it holds a connection, or the writer's turn).
/// [`commit`](UnitOfWork::commit) when the handler succeeded; otherwise
/// [`finish`](UnitOfWork::finish) (the disposer) rolls back, on error,
/// panic and disconnect alike.
pub struct UnitOfWork {
    db: Arc<Db>,
    access: Access,
    state: Mutex<State>,
}

enum State {
    NotBegun,
    Open(Open),
    Finished,
}

/// An open transaction, with the writer's turn if it may write.
struct Open {
    tx: Transaction<'static, Sqlite>,
    _writer: Option<OwnedSemaphorePermit>,
}

fn finished() -> sqlx::Error {
    sqlx::Error::Protocol("the unit of work has already committed or rolled back".into())
}

impl UnitOfWork {
    /// A unit of work on `db`; nothing is taken from the pool yet.
    pub fn new(db: Arc<Db>, access: Access) -> UnitOfWork {
        UnitOfWork {
            db,
            access,
            state: Mutex::new(State::NotBegun),
        }
    }

    async fn begin(&self) -> Result<Open, sqlx::Error> {
        let db = &self.db;
        let open = match self.access {
            Access::Read => Open {
                tx: db.pool.begin().await?,
                _writer: None,
            },
            Access::Write => {
                let turn = db.writer.clone().acquire_owned().await;
                let turn = turn.map_err(|_| sqlx::Error::PoolClosed)?;
                Open {
                    tx: db.pool.begin_with("BEGIN IMMEDIATE").await?,
                    _writer: Some(turn),
                }
            }
        };
        db.stats.begun.fetch_add(1, Ordering::SeqCst);
        Ok(open)
    }

    /// The transaction, begun now if this is the first query, to run
    /// queries on ([`Tx::conn`]).
    pub async fn tx(&self) -> Result<Tx<'_>, sqlx::Error> {
        let mut state = self.state.lock().await;
        match &*state {
            State::Open(_) => {}
            State::NotBegun => *state = State::Open(self.begin().await?),
            State::Finished => return Err(finished()),
        }
        Ok(Tx(state))
    }

    /// Commits (nothing to do if no query ran). A failed commit counts as
    /// rolled back (sqlx rolls back the transaction it drops).
    pub async fn commit(&self) -> Result<(), sqlx::Error> {
        let mut state = self.state.lock().await;
        let open = match std::mem::replace(&mut *state, State::Finished) {
            State::Open(open) => open,
            State::NotBegun => return Ok(()),
            State::Finished => return Err(finished()),
        };
        // The writer's turn ends with `open`, after the commit.
        match open.tx.commit().await {
            Ok(()) => {
                self.db.stats.committed.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
            Err(e) => {
                self.db.stats.rolled_back.fetch_add(1, Ordering::SeqCst);
                Err(e)
            }
        }
    }

    /// Rolls back unless the handler committed: the async disposer.
    pub async fn finish(&self) -> Result<(), sqlx::Error> {
        let mut state = self.state.lock().await;
        let State::Open(open) = std::mem::replace(&mut *state, State::Finished) else {
            return Ok(());
        };
        self.db.stats.rolled_back.fetch_add(1, Ordering::SeqCst);
        open.tx.rollback().await
    }
}

impl Drop for UnitOfWork {
    fn drop(&mut self) {
        if let State::Open(_) = self.state.get_mut() {
            // sqlx queues the rollback on the connection; count it so a
            // skipped disposer shows.
            self.db.stats.dropped_open.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// The open transaction of a unit of work, locked for a query.
pub struct Tx<'a>(MutexGuard<'a, State>);

impl Tx<'_> {
    /// The transaction's connection.
    pub fn conn(&mut self) -> &mut SqliteConnection {
        match &mut *self.0 {
            State::Open(open) => &mut open.tx,
            _ => unreachable!("UnitOfWork::tx hands out open transactions only"),
        }
    }
}

/// A registered OAuth-style client.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct ClientRecord {
    pub client_id: String,
    pub name: String,
    pub client_secret: String,
}

/// Clients, in the request's unit of work. A transient: it lives as long
/// as whoever holds it, and holds the request's unit of work.
#[derive(Injectable)]
#[injectable(transient)]
pub struct ClientRepo {
    uow: Arc<UnitOfWork>,
}

impl ClientRepo {
    /// For the hand-wired baseline.
    pub fn new(uow: Arc<UnitOfWork>) -> ClientRepo {
        ClientRepo { uow }
    }

    /// Registers a client with a fresh id and secret.
    pub async fn create(&self, name: &str) -> Result<ClientRecord, sqlx::Error> {
        let mut tx = self.uow.tx().await?;
        let row = sqlx::query(
            "INSERT INTO clients (id, name, secret)
             VALUES (lower(hex(randomblob(8))), ?1, lower(hex(randomblob(16))))
             RETURNING id, name, secret",
        )
        .bind(name)
        .fetch_one(tx.conn())
        .await?;
        Ok(ClientRecord {
            client_id: row.get(0),
            name: row.get(1),
            client_secret: row.get(2),
        })
    }

    /// The client `id`, if registered.
    pub async fn find(&self, id: &str) -> Result<Option<ClientRecord>, sqlx::Error> {
        let mut tx = self.uow.tx().await?;
        let row = sqlx::query("SELECT id, name, secret FROM clients WHERE id = ?1")
            .bind(id)
            .fetch_optional(tx.conn())
            .await?;
        Ok(row.map(|row| ClientRecord {
            client_id: row.get(0),
            name: row.get(1),
            client_secret: row.get(2),
        }))
    }
}

/// Access tokens, in the request's unit of work.
#[derive(Injectable)]
#[injectable(transient)]
pub struct TokenRepo {
    uow: Arc<UnitOfWork>,
}

impl TokenRepo {
    /// For the hand-wired baseline.
    pub fn new(uow: Arc<UnitOfWork>) -> TokenRepo {
        TokenRepo { uow }
    }

    /// Issues a new token for `client_id`.
    pub async fn insert(&self, client_id: &str) -> Result<String, sqlx::Error> {
        let mut tx = self.uow.tx().await?;
        let row = sqlx::query(
            "INSERT INTO tokens (token, client_id) VALUES (lower(hex(randomblob(16))), ?1)
             RETURNING token",
        )
        .bind(client_id)
        .fetch_one(tx.conn())
        .await?;
        Ok(row.get(0))
    }

    /// The client a token belongs to.
    pub async fn owner(&self, token: &str) -> Result<Option<String>, sqlx::Error> {
        let mut tx = self.uow.tx().await?;
        let row = sqlx::query("SELECT client_id FROM tokens WHERE token = ?1")
            .bind(token)
            .fetch_optional(tx.conn())
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    /// Every token of `client_id`, sorted.
    pub async fn list(&self, client_id: &str) -> Result<Vec<String>, sqlx::Error> {
        let mut tx = self.uow.tx().await?;
        let rows = sqlx::query("SELECT token FROM tokens WHERE client_id = ?1 ORDER BY token")
            .bind(client_id)
            .fetch_all(tx.conn())
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}
