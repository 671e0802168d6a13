//! [`Slot`]: a cell that holds one cached instance, created exactly once.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::SeqCst};

use parking_lot::{Condvar, Mutex};

use crate::actor::{self, Actor};
use crate::erased::Erased;
use crate::error::ResolveError;

/// What waiters wait on.
#[derive(Default)]
struct Waits {
    /// What async waiters wait on: closed, waking them all, when the
    /// creation ends (made by the first async waiter, so an uncontended
    /// creation allocates nothing).
    #[cfg(feature = "tokio")]
    done: Option<std::sync::Arc<tokio::sync::Semaphore>>,
}

/// One cached instance (a singleton, or a scoped service in one scope).
///
/// Reads are a single atomic load (`OnceLock::get`). A creation *claims*
/// the slot for its actor (see [`actor`]) with one compare-and-swap; no
/// lock is held while the factory runs. Every other actor that needs the
/// instance meanwhile waits (a thread blocks on the slot's condition
/// variable, a task awaits a semaphore) unless the wait could never end,
/// which is [`Reentrant`](crate::ResolveErrorKind::Reentrant). A factory
/// that fails, panics or is cancelled releases the slot empty, and the next
/// resolution tries again. The lock is taken only when someone waits.
#[derive(Default)]
pub(crate) struct Slot {
    cell: OnceLock<Erased>,
    /// The actor creating the instance (0: nobody).
    owner: AtomicU64,
    /// Actors waiting (sync or async) for the creation to end.
    waiters: AtomicU32,
    waits: Mutex<Waits>,
    wake: Condvar,
    /// Its place in its owner's creation order (see the runtime's
    /// `owner::Owned`).
    pub(crate) link: Link,
}

/// A filled slot's place in its owner's creation order, written once when
/// the slot is filled.
#[derive(Default)]
pub(crate) struct Link {
    /// The slot filled before it in the same owner, as index + 1 (0: none).
    pub(crate) prev: AtomicU32,
    /// The service whose instance it holds.
    pub(crate) svc: AtomicU32,
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
        if self
            .owner
            .compare_exchange(0, me.id(), SeqCst, SeqCst)
            .is_err()
        {
            return Claim::Busy;
        }
        let filling = Filling { slot: self };
        // Filled by an owner that released it just before we claimed.
        if let Some(v) = self.cell.get() {
            return Claim::Hit(v.clone()); // `filling` releases the claim
        }
        if self.waiters.load(SeqCst) > 0 {
            self.waits_changed();
        }
        Claim::Fill(filling)
    }

    /// Whether the creation in flight (if any) has ended.
    fn settled(&self) -> bool {
        self.cell.get().is_some() || self.owner.load(SeqCst) == 0
    }

    /// Blocks the thread until the creation in flight ends (or returns at
    /// once if there is none), unless the wait could never end.
    pub(crate) fn wait_sync(&self, me: &Actor) -> Result<(), ResolveError> {
        self.waiters.fetch_add(1, SeqCst);
        let _count = Counted(self);
        let mut waits = self.waits.lock();
        if self.settled() {
            return Ok(());
        }
        let _waiting = actor::start_waiting(me, self.id(), self.owner.load(SeqCst))?;
        while !self.settled() {
            self.wake.wait(&mut waits);
        }
        drop(waits);
        Ok(())
    }

    /// Awaits the end of the creation in flight (or returns at once if
    /// there is none), unless the wait could never end.
    ///
    /// # Cancel safety
    /// Dropping the future unregisters the wait; nothing else changes.
    #[cfg(feature = "tokio")]
    pub(crate) async fn wait_async(&self, me: &Actor) -> Result<(), ResolveError> {
        self.waiters.fetch_add(1, SeqCst);
        let _count = Counted(self);
        let (sem, _waiting) = {
            let mut waits = self.waits.lock();
            if self.settled() {
                return Ok(());
            }
            let waiting = actor::start_waiting(me, self.id(), self.owner.load(SeqCst))?;
            let sem = waits
                .done
                .get_or_insert_with(|| std::sync::Arc::new(tokio::sync::Semaphore::new(0)))
                .clone();
            drop(waits);
            (sem, waiting)
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

    /// Tells the wait registry who owns the slot now (its live owner).
    fn waits_changed(&self) {
        actor::owner_changed(self.id(), self.owner.load(SeqCst));
    }

    fn release(&self) {
        self.owner.store(0, SeqCst);
        if self.waiters.load(SeqCst) == 0 {
            return;
        }
        #[cfg_attr(not(feature = "tokio"), allow(unused_mut))]
        let mut waits = self.waits.lock();
        self.waits_changed();
        #[cfg(feature = "tokio")]
        if let Some(done) = waits.done.take() {
            done.close();
        }
        drop(waits);
        self.wake.notify_all();
    }
}

/// A waiter's place in the count of waiters, given back however the wait
/// ends (woken, failed, or cancelled).
struct Counted<'s>(&'s Slot);

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.waiters.fetch_sub(1, SeqCst);
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
