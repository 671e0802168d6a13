//! Phase 1: which registration wins. The one place that decides it:
//! replacements, duplicates, replacements of nothing, collection elements.
//! The validator and subject-only builds (`testing`) both use it.

use std::any::TypeId;
use std::sync::Arc;

use crate::builder::{Mode, Registration};
use crate::key::IdMap;
use crate::node::Node;

/// The registrations in effect, in registration order of their first
/// registration (a replacement takes the place of what it replaces).
pub(crate) struct Selection<'r> {
    /// One entry per service, and one per collection element.
    pub(crate) active: Vec<&'r Arc<Registration>>,
    /// For each active entry, the index of its registration in `regs`.
    pub(crate) reg_of: Vec<usize>,
    /// Service key -> active entry.
    pub(crate) index: IdMap<TypeId, u32>,
    /// Collection key -> collection.
    pub(crate) collection_index: IdMap<TypeId, u32>,
    /// Each collection's elements (active entries), in registration order.
    pub(crate) collections: Vec<Vec<u32>>,
    /// Second registrations of a service (not replacing): (the
    /// registration in effect when it came, its registration index).
    pub(crate) duplicates: Vec<(Node, usize)>,
    /// Replacements that replace nothing (registration indices).
    pub(crate) replaces_nothing: Vec<usize>,
}

/// Applies the rule: the first registration of a service adds it; a later
/// one in `Add` mode is a duplicate (never effective); one in `Replace` or
/// `ReplaceOrAdd` mode replaces it; a `Replace` with nothing to replace is
/// reported; a `ReplaceOrAdd` with nothing to replace adds. Collection
/// elements always add.
pub(crate) fn select(regs: &[Arc<Registration>]) -> Selection<'_> {
    let mut sel = Selection {
        active: Vec::with_capacity(regs.len()),
        reg_of: Vec::with_capacity(regs.len()),
        index: IdMap::with_capacity_and_hasher(regs.len(), Default::default()),
        collection_index: IdMap::default(),
        collections: Vec::new(),
        duplicates: Vec::new(),
        replaces_nothing: Vec::new(),
    };
    for (ri, r) in regs.iter().enumerate() {
        if r.element {
            let collections = &mut sel.collections;
            let c = *sel.collection_index.entry(r.key.id).or_insert_with(|| {
                collections.push(Vec::new());
                (collections.len() - 1) as u32
            });
            sel.collections[c as usize].push(sel.active.len() as u32);
            sel.active.push(r);
            sel.reg_of.push(ri);
            continue;
        }
        match (sel.index.get(&r.key.id), r.mode) {
            (Some(&i), Mode::Add) => sel.duplicates.push((sel.active[i as usize].node, ri)),
            (Some(&i), Mode::Replace | Mode::ReplaceOrAdd) => {
                sel.active[i as usize] = r;
                sel.reg_of[i as usize] = ri;
            }
            (None, Mode::Replace) => sel.replaces_nothing.push(ri),
            (None, Mode::Add | Mode::ReplaceOrAdd) => {
                sel.index.insert(r.key.id, sel.active.len() as u32);
                sel.active.push(r);
                sel.reg_of.push(ri);
            }
        }
    }
    sel
}
