//! [`Owned`]: what a container or a scope created and must dispose of, in
//! creation order.
//!
//! The order is kept without a lock or an allocation per creation: each
//! cached instance's [`Slot`] links to the slot filled before it (a
//! lock-free stack of slot indices, pushed once per slot and walked from
//! the newest), and carries a creation number. Transients with async
//! disposers (rare: they have no slot) go to a locked list with creation
//! numbers from the same counter, and the two are merged when walked.

use std::sync::atomic::AtomicU32;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};

use parking_lot::Mutex;

use crate::erased::Erased;
use crate::plan::Plan;
use crate::slot::Slot;

/// One owned instance, as walked newest first.
pub(crate) enum Owning<'s> {
    /// The cached instance in slot `slot` (empty once taken), of service
    /// `svc`.
    Slot {
        #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
        slot: u32,
        svc: u32,
    },
    /// A transient with an async disposer, of service `svc`.
    Transient {
        #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
        value: &'s Erased,
        svc: u32,
    },
}

impl Owning<'_> {
    /// The service the instance belongs to.
    pub(crate) fn svc(&self) -> u32 {
        match self {
            Owning::Slot { svc, .. } | Owning::Transient { svc, .. } => *svc,
        }
    }
}

/// The creation-ordered record of what a container (its singletons) or a
/// scope (its scoped and pooled instances) owns.
#[derive(Default)]
pub(crate) struct Owned {
    /// The slot filled last, as index + 1 (0: none); each slot links to the
    /// one filled before it.
    head: AtomicU32,
    /// The last creation number given out (slots and transients alike).
    next: AtomicU32,
    /// Transients with async disposers: creation number, instance, service
    /// (in creation-number order: numbered under the lock).
    transients: Mutex<Vec<(u32, Erased, u32)>>,
}

impl Owned {
    /// Records that slot `slot` of `slots` now holds an instance of
    /// service `svc`. Called once per slot (a slot is filled once).
    pub(crate) fn push_slot(&self, slots: &[Slot], slot: u32, svc: u32) {
        let Some(s) = slots.get(slot as usize) else {
            return;
        };
        let link = &s.link;
        link.svc.store(svc, Relaxed);
        link.order
            .store(self.next.fetch_add(1, Relaxed).wrapping_add(1), Relaxed);
        let mut head = self.head.load(Relaxed);
        loop {
            link.prev.store(head, Relaxed);
            match self
                .head
                .compare_exchange_weak(head, slot + 1, Release, Relaxed)
            {
                Ok(_) => break,
                Err(now) => head = now,
            }
        }
    }

    /// Records a transient with an async disposer.
    pub(crate) fn push_transient(&self, value: Erased, svc: u32) {
        let mut transients = self.transients.lock();
        let order = self.next.fetch_add(1, Relaxed).wrapping_add(1);
        transients.push((order, value, svc));
    }

    /// Calls `f` with everything owned, newest first.
    pub(crate) fn newest_first(&self, slots: &[Slot], mut f: impl FnMut(Owning<'_>)) {
        // A snapshot (no allocation when there are none), so that no lock
        // is held while `f` runs.
        let transients = self.transients.lock().clone();
        let mut t = transients.len();
        let mut cur = self.head.load(Acquire);
        loop {
            let slot = (cur as usize).checked_sub(1).filter(|&i| i < slots.len());
            let tr = t.checked_sub(1);
            match newer(
                slot.map(|i| slots[i].link.order.load(Relaxed)),
                tr.map(|i| transients[i].0),
            ) {
                Some(Newer::Slot) => {
                    let i = slot.unwrap_or_default();
                    let link = &slots[i].link;
                    cur = link.prev.load(Relaxed);
                    f(Owning::Slot {
                        slot: i as u32,
                        svc: link.svc.load(Relaxed),
                    });
                }
                Some(Newer::Transient) => {
                    let i = tr.unwrap_or_default();
                    t = i;
                    let (_, value, svc) = &transients[i];
                    f(Owning::Transient { value, svc: *svc });
                }
                None => break,
            }
        }
    }

    /// How many instances it owns.
    pub(crate) fn len(&self, slots: &[Slot]) -> usize {
        let mut n = 0;
        self.newest_first(slots, |_| n += 1);
        n
    }

    /// How many owned instances have an async disposer that disposing this
    /// owner would run (and that does not run if it is only dropped).
    pub(crate) fn pending_async_disposers(&mut self, slots: &[Slot], plan: &Plan) -> usize {
        if *self.head.get_mut() == 0 && self.transients.get_mut().is_empty() {
            return 0;
        }
        let mut n = 0;
        self.newest_first(slots, |o| n += usize::from(plan.disposed_by_owner(o.svc())));
        n
    }

    /// Drops everything in reverse creation order; pooled instances go back
    /// to their pool instead (`give_back`).
    pub(crate) fn drop_in_reverse(
        &mut self,
        slots: &mut [Slot],
        plan: &Plan,
        mut give_back: impl FnMut(u32, Erased),
    ) {
        let mut transients = std::mem::take(self.transients.get_mut());
        let mut cur = std::mem::take(self.head.get_mut());
        loop {
            let slot = (cur as usize).checked_sub(1).filter(|&i| i < slots.len());
            match newer(
                slot.map(|i| *slots[i].link.order.get_mut()),
                transients.last().map(|t| t.0),
            ) {
                Some(Newer::Slot) => {
                    let s = &mut slots[slot.unwrap_or_default()];
                    cur = *s.link.prev.get_mut();
                    let svc = *s.link.svc.get_mut();
                    if let Some(value) = s.take() {
                        match plan.services.get(svc as usize) {
                            Some(service) if service.pool.is_some() => give_back(svc, value),
                            _ => drop(value),
                        }
                    }
                }
                Some(Newer::Transient) => drop(transients.pop()),
                None => break,
            }
        }
    }
}

/// Which list holds the newer of the two next entries.
enum Newer {
    Slot,
    Transient,
}

/// Compares the creation numbers of the next slot and the next transient
/// (`None`: that list is exhausted); `None` when both are.
fn newer(slot: Option<u32>, transient: Option<u32>) -> Option<Newer> {
    match (slot, transient) {
        (None, None) => None,
        (Some(s), Some(t)) if t > s => Some(Newer::Transient),
        (Some(_), _) => Some(Newer::Slot),
        (None, Some(_)) => Some(Newer::Transient),
    }
}
