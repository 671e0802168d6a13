//! The graph algorithms of validation: adjacency lists of held
//! dependencies, Tarjan's strongly connected components, shortest cycles
//! and captive paths. Linear in services + edges.

use crate::inject::{Edge, Target};
use crate::key::IdMap;
use crate::plan::{Exec, Service};

use super::link::NO_TARGET;

/// A held dependency edge of the graph.
#[derive(Clone, Copy)]
pub(super) struct GEdge {
    pub(super) to: u32,
    pub(super) constructs: bool,
}

/// Adjacency lists (CSR) of held dependencies: factory and scope-factory
/// handles hold nothing and are left out; collections expand to their
/// elements; bindings and elements lead to the service they forward to.
pub(super) struct Graph {
    start: Vec<u32>,
    edges: Vec<GEdge>,
}

/// Nodes grouped by component, in node order within each component: a
/// counting sort into one array, rather than a `Vec` per component (which
/// cost one allocation per service in an acyclic graph, where every node is
/// its own component).
pub(super) struct Groups {
    start: Vec<u32>,
    items: Vec<u32>,
}

impl Groups {
    /// Groups the nodes by `comp` (`u32::MAX`: in no component).
    pub(super) fn new(comp: &[u32], count: usize) -> Groups {
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
    pub(super) fn get(&self, c: usize) -> &[u32] {
        &self.items[self.start[c] as usize..self.start[c + 1] as usize]
    }
}

impl Graph {
    pub(super) fn new(
        services: &[Service],
        all_edges: &[Edge],
        collections: &[Box<[u32]>],
    ) -> Graph {
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

    pub(super) fn out(&self, v: u32) -> &[GEdge] {
        &self.edges[self.start[v as usize] as usize..self.start[v as usize + 1] as usize]
    }
}

/// Tarjan's strongly connected components, iteratively (no recursion, so
/// deep graphs cannot overflow the stack), over the nodes and edges the
/// filters keep. Returns each node's component (`u32::MAX` for nodes left
/// out) and the number of components; a component is numbered after every
/// component it reaches.
pub(super) fn tarjan(
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
pub(super) fn cycle_through(start: u32, g: &Graph, comp: &[u32]) -> Vec<u32> {
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

/// A breadth-first walk from one holder through transparent services,
/// reused across holders (stamped, so that no walk clears an array the size
/// of the graph). The one walk behind captive paths and the lints.
pub(super) struct Walk {
    stamp: Vec<u32>,
    parent: Vec<u32>,
    round: u32,
}

impl Walk {
    pub(super) fn new(n: usize) -> Walk {
        Walk {
            stamp: vec![0; n],
            parent: vec![0; n],
            round: 0,
        }
    }

    /// Every service `h` holds, directly or through transparent services,
    /// in discovery order (nearest first); [`path`](Walk::path) gives the
    /// shortest path to each.
    pub(super) fn from(
        &mut self,
        h: u32,
        g: &Graph,
        transparent: &impl Fn(u32) -> bool,
    ) -> Vec<u32> {
        self.round += 1;
        let round = self.round;
        self.stamp[h as usize] = round;
        let mut found = Vec::new();
        let mut queue = std::collections::VecDeque::from([h]);
        while let Some(v) = queue.pop_front() {
            for e in g.out(v) {
                let t = e.to as usize;
                if self.stamp[t] == round {
                    continue;
                }
                self.stamp[t] = round;
                self.parent[t] = v;
                found.push(e.to);
                if transparent(e.to) {
                    queue.push_back(e.to);
                }
            }
        }
        found
    }

    /// The path of the last walk from `h` to `t`, from `h`.
    pub(super) fn path(&self, h: u32, t: u32) -> Vec<u32> {
        let mut path = vec![t];
        let mut x = t;
        while x != h {
            x = self.parent[x as usize];
            path.push(x);
        }
        path.reverse();
        path
    }

    /// For holder `h` of rank `r`: the shortest path through transparent
    /// services to every service with a shorter lifetime, in discovery order.
    pub(super) fn captive_paths(
        &mut self,
        h: u32,
        r: u8,
        g: &Graph,
        rank: &impl Fn(u32) -> Option<u8>,
    ) -> Vec<Vec<u32>> {
        let held = self.from(h, g, &|v| rank(v).is_none());
        held.into_iter()
            .filter(|&t| rank(t).is_some_and(|tr| tr < r))
            .map(|t| self.path(h, t))
            .collect()
    }
}
