//! Ordered lifecycle: `on_start` / `on_stop` hooks, `Container::start`
//! (dependency order, stop-what-started on failure), stop hooks at
//! `shutdown` (reverse order, before disposers), timeouts, panics,
//! validation with sites, start twice / after shutdown, and a background
//! worker that holds a `ScopeFactory`.
//!
//! Registration lines are taken with `line!()` just before each
//! registration, so the assertions follow the file when it is edited.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Probe, Token};

use parking_lot::Mutex;
use tenure::testing::TestKernel;
use tenure::{
    Container, ContainerBuilder, DisposeFailureKind, Injectable, Problem, ResolveErrorKind, Role,
    ScopeFactory, StartErrorKind,
};

const F: &str = file!();

/// What the hooks did, in order.
#[derive(Default)]
struct Log(Mutex<Vec<String>>);

impl Log {
    fn push(&self, s: impl Into<String>) {
        self.0.lock().push(s.into());
    }
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock())
    }
}

struct Db {
    log: Arc<Log>,
}
struct Cache {
    log: Arc<Log>,
    _db: Arc<Db>,
}
struct Api {
    log: Arc<Log>,
    _cache: Arc<Cache>,
    _db: Arc<Db>,
}
struct Audit {
    log: Arc<Log>,
}

/// The line of the `on_start` call of `Cache` in [`app`].
static CACHE_START_LINE: std::sync::OnceLock<u32> = std::sync::OnceLock::new();

/// `Api` (registered first) needs `Cache` and `Db`; `Cache` needs `Db`.
/// Every one logs `up` and `down`; `Audit` has only a stop hook. If
/// `cache_fails`, the start hook of `Cache` returns an error.
fn app(log: &Arc<Log>, cache_fails: bool) -> ContainerBuilder {
    let mut b = Container::builder();
    b.instance_arc(log.clone())
        .singleton(|_cache: Arc<Cache>, _db: Arc<Db>, log: Arc<Log>| Api { log, _cache, _db })
        .on_start(|a: Arc<Api>| async move {
            a.log.push("api up");
            anyhow::Ok(())
        })
        .on_stop(|a: Arc<Api>| async move {
            a.log.push("api down");
            anyhow::Ok(())
        })
        .singleton(|_db: Arc<Db>, log: Arc<Log>| Cache { log, _db });
    CACHE_START_LINE.get_or_init(|| line!() + 1);
    b.on_start(move |c: Arc<Cache>| async move {
        if cache_fails {
            c.log.push("cache failing");
            return Err(anyhow::anyhow!(
                "redis at 10.0.0.7:6379 refused the connection"
            ));
        }
        c.log.push("cache up");
        Ok(())
    })
    .on_stop(|c: Arc<Cache>| async move {
        c.log.push("cache down");
        anyhow::Ok(())
    })
    .singleton(|log: Arc<Log>| Db { log })
    .on_start(|d: Arc<Db>| async move {
        d.log.push("db up");
        anyhow::Ok(())
    })
    .on_stop(|d: Arc<Db>| async move {
        d.log.push("db down");
        anyhow::Ok(())
    })
    .singleton(|log: Arc<Log>| Audit { log })
    .on_stop(|a: Arc<Audit>| async move {
        a.log.push("audit down");
        anyhow::Ok(())
    });
    b
}

#[tokio::test]
async fn start_follows_dependencies_and_shutdown_stops_in_reverse() {
    let log = Arc::new(Log::default());
    let c = app(&log, false).build().unwrap();
    c.start().await.unwrap();
    assert_eq!(log.take(), ["db up", "cache up", "api up"]);
    // Everything with a hook was created by `start` (and `Log`).
    assert_eq!(c.singletons_created(), 5);
    c.shutdown().await.unwrap();
    assert_eq!(
        log.take(),
        ["audit down", "api down", "cache down", "db down"]
    );
}

