//! [`Slot`]: a cell that holds one cached instance, created exactly once.

use std::cell::RefCell;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::SeqCst};

use parking_lot::{Condvar, Mutex};

use crate::actor::{self, Actor};
use crate::erased::Erased;
use crate::error::ResolveError;

/// Where waiters block: a fixed table shared by every slot, indexed by the
/// slot's address (as `parking_lot` does for its own locks), so that a slot
/// carries no lock of its own and an uncontended creation never touches it.
/// A waiter rechecks its own slot when woken, so two slots sharing a shard
/// only cost a spurious wake-up.
struct Shard {
    /// Async waiters' semaphores, by slot: each is closed (waking every
    /// task that awaits it) and removed when that slot's creation ends.
    #[cfg(feature = "tokio")]
    waits: Mutex<Vec<(usize, std::sync::Arc<tokio::sync::Semaphore>)>>,
    #[cfg(not(feature = "tokio"))]
    waits: Mutex<()>,
    /// What blocked threads wait on.
    wake: Condvar,
}

const SHARDS: usize = 64;

static TABLE: [Shard; SHARDS] = [const {
    Shard {
        #[cfg(feature = "tokio")]
        waits: Mutex::new(Vec::new()),
        #[cfg(not(feature = "tokio"))]
        waits: Mutex::new(()),
        wake: Condvar::new(),
    }
}; SHARDS];

/// The shard of the slot with identity `id`.
fn shard(id: usize) -> &'static Shard {
    // Slots are at least 8 bytes apart: mix the address bits above that.
    let h = (id >> 3).wrapping_mul(0x9E37_79B9) >> 7;
    &TABLE[h % SHARDS]
}

/// How many slot tables of ended scopes a thread keeps for its next
/// scopes, and the largest it keeps (in slots): at most 4 x 256 x 48 bytes
/// (48 KiB) per thread, typically one table of a few dozen slots.
const SPARE_TABLES: usize = 4;
const SPARE_MAX_LEN: usize = 256;

thread_local! {
    /// Slot tables of scopes this thread dropped, every slot empty and free.
    static SPARE: RefCell<Vec<Box<[Slot]>>> = const { RefCell::new(Vec::new()) };
}

/// One cached instance (a singleton, or a scoped service in one scope).
///
/// Reads are a single atomic load (`OnceLock::get`). A creation *claims*
/// the slot for its actor (see [`actor`]) with one compare-and-swap; no
/// lock is held while the factory runs. Every other actor that needs the
/// instance meanwhile waits (a thread blocks on a condition variable, a
/// task awaits a semaphore, both in a table shared by all slots) unless the
/// wait could never end, which is
/// [`Reentrant`](crate::ResolveErrorKind::Reentrant). A factory that fails,
/// panics or is cancelled releases the slot empty, and the next resolution
/// tries again. A lock is taken only when someone waits.
pub(crate) struct Slot {
    cell: OnceLock<Erased>,
    /// The actor creating the instance (0: nobody).
    owner: AtomicU64,
    /// Actors waiting (sync or async) for the creation to end.
    waiters: AtomicU32,
    /// Its place in its owner's creation order (see the runtime's
    /// `owner::Owned`).
    pub(crate) link: Link,
}

