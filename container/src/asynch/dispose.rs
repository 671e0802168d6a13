//! Async disposal: [`AsyncDispose`], [`Scope::dispose`],
//! [`Container::shutdown`], [`Container::run_scoped`].

use std::any::Any;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::container::{Container, Shared};
use crate::erased::{BoxFuture, Erased, contain, panic_message};
use crate::factory::ErasedDisposer;
use crate::node::Node;
use crate::owner::{Owned, Owning};
use crate::plan::{Hooks, Plan};
use crate::scope::{Scope, ScopeShared};
use crate::slot::Slot;

/// A service that must release something asynchronously (close a
/// connection, flush a buffer) before it is dropped.
///
/// Register the implementation with
/// [`ContainerBuilder::dispose::<T>()`](crate::ContainerBuilder::dispose)
/// (or pass a closure to
/// [`dispose_with`](crate::ContainerBuilder::dispose_with)). The container
/// awaits it in [`Scope::dispose`] for scoped instances (and transients the
/// scope created) and in [`Container::shutdown`] for singletons.
///
/// ```
/// use tenure::AsyncDispose;
///
/// struct Conn;
/// impl AsyncDispose for Conn {
///     async fn dispose(&self) -> anyhow::Result<()> {
///         // e.g. self.socket.shutdown().await?
///         Ok(())
///     }
/// }
/// ```
pub trait AsyncDispose: Send + Sync + 'static {
    /// Releases the service's resources.
    fn dispose(&self) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// Why one disposer did not complete.
#[derive(Debug)]
#[non_exhaustive]
pub enum DisposeFailureKind {
    /// It returned an error.
    Failed(anyhow::Error),
    /// It panicked; the panic message.
    Panicked(String),
    /// It ran longer than the dispose timeout and was abandoned.
    TimedOut(Duration),
    /// It never ran: its disposal was cancelled where no Tokio runtime
    /// could finish it (the instance was dropped without it).
    Skipped,
}

impl DisposeFailureKind {
    /// The outcome's name in traces.
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    fn outcome(&self) -> &'static str {
        match self {
            DisposeFailureKind::Failed(_) => "failed",
            DisposeFailureKind::Panicked(_) => "panicked",
            DisposeFailureKind::TimedOut(_) => "timed out",
            DisposeFailureKind::Skipped => "skipped",
        }
    }
}

impl fmt::Display for DisposeFailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DisposeFailureKind::Failed(e) => write!(f, "{e:#}"),
            DisposeFailureKind::Panicked(m) => f.write_str(m),
            DisposeFailureKind::TimedOut(t) => write!(f, "did not finish within {t:?}"),
            DisposeFailureKind::Skipped => f.write_str("never ran"),
        }
    }
}

/// One disposer that did not complete.
#[derive(Debug)]
pub struct DisposeFailure {
    service: Node,
    kind: DisposeFailureKind,
}

impl DisposeFailure {
    /// The service whose disposer failed.
    pub fn service(&self) -> &Node {
        &self.service
    }

    /// How it failed.
    pub fn kind(&self) -> &DisposeFailureKind {
        &self.kind
    }
}

impl fmt::Display for DisposeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            DisposeFailureKind::Failed(e) => {
                write!(f, "the disposer of {} failed: {e:#}", self.service)
            }
            DisposeFailureKind::Panicked(m) => {
                write!(f, "the disposer of {} panicked: {m}", self.service)
            }
            DisposeFailureKind::TimedOut(t) => {
                write!(
                    f,
                    "the disposer of {} did not finish within {t:?} and was abandoned",
                    self.service
                )
            }
            DisposeFailureKind::Skipped => write!(
                f,
                "the disposer of {} never ran: its disposal was cancelled with no Tokio runtime \
                 to finish it on",
                self.service
            ),
        }?;
        write!(f, " [registered at {}]", self.service.site)
    }
}

/// Some async disposers failed, panicked, timed out or could not run.
/// Every other disposer still ran, and every instance was still dropped.
///
/// Its [`Debug`](fmt::Debug) is the same report as its
/// [`Display`](fmt::Display); `{:#?}` prints the structure
/// ([`failures`](DisposeError::failures)).
pub struct DisposeError {
    failures: Vec<DisposeFailure>,
}

impl DisposeError {
    /// Every failure, in the order the disposers ran (reverse creation order).
    pub fn failures(&self) -> &[DisposeFailure] {
        &self.failures
    }
}

impl fmt::Display for DisposeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.failures.len();
        write!(
            f,
            "{n} disposer{} did not complete:",
            if n == 1 { "" } else { "s" }
        )?;
        for (i, x) in self.failures.iter().enumerate() {
            write!(f, "\n{}. {x}", i + 1)?;
        }
        Ok(())
    }
}

