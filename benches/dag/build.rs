//! Generates the random service graphs of scenario 8 (build + validate).
//!
//! tenure keys services by `TypeId`, so each node is its own type
//! `Svc<N>`; its dependencies are fixed, typed factory arguments
//! (`d2::<N, A, B>` takes `Arc<Svc<A>>, Arc<Svc<B>>`), chosen here from a
//! seeded generator: ~30% singleton, 60% transient, 10% scoped, 0-4
//! dependencies each on earlier nodes, never a captive dependency.

use std::fmt::Write as _;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Life {
    // Ordered by how long an instance lives.
    Scoped,
    Singleton,
    Transient,
}

struct Node {
    life: Life,
    deps: Vec<usize>,
    /// The shortest lifetime this node holds (itself included unless transient).
    pin: Life,
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn graph(n: usize, seed: u64) -> Vec<Node> {
    let mut rng = Rng(seed);
    let mut nodes: Vec<Node> = Vec::with_capacity(n);
    for i in 0..n {
        let life = match rng.below(100) {
            0..30 => Life::Singleton,
            30..90 => Life::Transient,
            _ => Life::Scoped,
        };
        let want = rng.below(5).min(i);
        let mut deps = Vec::new();
        let mut tries = 0;
        while deps.len() < want && tries < 20 {
            tries += 1;
            let j = rng.below(i);
            if deps.contains(&j) {
                continue;
            }
            // A singleton may hold only what lives as long as a singleton.
            if life == Life::Singleton && nodes[j].pin != Life::Singleton {
                continue;
            }
            deps.push(j);
        }
        let pin = match life {
            Life::Transient => deps
                .iter()
                .map(|&j| nodes[j].pin)
                .min()
                .unwrap_or(Life::Singleton),
            other => other,
        };
        nodes.push(Node { life, deps, pin });
    }
    nodes
}

fn method(l: Life) -> &'static str {
    match l {
        Life::Singleton => "singleton",
        Life::Transient => "transient",
        Life::Scoped => "scoped",
    }
}

fn emit(out: &mut String, name: &str, nodes: &[Node]) {
    writeln!(out, "/// Registers the {}-service graph.", nodes.len()).unwrap();
    writeln!(out, "pub fn {name}(b: &mut ContainerBuilder) {{").unwrap();
    for (i, n) in nodes.iter().enumerate() {
        let mut args = vec![i.to_string()];
        args.extend(n.deps.iter().map(|d| d.to_string()));
        writeln!(
            out,
            "    b.{}(d{}::<{}>);",
            method(n.life),
            n.deps.len(),
            args.join(", ")
        )
        .unwrap();
    }
    writeln!(out, "}}").unwrap();
}

fn main() {
    let small = graph(1_000, 0x7e4e_0001);
    let large = graph(10_000, 0x7e4e_0010);
    let mut out = String::new();
    emit(&mut out, "register_1k", &small);
    emit(&mut out, "register_10k", &large);

    // One cycle: a transient `i` that a transient `j` depends on now
    // depends on `j`. Both are pinned to singleton, so the cycle is the
    // only problem.
    let (i, j) = small
        .iter()
        .enumerate()
        .filter(|(_, n)| n.life == Life::Transient && n.pin == Life::Singleton)
        .find_map(|(j, n)| {
            n.deps
                .iter()
                .find(|&&i| small[i].life == Life::Transient && small[i].pin == Life::Singleton)
                .map(|&i| (i, j))
        })
        .expect("the seed yields a transient chain");
    writeln!(
        out,
        "/// Replaces node {i} so that it depends on node {j}, which depends on it.\n\
         pub fn make_cycle_1k(b: &mut ContainerBuilder) {{\n    \
         b.replacing(|b| {{ b.transient(d1::<{i}, {j}>); }});\n}}"
    )
    .unwrap();
    // One missing dependency: the last transient depends on an unregistered type.
    let k = small
        .iter()
        .rposition(|n| n.life == Life::Transient)
        .expect("there are transients");
    writeln!(
        out,
        "/// Replaces node {k} so that it depends on an unregistered type.\n\
         pub fn make_missing_1k(b: &mut ContainerBuilder) {{\n    \
         b.replacing(|b| {{ b.transient(d1::<{k}, {MISSING}>); }});\n}}",
        MISSING = 999_999
    )
    .unwrap();
    let edges: usize = small.iter().map(|n| n.deps.len()).sum();
    let edges10: usize = large.iter().map(|n| n.deps.len()).sum();
    writeln!(
        out,
        "/// Edges in the 1k and 10k graphs.\npub const EDGES: (usize, usize) = ({edges}, {edges10});"
    )
    .unwrap();
    let dir = std::env::var("OUT_DIR").unwrap();
    std::fs::write(format!("{dir}/dag_gen.rs"), out).unwrap();
    println!("cargo::rerun-if-changed=build.rs");
}
