//! Ordered lifecycle: start hooks run by [`Container::start`] in dependency
//! order, stop hooks in reverse at [`Container::shutdown`] (modelled on
//! fx's `Lifecycle`).

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::builder::{ContainerBuilder, Hook, HookKind, node, remove_lifecycle};
use crate::container::{Container, Shared};
use crate::erased::{Erased, contain, panic_message};
use crate::error::ResolveError;
use crate::factory::ErasedDisposer;
use crate::inject::Caster;
use crate::key::Key;
use crate::keyed::{KeyedBuilder, key_of};
use crate::node::{Node, Role};
use crate::resolve::Ctx;

use super::dispose::{CatchUnwind, DisposeFailure, DisposeFailureKind};
use super::register::erase_hook;

impl ContainerBuilder {
    /// Attaches a start hook to the singleton `T`, run by
    /// [`Container::start`]: after the start hooks of everything `T`
    /// depends on (directly or not), under the
    /// [`lifecycle_timeout`](Self::lifecycle_timeout). For work a service
    /// begins once the application is wired: spawning a background loop,
    /// subscribing to a queue, announcing itself.
    ///
    /// Validated at `build`: `T` must be registered, as a singleton (a hook
    /// on a scoped, pooled or transient service, or on a binding, is
    /// [`Misconfigured`](crate::Problem::Misconfigured), with the hook's
    /// site), and have one start hook at most.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use tenure::Container;
    ///
    /// #[derive(Default)]
    /// struct Worker { running: AtomicBool }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let c = Container::builder()
    ///     .singleton(Worker::default)
    ///     .on_start(|w: Arc<Worker>| async move {
    ///         w.running.store(true, Ordering::SeqCst);
    ///         Ok::<_, std::io::Error>(())
    ///     })
    ///     .on_stop(|w: Arc<Worker>| async move {
    ///         w.running.store(false, Ordering::SeqCst);
    ///         Ok::<_, std::io::Error>(())
    ///     })
    ///     .build()?;
    /// c.start().await?;
    /// let w = c.resolve::<Worker>()?;
    /// assert!(w.running.load(Ordering::SeqCst));
    /// c.shutdown().await?;
    /// assert!(!w.running.load(Ordering::SeqCst));
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn on_start<T, F, Fut, E>(&mut self, hook: F) -> &mut Self
    where
        T: ?Sized + Send + Sync + 'static,
        F: Fn(Arc<T>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<anyhow::Error> + 'static,
    {
        self.push_lifecycle::<T>(HookKind::Start(erase_hook(hook)))
    }

    /// Attaches a stop hook to the singleton `T`, run by
    /// [`Container::shutdown`] if [`start`](Container::start) started `T`:
    /// before the stop hooks of everything `T` depends on (reverse start
    /// order), and before any async disposer, under the
    /// [`lifecycle_timeout`](Self::lifecycle_timeout). Validated like
    /// [`on_start`](Self::on_start); see its example.
    #[track_caller]
    pub fn on_stop<T, F, Fut, E>(&mut self, hook: F) -> &mut Self
    where
        T: ?Sized + Send + Sync + 'static,
        F: Fn(Arc<T>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<anyhow::Error> + 'static,
    {
        self.push_lifecycle::<T>(HookKind::Stop(erase_hook(hook)))
    }

    /// Removes every start and stop hook of `T` registered so far (by a
    /// module, or by `#[injectable(on_start = .., on_stop = ..)]`): for a
    /// test or a tool that builds the production wiring without starting
    /// its background work. A hook registered afterwards (a test's own)
    /// applies as usual.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tenure::Container;
    ///
    /// struct Poller;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut b = Container::builder();
    /// b.singleton(|| Poller)
    ///     .on_start(|_: Arc<Poller>| async { Err::<(), _>(std::io::Error::other("no network here")) });
    /// b.without_lifecycle::<Poller>();
    /// let c = b.build()?;
    /// c.start().await?; // nothing to start
    /// # Ok(()) }
    /// ```
    pub fn without_lifecycle<T: ?Sized + 'static>(&mut self) -> &mut Self {
        remove_lifecycle(&mut self.hooks, Key::of::<T>().id);
        self
    }

    /// How long one start or stop hook may run before it is reported as
    /// timed out and abandoned (default 30 seconds).
    pub fn lifecycle_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.settings.lifecycle_timeout = timeout;
        self
    }

