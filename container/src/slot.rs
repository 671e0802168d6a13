//! [`Slot`]: a cell that holds one cached instance, created exactly once.

use std::sync::OnceLock;

use parking_lot::{Condvar, Mutex};

use crate::actor::{self, Actor};
use crate::erased::Erased;
use crate::error::ResolveError;

/// Who is filling a slot, and who waits for it.
#[derive(Default)]
struct State {
    /// The actor creating the instance (0: nobody).
    owner: u64,
    /// Actors waiting (sync or async) for the creation to end.
    waiters: u32,
    /// What async waiters wait on: closed, waking them all, when the
    /// creation ends (made by the first async waiter, so an uncontended
    /// creation allocates nothing).
    #[cfg(feature = "tokio")]
    done: Option<std::sync::Arc<tokio::sync::Semaphore>>,
}

/// One cached instance (a singleton, or a scoped service in one scope).
///
/// Reads are a single atomic load (`OnceLock::get`). A creation *claims*
/// the slot for its actor (see [`actor`]); no lock is held while the
/// factory runs. Every other actor that needs the instance meanwhile waits
/// (a thread blocks on the slot's condition variable, a task awaits a
/// semaphore) unless the wait could never end, which is
/// [`Reentrant`](crate::ResolveErrorKind::Reentrant). A factory that fails,
/// panics or is cancelled releases the slot empty, and the next resolution
/// tries again.
#[derive(Default)]
pub(crate) struct Slot {
    cell: OnceLock<Erased>,
    state: Mutex<State>,
    wake: Condvar,
}

/// What a claim found.
pub(crate) enum Claim<'s> {
    /// The instance exists.
    Hit(Erased),
    /// The caller creates it, and must [`complete`](Filling::complete) or drop
    /// the guard (which releases the slot empty).
    Fill(Filling<'s>),
    /// Another actor creates it: wait, then claim again.
    Busy,
}

impl Slot {
    #[inline]
    pub(crate) fn get(&self) -> Option<&Erased> {
        self.cell.get()
    }

    /// Claims the slot for `me` if it is empty and free.
    pub(crate) fn claim(&self, me: &Actor) -> Claim<'_> {
        if let Some(v) = self.cell.get() {
            return Claim::Hit(v.clone());
        }
        let mut st = self.state.lock();
        if let Some(v) = self.cell.get() {
            return Claim::Hit(v.clone());
        }
        if st.owner != 0 {
            return Claim::Busy;
        }
        st.owner = me.id();
        if st.waiters > 0 {
            actor::owner_changed(self.id(), st.owner);
        }
        drop(st);
        Claim::Fill(Filling { slot: self })
    }

    /// Blocks the thread until the creation in flight ends (or returns at
    /// once if there is none), unless the wait could never end.
    pub(crate) fn wait_sync(&self, me: &Actor) -> Result<(), ResolveError> {
        let mut st = self.state.lock();
        if self.cell.get().is_some() || st.owner == 0 {
            return Ok(());
        }
        let _waiting = actor::start_waiting(me, self.id(), st.owner)?;
        st.waiters += 1;
        while self.cell.get().is_none() && st.owner != 0 {
            self.wake.wait(&mut st);
        }
        st.waiters -= 1;
        drop(st);
        Ok(())
    }

    /// Awaits the end of the creation in flight (or returns at once if
    /// there is none), unless the wait could never end.
    ///
    /// # Cancel safety
    /// Dropping the future unregisters the wait; nothing else changes.
    #[cfg(feature = "tokio")]
    pub(crate) async fn wait_async(&self, me: &Actor) -> Result<(), ResolveError> {
        let (sem, _waiting, _count) = {
            let mut st = self.state.lock();
            if self.cell.get().is_some() || st.owner == 0 {
                return Ok(());
            }
            let waiting = actor::start_waiting(me, self.id(), st.owner)?;
            st.waiters += 1;
            let sem = st
                .done
                .get_or_insert_with(|| std::sync::Arc::new(tokio::sync::Semaphore::new(0)))
                .clone();
            drop(st);
            (sem, waiting, Counted(self))
        };
        // Closed (an error, by design) when the creation ends.
        let _ = sem.acquire().await;
        Ok(())
    }

    /// Stores a value without a claim, if the slot is empty (a scope value
    /// supplied from outside; such a slot is never claimed).
    pub(crate) fn preset(&self, value: Erased) -> bool {
        self.cell.set(value).is_ok()
    }

    /// The identity of this slot, for the wait registry.
    pub(crate) fn id(&self) -> usize {
        std::ptr::from_ref(self).addr()
    }

    /// Takes the instance out (for ordered disposal).
    pub(crate) fn take(&mut self) -> Option<Erased> {
        self.cell.take()
    }

    fn release(&self) {
        let mut st = self.state.lock();
        st.owner = 0;
        if st.waiters > 0 {
            actor::owner_changed(self.id(), 0);
        }
        #[cfg(feature = "tokio")]
        if let Some(done) = st.done.take() {
            done.close();
        }
        drop(st);
        self.wake.notify_all();
    }
}

/// An async waiter's place in the count of waiters, given back however the
/// wait ends.
#[cfg(feature = "tokio")]
struct Counted<'s>(&'s Slot);

#[cfg(feature = "tokio")]
impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.state.lock().waiters -= 1;
    }
}

/// A claim on an empty slot. Dropped without
/// [`complete`](Filling::complete) (a failed, panicking or cancelled
/// factory), it releases the slot empty and wakes the waiters.
pub(crate) struct Filling<'s> {
    slot: &'s Slot,
}

impl Filling<'_> {
    /// Stores the instance, releases the slot and wakes the waiters;
    /// returns the stored instance.
    pub(crate) fn complete(self, value: Erased) -> Erased {
        let stored = self.slot.cell.get_or_init(|| value).clone();
        drop(self);
        stored
    }
}

impl Drop for Filling<'_> {
    fn drop(&mut self) {
        self.slot.release();
    }
}
