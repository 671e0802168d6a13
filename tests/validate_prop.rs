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
//! impl reads the current graph (a thread-local) and, for each generated
//! edge, *delegates to tenure's own impl* for `Arc<X>`, `Option<Arc<X>>`,
//! `Lazy<X>`, `Factory<X>` (`X` a service `S<j>` or a binding `dyn Bk<k>`)
//! or `Vec<Arc<dyn P>>`, chosen through a `match` over the indices. So the
//! validator and the resolver see exactly the declarations and fetches that
//! a closure taking those argument types would produce. Indices `n..16` are
//! never registered: edges to them are missing dependencies. Bindings
//! (`bind::<dyn Bk<k>, S<t>>`) and collection elements
//! (`collect::<dyn P, S<t>>`) are generated too, with targets that may be
//! missing. (This relies on `Inject` being implementable outside tenure,
//! through its hidden methods.)

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use tenure::{Container, Lifetime, Problem, ResolveErrorKind, Scope};

#[path = "validate_prop/services.rs"]
mod services;

use services::{
    BINDINGS, Got, Graph, Kind, Label, To, binding_in_scope, build, dependency_label,
    elements_in_scope, from_root, in_scope, label,
};

/// Marker types available to a graph; a graph registers `S<0>..S<n>`.
const POOL: usize = 16;
/// Services per graph at most.
const MAX_N: usize = 12;
/// Dependencies per service at most.
const MAX_DEPS: usize = 3;
/// Elements of the collection at most.
const MAX_ELEMS: usize = 4;

// ---------------------------------------------------------------------------
// The oracle, by brute force.

/// The graph as the validator should see it: one node per registration
/// (services first, as `S<i>` = node `i`, then bindings, then elements).
struct Net {
    labels: Vec<Label>,
    /// `None`: transparent (transient service, binding, element).
    rank: Vec<Option<u8>>,
    /// Edges to registered nodes.
    out: Vec<Vec<(usize, Kind)>>,
    /// (requester, dependency, kind) for each edge to nothing, sorted.
    missing: Vec<(Label, Label, Kind)>,
}

impl Net {
    fn new(g: &Graph) -> Net {
        let n = g.n();
        let mut labels: Vec<Label> = (0..n).map(Label::Svc).collect();
        let mut rank: Vec<Option<u8>> = g.life.iter().map(|&l| rank(l)).collect();
        let mut bind_node = [None; BINDINGS];
        for (k, t) in g.binds.iter().enumerate() {
            if t.is_some() {
                bind_node[k] = Some(labels.len());
                labels.push(Label::Bind(k));
                rank.push(None);
            }
        }
        let first_elem = labels.len();
        labels.extend(g.elems.iter().map(|_| Label::Elem));
        rank.extend(g.elems.iter().map(|_| None));

        let mut out = vec![Vec::new(); labels.len()];
        let mut missing = Vec::new();
        for (i, deps) in g.deps.iter().enumerate() {
            for &(to, kind) in deps {
                match to {
                    To::Svc(j) if g.registered(j) => out[i].push((j, kind)),
                    To::Bind(k) if bind_node[k].is_some() => {
                        out[i].push((bind_node[k].unwrap(), kind))
                    }
                    To::Coll => out[i].extend((first_elem..labels.len()).map(|e| (e, kind))),
                    _ if kind == Kind::Opt => {}
                    To::Svc(j) => missing.push((Label::Svc(i), Label::Svc(j), kind)),
                    To::Bind(k) => missing.push((Label::Svc(i), Label::Bind(k), kind)),
                }
            }
        }
        let forwards = g
            .binds
            .iter()
            .enumerate()
            .filter_map(|(k, t)| Some((bind_node[k]?, Label::Bind(k), (*t)?)))
            .chain(
                g.elems
                    .iter()
                    .enumerate()
                    .map(|(e, &t)| (first_elem + e, Label::Elem, t)),
            );
        for (node, lbl, t) in forwards {
            if g.registered(t) {
                out[node].push((t, Kind::Req));
            } else {
                missing.push((lbl, Label::Svc(t), Kind::Req));
            }
        }
        missing.sort();
        Net {
            labels,
            rank,
            out,
            missing,
        }
    }