    #[track_caller]
    fn push_lifecycle<T: ?Sized + Send + Sync + 'static>(&mut self, kind: HookKind) -> &mut Self {
        self.push_lifecycle_at::<T>(Key::of::<T>(), kind)
    }

    #[track_caller]
    fn push_lifecycle_at<T: ?Sized + Send + Sync + 'static>(
        &mut self,
        key: Key,
        kind: HookKind,
    ) -> &mut Self {
        self.hooks.push(Hook {
            key,
            node: node(key, Role::Lifecycle),
            kind,
            caster: std::any::TypeId::of::<Caster<T>>(),
        });
        self
    }
}

/// Why [`Container::start`] failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum StartErrorKind {
    /// A start hook returned an error, panicked or timed out.
    Hook {
        /// The service whose start hook failed.
        service: Node,
        /// The hook, with its registration site.
        hook: Node,
        /// How it failed.
        failure: DisposeFailureKind,
    },
    /// Creating a service with a lifecycle hook (or one of its
    /// dependencies) failed; the error names the path.
    Create(ResolveError),
    /// `start` had been called on this container already: it runs once.
    AlreadyStarted,
    /// The container is shut down.
    ShutDown,
}

/// [`Container::start`] failed: the first failure, and the stop hooks that
/// failed while what had started was stopped again.
///
/// Its [`Debug`](fmt::Debug) is the same report as its
/// [`Display`](fmt::Display).
pub struct StartError {
    kind: StartErrorKind,
    stopped: usize,
    stop_failures: Vec<DisposeFailure>,
}

impl StartError {
    /// What failed.
    pub fn kind(&self) -> &StartErrorKind {
        &self.kind
    }

    /// How many started services were stopped again.
    pub fn stopped(&self) -> usize {
        self.stopped
    }

    /// The stop hooks that failed while they were stopped, in the order
    /// they ran (reverse start order).
    pub fn stop_failures(&self) -> &[DisposeFailure] {
        &self.stop_failures
    }

    fn refused(kind: StartErrorKind) -> StartError {
        StartError {
            kind,
            stopped: 0,
            stop_failures: Vec::new(),
        }
    }
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("start failed: ")?;
        match &self.kind {
            StartErrorKind::Hook {
                service,
                hook,
                failure,
            } => write_failure(f, "start", service, hook, failure)?,
            StartErrorKind::Create(e) => write!(f, "{e}")?,
            StartErrorKind::AlreadyStarted => {
                return f.write_str(
                    "`Container::start` was already called on this container; it runs once \
                     (build a new container to start again)",
                );
            }
            StartErrorKind::ShutDown => {
                return f.write_str("the container is shut down; build a new one to start");
            }
        }
        let n = self.stopped;
        write!(
            f,
            "\nLater services were not started; the {n} service{} started before {} stopped \
             again (reverse start order).",
            if n == 1 { "" } else { "s" },
            if n == 1 { "was" } else { "were" },
        )?;
        for (i, x) in self.stop_failures.iter().enumerate() {
            write!(f, "\n{}. {x}", i + 1)?;
        }
        Ok(())
    }
}

impl fmt::Debug for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            f.debug_struct("StartError")
                .field("kind", &self.kind)
                .field("stopped", &self.stopped)
                .field("stop_failures", &self.stop_failures)
                .finish()
        } else {
            fmt::Display::fmt(self, f)
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            StartErrorKind::Create(e) => Some(e),
            _ => None,
        }
    }
}

/// `the start hook of singleton `app::Worker` failed: ... [hook registered
/// at file:line]`.
pub(super) fn write_failure(
    f: &mut fmt::Formatter<'_>,
    what: &str,
    service: &Node,
    hook: &Node,
    kind: &DisposeFailureKind,
) -> fmt::Result {
    match kind {
        DisposeFailureKind::Failed(e) => write!(f, "the {what} hook of {service} failed: {e:#}"),
        DisposeFailureKind::Panicked(m) => write!(f, "the {what} hook of {service} panicked: {m}"),
        DisposeFailureKind::TimedOut(t) => write!(
            f,
            "the {what} hook of {service} did not finish within {t:?} and was abandoned \
             (raise `lifecycle_timeout`, or make the hook return sooner)"
        ),
        DisposeFailureKind::Skipped => write!(f, "the {what} hook of {service} never ran"),
    }?;
    write!(f, " [hook registered at {}]", hook.site())
}

