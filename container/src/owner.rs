//! [`Owned`]: what a container or a scope created and must dispose of, in
//! creation order.

use parking_lot::Mutex;

use crate::erased::Erased;
use crate::plan::Plan;
use crate::slot::Slot;

/// One instance an owner is responsible for.
pub(crate) enum Entry {
    /// A cached instance in slot `slot` of service `svc`.
    Slot { slot: u32, svc: u32 },
    /// A transient with an async disposer, created by this owner.
    Transient { value: Erased, svc: u32 },
}

impl Entry {
    /// The service the instance belongs to.
    pub(crate) fn svc(&self) -> u32 {
        match self {
            Entry::Slot { svc, .. } | Entry::Transient { svc, .. } => *svc,
        }
    }
}

/// The creation-ordered list of what a container (its singletons) or a
/// scope (its scoped and pooled instances) owns.
#[derive(Default)]
pub(crate) struct Owned {
    pub(crate) entries: Mutex<Vec<Entry>>,
}

impl Owned {
    pub(crate) fn push_slot(&self, slot: u32, svc: u32) {
        let mut entries = self.entries.lock();
        if entries.capacity() == 0 {
            // One allocation for a typical request's worth of instances.
            entries.reserve(8);
        }
        entries.push(Entry::Slot { slot, svc });
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.lock().len()
    }

    /// How many owned instances have an async disposer that disposing this
    /// owner would run (and that does not run if it is only dropped).
    pub(crate) fn pending_async_disposers(&self, plan: &Plan) -> usize {
        self.entries
            .lock()
            .iter()
            .filter(|e| plan.disposed_by_owner(e.svc()))
            .count()
    }

    /// Drops everything in reverse creation order; pooled instances go back
    /// to their pool instead (`give_back`).
    pub(crate) fn drop_in_reverse(
        &mut self,
        slots: &mut [Slot],
        plan: &Plan,
        mut give_back: impl FnMut(u32, Erased),
    ) {
        let entries = std::mem::take(self.entries.get_mut());
        for e in entries.into_iter().rev() {
            match e {
                Entry::Slot { slot, svc } => {
                    if let Some(value) = slots.get_mut(slot as usize).and_then(Slot::take) {
                        if plan.services[svc as usize].pool.is_some() {
                            give_back(svc, value);
                        } else {
                            drop(value);
                        }
                    }
                }
                Entry::Transient { value, .. } => drop(value),
            }
        }
    }
}
