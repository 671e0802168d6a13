//! Property test of the validator: random service graphs against a
//! brute-force oracle written plainly here (it enumerates paths), and, for
//! the graphs the oracle finds valid, resolution with the identity rules.
//!
//! # How a typed container gets a random graph
//!
//! tenure learns a service's dependencies from its factory's argument types,
//! so a random graph needs argument types chosen at run time. The services
//! are a fixed pool of marker types `S<0>` .. `S<15>`; `S<i>`'s factory takes
//! one argument, `DepsOf<i>` (in `validate_prop/services.rs`), whose `Inject`
//! impl reads the current graph (a thread-local) and, for each generated edge
//! `i -> j`, *delegates to tenure's own impl* for `Arc<S<j>>`,
//! `Option<Arc<S<j>>>`, `Lazy<S<j>>` or `Factory<S<j>>` (chosen through a
//! `match` over the 16 indices). So the validator and the resolver see
//! exactly the declarations and fetches that a closure taking those argument
//! types would produce. Indices `n..16` are never registered: edges to them
//! are missing dependencies. (This relies on `Inject` being implementable
//! outside tenure, through its hidden methods.)

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use tenure::{Container, Lifetime, Problem, ResolveError, ResolveErrorKind};

/// Marker types available to a graph; a graph registers `S<0>..S<n>`.
const POOL: usize = 16;
/// Services per graph at most.
const MAX_N: usize = 12;
/// Dependencies per service at most.
const MAX_DEPS: usize = 3;

#[path = "validate_prop/services.rs"]
mod services;

use services::{Graph, Kind, build, from_root, in_scope, index_of};

// ---------------------------------------------------------------------------
// The oracle, by brute force.

/// Every simple path from each holder through transients to a shorter-lived
/// service: the shortest length (in edges) for each (holder, captive) pair.
fn oracle_captives(g: &Graph) -> BTreeMap<(usize, usize), usize> {
    fn walk(g: &Graph, h: usize, path: &mut Vec<usize>, out: &mut BTreeMap<(usize, usize), usize>) {
        let v = *path.last().unwrap();
        for w in g.out(v, Kind::holds) {
            if path.contains(&w) {
                continue;
            }
            match g.rank(w) {
                None => {
                    path.push(w);
                    walk(g, h, path, out);
                    path.pop();
                }
                Some(r) if r < g.rank(h).unwrap() => {
                    let len = path.len(); // edges: path nodes - 1, plus this one
                    let e = out.entry((h, w)).or_insert(len);
                    *e = (*e).min(len);
                }
                Some(_) => {}
            }
        }
    }
    let mut out = BTreeMap::new();
    for h in 0..g.n() {
        if g.rank(h).is_some() {
            walk(g, h, &mut vec![h], &mut out);
        }
    }
    out
}

/// (requester, dependency, kind) for every non-optional edge to an
/// unregistered service, as a sorted multiset.
fn oracle_missing(g: &Graph) -> Vec<(usize, usize, Kind)> {
    let mut out: Vec<_> = (0..g.n())
        .flat_map(|i| g.deps[i].iter().map(move |&(j, k)| (i, j, k)))
        .filter(|&(_, j, k)| !g.registered(j) && k != Kind::Opt)
        .collect();
    out.sort();
    out
}

/// `reach[v]`: the services reachable from `v` by one or more construction
/// edges.
fn oracle_reach(g: &Graph) -> Vec<BTreeSet<usize>> {
    (0..g.n())
        .map(|v| {
            let mut seen = BTreeSet::new();
            let mut stack: Vec<usize> = g.out(v, Kind::constructs).collect();
            while let Some(w) = stack.pop() {
                if seen.insert(w) {
                    stack.extend(g.out(w, Kind::constructs));
                }
            }
            seen
        })
        .collect()
}

/// Whether a transient or singleton can be resolved from the root: nothing
/// scoped is constructed through transients.
fn oracle_root_ok(g: &Graph, i: usize) -> bool {
    match g.life[i] {
        Lifetime::Scoped => false,
        Lifetime::Singleton => true,
        _ => g.out(i, Kind::constructs).all(|j| oracle_root_ok(g, j)),
    }
}

// ---------------------------------------------------------------------------
// The property.

macro_rules! check {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(TestCaseError::fail(format!($($fmt)+)));
        }
    };
}