/// A filled slot's place in its owner's creation order, written once when
/// the slot is filled.
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
    /// An empty slot.
    pub(crate) const fn new() -> Self {
        Slot {
            cell: OnceLock::new(),
            owner: AtomicU64::new(0),
            waiters: AtomicU32::new(0),
            link: Link {
                prev: AtomicU32::new(0),
                svc: AtomicU32::new(0),
            },
        }
    }

    /// `len` empty slots.
    pub(crate) fn many(len: usize) -> Box<[Slot]> {
        let mut slots = Vec::with_capacity(len);
        slots.resize_with(len, Slot::new);
        slots.into_boxed_slice()
    }

    /// A table of `len` empty slots for a scope: one that this thread kept
    /// from a scope it dropped (so a request scope allocates no table and
    /// writes none of its slots before use), or a new one.
    pub(crate) fn table(len: usize) -> Box<[Slot]> {
        let kept = SPARE.try_with(|spare| {
            let mut spare = spare.try_borrow_mut().ok()?;
            let i = spare.iter().rposition(|t| t.len() == len)?;
            // Taken with `pop` (two word loads), not `swap_remove` (one
            // 16-byte copy of an entry pushed two words at a time, often
            // still in the store buffer: a store-forwarding stall that perf
            // put 3% of scenario 7b's samples on; the timing loop could not
            // resolve a difference in time).
            let last = spare.len() - 1;
            if i != last {
                spare.swap(i, last);
            }
            spare.pop()
        });
        match kept {
            Ok(Some(table)) => table,
            _ => Slot::many(len),
        }
    }

    /// Keeps a dropped scope's `table` for this thread's next scopes, if
    /// every slot in it is empty and free (else, or if the thread keeps
    /// enough tables, it is dropped). Checked slot by slot, not assumed from
    /// the scope's disposal: an instance left behind would be served to
    /// another scope.
    pub(crate) fn recycle(mut table: Box<[Slot]>) {
        if table.is_empty()
            || table.len() > SPARE_MAX_LEN
            || !table.iter_mut().all(|s| s.is_clear())
        {
            return;
        }
        // Only empty slots are dropped while the cell is borrowed: no user
        // code runs there.
        let _ = SPARE.try_with(|spare| {
            if let Ok(mut spare) = spare.try_borrow_mut()
                && spare.len() < SPARE_TABLES
            {
                spare.push(table);
            }
        });
    }

    /// Whether the slot holds nothing and nobody creates or awaits it.
    fn is_clear(&mut self) -> bool {
        self.cell.get_mut().is_none() && *self.owner.get_mut() == 0 && *self.waiters.get_mut() == 0
    }

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
        let shard = shard(self.id());
        let mut waits = shard.waits.lock();
        if self.settled() {
            return Ok(());
        }
        let _waiting = actor::start_waiting(me, self.id(), self.owner.load(SeqCst))?;
        while !self.settled() {
            shard.wake.wait(&mut waits);
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
            let id = self.id();
            let mut waits = shard(id).waits.lock();
            if self.settled() {
                return Ok(());
            }
            let waiting = actor::start_waiting(me, id, self.owner.load(SeqCst))?;
            let sem = match waits.iter().find(|w| w.0 == id) {
                Some(w) => w.1.clone(),
                None => {
                    let sem = std::sync::Arc::new(tokio::sync::Semaphore::new(0));
                    waits.push((id, sem.clone()));
                    sem
                }
            };
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
        let shard = shard(self.id());
        #[cfg_attr(not(feature = "tokio"), allow(unused_mut))]
        let mut waits = shard.waits.lock();
        self.waits_changed();
        #[cfg(feature = "tokio")]
        self.wake_tasks(&mut waits);
        drop(waits);
        shard.wake.notify_all();
    }

    /// Closes (waking its tasks) and removes this slot's semaphore, if any.
    #[cfg(feature = "tokio")]
    fn wake_tasks(&self, waits: &mut Vec<(usize, std::sync::Arc<tokio::sync::Semaphore>)>) {
        let id = self.id();
        if let Some(i) = waits.iter().position(|w| w.0 == id) {
            waits.swap_remove(i).1.close();
        }
    }
}

/// A waiter's place in the count of waiters, given back however the wait
/// ends (woken, failed, or cancelled).
struct Counted<'s>(&'s Slot);

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        let slot = self.0;
        #[cfg_attr(not(feature = "tokio"), allow(unused_variables))]
        let last = slot.waiters.fetch_sub(1, SeqCst) == 1;
        // The last waiter to leave (a cancelled task's, typically) removes
        // a semaphore the creation's end would not: it only looks when
        // someone waits. Checked again under the lock: a waiter arriving
        // meanwhile counts itself first, and keeps it.
        #[cfg(feature = "tokio")]
        if last {
            let mut waits = shard(slot.id()).waits.lock();
            if slot.waiters.load(SeqCst) == 0 {
                slot.wake_tasks(&mut waits);
            }
        }
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