#[tokio::test]
async fn a_failed_start_stops_what_started_in_reverse_and_starts_nothing_more() {
    let log = Arc::new(Log::default());
    let c = app(&log, true).build().unwrap();
    let err = c.start().await.unwrap_err();
    assert_eq!(log.take(), ["db up", "cache failing", "db down"]);
    let StartErrorKind::Hook {
        service,
        hook,
        failure,
    } = err.kind()
    else {
        panic!("expected a hook failure, got {err}");
    };
    let l_hook = *CACHE_START_LINE.get().unwrap();
    assert_eq!(service.short_name(), "Cache");
    assert_eq!(hook.role(), Role::Lifecycle);
    assert_eq!(hook.site().line(), l_hook);
    assert!(matches!(failure, DisposeFailureKind::Failed(_)));
    assert_eq!(err.stopped(), 1);
    assert!(err.stop_failures().is_empty());
    let msg = err.to_string();
    assert!(
        msg.contains(
            "the start hook of singleton `lifecycle::Cache` failed: redis at 10.0.0.7:6379 \
             refused the connection"
        ),
        "{msg}"
    );
    assert!(
        msg.contains(&format!("[hook registered at {F}:{l_hook}:")),
        "{msg}"
    );
    // What was stopped is not stopped again, and `start` ran once.
    assert!(matches!(
        c.start().await.unwrap_err().kind(),
        StartErrorKind::AlreadyStarted
    ));
    c.shutdown().await.unwrap();
    assert_eq!(log.take(), Vec::<String>::new());
}

struct Slow;
struct Fast {
    log: Arc<Log>,
}

#[tokio::test]
async fn a_start_hook_that_times_out_is_reported_with_the_service_name() {
    let log = Arc::new(Log::default());
    let c = Container::builder()
        .instance_arc(log.clone())
        .lifecycle_timeout(Duration::from_millis(20))
        .singleton(|log: Arc<Log>| Fast { log })
        .on_start(|f: Arc<Fast>| async move {
            f.log.push("fast up");
            anyhow::Ok(())
        })
        .on_stop(|f: Arc<Fast>| async move {
            f.log.push("fast down");
            anyhow::Ok(())
        })
        .singleton(|| Slow)
        .on_start(|_: Arc<Slow>| std::future::pending::<anyhow::Result<()>>())
        .build()
        .unwrap();
    let err = c.start().await.unwrap_err();
    let StartErrorKind::Hook {
        service, failure, ..
    } = err.kind()
    else {
        panic!("expected a hook failure, got {err}");
    };
    assert_eq!(service.short_name(), "Slow");
    assert!(matches!(failure, DisposeFailureKind::TimedOut(t) if *t == Duration::from_millis(20)));
    let msg = err.to_string();
    assert!(
        msg.contains("the start hook of singleton `lifecycle::Slow` did not finish within 20ms"),
        "{msg}"
    );
    assert_eq!(log.take(), ["fast up", "fast down"]);
}

struct Stuck;
struct Failing;
struct Panicking;
struct Conn {
    log: Arc<Log>,
}

#[tokio::test]
async fn stop_hooks_time_out_fail_and_panic_without_stopping_the_shutdown() {
    let log = Arc::new(Log::default());
    let mut b = Container::builder();
    b.instance_arc(log.clone())
        .lifecycle_timeout(Duration::from_millis(20))
        .singleton(|log: Arc<Log>| Conn { log })
        .dispose_with(|c: Arc<Conn>| async move {
            c.log.push("conn disposed");
            anyhow::Ok(())
        })
        .singleton(|_: Arc<Conn>| Stuck)
        .on_stop(|_: Arc<Stuck>| std::future::pending::<anyhow::Result<()>>())
        .singleton(|_: Arc<Conn>| Failing)
        .on_stop(|_: Arc<Failing>| async { Err(anyhow::anyhow!("flush failed: disk full")) });
    b.singleton(|| Panicking);
    let l_panic = line!() + 1;
    b.on_stop(|_: Arc<Panicking>| async {
        panic!("stop hook exploded");
        #[allow(unreachable_code)]
        anyhow::Ok(())
    });
    let c = b.build().unwrap();
    c.start().await.unwrap();
    let err = c.shutdown().await.unwrap_err();
    let failures = err.failures();
    assert_eq!(failures.len(), 3, "{err}");
    // Reverse start order: Panicking, Failing, Stuck.
    assert_eq!(failures[0].service().short_name(), "Panicking");
    assert!(
        matches!(failures[0].kind(), DisposeFailureKind::Panicked(m) if m == "stop hook exploded")
    );
    assert_eq!(failures[0].stop_hook().unwrap().site().line(), l_panic);
    assert_eq!(failures[1].service().short_name(), "Failing");
    assert!(matches!(failures[1].kind(), DisposeFailureKind::Failed(_)));
    assert_eq!(failures[2].service().short_name(), "Stuck");
    assert!(matches!(
        failures[2].kind(),
        DisposeFailureKind::TimedOut(_)
    ));
    let msg = err.to_string();
    assert!(
        msg.contains(
            "the stop hook of singleton `lifecycle::Failing` failed: flush failed: disk full"
        ),
        "{msg}"
    );
    assert!(msg.contains("did not finish within 20ms"), "{msg}");
    // The disposers ran after the stop hooks.
    assert_eq!(log.take(), ["conn disposed"]);
}

