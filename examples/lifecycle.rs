//! Decorators and the ordered lifecycle, in a service wired from three
//! modules:
//!
//! - `db`: the connection pool (opened at startup, closed by its async
//!   disposer) and the `Store` the application writes through;
//! - `observability`: counts every write by *decorating* `dyn Store`, a
//!   binding registered in another module, without knowing its type;
//! - `jobs`: a background worker, a singleton that holds a `ScopeFactory`
//!   and opens one scope per job. Its start hook spawns its loop, after the
//!   pool has started; its stop hook signals the loop and joins it, before
//!   the pool is closed.
//!
//! Run it with `cargo run --example lifecycle`; it exits by itself.

use std::time::Duration;

use tenure::Container;

mod db {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use tenure::{ContainerBuilder, Module};

    /// The connection pool: one per process.
    pub struct Pool {
        pub url: String,
        pub writes: AtomicU32,
    }

    /// Where the application writes.
    pub trait Store: Send + Sync {
        fn write(&self, what: &str) -> u32;
    }

    /// A `Store` over one scope's connection.
    pub struct SqlStore {
        pool: Arc<Pool>,
    }

    impl Store for SqlStore {
        fn write(&self, what: &str) -> u32 {
            let n = self.pool.writes.fetch_add(1, Ordering::SeqCst) + 1;
            println!("    write #{n} to {}: {what}", self.pool.url);
            n
        }
    }

    pub struct Db;

    impl Module for Db {
        fn register(&self, b: &mut ContainerBuilder) {
            b.singleton_async(|| async {
                println!("pool: opening");
                Pool {
                    url: "sqlite::memory:".into(),
                    writes: AtomicU32::new(0),
                }
            })
            .on_start(|p: Arc<Pool>| async move {
                println!("pool: started ({})", p.url);
                anyhow::Ok(())
            })
            .dispose_with(|p: Arc<Pool>| async move {
                println!(
                    "pool: closed after {} writes",
                    p.writes.load(Ordering::SeqCst)
                );
                anyhow::Ok(())
            })
            .scoped(|pool: Arc<Pool>| SqlStore { pool })
            .bind::<dyn Store, SqlStore>(|s| s);
        }
    }
}

mod observability {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use tenure::{ContainerBuilder, Module};

    use crate::db::Store;

    #[derive(Default)]
    pub struct Metrics {
        pub writes: AtomicU32,
    }

    /// Wraps whatever `Store` the application uses.
    struct Counted {
        inner: Arc<dyn Store>,
        metrics: Arc<Metrics>,
    }

    impl Store for Counted {
        fn write(&self, what: &str) -> u32 {
            self.metrics.writes.fetch_add(1, Ordering::SeqCst);
            self.inner.write(what)
        }
    }

    pub struct Observability;

    impl Module for Observability {
        fn register(&self, b: &mut ContainerBuilder) {
            b.singleton(Metrics::default).decorate(
                |inner: Arc<dyn Store>, metrics: Arc<Metrics>| -> Arc<dyn Store> {
                    Arc::new(Counted { inner, metrics })
                },
            );
        }
    }
}

mod jobs {
    use std::sync::Arc;

    use parking_lot::Mutex;
    use tenure::{ContainerBuilder, Module, ScopeFactory};
    use tokio::sync::{mpsc, oneshot, watch};

    use crate::db::{Pool, Store};

    /// A queued job: what to write, and where to send its write number.
    type Queued = (String, oneshot::Sender<u32>);

    /// One job: per scope, with that scope's (decorated) store.
    struct Job {
        store: Arc<dyn Store>,
    }

    /// Runs jobs in the background, one scope per job.
    pub struct Worker {
        scopes: ScopeFactory,
        _pool: Arc<Pool>,
        queue: Mutex<Option<mpsc::UnboundedReceiver<Queued>>>,
        sender: mpsc::UnboundedSender<Queued>,
        stop: watch::Sender<bool>,
        task: Mutex<Option<tokio::task::JoinHandle<()>>>,
    }

    impl Worker {
        /// Queues a job; the answer is its write number.
        pub fn submit(&self, what: &str) -> oneshot::Receiver<u32> {
            let (done, answer) = oneshot::channel();
            let _ = self.sender.send((what.to_owned(), done));
            answer
        }

        async fn run(self: Arc<Self>) {
            let mut queue = self.queue.lock().take().expect("started once");
            let mut stop = self.stop.subscribe();
            loop {
                tokio::select! {
                    _ = stop.changed() => break,
                    Some((what, done)) = queue.recv() => {
                        let Ok(scope) = self.scopes.open() else { break };
                        let n = match scope.resolve_async::<Job>().await {
                            Ok(job) => job.store.write(&what),
                            Err(e) => { eprintln!("job failed: {e}"); 0 }
                        };
                        if let Err(e) = scope.dispose().await {
                            eprintln!("{e}");
                        }
                        let _ = done.send(n);
                    }
                }
            }
        }
    }

    pub struct Jobs;

    impl Module for Jobs {
        fn register(&self, b: &mut ContainerBuilder) {
            b.scoped(|store: Arc<dyn Store>| Job { store })
                .singleton(|scopes: ScopeFactory, _pool: Arc<Pool>| {
                    let (sender, queue) = mpsc::unbounded_channel();
                    Worker {
                        scopes,
                        _pool,
                        queue: Mutex::new(Some(queue)),
                        sender,
                        stop: watch::channel(false).0,
                        task: Mutex::new(None),
                    }
                })
                .on_start(|w: Arc<Worker>| async move {
                    let task = tokio::spawn(w.clone().run());
                    w.task.lock().replace(task);
                    println!("worker: started");
                    anyhow::Ok(())
                })
                .on_stop(|w: Arc<Worker>| async move {
                    w.stop.send_replace(true);
                    let task = w.task.lock().take();
                    if let Some(task) = task {
                        task.await?;
                    }
                    println!("worker: stopped");
                    anyhow::Ok(())
                });
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let container = Container::builder()
        .include(jobs::Jobs) // registered first, started last: it needs the pool
        .include(db::Db)
        .include(observability::Observability)
        .lifecycle_timeout(Duration::from_secs(5))
        .build()?;
    println!("{}\n", container.describe());

    container.warm_up_async().await?; // every singleton, every failure at once
    container.start().await?; // the pool, then the worker

    let worker = container.resolve::<jobs::Worker>()?;
    for what in ["signup ada", "signup grace", "invoice 7"] {
        let n = worker.submit(what).await?;
        println!("job '{what}' done (write #{n})");
    }
    let metrics = container.resolve::<observability::Metrics>()?;
    println!(
        "metrics: {} writes counted by the decorator",
        metrics.writes.load(std::sync::atomic::Ordering::SeqCst)
    );

    container.shutdown().await?; // the worker stops, then the pool closes
    Ok(())
}
