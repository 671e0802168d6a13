//! Property tests of subject-only builds on random graphs, against the full
//! build and a reachability oracle:
//!
//! - every problem `build_for` reports is reported, word for word, by
//!   `build` (the subgraph is judged exactly as in the whole graph);
//! - a valid whole graph is valid for every subject;
//! - a successful subject build holds exactly the services reachable from
//!   the subject, and resolves it;
//! - an unregistered subject is `T0007`.
//!
//! Graphs: up to six services `N<0>..N<5>` with random lifetimes, each
//! maybe missing, maybe with a direct `Arc<N<j>>` dependency, maybe
//! registered a second time (replacing, or as a duplicate), plus random
//! collection edges (`Vec<Arc<dyn DepsOf<i>>>` elements forwarding to
//! `N<j>`), so that captives, cycles, missing dependencies, duplicates and
//! replacements of nothing all occur.

use std::collections::BTreeSet;
use std::sync::Arc;

use proptest::prelude::*;
use tenure::{BuildError, Container, ContainerBuilder, Lifetime, Problem};

const SIZE: usize = 6;

struct N<const I: usize>;
trait DepsOf<const I: usize>: Send + Sync {}
impl<const I: usize, const J: usize> DepsOf<I> for N<J> {}

fn plain<const I: usize>(b: &mut ContainerBuilder, l: Lifetime) {
    b.register(l, |_: Vec<Arc<dyn DepsOf<I>>>| N::<I>);
}
fn direct<const I: usize, const J: usize>(b: &mut ContainerBuilder, l: Lifetime) {
    b.register(l, |_: Arc<N<J>>, _: Vec<Arc<dyn DepsOf<I>>>| N::<I>);
}
fn edge<const I: usize, const J: usize>(b: &mut ContainerBuilder) {
    b.collect::<dyn DepsOf<I>, N<J>>(|x| x);
}
fn build_for<const I: usize>(b: &ContainerBuilder) -> Result<Container, BuildError> {
    b.build_for::<N<I>>()
}
fn contains<const I: usize>(c: &Container) -> bool {
    c.contains::<N<I>>()
}
fn resolves<const I: usize>(c: &Container) -> bool {
    c.scope().resolve::<N<I>>().is_ok()
}

type RegFn = fn(&mut ContainerBuilder, Lifetime);
type Edge = fn(&mut ContainerBuilder);
type BuildFor = fn(&ContainerBuilder) -> Result<Container, BuildError>;
type Query = fn(&Container) -> bool;

macro_rules! row {
    ($f:ident, $t:ty, $i:literal) => {
        [
            $f::<$i, 0> as $t,
            $f::<$i, 1>,
            $f::<$i, 2>,
            $f::<$i, 3>,
            $f::<$i, 4>,
            $f::<$i, 5>,
        ]
    };
}
macro_rules! table {
    ($f:ident, $t:ty) => {
        [
            row!($f, $t, 0),
            row!($f, $t, 1),
            row!($f, $t, 2),
            row!($f, $t, 3),
            row!($f, $t, 4),
            row!($f, $t, 5),
        ]
    };
}
macro_rules! each {
    ($f:ident, $t:ty) => {
        [$f::<0> as $t, $f::<1>, $f::<2>, $f::<3>, $f::<4>, $f::<5>]
    };
}

const PLAIN: [RegFn; SIZE] = each!(plain, RegFn);
const DIRECT: [[RegFn; SIZE]; SIZE] = table!(direct, RegFn);
const EDGES: [[Edge; SIZE]; SIZE] = table!(edge, Edge);
const BUILD_FOR: [BuildFor; SIZE] = each!(build_for, BuildFor);
const CONTAINS: [Query; SIZE] = each!(contains, Query);
const RESOLVES: [Query; SIZE] = each!(resolves, Query);

/// One registration of a service: its lifetime and direct dependency.
type Reg = (Lifetime, Option<usize>);
/// A service's first registration and maybe a second one (`true`: inside
/// `replacing`).
type Registrations = (Option<Reg>, Option<(Reg, bool)>);

#[derive(Clone, Debug)]
struct Spec {
    /// Per service: its registration (`None`: not registered), then maybe a
    /// second one, registered after everything else, inside `replacing`
    /// (`true`) or as a plain duplicate (`false`).
    nodes: Vec<Registrations>,
    /// Collection edges `i -> j`.
    edges: Vec<(usize, usize)>,
}

fn spec() -> impl Strategy<Value = Spec> {
    let lifetime = prop_oneof![
        Just(Lifetime::Singleton),
        Just(Lifetime::Scoped),
        Just(Lifetime::Transient)
    ];
    let reg = (lifetime, prop::option::of(0..SIZE));
    let node = (
        prop::option::weighted(0.85, reg.clone()),
        prop::option::weighted(0.2, (reg, prop::bool::weighted(0.8))),
    );
    (
        prop::collection::vec(node, SIZE),
        prop::collection::vec((0..SIZE, 0..SIZE), 0..8),
    )
        .prop_map(|(nodes, edges)| Spec { nodes, edges })
}