#[tokio::test]
async fn a_panicking_start_hook_is_reported_not_propagated() {
    struct Boom;
    let c = Container::builder()
        .singleton(|| Boom)
        .on_start(|_: Arc<Boom>| async {
            panic!("start hook exploded");
            #[allow(unreachable_code)]
            anyhow::Ok(())
        })
        .build()
        .unwrap();
    let err = c.start().await.unwrap_err();
    assert!(
        matches!(err.kind(), StartErrorKind::Hook { failure: DisposeFailureKind::Panicked(m), .. } if m == "start hook exploded"),
        "{err}"
    );
    assert!(err.to_string().contains("panicked: start hook exploded"));
}

#[tokio::test]
async fn a_failed_creation_stops_what_started() {
    struct Broken;
    let log = Arc::new(Log::default());
    let mut b = app(&log, false);
    b.try_singleton(|| -> Result<Broken, std::io::Error> {
        Err(std::io::Error::other("no such host"))
    })
    .on_start(|_: Arc<Broken>| async { anyhow::Ok(()) });
    let c = b.build().unwrap();
    let err = c.start().await.unwrap_err();
    let StartErrorKind::Create(e) = err.kind() else {
        panic!("expected a creation failure, got {err}");
    };
    assert!(matches!(e.kind(), ResolveErrorKind::Factory(_)), "{e}");
    // `Audit` (a stop hook only) had been created, so it counts as started.
    assert_eq!(err.stopped(), 4);
    assert_eq!(
        log.take(),
        [
            "db up",
            "cache up",
            "api up",
            "audit down",
            "api down",
            "cache down",
            "db down"
        ]
    );
}

#[tokio::test]
async fn start_runs_once_and_not_after_shutdown() {
    let log = Arc::new(Log::default());
    let c = app(&log, false).build().unwrap();
    c.start().await.unwrap();
    let again = c.start().await.unwrap_err();
    assert!(matches!(again.kind(), StartErrorKind::AlreadyStarted));
    assert!(again.to_string().contains("already called"), "{again}");
    assert_eq!(log.take(), ["db up", "cache up", "api up"]);

    let c = app(&log, false).build().unwrap();
    c.shutdown().await.unwrap();
    let late = c.start().await.unwrap_err();
    assert!(matches!(late.kind(), StartErrorKind::ShutDown));
    // Nothing had started, so nothing stopped.
    assert_eq!(log.take(), Vec::<String>::new());
}

struct Request;
struct Pooled;

