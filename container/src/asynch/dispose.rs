//! Async disposal: [`AsyncDispose`], [`Scope::dispose`],
//! [`Container::shutdown`], [`Container::run_scoped`].

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::container::Container;
use crate::node::Node;
use crate::owner::{Entry, Owned};
use crate::plan::{Erased, ErasedDisposer, Plan};
use crate::scope::Scope;
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
        }?;
        write!(f, " [registered at {}]", self.service.site)
    }
}

/// Some async disposers failed, panicked or timed out. Every other disposer
/// still ran, and every instance was still dropped.
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

/// What to dispose: in the order to run.
type Work = Vec<(Node, Arc<ErasedDisposer>, Erased)>;

/// The instances in `owned` that have async disposers, newest first.
fn pending(owned: &Owned, slots: Option<&[Slot]>, plan: &Plan) -> Work {
    let entries = owned.entries.lock();
    entries
        .iter()
        .rev()
        .filter(|e| plan.disposed_by_owner(e.svc()))
        .filter_map(|e| {
            let value = match e {
                Entry::Slot { slot, .. } => slots?.get(*slot as usize)?.get()?.clone(),
                Entry::Transient { value, .. } => value.clone(),
            };
            let s = &plan.services[e.svc() as usize];
            Some((s.node, s.disposer.clone()?, value))
        })
        .collect()
}

/// Runs each disposer in turn, under `timeout`, past failures and panics.
async fn run(work: Work, timeout: Duration) -> Result<(), DisposeError> {
    let mut failures = Vec::new();
    for (service, disposer, value) in work {
        let fut = match std::panic::catch_unwind(AssertUnwindSafe(|| disposer(value))) {
            Ok(fut) => fut,
            Err(panic) => {
                failures.push(DisposeFailure {
                    service,
                    kind: DisposeFailureKind::Panicked(panic_message(&*panic)),
                });
                continue;
            }
        };
        let kind = match tokio::time::timeout(timeout, CatchUnwind(fut)).await {
            Ok(Ok(Ok(()))) => continue,
            Ok(Ok(Err(e))) => DisposeFailureKind::Failed(e),
            Ok(Err(panic)) => DisposeFailureKind::Panicked(panic_message(&*panic)),
            Err(_) => DisposeFailureKind::TimedOut(timeout),
        };
        failures.push(DisposeFailure { service, kind });
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(DisposeError { failures })
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a non-string panic payload)".to_owned()
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
    /// Returns every disposer that did not complete. Other clones of this
    /// scope see it ended: it creates nothing more. Needs a Tokio runtime
    /// with the time driver (`#[tokio::main]` has it).
    ///
    /// A scope dropped without `dispose().await` still drops its instances
    /// in order, but cannot await their disposers: see
    /// [`ContainerBuilder::on_undisposed`](crate::ContainerBuilder::on_undisposed).
    pub async fn dispose(self) -> Result<(), DisposeError> {
        let shared = self.shared;
        if shared.disposed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let plan = &shared.root.plan;
        let work = pending(&shared.owned, shared.slots(), plan);
        let result = run(work, plan.dispose_timeout).await;
        drop(shared);
        result
    }
}

impl Container {
    /// Awaits the async disposers of the singletons (and of what they hold
    /// and of idle pooled instances), newest first, each exactly once, under
    /// the dispose timeout, continuing past failures. A second call does
    /// nothing. The instances themselves are dropped with the last handle to
    /// the container; resolve nothing after shutting down.
    pub async fn shutdown(&self) -> Result<(), DisposeError> {
        let shared = &self.shared;
        if shared.shut_down.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let plan = &shared.plan;
        let mut work = pending(&shared.owned, Some(&shared.slots), plan);
        for svc in &plan.services {
            if let (Some(p), Some(d)) = (svc.pool, &svc.disposer) {
                for value in shared.pools[p as usize].drain_idle() {
                    work.push((svc.node, d.clone(), value));
                }
            }
        }
        run(work, plan.dispose_timeout).await
    }

    /// Runs `work` in a new scope and disposes the scope when it ends, with
    /// its disposers awaited: on success, on error, on panic (the panic is
    /// resumed after disposal) and on cancellation (the disposal is then
    /// spawned on the current Tokio runtime).
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

/// Disposes a scope whose `run_scoped` future was dropped half-way: the
/// disposal is spawned on the current Tokio runtime (or, outside one, the
/// scope is dropped, which drops its instances in order).
struct DisposeOnDrop(Option<Scope>);

impl Drop for DisposeOnDrop {
    fn drop(&mut self) {
        if let Some(scope) = self.0.take()
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            rt.spawn(async move {
                let _ = scope.dispose().await;
            });
        }
    }
}