/// Checks one graph; returns whether it was valid (and so resolved).
fn check_graph(g: &Graph) -> Result<bool, TestCaseError> {
    let (_builder, built) = build(g);
    let captives = oracle_captives(g);
    let missing = oracle_missing(g);
    let reach = oracle_reach(g);
    let cyclic: BTreeSet<usize> = (0..g.n()).filter(|&v| reach[v].contains(&v)).collect();
    // Cycle classes: services on cycles, grouped by mutual reachability.
    let mut classes: Vec<BTreeSet<usize>> = Vec::new();
    for &v in &cyclic {
        if !classes.iter().any(|c| c.contains(&v)) {
            classes.push(
                cyclic
                    .iter()
                    .copied()
                    .filter(|&w| reach[v].contains(&w) && reach[w].contains(&v))
                    .collect(),
            );
        }
    }
    let expected = usize::from(g.dup.is_some()) + missing.len() + classes.len() + captives.len();

    let problems = match &built {
        Ok(_) => Vec::new(),
        Err(e) => e.problems().to_vec(),
    };
    check!(
        problems.len() == expected,
        "expected {expected} problems, got {}:\n{}",
        problems.len(),
        built
            .as_ref()
            .err()
            .map(ToString::to_string)
            .unwrap_or_default()
    );

    let (mut got_missing, mut got_captive, mut got_cycles, mut dups) =
        (Vec::new(), BTreeMap::new(), Vec::new(), 0);
    for p in &problems {
        match p {
            Problem::Missing {
                requester,
                dependency,
                kind,
                did_you_mean,
            } => {
                let j: usize = dependency
                    .rsplit_once("S<")
                    .unwrap()
                    .1
                    .trim_end_matches('>')
                    .parse()
                    .unwrap();
                got_missing.push((index_of(requester), j, Kind::of(*kind)));
                check!(
                    !did_you_mean.is_empty(),
                    "every `S<_>` shares the short name `S`: {p}"
                );
            }
            Problem::Captive { path } => {
                let idx: Vec<usize> = path.iter().map(index_of).collect();
                let (h, c) = (idx[0], *idx.last().unwrap());
                check!(
                    got_captive.insert((h, c), idx.len() - 1).is_none(),
                    "pair reported twice: {p}"
                );
                for w in idx.windows(2) {
                    check!(
                        g.out(w[0], Kind::holds).any(|x| x == w[1]),
                        "{} -> {} is not a held edge: {p}",
                        w[0],
                        w[1]
                    );
                }
                for &m in &idx[1..idx.len() - 1] {
                    check!(
                        g.life[m] == Lifetime::Transient,
                        "inner node S<{m}> is not transient: {p}"
                    );
                }
                check!(
                    path[0].lifetime() == Some(g.life[h])
                        && path.last().unwrap().lifetime() == Some(g.life[c]),
                    "lifetimes on the path: {p}"
                );
            }
            Problem::Cycle { path } => {
                let idx: Vec<usize> = path.iter().map(index_of).collect();
                check!(
                    idx.len() >= 2 && idx[0] == *idx.last().unwrap(),
                    "not closed: {p}"
                );
                for w in idx.windows(2) {
                    check!(
                        g.out(w[0], Kind::constructs).any(|x| x == w[1]),
                        "{} -> {} is not a construction edge: {p}",
                        w[0],
                        w[1]
                    );
                }
                got_cycles.push(idx);
            }
            Problem::Duplicate { first, second } => {
                dups += 1;
                check!(
                    Some(index_of(first)) == g.dup && index_of(second) == index_of(first),
                    "{p}"
                );
            }
            other => return Err(TestCaseError::fail(format!("unexpected problem: {other}"))),
        }
    }
    got_missing.sort();
    check!(
        got_missing == missing,
        "missing: got {got_missing:?}, oracle {missing:?}"
    );
    check!(dups == usize::from(g.dup.is_some()), "duplicates: {dups}");
    let got_pairs: BTreeSet<_> = got_captive.keys().copied().collect();
    let want_pairs: BTreeSet<_> = captives.keys().copied().collect();
    check!(
        got_pairs == want_pairs,
        "captive pairs: got {got_pairs:?}, oracle {want_pairs:?}"
    );
    for (pair, len) in &got_captive {
        check!(
            captives[pair] == *len,
            "captive path for {pair:?} has {len} edges, the shortest has {}",
            captives[pair]
        );
    }
    // One cycle per class of mutually reachable services on cycles.
    let mut covered = vec![false; classes.len()];
    for cyc in &got_cycles {
        let Some(ci) = classes.iter().position(|c| c.contains(&cyc[0])) else {
            return Err(TestCaseError::fail(format!("cycle {cyc:?} is not a cycle")));
        };
        check!(
            !covered[ci],
            "two cycles reported for class {:?}",
            classes[ci]
        );
        covered[ci] = true;
    }

    let Ok(c) = built else { return Ok(false) };
    check_resolution(g, &c)?;
    Ok(true)
}

