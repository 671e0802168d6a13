//! The allocation pass and the report: counts allocations per operation for
//! every scenario (with a counting global allocator, outside any timing),
//! reads the criterion estimates of the timing runs, and writes
//! BENCHMARKS.md, ending with `benches/SERVICE.md` (the HTTP service's load
//! measurements) verbatim.
//!
//! Usage: `report <dir with run1, run2, ... criterion copies> <output.md>
//! [--only-tracing]` (`benches/run.sh` runs it). With `--only-tracing`, only
//! the tracing section of an existing `output.md` is replaced (or inserted).
//! `report --allocs-only <file.tsv>` writes the allocation counts alone: the
//! build with `--features tracing` runs it for its side of the comparison.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use tenure_benches::tenure_impl::RESOLVER;
use tenure_benches::{Runner, SCENARIOS, TRACING, run_all};

struct Counting;
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to `System` unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

enum Outcome {
    /// Allocations per operation.
    Allocs(f64),
    /// Not expressible, and why.
    Na(&'static str),
}

#[derive(Default)]
struct Counts {
    order: Vec<(&'static str, &'static str)>,
    outcome: HashMap<(&'static str, &'static str), Outcome>,
}

impl Counts {
    fn record(&mut self, group: &'static str, id: &'static str, o: Outcome) {
        self.order.push((group, id));
        self.outcome.insert((group, id), o);
    }

