//! Runs one implementation of one scenario in a loop, for a profiler:
//! `valgrind --tool=callgrind target/release/hot s1_singleton tenure 100000`.

use tenure_benches::{Runner, run_all};

struct Hot {
    group: String,
    id: String,
    iters: usize,
}

impl Hot {
    fn run<R>(&self, group: &str, id: &str, mut f: impl FnMut() -> R) {
        if group == self.group && id == self.id {
            for _ in 0..self.iters {
                drop(std::hint::black_box(f()));
            }
        }
    }
}

impl Runner for Hot {
    fn bench<R>(&mut self, group: &'static str, id: &'static str, f: impl FnMut() -> R) {
        self.run(group, id, f);
    }
    fn bench_threads<R>(
        &mut self,
        group: &'static str,
        id: &'static str,
        f: impl Fn() -> R + Sync,
    ) {
        self.run(group, id, f);
    }
    fn na(&mut self, _: &'static str, _: &'static str, _: &'static str) {}
}

fn main() {
    let mut a = std::env::args().skip(1);
    let usage = "usage: hot <group> <implementation> [iterations]";
    let group = a.next().expect(usage);
    let id = a.next().expect(usage);
    let iters = a.next().map_or(100_000, |n| n.parse().expect(usage));
    run_all(&mut Hot { group, id, iters });
}
