//! Reachability through declared dependencies: what a subject-only build
//! keeps (`build_for`), what a graph restricted to one service shows, and
//! which registrations no root reaches (lint `L0002`). One walk for all
//! three, over the registrations in effect as [`select`] decides them.

use std::any::TypeId;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::builder::{RegExec, Registration};
use crate::decorate::Decorator;
use crate::error::DependencyKind;

use super::select::select;

/// A node of the reachability walk: a service key, or a collection key
/// (`true`), which share the `TypeId` namespace but not their registrations.
type Slot = (TypeId, bool);

/// Which registrations the `subjects` reach (one flag per registration, in
/// order), or `None` if no subject is registered, neither as a service nor
/// as a collection.
///
/// Kept: every registration of a reachable slot (so duplicates and
/// replacements among them are judged as in a full build), and every
/// replacement of nothing. Followed: only the *effective* registration of a
/// service (the last replacement, as the validator applies them) and every
/// collection element, so a replaced production service does not drag its
/// own dependencies into a test that replaced it.
///
/// A decorated service's decorators are followed with it: their own
/// dependencies are what the service needs too.
pub(crate) fn reachable(
    regs: &[Arc<Registration>],
    decorators: &[Decorator],
    subjects: &[TypeId],
) -> Option<Vec<bool>> {
    // The registrations in effect, by the validator's own rule.
    let sel = select(regs);
    let effective: HashMap<TypeId, usize> = sel
        .index
        .iter()
        .map(|(&id, &a)| (id, sel.reg_of[a as usize]))
        .collect();
    let elements: HashMap<TypeId, Vec<usize>> = sel
        .collection_index
        .iter()
        .map(|(&id, &c)| {
            let regs_of = sel.collections[c as usize]
                .iter()
                .map(|&a| sel.reg_of[a as usize])
                .collect();
            (id, regs_of)
        })
        .collect();
    let mut keep = vec![false; regs.len()];
    // Replacements of nothing are always reported.
    for &ri in &sel.replaces_nothing {
        keep[ri] = true;
    }

    let mut seen: HashSet<Slot> = HashSet::new();
    let mut work: Vec<Slot> = Vec::new();
    for &subject in subjects {
        if effective.contains_key(&subject) {
            work.push((subject, false));
        }
        if elements.contains_key(&subject) {
            work.push((subject, true));
        }
    }
    if work.is_empty() {
        return None;
    }
    seen.extend(work.iter().copied());
    while let Some((id, element)) = work.pop() {
        let followed: &[usize] = if element {
            elements.get(&id).map_or(&[], Vec::as_slice)
        } else {
            effective.get(&id).map(std::slice::from_ref).unwrap_or(&[])
        };
        for &i in followed {
            let r = &regs[i];
            let forward = match &r.exec {
                RegExec::Forward(k) => Some((k.id, false)),
                RegExec::Factory(_)
                | RegExec::AsyncFactory(_)
                | RegExec::Instance(_)
                | RegExec::Supplied => None,
            };
            let deps = r.decls.iter().filter_map(|d| match d.kind {
                DependencyKind::ScopeFactory => None,
                DependencyKind::Collection => Some((d.key.id, true)),
                _ => Some((d.key.id, false)),
            });
            for slot in deps.chain(forward) {
                if seen.insert(slot) {
                    work.push(slot);
                }
            }
        }
        if !element {
            let decorations = decorators.iter().filter(|d| d.key.id == id);
            for d in decorations.flat_map(|d| d.decls.iter()) {
                let slot = match d.kind {
                    DependencyKind::ScopeFactory => continue,
                    DependencyKind::Collection => (d.key.id, true),
                    _ => (d.key.id, false),
                };
                if seen.insert(slot) {
                    work.push(slot);
                }
            }
        }
    }
    for (i, r) in regs.iter().enumerate() {
        keep[i] |= seen.contains(&(r.key.id, r.element));
    }
    Some(keep)
}
