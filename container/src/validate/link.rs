//! Phases 2 and 3: every declared dependency linked to the service or
//! collection that serves it (or reported missing), each registration made
//! into a plan entry, hooks attached.

use std::any::TypeId;

use crate::builder::{Hook, HookKind, RegExec};
use crate::error::{DependencyKind, Problem};
use crate::inject::{Edge, Target};
use crate::key::{IdMap, short_name};
use crate::lifetime::Lifetime;
use crate::node::Node;
use crate::plan::{Exec, PoolSpec, Service, suggest};
use crate::suggest::{Made, misregistered};

use super::select::Selection;

/// The plan entries, before the graph checks.
pub(super) struct Linked {
    pub(super) services: Vec<Service>,
    pub(super) edges: Vec<Edge>,
    pub(super) pools: Vec<PoolSpec>,
    pub(super) singleton_slots: u32,
    pub(super) scoped_slots: u32,
}

/// Services registered wrapped (`Arc<T>`, `Result<T, E>`) by mistake: each
/// is a problem; returns `(T, wrapper)` for the hints where `T` is missing.
pub(super) fn wrappers(
    sel: &Selection<'_>,
    problems: &mut Vec<Problem>,
) -> Vec<(&'static str, Node)> {
    let active = &sel.active;
    let mut wrappers: Vec<(&'static str, Node)> = Vec::new();
    for r in active.iter().filter(|r| !r.element) {
        let made = match r.exec {
            RegExec::Instance(_) => Made::Instance,
            RegExec::Factory(_) => Made::Factory,
            RegExec::AsyncFactory(_) => Made::AsyncFactory,
            // Supplied values are declared by their own type.
            RegExec::Forward(_) | RegExec::Supplied => continue,
        };
        if let Some((inner, reason)) = misregistered(r.key.name, r.lifetime, made) {
            wrappers.push((inner, r.node));
            problems.push(Problem::Misconfigured {
                node: r.node,
                reason,
            });
        }
    }

    wrappers
}

/// Links every registration's declared dependencies and makes its plan
/// entry.
pub(super) fn link(
    sel: &Selection<'_>,
    unplaced: &IdMap<TypeId, usize>,
    wrappers: &[(&'static str, Node)],
    nodes: &[Node],
    problems: &mut Vec<Problem>,
) -> Linked {
    let (active, index, collection_index) = (&sel.active, &sel.index, &sel.collection_index);
    let n = active.len();
    let mut services: Vec<Service> = Vec::with_capacity(n);
    let mut all_edges: Vec<Edge> = Vec::with_capacity(active.iter().map(|r| r.decls.len()).sum());
    let mut pools: Vec<PoolSpec> = Vec::new();
    let (mut singleton_slots, mut scoped_slots) = (0u32, 0u32);
    for r in active.iter() {
        let first_edge = all_edges.len() as u32;
        all_edges.extend(r.decls.iter().map(|d| {
            let target = match d.kind {
                DependencyKind::ScopeFactory => Target::Absent,
                DependencyKind::Collection => collection_index
                    .get(&d.key.id)
                    .map_or(Target::Absent, |&c| Target::Collection(c)),
                _ => match index.get(&d.key.id) {
                    Some(&t) => Target::Service(t),
                    None => {
                        if d.kind != DependencyKind::Optional
                            && !knock_on(problems, unplaced, d.key.id, r.node)
                        {
                            problems.push(missing(
                                r.node,
                                d.key.name,
                                d.kind,
                                nodes,
                                collection_index,
                                wrappers,
                                d.key.id,
                            ));
                        }
                        Target::Absent
                    }
                },
            };
            Edge {
                kind: d.kind,
                target,
                typed: Edge::NO_TYPED,
                scoped: Edge::NO_TYPED,
                ahead: false,
            }
        }));
        let edges = first_edge..all_edges.len() as u32;
        let exec = match &r.exec {
            RegExec::Factory(f) => Exec::Factory(f.clone()),
            RegExec::Instance(v) => Exec::Instance(v.clone()),
            RegExec::AsyncFactory(f) => Exec::AsyncFactory(f.clone()),
            RegExec::Supplied => Exec::Supplied,
            RegExec::Forward(k) => match index.get(&k.id) {
                Some(&t) if !matches!(active[t as usize].exec, RegExec::Forward(_)) => {
                    Exec::Forward(t)
                }
                None if knock_on(problems, unplaced, k.id, r.node) => Exec::Forward(NO_TARGET),
                found => {
                    let mut p = missing(
                        r.node,
                        k.name,
                        DependencyKind::Required,
                        nodes,
                        collection_index,
                        wrappers,
                        k.id,
                    );
                    if found.is_some()
                        && let Problem::Missing { did_you_mean, .. } = &mut p
                    {
                        did_you_mean.push(format!(
                            "the implementation behind `{}` (a binding must point at a type \
                             registered with a factory or `instance`, not at another binding)",
                            k.name
                        ));
                    }
                    problems.push(p);
                    Exec::Forward(NO_TARGET)
                }
            },
        };
        let slot = match r.lifetime {
            Lifetime::Singleton => {
                singleton_slots += 1;
                singleton_slots - 1
            }
            Lifetime::Scoped | Lifetime::Pooled => {
                scoped_slots += 1;
                scoped_slots - 1
            }
            Lifetime::Transient => 0,
        };
        let pool = match r.pool_max {
            Some(0) => {
                problems.push(Problem::Misconfigured {
                    node: r.node,
                    reason: "a pool of size 0 could never rent an instance; give it a size of at least 1"
                        .to_owned(),
                });
                None
            }
            Some(max) if r.lifetime == Lifetime::Pooled => {
                pools.push(PoolSpec { max, reset: None });
                Some(pools.len() as u32 - 1)
            }
            _ => None,
        };
        services.push(Service {
            id: services.len() as u32,
            node: r.node,
            lifetime: r.lifetime,
            exec,
            slot,
            edges,
            caster: r.caster.clone(),
            typer: r.typer,
            needs_async: false,
            disposer: None,
            pool,
        });
    }
    Linked {
        services,
        edges: all_edges,
        pools,
        singleton_slots,
        scoped_slots,
    }
}

/// Attaches disposers and reset hooks to the services they name.
pub(super) fn attach_hooks(
    hooks: &[Hook],
    index: &IdMap<TypeId, u32>,
    unplaced: &IdMap<TypeId, usize>,
    services: &mut [Service],
    pools: &mut [PoolSpec],
    problems: &mut Vec<Problem>,
) {
    for h in hooks {
        let misconfigured = |reason: String| Problem::Misconfigured {
            node: h.node,
            reason,
        };
        let Some(&i) = index.get(&h.key.id) else {
            if knock_on(problems, unplaced, h.key.id, h.node) {
                continue;
            }
            problems.push(misconfigured(format!(
                "`{}` is not registered; register it, or remove the hook",
                h.key.name
            )));
            continue;
        };
        let svc = &mut services[i as usize];
        if !matches!(svc.exec, Exec::Forward(_)) && (*svc.caster).type_id() != h.caster {
            problems.push(misconfigured(format!(
                "the hook converts to `{}`, but the service registered for that type is not \
                 resolved as it; attach the hook to the type the service is registered as",
                h.key.name
            )));
            continue;
        }
        match &h.kind {
            HookKind::Disposer(_) if matches!(svc.exec, Exec::Forward(_)) => {
                problems.push(misconfigured(format!(
                    "`{}` is a binding; attach the disposer to the implementation type",
                    h.key.name
                )))
            }
            HookKind::Disposer(_) if svc.disposer.is_some() => {
                problems.push(misconfigured(format!(
                    "`{}` already has an async disposer; remove one of them",
                    h.key.name
                )))
            }
            HookKind::Disposer(d) => svc.disposer = Some(d.clone()),
            // Checked and collected by `lifecycle::collect`.
            HookKind::Start(_) | HookKind::Stop(_) => {}
            HookKind::Reset(r) => match svc.pool {
                Some(p) if pools[p as usize].reset.is_none() => {
                    pools[p as usize].reset = Some(r.clone())
                }
                Some(_) => problems.push(misconfigured(format!(
                    "`{}` already has a reset hook; remove one of them",
                    h.key.name
                ))),
                None => problems.push(misconfigured(format!(
                    "`{}` is {} `{}`, not pooled: only pooled instances go back to a pool; \
                     register it with `pooled(size, ..)`",
                    h.key.name, svc.lifetime, h.key.name
                ))),
            },
        }
    }
}

/// If `id` is not registered because its registration replaced nothing,
/// records that `node` needs it, under that problem, and returns `true`.
pub(super) fn knock_on(
    problems: &mut [Problem],
    unplaced: &IdMap<TypeId, usize>,
    id: TypeId,
    node: Node,
) -> bool {
    let Some(&i) = unplaced.get(&id) else {
        return false;
    };
    // A registration that needs it twice is listed once (its needs are
    // checked one after the other).
    if let Problem::ReplacesNothing { needed_by, .. } = &mut problems[i]
        && needed_by.last() != Some(&node)
    {
        needed_by.push(node);
    }
    true
}

#[cold]
pub(super) fn missing(
    requester: Node,
    name: &'static str,
    kind: DependencyKind,
    nodes: &[Node],
    collection_index: &IdMap<TypeId, u32>,
    wrappers: &[(&'static str, Node)],
    id: TypeId,
) -> Problem {
    let mut did_you_mean: Vec<String> = wrappers
        .iter()
        .filter(|(inner, _)| *inner == name)
        .map(|(_, w)| {
            format!(
                "{w} (registered at {}), which registers the wrapper rather than `{}` (see its \
                 T0006 problem)",
                w.site,
                short_name(name)
            )
        })
        .collect();
    let others = || nodes.iter().copied().filter(|n| *n != requester);
    let keyed = |n: &Node| n.name.starts_with(crate::key::KEYED_PREFIX);
    match crate::keyed::hints(name, others()) {
        Some(keys) => did_you_mean.extend(keys),
        None => did_you_mean.extend(suggest(name, others().filter(|n| !keyed(n)))),
    }
    did_you_mean.extend(crate::keyed::unkeyed_hints(name, others()));
    did_you_mean.extend(crate::with_args::hints(name, others()));
    if collection_index.contains_key(&id) {
        did_you_mean.push(format!(
            "`Vec<Arc<{name}>>` (it is registered as a collection with `collect`)"
        ));
    }
    Problem::Missing {
        requester,
        dependency: name,
        kind,
        did_you_mean,
    }
}

/// The forward target of a binding or element whose target is missing
/// (reported as such; the plan is never built).
pub(super) const NO_TARGET: u32 = u32::MAX;
