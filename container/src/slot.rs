//! [`Slot`]: a cell that holds one cached instance, created exactly once.

use std::cell::RefCell;
use std::sync::OnceLock;

use parking_lot::Mutex;

use crate::error::{ResolveError, ResolveErrorKind};
use crate::plan::Erased;
use crate::waits::Owner;

thread_local! {
    /// The slots this thread is initialising right now, innermost last.
    static BUSY: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// Whether an async creation of the slot is in flight, and the semaphore
/// its waiters wait on (closed, waking them all, when the attempt ends;
/// created by the first waiter, so an uncontended creation allocates
/// nothing).
#[cfg(feature = "tokio")]
#[derive(Default)]
pub(crate) struct InitState {
    pub(crate) busy: bool,
    pub(crate) done: Option<std::sync::Arc<tokio::sync::Semaphore>>,
}

/// Nothing to record without async creation.
#[cfg(not(feature = "tokio"))]
pub(crate) type InitState = ();

/// One cached instance (a singleton, or a scoped service in one scope).
///
/// Reads are a single atomic load (`OnceLock::get`). The first creation takes
/// the slot's lock, so concurrent first resolutions run the factory exactly
/// once; a factory that fails or panics leaves the slot empty and unlocked,
/// and the next resolution tries again. A factory that, through a handle,
/// asks for the slot it is filling gets [`ResolveErrorKind::Reentrant`]
/// instead of a deadlock; so does a wait that would close a cycle across
/// threads (see [`waits`](crate::waits)).
#[derive(Default)]
pub(crate) struct Slot {
    cell: OnceLock<Erased>,
    /// Held while a sync factory fills the slot; with the `tokio` feature it
    /// also records an async creation in flight (see `asynch::resolve`).
    pub(crate) lock: Mutex<InitState>,
    owner: Owner,
}

/// Clears the slot's owner before its lock is released (declared after the
/// lock guard, so dropped first).
struct Releasing<'a>(&'a Slot);

impl Drop for Releasing<'_> {
    fn drop(&mut self) {
        self.0.owner.releasing(self.0.id());
    }
}

struct PopOnDrop;

impl Drop for PopOnDrop {
    fn drop(&mut self) {
        BUSY.with(|b| b.borrow_mut().pop());
    }
}

impl Slot {
    #[inline]
    pub(crate) fn get(&self) -> Option<&Erased> {
        self.cell.get()
    }

    /// Returns the instance, creating it with `init` if there is none.
    /// `created` runs (under the slot's lock) only when this call created it.
    pub(crate) fn get_or_try_init(
        &self,
        init: impl FnOnce() -> Result<Erased, ResolveError>,
        created: impl FnOnce(&Erased),
    ) -> Result<Erased, ResolveError> {
        let id = self.id();
        if BUSY.with(|b| b.borrow().contains(&id)) {
            return Err(ResolveError::new(ResolveErrorKind::Reentrant));
        }
        let _guard = match self.lock.try_lock() {
            Some(g) => g,
            None => {
                // Another thread fills the slot: wait, unless it (through
                // others) waits for a slot this thread fills.
                if self.owner.start_waiting(id).is_err() {
                    return Err(ResolveError::new(ResolveErrorKind::Reentrant));
                }
                let g = self.lock.lock();
                self.owner.stop_waiting();
                g
            }
        };
        self.owner.acquired(id);
        let _releasing = Releasing(self);
        if let Some(v) = self.cell.get() {
            return Ok(v.clone());
        }
        BUSY.with(|b| b.borrow_mut().push(id));
        let _pop = PopOnDrop;
        let value = init()?;
        // We hold the lock and saw the cell empty: this `set` succeeds.
        let _ = self.cell.set(value.clone());
        created(&value);
        Ok(value)
    }

    /// Stores a value created asynchronously (by the one task that owns
    /// the slot's in-flight entry), returning the stored value.
    #[cfg(feature = "tokio")]
    pub(crate) fn set(&self, value: Erased) -> Erased {
        self.cell.get_or_init(|| value).clone()
    }

    /// The identity of this slot, for re-entrancy checks.
    pub(crate) fn id(&self) -> usize {
        std::ptr::from_ref(self).addr()
    }

    /// Takes the instance out (for ordered disposal).
    pub(crate) fn take(&mut self) -> Option<Erased> {
        self.cell.take()
    }
}