#[test]
fn hooks_on_non_singletons_bindings_and_unregistered_types_are_build_problems() {
    trait Api: Send + Sync {}
    struct Impl;
    impl Api for Impl {}
    let mut b = Container::builder();
    b.scoped(|| Request);
    let l_scoped = line!() + 1;
    b.on_start(|_: Arc<Request>| async { anyhow::Ok(()) });
    b.pooled(2, || Pooled);
    let l_pooled = line!() + 1;
    b.on_stop(|_: Arc<Pooled>| async { anyhow::Ok(()) });
    let l_unregistered = line!() + 1;
    b.on_stop(|_: Arc<Slow>| async { anyhow::Ok(()) });
    b.singleton(|| Impl).bind::<dyn Api, Impl>(|i| i);
    let l_binding = line!() + 1;
    b.on_start(|_: Arc<dyn Api>| async { anyhow::Ok(()) });
    b.singleton(|| Twice);
    b.on_start(|_: Arc<Twice>| async { anyhow::Ok(()) });
    let l_twice = line!() + 1;
    b.on_start(|_: Arc<Twice>| async { anyhow::Ok(()) });
    let problems = b.build().unwrap_err().into_problems();
    let found: Vec<(u32, String)> = problems
        .iter()
        .map(|p| match p {
            Problem::Misconfigured { node, reason } => {
                assert_eq!(node.role(), Role::Lifecycle);
                (node.site().line(), reason.clone())
            }
            other => panic!("expected misconfigurations only, got {other}"),
        })
        .collect();
    let lines: Vec<u32> = found.iter().map(|(l, _)| *l).collect();
    assert_eq!(
        lines,
        [l_unregistered, l_scoped, l_pooled, l_binding, l_twice],
        "{problems:?}"
    );
    assert!(found[0].1.contains("is not registered"), "{}", found[0].1);
    assert!(
        found[1].1.contains("only singletons have a lifecycle"),
        "{}",
        found[1].1
    );
    assert!(found[1].1.contains("scoped"), "{}", found[1].1);
    assert!(found[2].1.contains("pooled"), "{}", found[2].1);
    assert!(found[3].1.contains("is a binding"), "{}", found[3].1);
    assert!(
        found[4].1.contains("already has a start hook"),
        "{}",
        found[4].1
    );
    let msg = problems[1].to_string();
    assert!(
        msg.contains("lifecycle hook of `lifecycle::Request`"),
        "{msg}"
    );
}

struct Twice;

/// A connection pool that the worker uses; closed by its async disposer.
struct Pool {
    log: Arc<Log>,
}

/// One unit of work, per tick, in its own scope.
struct Job {
    pool: Arc<Pool>,
}

/// A background worker: opens a scope per tick through its
/// `ScopeFactory`, started after the pool and stopped before it closes.
struct Worker {
    scopes: ScopeFactory,
    pool: Arc<Pool>,
    ticks: Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<tokio::sync::oneshot::Sender<()>>>>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
    stop: tokio::sync::Notify,
}

#[tokio::test]
async fn a_worker_with_a_scope_factory_starts_after_the_pool_and_stops_before_it_closes() {
    let log = Arc::new(Log::default());
    let (tick, ticks) = tokio::sync::mpsc::unbounded_channel();
    let ticks = Mutex::new(Some(ticks));
    let c = Container::builder()
        .instance_arc(log.clone())
        .singleton(|log: Arc<Log>| Pool { log })
        .on_start(|p: Arc<Pool>| async move {
            p.log.push("pool open");
            anyhow::Ok(())
        })
        .dispose_with(|p: Arc<Pool>| async move {
            p.log.push("pool closed");
            anyhow::Ok(())
        })
        .scoped(|pool: Arc<Pool>| Job { pool })
        .singleton(move |scopes: ScopeFactory, pool: Arc<Pool>| Worker {
            scopes,
            pool,
            ticks: Mutex::new(ticks.lock().take()),
            task: Mutex::new(None),
            stop: tokio::sync::Notify::new(),
        })
        .on_start(|w: Arc<Worker>| async move {
            let mut ticks = w.ticks.lock().take().expect("started once");
            let me = w.clone();
            w.task.lock().replace(tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = me.stop.notified() => break,
                        Some(done) = ticks.recv() => {
                            let scope = me.scopes.open().unwrap();
                            let job = scope.resolve::<Job>().unwrap();
                            job.pool.log.push("tick");
                            scope.dispose().await.unwrap();
                            let _ = done.send(());
                        }
                    }
                }
            }));
            w.pool.log.push("worker started");
            anyhow::Ok(())
        })
        .on_stop(|w: Arc<Worker>| async move {
            w.stop.notify_one();
            let task = w.task.lock().take();
            if let Some(task) = task {
                task.await?;
            }
            w.pool.log.push("worker stopped");
            anyhow::Ok(())
        })
        .build()
        .unwrap();
    c.start().await.unwrap();
    for _ in 0..3 {
        let (done, finished) = tokio::sync::oneshot::channel();
        tick.send(done).unwrap();
        finished.await.unwrap();
    }
    c.shutdown().await.unwrap();
    assert_eq!(
        log.take(),
        [
            "pool open",
            "worker started",
            "tick",
            "tick",
            "tick",
            "worker stopped",
            "pool closed"
        ]
    );
}

