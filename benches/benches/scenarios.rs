//! The timing pass: every scenario under criterion. Run through
//! `benches/run.sh`, which repeats it and writes BENCHMARKS.md.

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode};
use tenure_benches::{Runner, run_all};

struct Crit<'a>(&'a mut Criterion);

impl Runner for Crit<'_> {
    fn bench<R>(&mut self, group: &'static str, id: &'static str, mut f: impl FnMut() -> R) {
        let mut g = self.0.benchmark_group(group);
        if group.starts_with("s8") {
            // Milliseconds per iteration: fewer, flat samples; the container
            // is dropped outside the timed region.
            g.sample_size(10).sampling_mode(SamplingMode::Flat);
            g.bench_function(id, |b| b.iter_with_large_drop(&mut f));
        } else {
            g.bench_function(id, |b| b.iter(&mut f));
        }
    }

    fn bench_threads<R>(
        &mut self,
        group: &'static str,
        id: &'static str,
        f: impl Fn() -> R + Sync,
    ) {
        let mut g = self.0.benchmark_group(group);
        g.bench_function(id, |b| {
            b.iter_custom(|iters| {
                let barrier = Barrier::new(2);
                std::thread::scope(|s| {
                    let other = s.spawn(|| {
                        barrier.wait();
                        for _ in 0..iters {
                            black_box(f());
                        }
                    });
                    barrier.wait();
                    let start = Instant::now();
                    for _ in 0..iters {
                        black_box(f());
                    }
                    other.join().expect("the second thread finishes");
                    start.elapsed()
                })
            })
        });
    }

    fn na(&mut self, _: &'static str, _: &'static str, _: &'static str) {}
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
        .without_plots()
        .configure_from_args();
    run_all(&mut Crit(&mut c));
    c.final_summary();
}