fn register(b: &mut ContainerBuilder, i: usize, (l, direct): Reg) {
    match direct {
        None => PLAIN[i](b, l),
        Some(j) => DIRECT[i][j](b, l),
    }
}

impl Spec {
    fn builder(&self) -> ContainerBuilder {
        let mut b = ContainerBuilder::new();
        for (i, (first, _)) in self.nodes.iter().enumerate() {
            if let Some(r) = first {
                register(&mut b, i, *r);
            }
        }
        for &(i, j) in &self.edges {
            EDGES[i][j](&mut b);
        }
        for (i, (_, second)) in self.nodes.iter().enumerate() {
            match second {
                Some((r, true)) => {
                    b.replacing(|b| register(b, i, *r));
                }
                Some((r, false)) => register(&mut b, i, *r),
                None => {}
            }
        }
        b
    }

    /// The registration that serves service `i`, as the validator applies
    /// replacements (`None`: not registered, or only replaced-nothing).
    fn effective(&self, i: usize) -> Option<Reg> {
        match self.nodes[i] {
            (Some(_), Some((r, true))) | (None, Some((r, false))) => Some(r),
            (Some(r), _) => Some(r),
            (None, _) => None,
        }
    }

    /// The services reachable from `i` (through registered services only).
    fn reachable(&self, i: usize) -> BTreeSet<usize> {
        let mut seen = BTreeSet::from([i]);
        let mut work = vec![i];
        while let Some(v) = work.pop() {
            let Some((_, direct)) = self.effective(v) else {
                continue;
            };
            let outs = direct
                .into_iter()
                .chain(self.edges.iter().filter(|e| e.0 == v).map(|e| e.1));
            for w in outs {
                if seen.insert(w) {
                    work.push(w);
                }
            }
        }
        seen
    }
}

fn texts(e: &BuildError) -> Vec<String> {
    e.problems().iter().map(|p| p.to_string()).collect()
}

/// Whether `full` (a full build's problems) has `p` (a subject build's). A
/// replacement of nothing lists what needs it: in a subject build, only
/// what the subject reaches, so it may list fewer.
fn reported(full: &[Problem], p: &Problem) -> bool {
    match p {
        Problem::ReplacesNothing {
            replacement,
            needed_by,
        } => full.iter().any(|q| {
            matches!(q, Problem::ReplacesNothing { replacement: r, needed_by: all }
                if r == replacement && needed_by.iter().all(|n| all.contains(n)))
        }),
        _ => full.contains(p),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn subject_builds_agree_with_the_full_build(spec in spec()) {
        let b = spec.builder();
        let full = b.build();
        let full_texts = full.as_ref().err().map(texts).unwrap_or_default();
        let full_problems = full.as_ref().err().map(|e| e.problems().to_vec()).unwrap_or_default();
        for i in 0..SIZE {
            let sub = BUILD_FOR[i](&b);
            if spec.effective(i).is_none() {
                let err = sub.expect_err("an unregistered subject is an error");
                prop_assert_eq!(err.problems().len(), 1);
                prop_assert_eq!(err.problems()[0].code(), "T0007");
                continue;
            }
            match sub {
                Err(e) => {
                    prop_assert!(full.is_err(), "subject {} fails in a valid graph: {}", i, e);
                    for p in e.problems() {
                        prop_assert!(
                            reported(&full_problems, p),
                            "subject {} reports a problem the full build does not:\n{}\nfull:\n{:#?}",
                            i, p, full_texts
                        );
                    }
                }
                Ok(c) => {
                    let reach = spec.reachable(i);
                    for (k, contains) in CONTAINS.iter().enumerate() {
                        prop_assert_eq!(
                            contains(&c),
                            reach.contains(&k),
                            "subject {}: N<{}> in the container", i, k
                        );
                    }
                    prop_assert!(RESOLVES[i](&c), "subject {} does not resolve", i);
                }
            }
        }
    }
}

/// Found by the property above: a binding or element whose target is
/// missing used to get a made-up edge to the first registered service, which
/// could report a cycle or a captive dependency that does not exist.
#[test]
fn a_binding_to_a_missing_target_invents_no_edge() {
    trait Plugin: Send + Sync {}
    struct Host;
    struct Session;
    struct Gone;
    impl Plugin for Gone {}
    impl Plugin for Session {}
    let err = Container::builder()
        .scoped(|| Session) // the first service
        .collect::<dyn Plugin, Gone>(|p| p) // its target is not registered
        .singleton(|_: Vec<Arc<dyn Plugin>>| Host)
        .build()
        .unwrap_err();
    assert_eq!(err.problems().len(), 1, "{err}");
    assert_eq!(err.problems()[0].code(), "T0002");
}
