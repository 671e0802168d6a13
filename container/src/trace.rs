//! Scope ids, and every call into [`tracing`](https://docs.rs/tracing)
//! (feature `tracing`, off by default).
//!
//! The core calls the functions here at a few points: the top-level entry
//! points (`Container::resolve`, `Scope::resolve` and their async forms),
//! the end of every creation (`Ctx::complete`) and failure
//! (`Ctx::failed`), an async renter waiting for a pooled instance, and
//! each async disposer. Without the feature every function is an empty
//! `#[inline]` one (or returns its argument), so nothing is left of them in
//! the compiled code. With the feature and no subscriber, each costs one
//! relaxed atomic load (`tracing`'s level filter, off while no subscriber
//! listens at DEBUG level): no span is built, no clock is read.
//!
//! What is recorded (target `tenure`):
//!
//! | what | level | name | fields |
//! |---|---|---|---|
//! | a top-level resolution | DEBUG span | `resolve` | `service`, `lifetime`, `scope` (0: the root) |
//! | it failed | DEBUG event | | `error` (the full message) |
//! | an instance created | DEBUG event | | `service`, `lifetime`, `scope`, `micros` (the factory's time, its dependencies' creation included) |
//! | an idle pooled instance rented again | DEBUG event | | `service`, `scope` |
//! | a creation failed | TRACE event | | `service`, `scope`, `error` |
//! | an async renter waits for a pooled instance, and got one | DEBUG events | | `service`, `scope`, `waited_micros` |
//! | an async disposer ran | DEBUG event (WARN if it did not complete) | | `service`, `scope`, `outcome` (`ok`, `failed`, `panicked`, `timed out`), `error` |

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::ResolveError;
use crate::node::Node;
use crate::plan::Plan;
use crate::plan::Service;
use crate::resolve::Ctx;
use crate::scope::Scope;

/// The scope id of the container itself (resolutions from the root, and
/// what singletons create).
pub(crate) const ROOT: u64 = 0;

/// A new scope id: unique in the process, never [`ROOT`]. Each thread takes
/// ids in blocks from one shared counter, so opening a scope touches no
/// shared cache line (one thread-local increment).
pub(crate) fn next_scope_id() -> u64 {
    const BLOCK: u64 = 1024;
    static NEXT_BLOCK: AtomicU64 = AtomicU64::new(1);
    thread_local! {
        static RANGE: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
    }
    RANGE.with(|r| {
        let (mut next, mut end) = r.get();
        if next == end {
            next = NEXT_BLOCK.fetch_add(BLOCK, Ordering::Relaxed);
            end = next + BLOCK;
        }
        r.set((next + 1, end));
        next
    })
}

impl Scope {
    /// This scope's id: unique in the process, never 0 (the id of the
    /// container's root). It is the `scope` field of the `tracing`
    /// feature's spans and events, and the id a
    /// [`LeakReport`](crate::LeakReport) gives for the scopes its probable
    /// leaks came from.
    ///
    /// ```
    /// let c = tenure::Container::builder().build()?;
    /// let (a, b) = (c.scope(), c.scope());
    /// assert_ne!(a.id(), b.id());
    /// assert_eq!(a.id(), a.clone().id()); // one scope, however many handles
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn id(&self) -> u64 {
        self.shared.id
    }
}

/// The id of the scope a context resolves in ([`ROOT`] for the root).
#[cfg_attr(not(feature = "tracing"), allow(dead_code))]
fn scope_of(cx: &Ctx<'_>) -> u64 {
    cx.scope.map_or(ROOT, |s| s.id)
}

#[cfg(feature = "tracing")]
mod on {
    #[cfg(feature = "tokio")]
    use std::future::Future;
    use std::time::Instant;

    #[cfg(feature = "tokio")]
    use tracing::Instrument;
    use tracing::{Level, debug, debug_span, enabled, trace, warn};

    use super::*;
    use crate::plan::Exec;

    /// When a creation started, if anyone listens for its event.
    pub(crate) struct Start(Option<Instant>);

    #[inline]
    pub(crate) fn start() -> Start {
        Start((debug_on() && enabled!(target: "tenure", Level::DEBUG)).then(Instant::now))
    }

    fn span(plan: &Plan, idx: u32, scope: u64) -> tracing::Span {
        let node = plan.services[idx as usize].node;
        debug_span!(
            target: "tenure",
            "resolve",
            service = node.name,
            lifetime = node.role.label(),
            scope
        )
    }

    fn outcome<R>(r: &Result<R, ResolveError>) {
        if let Err(e) = r {
            debug!(target: "tenure", error = %e, "resolution failed");
        }
    }

    /// Whether anything may listen at DEBUG level: one relaxed atomic load
    /// (the level filter of the subscribers set so far; off when there is
    /// none), so that a resolution with no subscriber builds no span.
    #[inline(always)]
    pub(crate) fn debug_on() -> bool {
        use tracing::level_filters::{LevelFilter, STATIC_MAX_LEVEL};
        STATIC_MAX_LEVEL >= Level::DEBUG && LevelFilter::current() >= Level::DEBUG
    }

    #[inline]
    pub(crate) fn resolve<R>(
        plan: &Plan,
        idx: u32,
        scope: u64,
        f: impl FnOnce() -> Result<R, ResolveError>,
    ) -> Result<R, ResolveError> {
        if !debug_on() {
            return f();
        }
        in_span(plan, idx, scope, f)
    }

