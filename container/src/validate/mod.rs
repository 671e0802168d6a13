//! Validation: registrations in, a frozen [`Plan`] or every problem out.
//!
//! A pure function of the registrations; no factory runs. Linear in
//! services + edges: one pass to resolve keys, Tarjan's algorithm for
//! cycles, and one pass over strongly connected components to compute, for
//! every transparent service (transient, binding, element), the shortest
//! lifetime it pins. Only holders found captive get a breadth-first search
//! to print their paths.

//! The phases, one module each:
//!
//! 1. [`select`]: which registration wins (replacements, duplicates,
//!    replacements of nothing, collection elements);
//! 2. [`link`]: wrapper registrations, every declared dependency linked or
//!    reported missing (knock-ons of a replacement of nothing grouped under
//!    it), plan entries, hooks attached;
//! 3. [`graph`]: the held-dependency graph and its algorithms;
//! 4. [`checks`]: cycles, captive dependencies, then (on a valid graph)
//!    which services need async work;
//! 5. [`lints`]: the lints and their settings (warnings, or problems where
//!    denied); [`reach`] is the reachability walk they share with
//!    subject-only builds.

use std::any::TypeId;
use std::sync::Arc;

use crate::builder::{Hook, Registration, Settings};
use crate::decorate::Decorator;
use crate::error::{DependencyKind, Problem};
use crate::inject::Target;
use crate::key::IdMap;
use crate::lifetime::Lifetime;
use crate::node::Node;
use crate::plan::{Hooks, Plan};

mod checks;
mod decorate;
mod graph;
mod lifecycle;
mod link;
mod lints;
pub(crate) mod reach;
pub(crate) mod select;

pub(crate) fn validate(
    regs: &[Arc<Registration>],
    hooks: &[Hook],
    decorators: &[Decorator],
    settings: &Settings,
) -> Result<Plan, Vec<Problem>> {
    let mut problems = Vec::new();

    // 1. The effective registrations.
    let mut sel = select::select(regs);
    // Types whose only registration replaced nothing: what needs them is a
    // knock-on of that problem (its index), reported under it.
    let mut unplaced: IdMap<TypeId, usize> = IdMap::default();
    let mut reported: Vec<(usize, Problem)> = sel
        .duplicates
        .iter()
        .map(|&(first, ri)| {
            (
                ri,
                Problem::Duplicate {
                    first,
                    second: regs[ri].node,
                },
            )
        })
        .chain(sel.replaces_nothing.iter().map(|&ri| {
            (
                ri,
                Problem::ReplacesNothing {
                    replacement: regs[ri].node,
                    needed_by: Vec::new(),
                },
            )
        }))
        .collect();
    reported.sort_by_key(|(ri, _)| *ri); // in registration order
    for (ri, p) in reported {
        if matches!(p, Problem::ReplacesNothing { .. }) {
            unplaced.entry(regs[ri].key.id).or_insert(problems.len());
        }
        problems.push(p);
    }
    let nodes: Vec<Node> = sel.active.iter().map(|r| r.node).collect();

    // 2. Links and plan entries.
    let wrappers = link::wrappers(&sel, &mut problems);
    let mut linked = link::link(&sel, &unplaced, &wrappers, &nodes, &mut problems);
    let lookup = decorate::Lookup {
        index: &sel.index,
        collection_index: &sel.collection_index,
        unplaced: &unplaced,
        wrappers: &wrappers,
        nodes: &nodes,
    };
    decorate::decorate(decorators, &lookup, &mut linked, &mut problems);
    let link::Linked {
        mut services,
        edges: mut all_edges,
        mut pools,
        singleton_slots,
        scoped_slots,
    } = linked;
    // Decorators added entries of their own, after the registrations'.
    let n = services.len();
    let nodes: Vec<Node> = services.iter().map(|s| s.node).collect();
    link::attach_hooks(
        hooks,
        &sel.index,
        &unplaced,
        &mut services,
        &mut pools,
        &mut problems,
    );
    let lifecycle = lifecycle::collect(hooks, &sel.index, &services, &mut problems);
    let collections: Vec<Box<[u32]>> = std::mem::take(&mut sel.collections)
        .into_iter()
        .map(Vec::into_boxed_slice)
        .collect();

    // 3. The graph of held dependencies.
    let graph = graph::Graph::new(&services, &all_edges, &collections);

    // 4. Cycles and captive dependencies.
    let (members, ccount) = checks::cycles(n, &graph, &nodes, &mut problems);
    checks::captives(n, &graph, &services, &nodes, &mut problems);

    // 5. Lints.
    let lint_input = lints::Input {
        regs,
        decorators,
        sel: &sel,
        services: &services,
        edges: &all_edges,
        graph: &graph,
        settings: &settings.lints,
    };
    let warnings = lints::lints(&lint_input, &mut problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    checks::needs_async(&graph, &members, ccount, &mut services);

    // Dependencies on cached services read them directly when they exist;
    // the async driver resolves ahead the ones whose creation may await.
    for e in &mut all_edges {
        match (e.kind, e.target) {
            (DependencyKind::Required | DependencyKind::Optional, Target::Service(t)) => {
                let target = &services[t as usize];
                match target.lifetime {
                    Lifetime::Singleton => e.typed = target.slot,
                    Lifetime::Scoped | Lifetime::Pooled => e.scoped = target.slot,
                    Lifetime::Transient => {}
                }
                e.ahead = target.needs_async;
            }
            (DependencyKind::Collection, Target::Collection(c)) => {
                e.ahead = collections[c as usize]
                    .iter()
                    .any(|&i| services[i as usize].needs_async);
            }
            _ => {}
        }
    }
    let casters = services.iter().map(|s| s.caster.clone()).collect();
    let owners_dispose = services
        .iter()
        .any(|s| s.disposer.is_some() && s.pool.is_none());

    Ok(Plan {
        owners_dispose,
        warnings,
        services,
        edges: all_edges,
        index: sel.index,
        collections,
        collection_index: sel.collection_index,
        singleton_slots: singleton_slots as usize,
        scoped_slots: scoped_slots as usize,
        pools,
        casters,
        hooks: Hooks {
            on_undisposed: settings.on_undisposed.clone(),
            on_dispose_error: settings.on_dispose_error.clone(),
            track_instances: settings.track_instances,
            dispose_timeout: settings.dispose_timeout,
            lifecycle_timeout: settings.lifecycle_timeout,
        },
        lifecycle,
        routes: Default::default(),
    })
}