impl fmt::Debug for DisposeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            f.debug_struct("DisposeError")
                .field("failures", &self.failures)
                .finish()
        } else {
            fmt::Display::fmt(self, f)
        }
    }
}

impl std::error::Error for DisposeError {}

/// One disposer to run: the service, its disposer, the instance and the
/// service's caster (through which the disposer converts the instance).
struct Job {
    service: Node,
    disposer: Arc<ErasedDisposer>,
    value: Erased,
    caster: Arc<dyn Any + Send + Sync>,
}

/// The instances in `owned` that have async disposers, newest first.
fn pending(owned: &Owned, slots: Option<&[Slot]>, plan: &Plan) -> VecDeque<Job> {
    let mut jobs = VecDeque::new();
    owned.newest_first(slots.unwrap_or_default(), |o| {
        if !plan.disposed_by_owner(o.svc()) {
            return;
        }
        let value = match o {
            Owning::Slot { slot, .. } => slots.and_then(|s| s.get(slot as usize)?.get()),
            Owning::Transient { value, .. } => Some(value),
        };
        let s = &plan.services[o.svc() as usize];
        if let (Some(value), Some(disposer)) = (value, &s.disposer) {
            jobs.push_back(Job {
                service: s.node,
                disposer: disposer.clone(),
                value: value.clone(),
                caster: s.caster.clone(),
            });
        }
    });
    jobs
}

