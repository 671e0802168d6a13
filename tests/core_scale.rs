//! Validation at scale: 10,000 registrations and ~30,000 edges, timed and
//! printed (never asserted; run with `--nocapture` to see the numbers).
//!
//! Every service key needs its own Rust type, and 1,000 distinct service
//! types already cost ~25 s of compile time in a debug build, so 10,000 of
//! them would cost minutes on every `cargo test`. The graph is therefore
//! made of few types and many nodes: 40 leaf services `L<c>`, each added
//! 247 times to the collection `Vec<Arc<dyn Tr<c>>>` (each addition is a
//! registration and a node of the graph, with an edge to its leaf), and 80
//! holders `H<i>` that each take one collection (247 edges each) and one
//! leaf. That is 40 + 9,880 + 80 = 10,000 registrations and
//! 9,880 + 80 x 248 = 29,720 edges, all seen by the validator like any
//! others (Tarjan, lifetime pinning through the transparent elements,
//! missing and duplicate checks).

use std::sync::Arc;
use std::time::Instant;

use tenure::{Container, ContainerBuilder, Problem};

trait Tr<const C: usize>: Send + Sync {}
struct L<const C: usize>;
impl<const C: usize> Tr<C> for L<C> {}
struct H<const I: usize>;

const LEAVES: usize = 40;
const PER_COLLECTION: usize = 247;
const HOLDERS: usize = 80;

fn leaf<const C: usize>(b: &mut ContainerBuilder, scoped: bool) {
    if scoped {
        b.scoped(|| L::<C>);
    } else {
        b.singleton(|| L::<C>);
    }
    for _ in 0..PER_COLLECTION {
        b.collect::<dyn Tr<C>, L<C>>(|l| l);
    }
}

/// Holder `I` takes collection `A` and leaf `B`; even holders are scoped,
/// odd ones singletons.
fn holder<const I: usize, const A: usize, const B: usize>(b: &mut ContainerBuilder) {
    if I.is_multiple_of(2) {
        b.scoped(|_all: Vec<Arc<dyn Tr<A>>>, _one: Arc<L<B>>| H::<I>);
    } else {
        b.singleton(|_all: Vec<Arc<dyn Tr<A>>>, _one: Arc<L<B>>| H::<I>);
    }
}

macro_rules! leaves {
    ($b:expr, $scoped:expr, $($c:literal)*) => { $(leaf::<$c>($b, $scoped == $c);)* };
}

macro_rules! holders {
    ($b:expr, $($i:literal)*) => { $(holder::<$i, { $i % 40 }, { ($i * 7 + 3) % 40 }>($b);)* };
}

/// The graph; `scoped_leaf` (if below 40) makes that leaf scoped, which
/// makes every singleton holding it captive.
fn graph(scoped_leaf: usize) -> ContainerBuilder {
    let mut b = Container::builder();
    leaves!(&mut b, scoped_leaf,
        0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19
        20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39);
    holders!(&mut b,
        0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19
        20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39
        40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59
        60 61 62 63 64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79);
    b
}

#[test]
fn ten_thousand_registrations_and_thirty_thousand_edges_validate() {
    let b = graph(usize::MAX);
    assert_eq!(b.len(), LEAVES * (1 + PER_COLLECTION) + HOLDERS);
    assert_eq!(b.len(), 10_000);

    let start = Instant::now();
    let c = b.build().unwrap();
    let valid = start.elapsed();

    let scope = c.scope();
    assert_eq!(
        scope.resolve_all::<dyn Tr<7>>().unwrap().len(),
        PER_COLLECTION
    );
    scope.resolve::<H<79>>().unwrap();
    scope.resolve::<H<0>>().unwrap();

    // Leaf 3 scoped: the odd (singleton) holders that reach it, through
    // their collection (holder i takes collection i % 40) or directly
    // (leaf (7i + 3) % 40), are captive.
    let broken = graph(3);
    let start = Instant::now();
    let err = broken.build().unwrap_err();
    let invalid = start.elapsed();
    let expected: Vec<usize> = (0..HOLDERS)
        .filter(|i| i % 2 == 1 && (i % 40 == 3 || (i * 7 + 3) % 40 == 3))
        .collect();
    let captive: Vec<_> = err
        .problems()
        .iter()
        .map(|p| match p {
            Problem::Captive { path } => path[0].type_name(),
            other => panic!("{other}"),
        })
        .collect();
    assert_eq!(captive.len(), expected.len(), "{err}");

    // One missing dependency: its "did you mean" looks at all 10,000 names
    // (here every `L<_>` is named `L`, so five are found at once; a name
    // like no other is compared with all of them).
    struct Unlike;
    let mut missing = graph(usize::MAX);
    missing.transient(|_: Arc<L<40>>, _: Arc<Unlike>| H::<80>);
    let start = Instant::now();
    let err = missing.build().unwrap_err();
    let with_missing = start.elapsed();
    assert_eq!(err.problems().len(), 2, "{err}");
    let suggested: Vec<usize> = err
        .problems()
        .iter()
        .map(|p| match p {
            Problem::Missing { did_you_mean, .. } => did_you_mean.len(),
            other => panic!("{other}"),
        })
        .collect();
    assert_eq!(suggested, [5, 0], "{err}");

    println!(
        "validation of 10,000 registrations / 29,720 edges: valid graph {valid:?} \
         (build), graph with {} captive holders {invalid:?} (build error), with two missing \
         dependencies {with_missing:?} (build error)",
        expected.len()
    );
}