    fn next(&self, v: usize, keep: fn(Kind) -> bool) -> impl Iterator<Item = usize> + '_ {
        self.out[v]
            .iter()
            .filter(move |&&(_, k)| keep(k))
            .map(|&(w, _)| w)
    }

    /// Every simple path from each holder through transparent nodes to a
    /// shorter-lived service: the shortest length (in edges) per pair.
    fn captives(&self) -> BTreeMap<(usize, usize), usize> {
        fn walk(net: &Net, path: &mut Vec<usize>, out: &mut BTreeMap<(usize, usize), usize>) {
            let (h, v) = (path[0], *path.last().unwrap());
            for w in net.next(v, Kind::holds) {
                if path.contains(&w) {
                    continue;
                }
                match net.rank[w] {
                    None => {
                        path.push(w);
                        walk(net, path, out);
                        path.pop();
                    }
                    Some(r) if r < net.rank[h].unwrap() => {
                        let len = out.entry((h, w)).or_insert(path.len());
                        *len = (*len).min(path.len());
                    }
                    Some(_) => {}
                }
            }
        }
        let mut out = BTreeMap::new();
        for h in 0..self.labels.len() {
            if self.rank[h].is_some() {
                walk(self, &mut vec![h], &mut out);
            }
        }
        out
    }

    /// `reach[v]`: the nodes reachable from `v` by one or more construction
    /// edges.
    fn reach(&self) -> Vec<BTreeSet<usize>> {
        (0..self.labels.len())
            .map(|v| {
                let mut seen = BTreeSet::new();
                let mut stack: Vec<usize> = self.next(v, Kind::constructs).collect();
                while let Some(w) = stack.pop() {
                    if seen.insert(w) {
                        stack.extend(self.next(w, Kind::constructs));
                    }
                }
                seen
            })
            .collect()
    }

    /// The (first, last) node pairs of every walk along `keep` edges whose
    /// nodes carry `labels` (an element is known only by where it leads).
    fn walks(&self, labels: &[Label], keep: fn(Kind) -> bool) -> BTreeSet<(usize, usize)> {
        let mut cur: BTreeSet<(usize, usize)> = (0..self.labels.len())
            .filter(|&v| self.labels[v] == labels[0])
            .map(|v| (v, v))
            .collect();
        for &l in &labels[1..] {
            cur = cur
                .iter()
                .flat_map(|&(s, u)| self.next(u, keep).map(move |w| (s, w)))
                .filter(|&(_, w)| self.labels[w] == l)
                .collect();
        }
        cur
    }

    /// Whether node `v` can be constructed from the root: nothing scoped is
    /// constructed through transparent nodes.
    fn root_ok(&self, v: usize) -> bool {
        match self.rank[v] {
            Some(r) => r == rank(Lifetime::Singleton).unwrap(),
            None => self.next(v, Kind::constructs).all(|w| self.root_ok(w)),
        }
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

/// The oracle's own ordering of lifetimes (not the library's): how long a
/// cached instance lives, larger lives longer; `None` for transients.
fn rank(l: Lifetime) -> Option<u8> {
    match l {
        Lifetime::Transient => None,
        Lifetime::Scoped | Lifetime::Pooled => Some(1),
        Lifetime::Singleton => Some(2),
        other => panic!("not generated: {other:?}"),
    }
}

fn svc(l: Label) -> usize {
    match l {
        Label::Svc(i) => i,
        other => panic!("expected a service, got {other:?}"),
    }
}

/// Checks one graph; returns whether it was valid (and so resolved).
fn check_graph(g: &Graph) -> Result<bool, TestCaseError> {
    let (_builder, built) = build(g);
    let net = Net::new(g);
    let captives = net.captives();
    let reach = net.reach();
    let cyclic: Vec<usize> = (0..net.labels.len())
        .filter(|&v| reach[v].contains(&v))
        .collect();
    // Cycle classes: nodes on cycles, grouped by mutual reachability.
    let mut classes: Vec<BTreeSet<usize>> = Vec::new();
    for &v in &cyclic {
        if !classes.iter().any(|c| c.contains(&v)) {
            let class = cyclic.iter().copied();
            classes.push(
                class
                    .filter(|&w| reach[v].contains(&w) && reach[w].contains(&v))
                    .collect(),
            );
        }
    }
    let expected =
        usize::from(g.dup.is_some()) + net.missing.len() + classes.len() + captives.len();

    let problems = match &built {
        Ok(_) => Vec::new(),
        Err(e) => e.problems().to_vec(),
    };
    let text = built
        .as_ref()
        .err()
        .map(ToString::to_string)
        .unwrap_or_default();
    check!(
        problems.len() == expected,
        "expected {expected} problems, got:\n{text}"
    );

    let (mut missing, mut got_captive, mut covered, mut dups) =
        (Vec::new(), BTreeMap::new(), vec![false; classes.len()], 0);
    for p in &problems {
        match p {
            Problem::Missing {
                requester,
                dependency,
                kind,
                did_you_mean,
            } => {
                let dep = dependency_label(dependency);
                missing.push((label(requester), dep, Kind::of(*kind)));
                // Every `S<_>` is named `S`: another registered one is
                // suggested, never the requester itself.
                let own = matches!(label(requester), Label::Svc(_));
                if let Label::Svc(_) = dep
                    && g.n() > usize::from(own)
                {
                    check!(!did_you_mean.is_empty(), "no `S<_>` suggested: {p}");
                }
                let me = format!("{requester} (registered at {})", requester.site());
                check!(
                    !did_you_mean.contains(&me),
                    "the requester is suggested: {p}"
                );
            }
            Problem::Captive { path } => {
                let labels: Vec<Label> = path.iter().map(label).collect();
                let (h, c) = (svc(labels[0]), svc(*labels.last().unwrap()));
                check!(
                    got_captive.insert((h, c), labels.len() - 1).is_none(),
                    "twice: {p}"
                );
                check!(
                    net.walks(&labels, Kind::holds).contains(&(h, c)),
                    "not a held path: {p}"
                );
                for &l in &labels[1..labels.len() - 1] {
                    if let Label::Svc(m) = l {
                        check!(
                            g.life[m] == Lifetime::Transient,
                            "S<{m}> is not transient: {p}"
                        );
                    }
                }
                check!(
                    path[0].lifetime() == Some(g.life[h]),
                    "holder's lifetime: {p}"
                );
                check!(
                    path.last().unwrap().lifetime() == Some(g.life[c]),
                    "lifetime: {p}"
                );
            }
            Problem::Cycle { path } => {
                let labels: Vec<Label> = path.iter().map(label).collect();
                let start = svc(labels[0]);
                check!(
                    labels.len() >= 2 && labels.last() == Some(&labels[0]),
                    "open: {p}"
                );
                check!(
                    net.walks(&labels, Kind::constructs)
                        .contains(&(start, start)),
                    "not a cycle of construction edges: {p}"
                );
                let ci = classes.iter().position(|c| c.contains(&start)).unwrap();
                check!(
                    !covered[ci],
                    "two cycles for one class {:?}: {p}",
                    classes[ci]
                );
                covered[ci] = true;
            }
            Problem::Duplicate { first, second } => {
                dups += 1;
                check!(label(first) == Label::Svc(g.dup.unwrap()), "{p}");
                check!(label(second) == label(first), "{p}");
            }
            other => return Err(TestCaseError::fail(format!("unexpected problem: {other}"))),
        }
    }
    missing.sort();
    check!(
        missing == net.missing,
        "missing: got {missing:?}, oracle {:?}",
        net.missing
    );
    check!(dups == usize::from(g.dup.is_some()), "duplicates: {dups}");
    let got: BTreeSet<_> = got_captive.keys().collect();
    let want: BTreeSet<_> = captives.keys().collect();
    check!(got == want, "captive pairs: got {got:?}, oracle {want:?}");
    for (pair, len) in &got_captive {
        let shortest = captives[pair];
        check!(
            shortest == *len,
            "path for {pair:?}: {len} edges, shortest {shortest}"
        );
    }

    let Ok(c) = built else { return Ok(false) };
    check_resolution(g, &net, &c)?;
    Ok(true)
}

/// Resolves everything in two scopes and from the root, and checks the
/// identity rules and what each instance holds.
fn check_resolution(g: &Graph, net: &Net, c: &Container) -> Result<(), TestCaseError> {
    let (s1, s2) = (c.scope(), c.scope());
    let mut keep: Vec<Got> = Vec::new();
    let get = |scope: &Scope, i: usize| {
        in_scope(scope, i).map_err(|e| TestCaseError::fail(format!("S<{i}> in a scope: {e}")))
    };
    // Checks that `held` is the scope's instance of `S<t>` (or, for a
    // transient, a fresh one); keeps what it resolved alive.
    let same = |t: usize, held: usize, keep: &mut Vec<Got>| -> Result<(), TestCaseError> {
        let now = get(&s1, t)?;
        let transient = g.life[t] == Lifetime::Transient;
        check!(
            (held == now.addr) != transient,
            "S<{t}>: held {held:x}, scope {:x}",
            now.addr
        );
        keep.push(now);
        Ok(())
    };
    for i in 0..g.n() {
        let (a1, a2, b) = (get(&s1, i)?, get(&s1, i)?, get(&s2, i)?);
        let (same12, same1b) = (a1.addr == a2.addr, a1.addr == b.addr);
        match g.life[i] {
            Lifetime::Singleton => check!(same12 && same1b, "singleton S<{i}> not shared"),
            Lifetime::Scoped => check!(same12 && !same1b, "scoped S<{i}> not one per scope"),
            _ => check!(!same12 && !same1b, "transient S<{i}> reused"),
        }
        for (&(to, kind), held) in g.deps[i].iter().zip(&a1.held) {
            if !kind.constructs() {
                check!(held.is_empty(), "a handle resolved eagerly");
                continue;
            }
            let targets: Vec<usize> = match to {
                To::Svc(j) => Some(j).filter(|&j| g.registered(j)).into_iter().collect(),
                To::Bind(k) => g.binds[k].into_iter().collect(),
                To::Coll => g.elems.clone(),
            };
            check!(
                held.len() == targets.len(),
                "S<{i}> got {held:?} for {to:?}"
            );
            for (&t, &h) in targets.iter().zip(held) {
                same(t, h, &mut keep)?;
            }
        }
        match from_root(c, i) {
            Ok(r) => {
                check!(
                    net.root_ok(i),
                    "S<{i}> resolved from the root but needs a scope"
                );
                let singleton = g.life[i] == Lifetime::Singleton;
                check!(
                    !singleton || r.addr == a1.addr,
                    "root and scope disagree on S<{i}>"
                );
                keep.push(r);
            }
            Err(e) => {
                check!(!net.root_ok(i), "S<{i}> failed from the root: {e}");
                let scoped = matches!(e.kind(), ResolveErrorKind::ScopedFromRoot);
                check!(scoped, "S<{i}>: {e}");
            }
        }
        keep.extend([a1, a2, b]);
    }
    for (k, t) in g.binds.iter().enumerate() {
        if let Some(t) = *t {
            let a = binding_in_scope(&s1, k).map_err(|e| TestCaseError::fail(e.to_string()))?;
            if g.life[t] != Lifetime::Transient {
                same(t, a, &mut keep)?;
            }
        }
    }
    let all = elements_in_scope(&s1).map_err(|e| TestCaseError::fail(e.to_string()))?;
    check!(
        all.len() == g.elems.len(),
        "resolve_all gave {} elements",
        all.len()
    );
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

/// `forward_only`: service edges lead to later services only and every
/// target is registered, so that most graphs are valid or only captive
/// (bindings and the collection can still close a cycle).
fn graphs(forward_only: bool) -> impl Strategy<Value = Graph> {
    use proptest::collection::vec;
    (1..=MAX_N).prop_flat_map(move |n| {
        let pick = (0u32..100, any::<u32>());
        (
            vec(lifetime(), n),
            vec(vec((pick.clone(), kind()), 0..=MAX_DEPS), n),
            vec(pick.clone(), BINDINGS),
            vec(pick.clone(), 0..=MAX_ELEMS),
            pick,
        )
            .prop_map(move |(life, raw, binds, elems, (dup_sel, dup))| {
                let unregistered = |r: u32| n + r as usize % (POOL - n);
                let target = |(sel, r): (u32, u32)| {
                    if !forward_only && sel < 10 {
                        unregistered(r)
                    } else {
                        r as usize % n
                    }
                };
                let deps = raw
                    .into_iter()
                    .enumerate()
                    .map(|(i, edges)| {
                        let later = n - i - 1;
                        let edge = |((sel, r), k): ((u32, u32), Kind)| {
                            let r_ = r as usize;
                            Some(match sel {
                                0..75 if forward_only || sel < 55 => {
                                    if later == 0 {
                                        return None;
                                    }
                                    (To::Svc(i + 1 + r_ % later), k)
                                }
                                0..65 => (To::Svc(r_ % n), k), // itself included: cycles
                                65..75 => (To::Svc(unregistered(r)), k),
                                75..90 => (To::Bind(r_ % BINDINGS), k),
                                _ => (To::Coll, Kind::Coll),
                            })
                        };
                        edges.into_iter().filter_map(edge).collect()
                    })
                    .collect();
                let binds = binds
                    .into_iter()
                    .map(|(sel, r)| (sel < 80).then(|| target((sel, r))))
                    .collect();
                let elems = elems.into_iter().map(target).collect();
                let dup = (!forward_only && dup_sel < 10).then_some(dup as usize % n);
                Graph {
                    life,
                    deps,
                    binds,
                    elems,
                    dup,
                }
            })
    })
}

/// Checks `cases` random graphs; returns how many were valid (the rest were
/// invalid).
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
    // About 8% of the generated graphs are valid (32-53 of 512 in six
    // runs): 1,024 cases keep the floor below far enough under the
    // expected ~86 that a run does not fail for want of luck.
    const CASES: usize = 1024;
    let valid = run(CASES as u32, false);
    println!("{valid} of {CASES} random graphs were valid and resolved");
    // The property says something about both sides only if the generator
    // produces both: valid graphs (checked by resolving them) and invalid
    // ones (checked against the oracle's problems).
    assert!(valid >= 32, "too few valid graphs to say much: {valid}");
    assert!(
        CASES - valid >= 32,
        "too few invalid graphs to say much: {}",
        CASES - valid
    );
}

#[test]
fn valid_graphs_resolve_with_the_identity_rules() {
    let valid = run(256, true);
    println!("{valid} of 256 forward graphs were valid and resolved");
    assert!(valid >= 16, "too few valid graphs to say much: {valid}");
}
