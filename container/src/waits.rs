//! Deadlock detection between threads creating instances.
//!
//! A slot's lock is held while its factory runs. A factory that resolves,
//! through a handle, a service whose construction needs the slot another
//! thread is filling can close a wait cycle across threads (thread 1 fills
//! `A` and waits for `B`; thread 2 fills `B` and, through a `Lazy<A>`,
//! waits for `A`). On one thread that is caught by the busy list in
//! [`slot`](crate::slot); across threads, by this wait-for graph: before a
//! thread blocks on a slot, it follows "the owner of the slot waits for a
//! slot whose owner waits for ..." and, if the chain comes back to itself,
//! fails with [`Reentrant`](crate::ResolveErrorKind::Reentrant) instead of
//! blocking forever.
//!
//! Cost: an uncontended creation does two atomic stores and two atomic
//! loads; the global registry is locked only when a thread has to wait, or
//! when it takes or releases a slot someone waits for.

use std::sync::atomic::{AtomicU32, Ordering::SeqCst};

use parking_lot::Mutex;

/// A thread waiting for a slot, and who owns that slot (0: nobody known).
struct Wait {
    thread: u32,
    slot: usize,
    owner: u32,
}

static WAITS: Mutex<Vec<Wait>> = Mutex::new(Vec::new());

/// This thread's token (never 0).
pub(crate) fn me() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    thread_local! {
        static ME: u32 = NEXT.fetch_add(1, SeqCst);
    }
    ME.with(|m| *m)
}

/// The wait-for state of one slot.
#[derive(Default)]
pub(crate) struct Owner {
    /// The thread filling the slot (0: none).
    owner: AtomicU32,
    /// Threads registered as waiting for the slot.
    waiters: AtomicU32,
}

impl Owner {
    /// Before blocking on slot `slot`: fails if the wait would close a
    /// cycle, otherwise registers the wait. Pair with [`Owner::stop_waiting`].
    pub(crate) fn start_waiting(&self, slot: usize) -> Result<(), ()> {
        let me = me();
        let mut waits = WAITS.lock();
        self.waiters.fetch_add(1, SeqCst);
        let owner = self.owner.load(SeqCst);
        // Each thread has at most one record, so a chain longer than the
        // records is a cycle among other threads: not ours to report.
        let mut t = owner;
        for _ in 0..=waits.len() {
            if t == 0 {
                break;
            }
            if t == me {
                self.waiters.fetch_sub(1, SeqCst);
                return Err(());
            }
            t = waits.iter().find(|w| w.thread == t).map_or(0, |w| w.owner);
        }
        waits.push(Wait {
            thread: me,
            slot,
            owner,
        });
        Ok(())
    }

    /// After the lock was acquired following [`Owner::start_waiting`].
    pub(crate) fn stop_waiting(&self) {
        let me = me();
        let mut waits = WAITS.lock();
        waits.retain(|w| w.thread != me);
        self.waiters.fetch_sub(1, SeqCst);
    }

    /// The current thread holds the slot's lock.
    pub(crate) fn acquired(&self, slot: usize) {
        self.set(slot, me());
    }

    /// The current thread is about to release the slot's lock.
    pub(crate) fn releasing(&self, slot: usize) {
        self.set(slot, 0);
    }

    fn set(&self, slot: usize, owner: u32) {
        self.owner.store(owner, SeqCst);
        // Either a waiter registering now reads `owner`, or we see it here
        // and correct its record (both sides use sequentially consistent
        // operations, so one of them sees the other).
        if self.waiters.load(SeqCst) > 0 {
            for w in WAITS.lock().iter_mut().filter(|w| w.slot == slot) {
                w.owner = owner;
            }
        }
    }
}
