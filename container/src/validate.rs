//! Validation: registrations in, a frozen [`Plan`] or every problem out.
//!
//! A pure function of the registrations; no factory runs. Linear in
//! services + edges: one pass to resolve keys, Tarjan's algorithm for
//! cycles, and one pass over strongly connected components to compute, for
//! every transparent service (transient, binding, element), the shortest
//! lifetime it pins. Only holders found captive get a breadth-first search
//! to print their paths.

use std::any::TypeId;
use std::sync::Arc;

use crate::builder::{Hook, HookKind, Mode, RegExec, Registration, Settings};
use crate::error::{DependencyKind, Problem};
use crate::inject::{Edge, Target};
use crate::key::{IdMap, short_name};
use crate::lifetime::Lifetime;
use crate::node::Node;
use crate::plan::{Exec, Hooks, Plan, PoolSpec, Service, suggest};
use crate::suggest::{Made, misregistered};

pub(crate) fn validate(
    regs: &[Arc<Registration>],
    hooks: &[Hook],
    settings: &Settings,
) -> Result<Plan, Vec<Problem>> {
    let mut problems = Vec::new();

    // 1. The effective registrations: replacements applied, duplicates found.
    let mut active: Vec<&Arc<Registration>> = Vec::with_capacity(regs.len());
    let mut index: IdMap<TypeId, u32> =
        IdMap::with_capacity_and_hasher(regs.len(), Default::default());
    let mut collection_index: IdMap<TypeId, u32> = IdMap::default();
    let mut collections: Vec<Vec<u32>> = Vec::new();
    // Types whose only registration replaced nothing: what needs them is a
    // knock-on of that problem (its index), reported under it.
    let mut unplaced: IdMap<TypeId, usize> = IdMap::default();
    for r in regs {
        if r.element {
            let c = *collection_index.entry(r.key.id).or_insert_with(|| {
                collections.push(Vec::new());
                (collections.len() - 1) as u32
            });
            collections[c as usize].push(active.len() as u32);
            active.push(r);
            continue;
        }
        match (index.get(&r.key.id), r.mode) {
            (Some(&i), Mode::Add) => problems.push(Problem::Duplicate {
                first: active[i as usize].node,
                second: r.node,
            }),
            (Some(&i), Mode::Replace | Mode::ReplaceOrAdd) => active[i as usize] = r,
            (None, Mode::Replace) => {
                unplaced.entry(r.key.id).or_insert(problems.len());
                problems.push(Problem::ReplacesNothing {
                    replacement: r.node,
                    needed_by: Vec::new(),
                })
            }
            (None, Mode::Add | Mode::ReplaceOrAdd) => {
                index.insert(r.key.id, active.len() as u32);
                active.push(r);
            }
        }
    }
    let n = active.len();
    let nodes: Vec<Node> = active.iter().map(|r| r.node).collect();
    // A service registered wrapped (`Arc<T>`, `Result<T, E>`) by mistake:
    // each is a problem, and a hint where `T` is missing.
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

    // 2. Every declared dependency resolved to a service or a collection.
    let mut services: Vec<Service> = Vec::with_capacity(n);
    let mut all_edges: Vec<Edge> = Vec::with_capacity(active.iter().map(|r| r.decls.len()).sum());
    let mut pools: Vec<PoolSpec> = Vec::new();
    let (mut singleton_slots, mut scoped_slots) = (0u32, 0u32);
    for r in &active {
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
                            && !knock_on(&mut problems, &unplaced, d.key.id, r.node)
                        {
                            problems.push(missing(
                                r.node,
                                d.key.name,
                                d.kind,
                                &nodes,
                                &collection_index,
                                &wrappers,
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
                None if knock_on(&mut problems, &unplaced, k.id, r.node) => {
                    Exec::Forward(NO_TARGET)
                }
                found => {
                    let mut p = missing(
                        r.node,
                        k.name,
                        DependencyKind::Required,
                        &nodes,
                        &collection_index,
                        &wrappers,
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
    attach_hooks(
        hooks,
        &index,
        &unplaced,
        &mut services,
        &mut pools,
        &mut problems,
    );
    let collections: Vec<Box<[u32]>> = collections.into_iter().map(Vec::into_boxed_slice).collect();

    // 3. The graph of held dependencies, as adjacency lists.
    let graph = Graph::new(&services, &all_edges, &collections);

    // 4. Cycles among construction edges (lazy edges do not construct).
    let (comp, ccount) = tarjan(n, &graph, |_| true, |e| e.constructs);
    let members = Groups::new(&comp, ccount);
    let mut cycles: Vec<(u32, Vec<u32>)> = Vec::new();
    for c in 0..ccount {
        let m = members.get(c);
        let start = m[0];
        let nontrivial = m.len() > 1
            || graph
                .out(start)
                .iter()
                .any(|e| e.constructs && e.to == start);
        if nontrivial {
            cycles.push((start, cycle_through(start, &graph, &comp)));
        }
    }
    cycles.sort_by_key(|(s, _)| *s);
    for (_, path) in cycles {
        problems.push(Problem::Cycle {
            path: path.iter().map(|&v| nodes[v as usize]).collect(),
        });
    }

    // 5. Captive dependencies.
    let rank = |v: u32| services[v as usize].lifetime.rank();
    let transparent = |v: u32| rank(v).is_none();
    let (tcomp, tcount) = tarjan(n, &graph, |v| transparent(v as u32), |_| true);
    // pin[c]: the shortest lifetime rank a transparent component keeps
    // alive (u8::MAX: none). Tarjan numbers a component after every
    // component it reaches, so one pass in numbering order suffices.
    let by_comp = Groups::new(&tcomp, tcount);
    let mut pin = vec![u8::MAX; tcount];
    for c in 0..tcount {
        let mut p = u8::MAX;
        for &v in by_comp.get(c) {
            for e in graph.out(v) {
                let q = match rank(e.to) {
                    Some(r) => r,
                    None if tcomp[e.to as usize] as usize != c => {
                        pin[tcomp[e.to as usize] as usize]
                    }
                    None => continue,
                };
                p = p.min(q);
            }
        }
        pin[c] = p;
    }
    let pinned = |v: u32| rank(v).unwrap_or_else(|| pin[tcomp[v as usize] as usize]);
    let mut bfs = Bfs::new(n);
    for h in 0..n as u32 {
        let Some(r) = services[h as usize].lifetime.min_held_rank() else {
            continue;
        };
        if graph.out(h).iter().any(|e| pinned(e.to) < r) {
            for path in bfs.captive_paths(h, r, &graph, &rank) {
                problems.push(Problem::Captive {
                    path: path.iter().map(|&v| nodes[v as usize]).collect(),
                });
            }
        }
    }

    if !problems.is_empty() {
        return Err(problems);
    }

    // 6. Which services need an async factory somewhere in their
    //    construction graph. The graph is acyclic now, and components are
    //    numbered after those they reach: dependencies come first.
    //    `members` already lists the nodes in that order (linear, no sort).
    for v in (0..ccount).flat_map(|c| members.get(c).iter().copied()) {
        let own = matches!(services[v as usize].exec, Exec::AsyncFactory(_));
        let inherited = graph
            .out(v)
            .iter()
            .any(|e| e.constructs && services[e.to as usize].needs_async);
        services[v as usize].needs_async = own || inherited;
    }

    // 7. Dependencies on singletons fetch their typed handle directly.
    for e in &mut all_edges {
        if matches!(e.kind, DependencyKind::Required | DependencyKind::Optional)
            && let Target::Service(t) = e.target
            && services[t as usize].lifetime == Lifetime::Singleton
        {
            e.typed = services[t as usize].slot;
        }
    }

    Ok(Plan {
        services,
        edges: all_edges,
        index,
        collections,
        collection_index,
        singleton_slots: singleton_slots as usize,
        scoped_slots: scoped_slots as usize,
        pools,
        hooks: Hooks {
            on_undisposed: settings.on_undisposed.clone(),
            on_dispose_error: settings.on_dispose_error.clone(),
            track_instances: settings.track_instances,
            dispose_timeout: settings.dispose_timeout,
        },
    })
}

/// Attaches disposers and reset hooks to the services they name.
fn attach_hooks(
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
fn knock_on(
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
fn missing(
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
    did_you_mean.extend(suggest(
        name,
        nodes.iter().copied().filter(|n| *n != requester),
    ));
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
const NO_TARGET: u32 = u32::MAX;

/// A held dependency edge of the graph.
#[derive(Clone, Copy)]
struct GEdge {
    to: u32,
    constructs: bool,
}

/// Adjacency lists (CSR) of held dependencies: factory and scope-factory
/// handles hold nothing and are left out; collections expand to their
/// elements; bindings and elements lead to the service they forward to.
struct Graph {
    start: Vec<u32>,
    edges: Vec<GEdge>,
}

/// Nodes grouped by component, in node order within each component: a
/// counting sort into one array, rather than a `Vec` per component (which
/// cost one allocation per service in an acyclic graph, where every node is
/// its own component).
struct Groups {
    start: Vec<u32>,
    items: Vec<u32>,
}

impl Groups {
    /// Groups the nodes by `comp` (`u32::MAX`: in no component).
    fn new(comp: &[u32], count: usize) -> Groups {
        let mut start = vec![0u32; count + 1];
        for &c in comp.iter().filter(|&&c| c != u32::MAX) {
            start[c as usize + 1] += 1;
        }
        for i in 0..count {
            start[i + 1] += start[i];
        }
        let mut next = start.clone();
        let mut items = vec![0u32; start[count] as usize];
        for (v, &c) in comp.iter().enumerate().filter(|(_, c)| **c != u32::MAX) {
            let at = &mut next[c as usize];
            items[*at as usize] = v as u32;
            *at += 1;
        }
        Groups { start, items }
    }

    /// The nodes of component `c`, in increasing order.
    fn get(&self, c: usize) -> &[u32] {
        &self.items[self.start[c] as usize..self.start[c + 1] as usize]
    }
}

impl Graph {
    fn new(services: &[Service], all_edges: &[Edge], collections: &[Box<[u32]>]) -> Graph {
        let mut start = Vec::with_capacity(services.len() + 1);
        let mut edges = Vec::new();
        for s in services {
            start.push(edges.len() as u32);
            // A binding whose target is missing has no edge (not a made-up
            // one, which could invent a cycle or a captive dependency).
            if let Exec::Forward(t) = s.exec
                && t != NO_TARGET
            {
                edges.push(GEdge {
                    to: t,
                    constructs: true,
                });
            }
            let own = &all_edges[s.edges.start as usize..s.edges.end as usize];
            for e in own.iter().filter(|e| e.holds()) {
                let constructs = e.constructs();
                match e.target {
                    Target::Service(t) => edges.push(GEdge { to: t, constructs }),
                    Target::Collection(c) => edges.extend(
                        collections[c as usize]
                            .iter()
                            .map(|&t| GEdge { to: t, constructs }),
                    ),
                    Target::Absent => {}
                }
            }
        }
        start.push(edges.len() as u32);
        Graph { start, edges }
    }

    fn out(&self, v: u32) -> &[GEdge] {
        &self.edges[self.start[v as usize] as usize..self.start[v as usize + 1] as usize]
    }
}

/// Tarjan's strongly connected components, iteratively (no recursion, so
/// deep graphs cannot overflow the stack), over the nodes and edges the
/// filters keep. Returns each node's component (`u32::MAX` for nodes left
/// out) and the number of components; a component is numbered after every
/// component it reaches.
fn tarjan(
    n: usize,
    g: &Graph,
    keep_node: impl Fn(usize) -> bool,
    keep_edge: impl Fn(&GEdge) -> bool,
) -> (Vec<u32>, usize) {
    const UNSEEN: u32 = u32::MAX;
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut comp = vec![u32::MAX; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut calls: Vec<(u32, u32)> = Vec::new();
    let (mut next, mut count) = (0u32, 0usize);
    for s in 0..n {
        if !keep_node(s) || index[s] != UNSEEN {
            continue;
        }
        index[s] = next;
        low[s] = next;
        next += 1;
        stack.push(s as u32);
        on_stack[s] = true;
        calls.push((s as u32, g.start[s]));
        while let Some(&mut (v, ref mut pos)) = calls.last_mut() {
            let vi = v as usize;
            if *pos < g.start[vi + 1] {
                let e = g.edges[*pos as usize];
                *pos += 1;
                let w = e.to as usize;
                if !keep_edge(&e) || !keep_node(w) {
                    continue;
                }
                if index[w] == UNSEEN {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w as u32);
                    on_stack[w] = true;
                    calls.push((w as u32, g.start[w]));
                } else if on_stack[w] {
                    low[vi] = low[vi].min(index[w]);
                }
            } else {
                calls.pop();
                if let Some(&(u, _)) = calls.last() {
                    low[u as usize] = low[u as usize].min(low[vi]);
                }
                if low[vi] == index[vi] {
                    while let Some(w) = stack.pop() {
                        on_stack[w as usize] = false;
                        comp[w as usize] = count as u32;
                        if w == v {
                            break;
                        }
                    }
                    count += 1;
                }
            }
        }
    }
    (comp, count)
}

/// The shortest cycle through `start` along construction edges within its
/// component, as `start -> .. -> start`.
fn cycle_through(start: u32, g: &Graph, comp: &[u32]) -> Vec<u32> {
    let c = comp[start as usize];
    let mut parent: IdMap<u32, u32> = IdMap::default();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for e in g
            .out(v)
            .iter()
            .filter(|e| e.constructs && comp[e.to as usize] == c)
        {
            if e.to == start {
                let mut path = vec![start, v];
                let mut x = v;
                while x != start {
                    x = parent[&x];
                    path.push(x);
                }
                path.reverse();
                return path;
            }
            if let std::collections::hash_map::Entry::Vacant(slot) = parent.entry(e.to) {
                slot.insert(v);
                queue.push_back(e.to);
            }
        }
    }
    vec![start, start]
}

/// Breadth-first search state reused across holders (stamped, so that no
/// search clears an array the size of the graph).
struct Bfs {
    stamp: Vec<u32>,
    parent: Vec<u32>,
    round: u32,
}

impl Bfs {
    fn new(n: usize) -> Bfs {
        Bfs {
            stamp: vec![0; n],
            parent: vec![0; n],
            round: 0,
        }
    }

    /// For holder `h` of rank `r`: the shortest path through transparent
    /// services to every service with a shorter lifetime, in discovery order.
    fn captive_paths(
        &mut self,
        h: u32,
        r: u8,
        g: &Graph,
        rank: &impl Fn(u32) -> Option<u8>,
    ) -> Vec<Vec<u32>> {
        self.round += 1;
        let round = self.round;
        self.stamp[h as usize] = round;
        let mut queue = std::collections::VecDeque::from([h]);
        let mut found = Vec::new();
        while let Some(v) = queue.pop_front() {
            for e in g.out(v) {
                let t = e.to as usize;
                if self.stamp[t] == round {
                    continue;
                }
                self.stamp[t] = round;
                self.parent[t] = v;
                match rank(e.to) {
                    None => queue.push_back(e.to),
                    Some(tr) if tr < r => {
                        let mut path = vec![e.to];
                        let mut x = e.to;
                        while x != h {
                            x = self.parent[x as usize];
                            path.push(x);
                        }
                        path.reverse();
                        found.push(path);
                    }
                    Some(_) => {}
                }
            }
        }
        found
    }
}