/// What a disposal keeps alive until it is done: the scope (whose last
/// reference then drops its instances, newest first) or the container.
enum Keep {
    Scope(#[allow(dead_code)] Arc<ScopeShared>),
    Root(#[allow(dead_code)] Arc<Shared>),
}

/// A disposal in progress: the disposers left to run, the one running, the
/// failures so far. Run by [`Disposal::run`]; if that future is dropped
/// before the end, the rest continues on the Tokio runtime (see
/// [`Drop`](#impl-Drop-for-Disposal)), so no disposer is lost silently.
struct Disposal {
    jobs: VecDeque<Job>,
    running: Option<(Node, BoxFuture<'static, Outcome>)>,
    failures: Vec<DisposeFailure>,
    hooks: Hooks,
    keep: Option<Keep>,
    finished: bool,
    /// What this disposal is, for a report nobody awaits.
    what: String,
}

type Outcome =
    Result<Result<Result<(), anyhow::Error>, Box<dyn Any + Send>>, tokio::time::error::Elapsed>;

impl Disposal {
    fn new(jobs: VecDeque<Job>, hooks: Hooks, keep: Keep) -> Disposal {
        Disposal {
            jobs,
            running: None,
            failures: Vec::new(),
            hooks,
            keep: Some(keep),
            finished: false,
            what: "a disposal that was cancelled finished on the runtime".to_owned(),
        }
    }

    /// Runs every disposer in turn, under the timeout, past failures and
    /// panics; then lets go of what it kept alive.
    async fn run(&mut self) -> Result<(), DisposeError> {
        let timeout = self.hooks.dispose_timeout;
        loop {
            if self.running.is_none() {
                let Some(job) = self.jobs.pop_front() else {
                    break;
                };
                let Job {
                    service,
                    disposer,
                    value,
                    caster,
                } = job;
                match contain(|| disposer(value, &*caster)) {
                    Ok(fut) => {
                        let fut: BoxFuture<'static, Outcome> =
                            Box::pin(tokio::time::timeout(timeout, CatchUnwind(fut)));
                        self.running = Some((service, fut));
                    }
                    Err(panic) => {
                        crate::trace::disposed(&service, self.scope_id(), "panicked", Some(&panic));
                        self.failures.push(DisposeFailure {
                            service,
                            kind: DisposeFailureKind::Panicked(panic),
                        });
                        continue;
                    }
                }
            }
            if let Some((service, fut)) = self.running.as_mut() {
                let outcome = fut.await;
                let service = *service;
                self.running = None;
                let kind = match outcome {
                    Ok(Ok(Ok(()))) => {
                        crate::trace::disposed(&service, self.scope_id(), "ok", None);
                        continue;
                    }
                    Ok(Ok(Err(e))) => DisposeFailureKind::Failed(e),
                    Ok(Err(panic)) => DisposeFailureKind::Panicked(panic_message(&*panic)),
                    Err(_) => DisposeFailureKind::TimedOut(timeout),
                };
                crate::trace::disposed(&service, self.scope_id(), kind.outcome(), Some(&kind));
                self.failures.push(DisposeFailure { service, kind });
            }
        }
        self.finished = true;
        self.keep = None;
        let failures = std::mem::take(&mut self.failures);
        if failures.is_empty() {
            Ok(())
        } else {
            Err(DisposeError { failures })
        }
    }

    /// The id of the scope being disposed (`trace::ROOT` for a shutdown).
    fn scope_id(&self) -> u64 {
        match &self.keep {
            Some(Keep::Scope(s)) => s.id,
            _ => crate::trace::ROOT,
        }
    }

    /// Moves the unfinished rest of this disposal out (leaving this one
    /// finished).
    fn take_rest(&mut self) -> Disposal {
        self.finished = true;
        Disposal {
            jobs: std::mem::take(&mut self.jobs),
            running: self.running.take(),
            failures: std::mem::take(&mut self.failures),
            hooks: self.hooks.clone(),
            keep: self.keep.take(),
            finished: false,
            what: std::mem::take(&mut self.what),
        }
    }
}

/// Reports a disposal failure nobody awaits (`what` says which), through
/// `ContainerBuilder::on_dispose_error` (standard error by default); a
/// panic in the hook is contained and reported. The one place for it: the
/// core's detached disposals and integrations (`tenure::axum`) use it.
pub(crate) fn report(hooks: &Hooks, err: &DisposeError, what: &str) {
    let reported = match &hooks.on_dispose_error {
        Some(hook) => contain(|| hook(err)),
        None => {
            eprintln!("tenure: {what}: {err}");
            Ok(())
        }
    };
    if let Err(panic) = reported {
        eprintln!(
            "tenure: the `on_dispose_error` hook panicked ({panic}) while reporting ({what}): {err}"
        );
    }
}

impl Drop for Disposal {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let mut rest = self.take_rest();
        if rest.jobs.is_empty() && rest.running.is_none() && rest.failures.is_empty() {
            rest.finished = true;
            return;
        }
        // A runtime that is shutting down drops what is spawned on it at
        // once; handing the rest over again from that drop would recurse.
        thread_local! {
            static DETACHING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
        }
        struct Reset(bool);
        impl Drop for Reset {
            fn drop(&mut self) {
                let outer = self.0;
                DETACHING.with(|d| d.set(outer));
            }
        }
        let outer = DETACHING.with(|d| d.replace(true));
        let _reset = Reset(outer);
        let runtime = match outer {
            true => None,
            false => tokio::runtime::Handle::try_current().ok(),
        };
        match runtime {
            Some(rt) => {
                rt.spawn(async move {
                    if let Err(e) = rest.run().await {
                        report(&rest.hooks, &e, &rest.what);
                    }
                });
            }
            None => {
                // Nothing can await the rest here: report every disposer that
                // will not run, and drop the instances.
                rest.finished = true;
                let mut failures = std::mem::take(&mut rest.failures);
                failures.extend(
                    rest.running
                        .take()
                        .map(|(service, _)| service)
                        .into_iter()
                        .chain(rest.jobs.drain(..).map(|j| j.service))
                        .map(|service| DisposeFailure {
                            service,
                            kind: DisposeFailureKind::Skipped,
                        }),
                );
                if !failures.is_empty() {
                    report(&rest.hooks, &DisposeError { failures }, &rest.what);
                }
            }
        }
    }
}

/// A future that turns a panic while polling into an `Err`.
struct CatchUnwind<F>(F);

impl<F: Future + Unpin> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = &mut self.0;
        match std::panic::catch_unwind(AssertUnwindSafe(|| Pin::new(inner).poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

impl Scope {
    /// Ends the scope: awaits the async disposers of what it owns (scoped
    /// instances, and transients with disposers it created), newest first,
    /// each exactly once and under the dispose timeout, continuing past
    /// failures, panics and timeouts; then drops its instances, newest
    /// first, and gives pooled ones back to their pools.
    ///
    /// Returns every disposer that did not complete. From the moment it is
    /// called the scope, and every clone of it, serves nothing:
    /// resolutions fail with
    /// [`ScopeEnded`](crate::ResolveErrorKind::ScopeEnded), cached
    /// instances included. A second call (on a clone) returns `Ok(())` at
    /// once. Needs a Tokio runtime with the time driver (`#[tokio::main]`
    /// has it).
    ///
    /// A scope dropped without `dispose().await` still drops its instances
    /// in order, but cannot await their disposers: see
    /// [`ContainerBuilder::on_undisposed`](crate::ContainerBuilder::on_undisposed).
    ///
    /// # Cancel safety
    /// The disposal is not lost if this future is dropped before it
    /// completes (a `select!`, a timeout, a client that disconnected): the
    /// disposer that was running and every one not yet run continue on the
    /// current Tokio runtime, in the same order and under the same
    /// timeout, and their failures go to
    /// [`ContainerBuilder::on_dispose_error`](crate::ContainerBuilder::on_dispose_error)
    /// (standard error by default). Without a runtime to continue on, the
    /// disposers left are reported there as
    /// [`Skipped`](DisposeFailureKind::Skipped).
    pub async fn dispose(self) -> Result<(), DisposeError> {
        match self.start_disposal() {
            Some(mut d) => d.run().await,
            None => Ok(()),
        }
    }

    /// Ends the scope and hands its disposal to the runtime without
    /// awaiting it (failures go to `on_dispose_error`, described by
    /// `what`; without a runtime the disposers left are reported as
    /// skipped). For a request or task that is gone.
    pub(crate) fn dispose_detached(self, what: String) {
        if let Some(mut d) = self.start_disposal() {
            d.what = what;
            drop(d); // an unfinished disposal continues on the runtime
        }
    }

    /// Ends the scope and prepares its disposal; `None` if it had ended.
    fn start_disposal(self) -> Option<Disposal> {
        let shared = self.shared;
        if !shared.end() {
            return None;
        }
        let plan = &shared.root.plan;
        let jobs = pending(&shared.owned, shared.slots(), plan);
        let hooks = plan.hooks.clone();
        Some(Disposal::new(jobs, hooks, Keep::Scope(shared)))
    }
}

impl Container {
    /// Shuts the container down: from the moment it is called, nothing
    /// resolves from it any more (from the root, any scope or any handle:
    /// [`ShutDown`](crate::ResolveErrorKind::ShutDown)), and no scope opens
    /// through a [`ScopeFactory`](crate::ScopeFactory). Then awaits the
    /// async disposers of the singletons (and of what they hold, and of
    /// idle pooled instances), newest first, each exactly once, under the
    /// dispose timeout, continuing past failures. A second call does
    /// nothing. The instances themselves are dropped with the last handle
    /// to the container.
    ///
    /// # Cancel safety
    /// As for [`Scope::dispose`]: if the future is dropped before it
    /// completes, the rest of the disposal continues on the current Tokio
    /// runtime and its failures go to
    /// [`ContainerBuilder::on_dispose_error`](crate::ContainerBuilder::on_dispose_error).
    pub async fn shutdown(&self) -> Result<(), DisposeError> {
        let shared = &self.shared;
        if !shared.begin_shutdown() {
            return Ok(());
        }
        let plan = &shared.plan;
        let mut jobs = pending(&shared.owned, Some(&shared.slots), plan);
        for svc in &plan.services {
            if let (Some(p), Some(d)) = (svc.pool, &svc.disposer) {
                for value in shared.pools[p as usize].drain_idle() {
                    jobs.push_back(Job {
                        service: svc.node,
                        disposer: d.clone(),
                        value,
                        caster: svc.caster.clone(),
                    });
                }
            }
        }
        let mut d = Disposal::new(jobs, plan.hooks.clone(), Keep::Root(shared.clone()));
        d.run().await
    }

    /// Runs `work` in a new scope and disposes the scope when it ends, with
    /// its disposers awaited: on success, on error, on panic (the panic is
    /// resumed after disposal) and on cancellation.
    ///
    /// Use one per request handler and one per parallel branch.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tenure::Container;
    ///
    /// struct Conn;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let c = Container::builder().scoped_async(|| async { Conn }).build()?;
    /// let same = c
    ///     .run_scoped(|scope| async move {
    ///         let a = scope.resolve_async::<Conn>().await?;
    ///         let b = scope.resolve_async::<Conn>().await?;
    ///         Ok::<_, tenure::ResolveError>(Arc::ptr_eq(&a, &b))
    ///     })
    ///     .await??;
    /// assert!(same);
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    /// If the future is dropped before it completes (while `work` runs or
    /// while the scope is disposed), the scope's disposal still happens:
    /// it runs (or continues) on the current Tokio runtime, and its
    /// failures go to
    /// [`ContainerBuilder::on_dispose_error`](crate::ContainerBuilder::on_dispose_error).
    pub async fn run_scoped<F, Fut, R>(&self, work: F) -> Result<R, DisposeError>
    where
        F: FnOnce(Scope) -> Fut,
        Fut: Future<Output = R>,
    {
        let mut guard = DisposeOnDrop(Some(self.scope()));
        let scope = guard.0.clone().expect("set above");
        let out = CatchUnwind(Box::pin(work(scope))).await;
        let disposed = match guard.0.take() {
            Some(scope) => scope.dispose().await,
            None => Ok(()),
        };
        match out {
            Ok(r) => disposed.map(|()| r),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

/// Disposes a scope whose `run_scoped` future was dropped before `work`
/// ended: the disposal is detached (see [`Disposal`]'s `Drop`).
struct DisposeOnDrop(Option<Scope>);

impl Drop for DisposeOnDrop {
    fn drop(&mut self) {
        if let Some(scope) = self.0.take() {
            scope.dispose_detached(
                "disposing the scope of a `run_scoped` whose future was dropped failed".to_owned(),
            );
        }
    }
}