    #[inline(never)]
    fn in_span<R>(
        plan: &Plan,
        idx: u32,
        scope: u64,
        f: impl FnOnce() -> Result<R, ResolveError>,
    ) -> Result<R, ResolveError> {
        let _entered = span(plan, idx, scope).entered();
        let r = f();
        outcome(&r);
        r
    }

    #[cfg(feature = "tokio")]
    pub(crate) async fn resolve_async<R, F>(
        plan: &Plan,
        idx: u32,
        scope: u64,
        fut: F,
    ) -> Result<R, ResolveError>
    where
        F: Future<Output = Result<R, ResolveError>>,
    {
        if !debug_on() {
            return fut.await;
        }
        let span = span(plan, idx, scope);
        async move {
            let r = fut.await;
            outcome(&r);
            r
        }
        .instrument(span)
        .await
    }

    #[inline]
    pub(crate) fn created(cx: &Ctx<'_>, svc: &Service, started: Start, created: bool) {
        if !debug_on() || matches!(svc.exec, Exec::Forward(_) | Exec::Instance(_)) {
            return;
        }
        // A singleton is created by the root, whichever scope asked.
        let scope = match svc.lifetime {
            crate::lifetime::Lifetime::Singleton => ROOT,
            _ => scope_of(cx),
        };
        let (service, lifetime) = (svc.node.name, svc.lifetime.as_str());
        if !created {
            debug!(target: "tenure", service, scope, "rented an idle pooled instance");
        } else if let Some(t) = started.0 {
            let micros = t.elapsed().as_micros() as u64;
            debug!(target: "tenure", service, lifetime, scope, micros, "created");
        }
    }

    #[inline]
    pub(crate) fn failed(cx: &Ctx<'_>, node: &Node, err: &ResolveError) {
        trace!(
            target: "tenure",
            service = node.name,
            scope = scope_of(cx),
            error = %err,
            "creation failed"
        );
    }

    #[cfg(feature = "tokio")]
    pub(crate) async fn pool_wait<F: Future>(cx: &Ctx<'_>, node: &Node, rent: F) -> F::Output {
        if !enabled!(target: "tenure", Level::DEBUG) {
            return rent.await;
        }
        let (service, scope) = (node.name, scope_of(cx));
        let mut rent = std::pin::pin!(rent);
        let mut waiting: Option<Instant> = None;
        let out = std::future::poll_fn(|task| {
            let poll = rent.as_mut().poll(task);
            if poll.is_pending() && waiting.is_none() {
                waiting = Some(Instant::now());
                debug!(target: "tenure", service, scope, "waiting for a pooled instance");
            }
            poll
        })
        .await;
        if let Some(t) = waiting {
            let waited_micros = t.elapsed().as_micros() as u64;
            debug!(target: "tenure", service, scope, waited_micros, "got a pooled instance");
        }
        out
    }

    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn disposed(
        node: &Node,
        scope: u64,
        outcome: &'static str,
        error: Option<&dyn std::fmt::Display>,
    ) {
        let service = node.name;
        match error {
            None => debug!(target: "tenure", service, scope, outcome, "async disposer ran"),
            Some(error) => warn!(
                target: "tenure",
                service,
                scope,
                outcome,
                error = %error,
                "async disposer did not complete"
            ),
        }
    }
}

#[cfg(not(feature = "tracing"))]
mod on {
    use super::*;

    /// Nothing: creations are not timed without the feature.
    pub(crate) struct Start;

    #[inline(always)]
    pub(crate) fn start() -> Start {
        Start
    }

    /// Nothing listens without the feature.
    #[inline(always)]
    pub(crate) fn debug_on() -> bool {
        false
    }

    #[inline(always)]
    pub(crate) fn resolve<R>(
        _: &Plan,
        _: u32,
        _: u64,
        f: impl FnOnce() -> Result<R, ResolveError>,
    ) -> Result<R, ResolveError> {
        f()
    }

    #[cfg(feature = "tokio")]
    #[inline(always)]
    pub(crate) fn resolve_async<F>(_: &Plan, _: u32, _: u64, fut: F) -> F {
        fut
    }

    #[inline(always)]
    pub(crate) fn created(_: &Ctx<'_>, _: &Service, _: Start, _: bool) {}

    #[inline(always)]
    pub(crate) fn failed(_: &Ctx<'_>, _: &Node, _: &ResolveError) {}

    #[cfg(feature = "tokio")]
    #[inline(always)]
    pub(crate) fn pool_wait<F>(_: &Ctx<'_>, _: &Node, rent: F) -> F {
        rent
    }

    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    #[inline(always)]
    pub(crate) fn disposed(_: &Node, _: u64, _: &'static str, _: Option<&dyn std::fmt::Display>) {}
}

pub(crate) use on::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_ids_are_unique_across_threads_and_never_the_root() {
        let mine: Vec<u64> = (0..3000).map(|_| next_scope_id()).collect();
        let theirs = std::thread::spawn(|| (0..3000).map(|_| next_scope_id()).collect::<Vec<_>>())
            .join()
            .unwrap();
        let mut all: Vec<u64> = mine.iter().chain(&theirs).copied().collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 6000);
        assert!(!all.contains(&ROOT));
        assert!(
            mine.windows(2).all(|w| w[0] < w[1]),
            "increasing per thread"
        );
    }
}