/// Runs one hook on `value`, under `timeout`, a panic caught.
async fn run_hook(
    hook: &ErasedDisposer,
    value: Erased,
    caster: &(dyn Any + Send + Sync),
    timeout: Duration,
) -> Result<(), DisposeFailureKind> {
    let fut = contain(|| hook(value, caster)).map_err(DisposeFailureKind::Panicked)?;
    match tokio::time::timeout(timeout, CatchUnwind(fut)).await {
        Ok(Ok(Ok(()))) => Ok(()),
        Ok(Ok(Err(e))) => Err(DisposeFailureKind::Failed(e)),
        Ok(Err(panic)) => Err(DisposeFailureKind::Panicked(panic_message(&*panic))),
        Err(_) => Err(DisposeFailureKind::TimedOut(timeout)),
    }
}

/// Runs the stop hooks of what `start` started (and nobody stopped yet),
/// in reverse start order, past failures; returns the failures.
pub(super) async fn stop_started(shared: &Shared) -> Vec<DisposeFailure> {
    let started = std::mem::take(&mut shared.lifecycle.lock().started);
    let plan = &shared.plan;
    let timeout = plan.hooks.lifecycle_timeout;
    let mut failures = Vec::new();
    for i in started.into_iter().rev() {
        let svc = &plan.services[i as usize];
        let Some(value) = shared.slots[svc.slot as usize].get().cloned() else {
            continue; // started singletons stay in their slots
        };
        let Some((hook, stop)) = plan
            .lifecycle
            .iter()
            .find(|l| l.svc == i)
            .and_then(|l| l.stop.clone())
        else {
            continue;
        };
        if let Err(kind) = run_hook(&*stop, value, &*svc.caster, timeout).await {
            failures.push(DisposeFailure {
                service: svc.node,
                kind,
                stop_hook: Some(hook),
            });
        }
    }
    failures
}

impl Container {
    /// Starts the application: creates the singletons that have start or
    /// stop hooks ([`on_start`](ContainerBuilder::on_start),
    /// [`on_stop`](ContainerBuilder::on_stop)), with what they need, and
    /// runs their start hooks in dependency order: a service starts after
    /// everything it depends on (directly or through other services) has
    /// started. Each hook runs under the
    /// [`lifecycle_timeout`](ContainerBuilder::lifecycle_timeout).
    ///
    /// On the first failure (a hook's error, panic or timeout, or a
    /// creation that fails) nothing more is started: the services that
    /// had started are stopped again, in reverse order (their stop hooks
    /// run, past failures), and the error reports the failure and every
    /// stop hook that failed. Panics are caught and reported, never
    /// propagated.
    ///
    /// [`shutdown`](Container::shutdown) runs the stop hooks of the
    /// started services in reverse start order, then the async disposers
    /// (of every singleton, started or not). A service with a stop hook
    /// that `start` did not start (because `start` was never called, or
    /// failed before it) is not stopped.
    ///
    /// `start` runs once per container: a second call (even after a failed
    /// start) is [`AlreadyStarted`](StartErrorKind::AlreadyStarted), and a
    /// call once `shutdown` has begun is
    /// [`ShutDown`](StartErrorKind::ShutDown). Needs a Tokio runtime with
    /// the time driver (`#[tokio::main]` has it), for the timeouts.
    ///
    /// **Relation to warm-up and disposal.**
    /// [`warm_up_async`](Container::warm_up_async) creates every singleton
    /// and reports every failure, but runs no hook; `start` creates only
    /// what has a lifecycle (and its dependencies), stops at the first
    /// failure, and then runs the start hooks. To fail fast on any broken
    /// singleton, call `warm_up_async` first, then `start`. A stop hook is
    /// the reverse of a start hook (stop the loop that `on_start` spawned);
    /// an async disposer ([`dispose_with`](ContainerBuilder::dispose_with))
    /// releases what a factory acquired (close the pool), whether or not
    /// the service was started, after every stop hook.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use tenure::Container;
    ///
    /// type Log = Mutex<Vec<&'static str>>;
    /// struct Db { log: Arc<Log> }
    /// struct Api { _db: Arc<Db>, log: Arc<Log> }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let log = Arc::new(Log::default());
    /// let c = Container::builder()
    ///     .instance_arc(log.clone())
    ///     // registered first, but starts after `Db`, which it needs:
    ///     .singleton(|_db: Arc<Db>, log: Arc<Log>| Api { _db, log })
    ///     .on_start(|a: Arc<Api>| async move { a.log.lock().unwrap().push("api up"); anyhow::Ok(()) })
    ///     .on_stop(|a: Arc<Api>| async move { a.log.lock().unwrap().push("api down"); anyhow::Ok(()) })
    ///     .singleton(|log: Arc<Log>| Db { log })
    ///     .on_start(|d: Arc<Db>| async move { d.log.lock().unwrap().push("db up"); anyhow::Ok(()) })
    ///     .on_stop(|d: Arc<Db>| async move { d.log.lock().unwrap().push("db down"); anyhow::Ok(()) })
    ///     .build()?;
    /// c.start().await?;
    /// c.shutdown().await?;
    /// assert_eq!(*log.lock().unwrap(), ["db up", "api up", "api down", "db down"]);
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    /// If the future is dropped, the hook that was running is abandoned;
    /// what had started stays started (and is stopped by `shutdown`).
    pub async fn start(&self) -> Result<(), StartError> {
        let shared = &*self.shared;
        {
            let mut state = shared.lifecycle.lock();
            if shared.is_shut_down() {
                return Err(StartError::refused(StartErrorKind::ShutDown));
            }
            if state.called {
                return Err(StartError::refused(StartErrorKind::AlreadyStarted));
            }
            state.called = true;
        }
        let plan = &shared.plan;
        let timeout = plan.hooks.lifecycle_timeout;
        let order: Vec<u32> = if plan.lifecycle.is_empty() {
            Vec::new()
        } else {
            plan.dependency_order()
        };
        for i in order {
            let Some(life) = plan.lifecycle.iter().find(|l| l.svc == i) else {
                continue;
            };
            let svc = &plan.services[i as usize];
            let value = match self.ctx() {
                Ok(cx) => create(cx, i).await,
                Err(e) => Err(e),
            };
            let value = match value {
                Ok(v) => v,
                Err(e) => return Err(self.abort(StartErrorKind::Create(e)).await),
            };
            if let Some((hook, start)) = &life.start
                && let Err(failure) = run_hook(&**start, value.clone(), &*svc.caster, timeout).await
            {
                let kind = StartErrorKind::Hook {
                    service: svc.node,
                    hook: *hook,
                    failure,
                };
                return Err(self.abort(kind).await);
            }
            shared.lifecycle.lock().started.push(i);
        }
        Ok(())
    }