fn check_resolution(g: &Graph, c: &Container) -> Result<(), TestCaseError> {
    let (s1, s2) = (c.scope(), c.scope());
    let mut keep = Vec::new();
    for i in 0..g.n() {
        let fail = |e: ResolveError| TestCaseError::fail(format!("S<{i}> in a scope: {e}"));
        let a1 = in_scope(&s1, i).map_err(fail)?;
        let a2 = in_scope(&s1, i).map_err(fail)?;
        let b = in_scope(&s2, i).map_err(fail)?;
        match g.life[i] {
            Lifetime::Singleton => check!(
                a1.addr == a2.addr && a1.addr == b.addr,
                "singleton S<{i}> not shared"
            ),
            Lifetime::Scoped => check!(
                a1.addr == a2.addr && a1.addr != b.addr,
                "scoped S<{i}> not one per scope"
            ),
            _ => check!(
                a1.addr != a2.addr && a1.addr != b.addr,
                "transient S<{i}> reused"
            ),
        }
        // What an instance holds is what its scope serves.
        let held_edges = g.deps[i].iter().zip(&a1.held);
        for (&(j, kind), &held) in held_edges {
            if !kind.constructs() {
                continue;
            }
            if !g.registered(j) {
                check!(held.is_none(), "absent optional S<{j}> was injected");
                continue;
            }
            let now = in_scope(&s1, j).map_err(fail)?;
            if g.life[j] == Lifetime::Transient {
                check!(held != Some(now.addr), "transient S<{j}> shared");
            } else {
                check!(
                    held == Some(now.addr),
                    "S<{i}> holds another S<{j}> than its scope's"
                );
            }
            keep.push(now);
        }
        match from_root(c, i) {
            Ok(r) => {
                check!(
                    oracle_root_ok(g, i),
                    "S<{i}> resolved from the root but needs a scope"
                );
                if g.life[i] == Lifetime::Singleton {
                    check!(
                        r.addr == a1.addr,
                        "singleton S<{i}> differs between root and scope"
                    );
                }
                keep.push(r);
            }
            Err(e) => {
                check!(!oracle_root_ok(g, i), "S<{i}> failed from the root: {e}");
                check!(
                    matches!(e.kind(), ResolveErrorKind::ScopedFromRoot),
                    "S<{i}>: {e}"
                );
            }
        }
        keep.extend([a1, a2, b]);
    }
    check!(c.warm_up().is_ok(), "warm_up failed on a valid graph");
    Ok(())
}

// ---------------------------------------------------------------------------
// Generators.

fn lifetime() -> impl Strategy<Value = Lifetime> {
    prop_oneof![
        Just(Lifetime::Transient),
        Just(Lifetime::Scoped),
        Just(Lifetime::Singleton)
    ]
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![6 => Just(Kind::Req), 1 => Just(Kind::Opt), 2 => Just(Kind::Lazy), 1 => Just(Kind::Fac)]
}

/// `forward_only`: edges lead to later services only (no cycles, nothing
/// missing), so that most graphs are valid or only captive.
fn graphs(forward_only: bool) -> impl Strategy<Value = Graph> {
    (1..=MAX_N).prop_flat_map(move |n| {
        let edge = (0u32..100, any::<u32>(), kind());
        (
            proptest::collection::vec(lifetime(), n),
            proptest::collection::vec(proptest::collection::vec(edge, 0..=MAX_DEPS), n),
            (0u32..100, 0..n),
        )
            .prop_map(move |(life, raw, (dup_sel, dup))| {
                let dup = (!forward_only && dup_sel < 10).then_some(dup);
                let deps = raw
                    .into_iter()
                    .enumerate()
                    .map(|(i, edges)| {
                        edges
                            .into_iter()
                            .filter_map(|(sel, r, k)| {
                                let r = r as usize;
                                let later = n - i - 1;
                                let j = if forward_only || sel < 70 {
                                    if later == 0 {
                                        return None;
                                    }
                                    i + 1 + r % later
                                } else if sel < 90 {
                                    r % n // anywhere, itself included: cycles
                                } else {
                                    n + r % (POOL - n) // never registered
                                };
                                Some((j, k))
                            })
                            .collect()
                    })
                    .collect();
                Graph { life, deps, dup }
            })
    })
}

fn run(cases: u32, forward_only: bool) -> usize {
    let valid = AtomicUsize::new(0);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&graphs(forward_only), |g| {
        if check_graph(&g)? {
            valid.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    valid.into_inner()
}

#[test]
fn validator_agrees_with_the_oracle_on_random_graphs() {
    let valid = run(512, false);
    println!("{valid} of 512 random graphs were valid and resolved");
}

#[test]
fn valid_graphs_resolve_with_the_identity_rules() {
    let valid = run(256, true);
    println!("{valid} of 256 forward graphs were valid and resolved");
    assert!(valid >= 16, "too few valid graphs to say much: {valid}");
}
