//! [`Owned`]: what a container or a scope created and must dispose of, in
//! creation order.
//!
//! The order is kept without a lock or an allocation per creation: each
//! cached instance's [`Slot`] links to the slot filled before it (a
//! lock-free stack of slot indices, pushed once per slot and walked from
//! the newest). Transients with async disposers (rare: they have no slot)
//! go to a locked list, each with the list's head when it was created, and
//! are merged into the walk just before that slot.

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
    /// Transients with async disposers, in creation order: the list's head
    /// when each was created (it is newer than that slot and older than
    /// the next), the instance, its service.
    transients: Mutex<Vec<(u32, Erased, u32)>>,
}

/// One step of a walk, newest first.
#[derive(Clone, Copy)]
enum Item {
    /// Slot index.
    Slot(usize),
    /// Index into the transients.
    Transient(usize),
}

/// Walks a slot list from `head` (`prev(i)`: the link of slot `i`) merged
/// with transients created after the slots in `afters`, newest first.
/// Bounded by the number of slots, whatever the links say.
fn walk(
    head: u32,
    len: usize,
    prev: impl Fn(usize) -> u32,
    afters: &[u32],
    mut f: impl FnMut(Item),
) {
    let mut done = vec![false; afters.len()];
    let mut cur = head;
    for _ in 0..=len {
        for (t, &after) in afters.iter().enumerate().rev() {
            if !done[t] && (after == cur || cur == 0) {
                done[t] = true;
                f(Item::Transient(t));
            }
        }
        match (cur as usize).checked_sub(1).filter(|&i| i < len) {
            Some(i) => {
                f(Item::Slot(i));
                cur = prev(i);
            }
            None => break,
        }
    }
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
        let after = self.head.load(Acquire);
        transients.push((after, value, svc));
    }

    /// Calls `f` with everything owned, newest first.
    pub(crate) fn newest_first(&self, slots: &[Slot], mut f: impl FnMut(Owning<'_>)) {
        // A snapshot (no allocation when there are none), so that no lock
        // is held while `f` runs.
        let transients = self.transients.lock().clone();
        let head = self.head.load(Acquire);
        let prev = |i: usize| slots[i].link.prev.load(Relaxed);
        let afters: Vec<u32> = transients.iter().map(|t| t.0).collect();
        walk(head, slots.len(), prev, &afters, |item| match item {
            Item::Slot(i) => f(Owning::Slot {
                slot: i as u32,
                svc: slots[i].link.svc.load(Relaxed),
            }),
            Item::Transient(t) => f(Owning::Transient {
                value: &transients[t].1,
                svc: transients[t].2,
            }),
        });
    }

    /// Whether it owns nothing (when no one else can reach it).
    #[inline]
    pub(crate) fn is_empty_mut(&mut self) -> bool {
        *self.head.get_mut() == 0 && self.transients.get_mut().is_empty()
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
        if !plan.owners_dispose || self.is_empty_mut() {
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
        let head = std::mem::take(self.head.get_mut());
        let mut take_slot = |slots: &mut [Slot], i: usize| {
            let svc = *slots[i].link.svc.get_mut();
            if let Some(value) = slots[i].take() {
                match plan.services.get(svc as usize) {
                    Some(service) if service.pool.is_some() => give_back(svc, value),
                    _ => drop(value),
                }
            }
        };
        if self.transients.get_mut().is_empty() {
            let mut cur = head;
            for _ in 0..slots.len() {
                let Some(i) = (cur as usize).checked_sub(1).filter(|&i| i < slots.len()) else {
                    break;
                };
                cur = *slots[i].link.prev.get_mut();
                take_slot(slots, i);
            }
            return;
        }
        let taken = std::mem::take(self.transients.get_mut());
        let afters: Vec<u32> = taken.iter().map(|t| t.0).collect();
        let mut transients: Vec<Option<Erased>> = taken.into_iter().map(|t| Some(t.1)).collect();
        // Rare (transients with async disposers): the order first, then
        // the drops.
        let mut order = Vec::new();
        walk(
            head,
            slots.len(),
            |i| slots[i].link.prev.load(Relaxed),
            &afters,
            |item| {
                order.push(item);
            },
        );
        for item in order {
            match item {
                Item::Slot(i) => take_slot(slots, i),
                Item::Transient(t) => drop(transients[t].take()),
            }
        }
    }
}