    /// Stops what started, after a failed start.
    async fn abort(&self, kind: StartErrorKind) -> StartError {
        let stopped = self.shared.lifecycle.lock().started.len();
        let stop_failures = stop_started(&self.shared).await;
        StartError {
            kind,
            stopped,
            stop_failures,
        }
    }
}

/// Resolves service `i` from the root, awaiting async factories.
async fn create(cx: Ctx<'_>, i: u32) -> Result<Erased, ResolveError> {
    let got = cx.get_async(i).await?;
    Ok(cx.erased(i, got))
}

impl<'b, K: 'static> KeyedBuilder<'b, K> {
    /// Attaches a start hook to the singleton `T` registered under `K`.
    /// See [`ContainerBuilder::on_start`].
    #[track_caller]
    pub fn on_start<T, F, Fut, E>(self, hook: F) -> &'b mut ContainerBuilder
    where
        T: ?Sized + Send + Sync + 'static,
        F: Fn(Arc<T>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<anyhow::Error> + 'static,
    {
        let key = key_of::<K, T>();
        self.builder
            .push_lifecycle_at::<T>(key, HookKind::Start(erase_hook(hook)))
    }

    /// Attaches a stop hook to the singleton `T` registered under `K`.
    /// See [`ContainerBuilder::on_stop`].
    #[track_caller]
    pub fn on_stop<T, F, Fut, E>(self, hook: F) -> &'b mut ContainerBuilder
    where
        T: ?Sized + Send + Sync + 'static,
        F: Fn(Arc<T>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<anyhow::Error> + 'static,
    {
        let key = key_of::<K, T>();
        self.builder
            .push_lifecycle_at::<T>(key, HookKind::Stop(erase_hook(hook)))
    }

    /// Removes every start and stop hook of `T` registered under `K` so
    /// far. See [`ContainerBuilder::without_lifecycle`].
    pub fn without_lifecycle<T: ?Sized + 'static>(self) -> &'b mut ContainerBuilder {
        remove_lifecycle(&mut self.builder.hooks, key_of::<K, T>().id);
        self.builder
    }
}