    fn count<R>(&mut self, group: &'static str, id: &'static str, mut f: impl FnMut() -> R) {
        let n = if group.starts_with("s8") { 5 } else { 200 };
        // Warm up: first calls may fill thread-locals and lazy slots.
        for _ in 0..3 {
            drop(std::hint::black_box(f()));
        }
        let before = ALLOCS.load(Ordering::Relaxed);
        for _ in 0..n {
            drop(std::hint::black_box(f()));
        }
        let after = ALLOCS.load(Ordering::Relaxed);
        self.record(
            group,
            id,
            Outcome::Allocs((after - before) as f64 / n as f64),
        );
    }
}

impl Runner for Counts {
    fn bench<R>(&mut self, group: &'static str, id: &'static str, f: impl FnMut() -> R) {
        self.count(group, id, f);
    }
    fn bench_threads<R>(
        &mut self,
        group: &'static str,
        id: &'static str,
        f: impl Fn() -> R + Sync,
    ) {
        self.count(group, id, f);
    }
    fn na(&mut self, group: &'static str, id: &'static str, why: &'static str) {
        self.record(group, id, Outcome::Na(why));
    }
}

/// The median of criterion's estimate of the median time per iteration
/// (ns), from `estimates.json`.
fn estimate(run: &Path, group: &str, id: &str) -> Option<f64> {
    let p = run.join(group).join(id).join("new").join("estimates.json");
    let text = std::fs::read_to_string(p).ok()?;
    let at = text.find("\"median\"")?;
    let rest = &text[at..];
    let at = rest.find("\"point_estimate\":")? + "\"point_estimate\":".len();
    let rest = &rest[at..];
    let end = rest.find([',', '}'])?;
    rest[..end].trim().parse().ok()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn fmt_time(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.3} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

fn sh(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// Per-run times of one implementation (ns), if it ran in every run.
fn times(runs: &[PathBuf], group: &str, id: &str) -> Option<Vec<f64>> {
    if runs.is_empty() {
        return None;
    }
    runs.iter().map(|r| estimate(r, group, id)).collect()
}

struct Ratio {
    median: f64,
    min: f64,
    max: f64,
}

fn ratio(runs: &[PathBuf], group: &str, id: &str, base_group: &str, base: &str) -> Option<Ratio> {
    let a = times(runs, group, id)?;
    let b = times(runs, base_group, base)?;
    let r: Vec<f64> = a.iter().zip(&b).map(|(a, b)| a / b).collect();
    Some(Ratio {
        median: median(r.clone()),
        min: r.iter().copied().fold(f64::INFINITY, f64::min),
        max: r.iter().copied().fold(0.0, f64::max),
    })
}

fn allocs(c: &Counts, group: &str, id: &str) -> Option<f64> {
    match c.outcome.iter().find(|((g, i), _)| *g == group && *i == id) {
        Some((_, Outcome::Allocs(a))) => Some(*a),
        _ => None,
    }
}

/// Whether tenure meets the target of `group`, and the figure it is judged on.
fn verdict(runs: &[PathBuf], c: &Counts, group: &str) -> (String, String) {
    let r = ratio(runs, group, "tenure", group, "direct");
    let at = allocs(c, group, "tenure");
    let ad = allocs(c, group, "direct");
    let show = |r: &Ratio| format!("{:.2}x ({:.2}-{:.2})", r.median, r.min, r.max);
    let yes = |b: bool| if b { "met" } else { "**missed**" }.to_string();
    match group {
        "s1_singleton" | "s2a_transient_nodeps" | "s2b_transient_3deps" | "s3_complex" => {
            let limit = match group {
                "s1_singleton" | "s3_complex" => 1.3,
                _ => 1.25,
            };
            let Some(r) = r else {
                return ("no data".into(), "-".into());
            };
            if group == "s1_singleton" {
                // Met through the typed handle, with `resolve` itself <= 2x.
                let Some(h) = ratio(runs, group, RESOLVER, group, "direct") else {
                    return ("no data for the resolver".into(), "-".into());
                };
                let ah = allocs(c, group, RESOLVER);
                let ok = h.median <= limit && r.median <= 2.0 && at == Some(0.0) && ah == Some(0.0);
                return (
                    format!("`Resolver`: {}; `resolve`: {}", show(&h), show(&r)),
                    yes(ok),
                );
            }
            let ok = r.median <= limit && at == ad;
            (show(&r), yes(ok))
        }
        "s4_scoped_hit" => {
            let (Some(a), Some(b)) = (
                times(runs, group, "tenure"),
                times(runs, "s1_singleton", "tenure"),
            ) else {
                return ("no data".into(), "-".into());
            };
            let d: Vec<f64> = a.iter().zip(&b).map(|(a, b)| (a - b) / 3.0).collect();
            let m = median(d);
            (
                format!("{m:+.1} ns per resolve vs tenure's singleton"),
                yes(m <= 5.0 && at == Some(0.0)),
            )
        }
        "s5_empty_scope" => {
            let Some(r) = r else {
                return ("no data".into(), "-".into());
            };
            let ok = r.median <= 2.0 && at.is_some_and(|a| a <= 1.0);
            (show(&r), yes(ok))
        }
        "s6_request" | "s9_async_request" => {
            let Some(r) = r else {
                return ("no data".into(), "-".into());
            };
            let plus_one = matches!((at, ad), (Some(t), Some(d)) if t <= d + 1.0);
            let shown = match (at, ad) {
                (Some(t), Some(d)) => format!("{}; allocations {t:.0} (direct {d:.0})", show(&r)),
                _ => show(&r),
            };
            (shown, yes(r.median <= 1.5 && plus_one))
        }
        "s7a_threads_singleton" | "s7b_threads_scope" => {
            let Some(r) = r else {
                return ("no data".into(), "-".into());
            };
            let (limit, what) = if group == "s7a_threads_singleton" {
                // Both sides are dominated by the two cores bouncing the
                // shared reference counts' cache line: a noisy ratio.
                (
                    1.1,
                    "no lock on the read path (contention on the shared reference counts dominates both sides: wide spread)",
                )
            } else {
                (
                    1.5,
                    "the threads share the plan (read only) and one write: the container's reference count, which each scope holds (one increment and one decrement per scope)",
                )
            };
            (format!("{}; {what}", show(&r)), yes(r.median <= limit))
        }
        "s8_register_1k" => {
            let t = times(runs, group, "tenure").map(median).unwrap_or(f64::NAN);
            let per = at.unwrap_or(f64::NAN) / 1_000.0;
            (
                format!("{}; {per:.2} allocations per registration", fmt_time(t)),
                "-".into(),
            )
        }
        "s8_build_1k_cycle" | "s8_build_1k_missing" => {
            let t = times(runs, group, "tenure").map(median).unwrap_or(f64::NAN);
            let valid = times(runs, "s8_build_1k", "tenure")
                .map(median)
                .unwrap_or(f64::NAN);
            (
                format!("{} ({:.2}x the valid build)", fmt_time(t), t / valid),
                "-".into(),
            )
        }
        "s8_build_1k" | "s8_build_10k" => {
            let Some(t) = times(runs, group, "tenure").map(median) else {
                return ("no data".into(), "-".into());
            };
            let n = if group == "s8_build_1k" {
                1_000.0
            } else {
                10_000.0
            };
            let per = at.unwrap_or(f64::NAN) / n;
            if group == "s8_build_1k" {
                (
                    format!("{}; {per:.2} allocations per registration", fmt_time(t)),
                    yes(t <= 1e6 && per <= 4.0),
                )
            } else {
                let small = times(runs, "s8_build_1k", "tenure")
                    .map(median)
                    .unwrap_or(f64::NAN);
                let scale = t / small;
                (
                    format!(
                        "{}; t(10k)/t(1k) = {scale:.1}; {per:.2} allocations per registration",
                        fmt_time(t)
                    ),
                    yes(t <= 1e7 && scale <= 12.0 && per <= 4.0),
                )
            }
        }
        _ => ("(information)".into(), "-".into()),
    }
}

/// The allocation counts of the other build (`group\tid\tallocs` lines).
const TRACING_ALLOCS: &str = "allocs-tracing.tsv";

fn write_allocs(c: &Counts, path: &Path) {
    let mut tsv = String::new();
    for &(g, id) in &c.order {
        if let Outcome::Allocs(a) = c.outcome[&(g, id)] {
            let _ = writeln!(tsv, "{g}\t{id}\t{a}");
        }
    }
    std::fs::write(path, tsv).expect("the allocation file is writable");
}

/// Adds the counts the other build wrote, if it did.
fn read_allocs(c: &mut Counts, path: &Path) {
    let Ok(text) = std::fs::read_to_string(path) else {
        return;
    };
    for line in text.lines() {
        let mut f = line.split('\t');
        let (Some(g), Some(id), Some(a)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let Some(s) = TRACING.iter().find(|s| s.group == g) else {
            continue;
        };
        let id: &'static str = match id {
            "on_no_subscriber" => "on_no_subscriber",
            "off" => "off",
            _ => continue,
        };
        if let Ok(a) = a.parse() {
            c.record(s.group, id, Outcome::Allocs(a));
        }
    }
}

/// The tracing section: each scenario built without the feature and with
/// it (no subscriber), side by side.
fn tracing_section(runs: &[PathBuf], c: &Counts) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "## Tracing (feature `tracing`)\n");
    let _ = writeln!(
        md,
        "tenure built without its `tracing` feature (`off`: every tracing call is an empty \
         `#[inline]` function) and with it, no subscriber installed (`on, no subscriber`: each \
         call site checks that nothing listens), in the same timing runs (the second side is a \
         second build of the benchmarks, `--features tracing`). The difference is `on - off` \
         per run, median over the runs, with the ratio's min-max spread.\n"
    );
    let _ = writeln!(
        md,
        "| scenario | tracing off | on, no subscriber | difference | allocations / iteration (off / on) |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|");
    for s in TRACING {
        let off = times(runs, s.group, "off");
        let on = times(runs, s.group, "on_no_subscriber");
        let a = |id| allocs(c, s.group, id).map_or("-".to_owned(), |a| format!("{a:.2}"));
        let (t_off, t_on, diff) = match (&off, &on) {
            (Some(off), Some(on)) => {
                let d: Vec<f64> = on.iter().zip(off).map(|(a, b)| a - b).collect();
                let r: Vec<f64> = on.iter().zip(off).map(|(a, b)| a / b).collect();
                let (lo, hi) = (
                    r.iter().copied().fold(f64::INFINITY, f64::min),
                    r.iter().copied().fold(0.0, f64::max),
                );
                (
                    fmt_time(median(off.clone())),
                    fmt_time(median(on.clone())),
                    format!(
                        "{:+.1} ns ({:.2}x; {lo:.2}-{hi:.2})",
                        median(d),
                        median(r.clone())
                    ),
                )
            }
            _ => ("not run".into(), "not run".into(), "-".into()),
        };
        let _ = writeln!(
            md,
            "| {} | {t_off} | {t_on} | {diff} | {} / {} |",
            s.title,
            a("off"),
            a("on_no_subscriber")
        );
    }
    md
}

/// Replaces (or inserts, after the summary) the tracing section of `md`.
fn splice_tracing(md: &str, section: &str, note: &str) -> String {
    let section = format!("{section}\n{note}\n");
    let start = md.find("## Tracing (feature `tracing`)");
    let (before, after) = match start {
        Some(i) => {
            let end = md[i + 3..]
                .find("\n## ")
                .map_or(md.len(), |j| i + 3 + j + 1);
            (&md[..i], &md[end..])
        }
        None => {
            let i = md.find("\n## 1.").map_or(md.len(), |i| i + 1);
            (&md[..i], &md[i..])
        }
    };
    format!("{before}{section}\n{after}")
}

fn main() {
    let mut args = std::env::args().skip(1);
    let first = args.next().expect("usage: report <runs dir> <output.md>");
    if first == "--groups" {
        // For run.sh: each scenario's implementations are timed back to
        // back, one scenario at a time.
        for s in SCENARIOS {
            println!("{}", s.group);
        }
        return;
    }
    if first == "--allocs-only" {
        let path = PathBuf::from(args.next().expect("usage: report --allocs-only <file.tsv>"));
        let mut c = Counts::default();
        run_all(&mut c);
        write_allocs(&c, &path);
        return;
    }
    let dir = PathBuf::from(first);
    let out = PathBuf::from(args.next().expect("usage: report <runs dir> <output.md>"));
    let only_tracing = args.next().as_deref() == Some("--only-tracing");
    let mut runs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the runs directory exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    runs.sort();

    let mut c = Counts::default();
    run_all(&mut c);
    read_allocs(&mut c, &dir.join(TRACING_ALLOCS));

    // `run.sh` records the commit the timing runs measured.
    let commit = std::fs::read_to_string(dir.join("COMMIT"))
        .map(|c| c.trim().to_string())
        .unwrap_or_else(|_| sh("git", &["rev-parse", "--short", "HEAD"]));
    if only_tracing {
        let existing = std::fs::read_to_string(&out).expect("the report to update exists");
        let note = format!(
            "These rows alone were measured {} at commit `{commit}` ({} timing runs, \
             `TRACING_ONLY=1 benches/run.sh tracing`) and inserted into the report above; \
             the other tables are from its date and commit.",
            sh("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
            runs.len()
        );
        let md = splice_tracing(&existing, &tracing_section(&runs, &c), &note);
        std::fs::write(&out, md).expect("BENCHMARKS.md is writable");
        eprintln!("updated the tracing section of {}", out.display());
        return;
    }

    let mut md = String::new();
    let cpu = sh(
        "sh",
        &["-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"],
    );
    let _ = writeln!(md, "# Benchmarks\n");
    let _ = writeln!(
        md,
        "Generated by `benches/run.sh` (criterion, {} timing runs, then an allocation-counting pass); \
         do not edit by hand.\n",
        runs.len()
    );
    let _ = writeln!(md, "- date: {}", sh("date", &["-u", "+%Y-%m-%d %H:%M UTC"]));
    let _ = writeln!(md, "- commit: `{commit}`");
    let _ = writeln!(
        md,
        "- machine: {} ({} cores, shared with other work: expect noise)",
        cpu.trim(),
        sh("nproc", &[])
    );
    let _ = writeln!(md, "- toolchain: {}", sh("rustc", &["-V"]));
    let _ = writeln!(
        md,
        "- method: each scenario is one criterion group, its implementations timed back to back \
         (one scenario at a time, so that the machine's drift over a run stays out of the ratios); \
         time is criterion's median per iteration, \
         median over the runs; ratio is to `direct` (hand-written code) in the same run, median over \
         the runs, with the min-max spread; allocations per iteration come from a counting global \
         allocator in a separate pass. Where a scenario resolves three types per iteration, the \
         time is for all three.\n"
    );

    let _ = writeln!(md, "## Summary: tenure against the targets\n");
    let _ = writeln!(md, "| scenario | target | tenure | verdict |");
    let _ = writeln!(md, "|---|---|---|---|");
    for s in SCENARIOS {
        let (fig, v) = verdict(&runs, &c, s.group);
        let _ = writeln!(md, "| {} | {} | {} | {} |", s.title, s.target, fig, v);
    }

    // Why the misses remain, with the instruction-level profile: kept in
    // benches/MISSES.md and included verbatim after the summary.
    let misses = Path::new(env!("CARGO_MANIFEST_DIR")).join("MISSES.md");
    let misses = std::fs::read_to_string(&misses)
        .unwrap_or_else(|e| panic!("{} is readable: {e}", misses.display()));
    let _ = write!(md, "\n{misses}");

    let _ = write!(md, "\n{}", tracing_section(&runs, &c));

    for s in SCENARIOS {
        let _ = writeln!(md, "\n## {}\n\ntarget: {}\n", s.title, s.target);
        let _ = writeln!(
            md,
            "| implementation | time | ratio to direct (spread) | allocations / iteration |"
        );
        let _ = writeln!(md, "|---|---|---|---|");
        for &(g, id) in c.order.iter().filter(|(g, _)| *g == s.group) {
            match &c.outcome[&(g, id)] {
                Outcome::Na(why) => {
                    let _ = writeln!(md, "| {id} | n/a: {why} | | |");
                }
                Outcome::Allocs(a) => {
                    let t = times(&runs, g, id).map(median);
                    let r = ratio(&runs, g, id, g, "direct");
                    let _ = writeln!(
                        md,
                        "| {id} | {} | {} | {a:.2} |",
                        t.map(fmt_time).unwrap_or_else(|| "not run".into()),
                        r.map(|r| format!("{:.2}x ({:.2}-{:.2})", r.median, r.min, r.max))
                            .unwrap_or_else(|| "-".into()),
                    );
                }
            }
        }
    }
    // The HTTP service's load measurements (tenure against the same service
    // wired by hand), taken with the example's load mode and kept in
    // benches/SERVICE.md: included verbatim as the last section.
    let service = Path::new(env!("CARGO_MANIFEST_DIR")).join("SERVICE.md");
    let service = std::fs::read_to_string(&service)
        .unwrap_or_else(|e| panic!("{} is readable: {e}", service.display()));
    let _ = writeln!(md);
    md.push_str(&service);
    std::fs::write(&out, md).expect("BENCHMARKS.md is writable");
    eprintln!("wrote {}", out.display());
}
