//! Phases 4 to 6: cycles, captive dependencies, and which services need
//! async work to be created.

use crate::error::Problem;
use crate::node::Node;
use crate::plan::{Exec, Service};

use super::graph::{Graph, Groups, Walk, cycle_through, tarjan};

/// Cycles among construction edges (lazy edges do not construct), each
/// once, as its shortest path through its smallest node. Returns the
/// construction components, dependencies first, for [`needs_async`].
pub(super) fn cycles(
    n: usize,
    graph: &Graph,
    nodes: &[Node],
    problems: &mut Vec<Problem>,
) -> (Groups, usize) {
    let (comp, ccount) = tarjan(n, graph, |_| true, |e| e.constructs);
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
            cycles.push((start, cycle_through(start, graph, &comp)));
        }
    }
    cycles.sort_by_key(|(s, _)| *s);
    for (_, path) in cycles {
        problems.push(Problem::Cycle {
            path: path.iter().map(|&v| nodes[v as usize]).collect(),
        });
    }

    (members, ccount)
}

/// Every holder that keeps, directly or through transients, a service that
/// lives shorter than it may hold, with the shortest path to each.
pub(super) fn captives(
    n: usize,
    graph: &Graph,
    services: &[Service],
    nodes: &[Node],
    problems: &mut Vec<Problem>,
) {
    let rank = |v: u32| services[v as usize].lifetime.rank();
    let transparent = |v: u32| rank(v).is_none();
    let (tcomp, tcount) = tarjan(n, graph, |v| transparent(v as u32), |_| true);
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
    let mut bfs = Walk::new(n);
    for h in 0..n as u32 {
        let Some(r) = services[h as usize].lifetime.min_held_rank() else {
            continue;
        };
        if graph.out(h).iter().any(|e| pinned(e.to) < r) {
            for path in bfs.captive_paths(h, r, graph, &rank) {
                problems.push(Problem::Captive {
                    path: path.iter().map(|&v| nodes[v as usize]).collect(),
                });
            }
        }
    }
}

/// Which services may await while they are created: an async factory or a
/// pool (renting may wait for an instance to come back) somewhere in their
/// construction graph. The graph is acyclic by now, and components are
/// numbered after those they reach, so `members` lists dependencies first
/// (linear, no sort).
pub(super) fn needs_async(
    graph: &Graph,
    members: &Groups,
    ccount: usize,
    services: &mut [Service],
) {
    for v in (0..ccount).flat_map(|c| members.get(c).iter().copied()) {
        let svc = &services[v as usize];
        let own = matches!(svc.exec, Exec::AsyncFactory(_)) || svc.pool.is_some();
        let inherited = graph
            .out(v)
            .iter()
            .any(|e| e.constructs && services[e.to as usize].needs_async);
        services[v as usize].needs_async = own || inherited;
    }
}
