//! [`Pool`]: bounded pools behind [`Lifetime::Pooled`](crate::Lifetime::Pooled) services.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;

use crate::erased::{Erased, contain};
use crate::error::{ResolveError, ResolveErrorKind};
use crate::plan::PoolSpec;

/// The permits of a pool: how many more instances may be rented now.
///
/// With the `tokio` feature this is a fair (FIFO) `tokio::sync::Semaphore`,
/// so async renters wait their turn; without it, a counter that sync
/// renters try once.
pub(crate) struct Permits {
    #[cfg(feature = "tokio")]
    sem: tokio::sync::Semaphore,
    #[cfg(not(feature = "tokio"))]
    free: AtomicUsize,
}

impl Permits {
    fn new(n: usize) -> Self {
        Permits {
            #[cfg(feature = "tokio")]
            sem: tokio::sync::Semaphore::new(n),
            #[cfg(not(feature = "tokio"))]
            free: AtomicUsize::new(n),
        }
    }

    fn try_take(&self) -> bool {
        #[cfg(feature = "tokio")]
        {
            self.sem.try_acquire().map(|p| p.forget()).is_ok()
        }
        #[cfg(not(feature = "tokio"))]
        {
            self.free
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
                .is_ok()
        }
    }

    /// Waits (fairly) for a permit. Cancel safe: dropping the future before
    /// it completes takes no permit.
    #[cfg(feature = "tokio")]
    async fn take(&self) {
        // The semaphore is never closed, so `acquire` cannot fail.
        if let Ok(p) = self.sem.acquire().await {
            p.forget();
        }
    }

    fn give(&self) {
        #[cfg(feature = "tokio")]
        self.sem.add_permits(1);
        #[cfg(not(feature = "tokio"))]
        self.free.fetch_add(1, Ordering::AcqRel);
    }

    fn available(&self) -> usize {
        #[cfg(feature = "tokio")]
        {
            self.sem.available_permits()
        }
        #[cfg(not(feature = "tokio"))]
        {
            self.free.load(Ordering::Acquire)
        }
    }
}

/// A bounded pool of instances of one pooled service.
pub(crate) struct Pool {
    spec: PoolSpec,
    permits: Permits,
    idle: Mutex<Vec<Erased>>,
    created: AtomicUsize,
    retired: AtomicUsize,
}

/// Gives a permit back unless disarmed: a rent that fails, panics or is
/// cancelled half-way loses no capacity.
pub(crate) struct PermitGuard<'a>(Option<&'a Permits>);

impl Drop for PermitGuard<'_> {
    fn drop(&mut self) {
        if let Some(p) = self.0 {
            p.give();
        }
    }
}

/// A rent in progress: a permit is taken; an idle instance was found, or
/// one must be created. Dropped before [`finish`](Rent::finish), it gives the
/// permit (and the idle instance) back.
pub(crate) struct Rent<'a> {
    pool: &'a Pool,
    permit: PermitGuard<'a>,
    idle: Option<Erased>,
}

impl Rent<'_> {
    /// The idle instance to reuse, if there is one (taken: call once).
    pub(crate) fn take_idle(&mut self) -> Option<Erased> {
        self.idle.take()
    }

    /// The rented instance is in the scope's slot: the permit stays taken
    /// until the scope gives the instance back.
    pub(crate) fn finish(mut self, created: bool) {
        if created {
            self.pool.created.fetch_add(1, Ordering::Relaxed);
        }
        self.permit.0 = None;
    }
}

impl Drop for Rent<'_> {
    fn drop(&mut self) {
        // Not finished: an idle instance goes back (the permit guard gives
        // the permit back after this).
        if let Some(v) = self.idle.take() {
            self.pool.idle.lock().push(v);
        }
    }
}

impl Pool {
    pub(crate) fn new(spec: PoolSpec) -> Pool {
        Pool {
            permits: Permits::new(spec.max),
            spec,
            idle: Mutex::new(Vec::new()),
            created: AtomicUsize::new(0),
            retired: AtomicUsize::new(0),
        }
    }

    /// Starts a rent without waiting: fails with
    /// [`PoolExhausted`](ResolveErrorKind::PoolExhausted) when every
    /// instance is rented. No lock is held when it returns, so the caller
    /// may run the factory.
    pub(crate) fn try_rent(&self) -> Result<Rent<'_>, ResolveError> {
        if !self.permits.try_take() {
            return Err(ResolveError::new(ResolveErrorKind::PoolExhausted {
                max: self.spec.max,
            }));
        }
        Ok(self.rent_with_permit())
    }

    /// Starts a rent, waiting (first come, first served) while the pool is
    /// exhausted.
    ///
    /// # Cancel safety
    /// Dropping the future while it waits takes nothing.
    #[cfg(feature = "tokio")]
    pub(crate) async fn rent(&self) -> Rent<'_> {
        self.permits.take().await;
        self.rent_with_permit()
    }

    fn rent_with_permit(&self) -> Rent<'_> {
        let permit = PermitGuard(Some(&self.permits));
        let idle = self.idle.lock().pop();
        Rent {
            pool: self,
            permit,
            idle,
        }
    }

    /// Takes back an instance whose scope ended. An instance still held
    /// elsewhere (it escaped its scope) is retired instead of reused, so
    /// that no instance ever serves two scopes at once; so is one whose
    /// reset hook panicked (reported on standard error: this runs in a
    /// scope's `Drop`).
    pub(crate) fn give_back(&self, value: Erased, caster: &(dyn std::any::Any + Send + Sync)) {
        let mut reusable = Arc::strong_count(&value) == 1;
        if reusable && let Some(reset) = &self.spec.reset {
            if let Err(panic) = contain(|| reset(&value, caster)) {
                eprintln!(
                    "tenure: the `on_return` hook of a pooled service panicked ({panic}); \
                     the instance is retired instead of going back to its pool"
                );
                reusable = false;
            }
        }
        if reusable {
            self.idle.lock().push(value);
        } else {
            self.retired.fetch_add(1, Ordering::Relaxed);
            drop(value);
        }
        self.permits.give();
    }

    /// Takes the idle instances out (for disposal at shutdown).
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn drain_idle(&self) -> Vec<Erased> {
        std::mem::take(&mut *self.idle.lock())
    }

    pub(crate) fn status(&self) -> PoolStatus {
        PoolStatus {
            max: self.spec.max,
            available: self.permits.available(),
            idle: self.idle.lock().len(),
            created: self.created.load(Ordering::Relaxed),
            retired: self.retired.load(Ordering::Relaxed),
        }
    }
}

/// A snapshot of a pool, from [`Container::pool_status`](crate::Container::pool_status).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolStatus {
    /// The pool's size: at most this many instances are rented at once.
    pub max: usize,
    /// How many more could be rented right now.
    pub available: usize,
    /// Instances waiting in the pool to be rented again.
    pub idle: usize,
    /// Instances created so far.
    pub created: usize,
    /// Instances not reused because they were still referenced when their
    /// scope ended.
    pub retired: usize,
}

impl fmt::Display for PoolStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} available, {} idle, {} created, {} retired",
            self.available, self.max, self.idle, self.created, self.retired
        )
    }
}