struct First(#[allow(dead_code)] Token);
struct Second(#[allow(dead_code)] Token, #[allow(dead_code)] Arc<First>);

#[tokio::test]
async fn started_singletons_are_still_dropped_in_reverse_creation_order() {
    let probe = Probe::new();
    let (p1, p2) = (probe.clone(), probe.clone());
    let c = Container::builder()
        .singleton(move || First(p1.token("first")))
        .on_start(|_: Arc<First>| async { anyhow::Ok(()) })
        .singleton(move |f: Arc<First>| Second(p2.token("second"), f))
        .on_start(|_: Arc<Second>| async { anyhow::Ok(()) })
        .build()
        .unwrap();
    c.start().await.unwrap();
    assert_eq!(probe.created(), 2);
    drop(c); // without shutdown: nothing is stopped, everything dropped
    assert_eq!(probe.drops(), ["second", "first"]);
}

#[derive(Injectable)]
#[injectable(singleton)]
struct Derived {
    log: Arc<Log>,
}

#[derive(Injectable)]
#[injectable(singleton, on_start = Hooked::up, on_stop = Hooked::down)]
struct Hooked {
    log: Arc<Log>,
    _derived: Arc<Derived>,
}

impl Hooked {
    async fn up(self: Arc<Self>) -> anyhow::Result<()> {
        self.log.push("hooked up");
        Ok(())
    }

    async fn down(self: Arc<Self>) -> Result<(), std::io::Error> {
        self.log.push("hooked down");
        Ok(())
    }
}

#[tokio::test]
async fn a_derived_singleton_has_a_lifecycle() {
    let log = Arc::new(Log::default());
    let c = Container::builder()
        .instance_arc(log.clone())
        .add::<Derived>()
        .on_start(|d: Arc<Derived>| async move {
            d.log.push("derived up");
            anyhow::Ok(())
        })
        .on_stop(|d: Arc<Derived>| async move {
            d.log.push("derived down");
            anyhow::Ok(())
        })
        .build()
        .unwrap();
    c.start().await.unwrap();
    c.shutdown().await.unwrap();
    assert_eq!(log.take(), ["derived up", "derived down"]);

    // The hooks declared on the struct, with the site of `add`.
    let mut b = Container::builder();
    b.instance_arc(log.clone()).add::<Derived>();
    let l_add = line!() + 1;
    b.add::<Hooked>();
    let c = b.build().unwrap();
    let row_site = c.describe().get::<Hooked>().unwrap().service.site().line();
    assert_eq!(row_site, l_add);
    assert!(c.describe().get::<Hooked>().unwrap().on_start);
    c.start().await.unwrap();
    c.shutdown().await.unwrap();
    assert_eq!(log.take(), ["hooked up", "hooked down"]);

    // A derived singleton registered as scoped: its hooks are refused at
    // `build`, at the `add_as` site.
    let mut b = Container::builder();
    b.instance_arc(log.clone()).add::<Derived>();
    let l_add = line!() + 1;
    b.add_as::<Hooked>(tenure::Lifetime::Scoped);
    let problems = b.build().unwrap_err().into_problems();
    assert_eq!(problems.len(), 2, "{problems:?}");
    for p in &problems {
        let Problem::Misconfigured { node, reason } = p else {
            panic!("expected misconfigurations, got {p}");
        };
        assert_eq!(node.site().line(), l_add);
        assert!(
            reason.contains("only singletons have a lifecycle"),
            "{reason}"
        );
    }
}

#[tokio::test]
async fn test_kernels_and_subject_builds_keep_the_hooks_of_what_they_build() {
    let log = Arc::new(Log::default());
    // A fake `Cache` keeps the hooks attached to its type.
    let mut kernel = TestKernel::new(app(&log, true));
    let fake_log = log.clone();
    kernel.replace(move |b| {
        let log = fake_log.clone();
        b.singleton(move |_db: Arc<Db>| Cache {
            log: log.clone(),
            _db,
        });
    });
    let c = kernel.build().unwrap();
    assert!(c.start().await.is_err()); // the production hook fails
    assert_eq!(log.take(), ["db up", "cache failing", "db down"]);

    // Only what `Cache` needs is built, and started.
    let c = app(&log, false).build_for::<Cache>().unwrap();
    c.start().await.unwrap();
    c.shutdown().await.unwrap();
    assert_eq!(log.take(), ["db up", "cache up", "cache down", "db down"]);
}

struct Primary;
struct Replica;

#[tokio::test]
async fn keyed_singletons_have_a_lifecycle_per_key() {
    let log = Arc::new(Log::default());
    let c = Container::builder()
        .instance_arc(log.clone())
        .keyed::<Primary>()
        .singleton(|log: Arc<Log>| Db { log })
        .keyed::<Replica>()
        .singleton(|log: Arc<Log>| Db { log })
        .keyed::<Primary>()
        .on_start(|d: Arc<Db>| async move {
            d.log.push("primary up");
            anyhow::Ok(())
        })
        .keyed::<Replica>()
        .on_stop(|d: Arc<Db>| async move {
            d.log.push("replica down");
            anyhow::Ok(())
        })
        .build()
        .unwrap();
    c.start().await.unwrap();
    c.shutdown().await.unwrap();
    assert_eq!(log.take(), ["primary up", "replica down"]);

    let mut b = Container::builder();
    b.keyed::<Primary>().scoped(|| Request);
    let key = b.keyed::<Primary>();
    let l_hook = line!() + 1;
    key.on_start(|_: Arc<Request>| async { anyhow::Ok(()) });
    let problems = b.build().unwrap_err().into_problems();
    let [Problem::Misconfigured { node, reason }] = &problems[..] else {
        panic!("expected one misconfiguration, got {problems:?}");
    };
    assert_eq!(node.site().line(), l_hook);
    assert!(reason.contains("only singletons"), "{reason}");
}

/// A test that builds the production wiring without its background work:
/// `without_lifecycle` removes a service's start and stop hooks (the
/// base's, a module's, the derive's), and a hook the test adds afterwards
/// applies without clashing with the removed one.
#[tokio::test]
async fn a_test_removes_production_hooks_and_may_add_its_own() {
    let log = Arc::new(Log::default());
    // The production start hook of `Cache` fails (no redis here).
    let mut kernel = TestKernel::new(app(&log, true));
    kernel.without_lifecycle::<Cache>();
    let c = kernel.build().unwrap();
    c.start().await.unwrap();
    assert_eq!(log.take(), ["db up", "api up"]);
    c.shutdown().await.unwrap();
    assert_eq!(log.take(), ["audit down", "api down", "db down"]);

    let test_log = log.clone();
    kernel.replace(move |b| {
        let log = test_log.clone();
        b.on_start(move |_: Arc<Cache>| {
            let log = log.clone();
            async move {
                log.push("test cache up");
                anyhow::Ok(())
            }
        });
    });
    let c = kernel.build().unwrap();
    c.start().await.unwrap();
    assert_eq!(log.take(), ["db up", "test cache up", "api up"]);

    // The same on a builder, and per key.
    let mut b = app(&log, true);
    b.without_lifecycle::<Cache>();
    b.keyed::<Primary>()
        .singleton(|| Primary)
        .keyed::<Primary>()
        .on_start(|_: Arc<Primary>| async { Err::<(), _>(anyhow::anyhow!("unreachable")) })
        .keyed::<Primary>()
        .without_lifecycle::<Primary>();
    let c = b.build().unwrap();
    c.start().await.unwrap();
    assert_eq!(log.take(), ["db up", "api up"]);
}
