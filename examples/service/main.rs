//! A real HTTP service on tenure: axum, an embedded SQLite database through
//! sqlx, one scope per request.
//!
//! ```sh
//! cargo run --example service                      # serve on 127.0.0.1:3000, a database in a temp dir
//! cargo run --example service -- --db app.db --addr 127.0.0.1:8080
//! cargo run --release --example service -- --load 5000 --concurrency 16 [--faults] [--baseline [--rounds 3]]
//! cargo run --example service -- --captive         # the incident's wiring: build() rejects it
//! ```
//!
//! It replays the incident this project started from: an OAuth-style
//! client registry (register a client, issue a token for it, validate a
//! token) whose `TokenProvider` was once created for the whole app and kept
//! a request's database context in it.
//!
//! # The wiring
//!
//! - **The pool** (`Db`, a sqlx `SqlitePool` over a bundled SQLite) is a
//!   singleton opened asynchronously (`try_singleton_async`) and created at
//!   startup by `warm_up_async`, so an unusable database path fails at
//!   startup, not on the first request. Its disposer closes it at
//!   `shutdown`.
//! - **The unit of work** (`UnitOfWork`: one pooled connection and one
//!   `sqlx::Transaction`, begun by its first query, so that a handler reads
//!   its request body before it holds a connection or the writer's turn)
//!   is scoped: one per request. The handler commits it
//!   (`uow.commit().await`) when it succeeded; its async disposer
//!   (`dispose_with`) rolls it back otherwise, which the layer runs on an
//!   error response, a failed factory, a panic and a client that went
//!   away. sqlx is used because its async pool and its `Transaction` map
//!   directly onto a singleton pool and a scoped unit of work.
//! - **Repositories** (`ClientRepo`, `TokenRepo`) and the `TokenProvider`
//!   are transients (`#[derive(Injectable)]`), holding the request's unit
//!   of work.
//! - **Request values** (`scope_value`), supplied by
//!   `tenure::axum::ScopeLayer` from each request's head: the `Caller`
//!   (`X-Client-Id`, `Authorization: Bearer <token>`), the `Access` (reads
//!   for `GET`, writes otherwise: writes begin with `BEGIN IMMEDIATE`) and,
//!   in load mode, the requested `Faults` (`X-Fault`).
//!
//! Endpoints: `POST /clients {"name"}` registers a client (its id and
//! secret come back); `POST /token {"client_secret"}` with `X-Client-Id`
//! issues a token; `GET /me` and `GET /me/tokens` with
//! `Authorization: Bearer <token>` validate it and answer its client.
//!
//! # The incident's wiring does not build
//!
//! Registering `TokenProvider` as a singleton (`--captive` does that) keeps
//! one request's unit of work, repositories and caller in it for every
//! request. `build()` refuses it before anything runs:
//!
//! ```text
//! error: the service's wiring is invalid: 3 problems in the container:
//! 1. captive dependency [T0001]: singleton `service::app::TokenProvider` -> scoped `service::app::Caller`.
//!    A singleton would keep one `Caller` alive for every scope at once.
//!    Make `TokenProvider` scoped or transient, or inject `Factory<Caller>` (it holds nothing) and create `Caller` in a scope the caller passes (a `ScopeFactory` opens one per operation).
//!    singleton `service::app::TokenProvider`  registered at examples/service/app.rs:394:10
//!    scoped `service::app::Caller`            registered at examples/service/app.rs:384:10
//! 2. captive dependency [T0001]: singleton `service::app::TokenProvider` -> scoped `service::app::Faults`.
//!    A singleton would keep one `Faults` alive for every scope at once.
//!    Make `TokenProvider` scoped or transient, or inject `Factory<Faults>` (it holds nothing) and create `Faults` in a scope the caller passes (a `ScopeFactory` opens one per operation).
//!    singleton `service::app::TokenProvider`  registered at examples/service/app.rs:394:10
//!    scoped `service::app::Faults`            registered at examples/service/app.rs:386:10
//! 3. captive dependency [T0001]: singleton `service::app::TokenProvider` -> transient `service::store::ClientRepo` -> scoped `service::store::UnitOfWork`.
//!    A singleton would keep one `UnitOfWork` alive for every scope at once.
//!    Make `TokenProvider` scoped or transient, or inject `Factory<UnitOfWork>` (it holds nothing) and create `UnitOfWork` in a scope the caller passes (a `ScopeFactory` opens one per operation).
//!    singleton `service::app::TokenProvider`  registered at examples/service/app.rs:394:10
//!    transient `service::store::ClientRepo`   registered at examples/service/app.rs:392:10
//!    scoped `service::store::UnitOfWork`      registered at examples/service/app.rs:390:10
//! ```
//!
//! # Load mode
//!
//! `--load N --concurrency C` starts the service on an ephemeral port of
//! 127.0.0.1, and C clients send N requests over HTTP: each registers its
//! own client, then issues tokens, reads `/me` and lists its tokens in
//! turn, checking that every answer carries its own id, name and tokens (a
//! unit of work or a caller shared between requests would show there).
//! `--faults` makes one request in 7 ask for a fault: the handler fails
//! after writing (the token must be rolled back), `TokenProvider`'s factory
//! fails, or the handler stalls until the client abandons the request
//! (100 ms). Then the counts must return to where they started: checked-out
//! connections, open transactions, instances alive per service
//! (`instance_report`), and no scope dropped without its disposal. Any
//! failure or leak exits non-zero. `--baseline` also runs the same service
//! wired by hand (`baseline.rs`), each on a fresh database, and prints what
//! the container costs per request (wall time and the server's CPU time
//! per request, latency percentiles); `--rounds R` repeats the pair R
//! times, alternating which goes first, and prints the medians.

mod app;
mod baseline;
mod load;
mod store;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use tenure::Lifetime;

use crate::app::{Config, Variant};
use crate::load::{Outcome, Plan};

const USAGE: &str = "usage:
  service [--db PATH] [--addr ADDR] [--baseline]     serve (default 127.0.0.1:3000, a database in a temp dir)
  service --load N [--concurrency C] [--faults] [--baseline [--rounds R]]
                                                   load mode on an ephemeral loopback port
  service --captive                                the incident's wiring: build() rejects it";

#[derive(Debug, Default)]
struct Args {
    db: Option<PathBuf>,
    addr: Option<SocketAddr>,
    load: Option<usize>,
    concurrency: Option<usize>,
    faults: bool,
    baseline: bool,
    rounds: Option<usize>,
    captive: bool,
}

impl Args {
    fn parse(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
        let mut a = Args::default();
        while let Some(arg) = it.next() {
            let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
            match arg.as_str() {
                "--db" => a.db = Some(value("--db")?.into()),
                "--addr" => {
                    let v = value("--addr")?;
                    a.addr = Some(v.parse().map_err(|e| format!("--addr {v}: {e}"))?);
                }
                "--load" => {
                    let v = value("--load")?;
                    a.load = Some(v.parse().map_err(|e| format!("--load {v}: {e}"))?);
                }
                "--concurrency" => {
                    let v = value("--concurrency")?;
                    a.concurrency = Some(v.parse().map_err(|e| format!("--concurrency {v}: {e}"))?);
                }
                "--rounds" => {
                    let v = value("--rounds")?;
                    a.rounds = Some(v.parse().map_err(|e| format!("--rounds {v}: {e}"))?);
                }
                "--faults" => a.faults = true,
                "--baseline" => a.baseline = true,
                "--captive" => a.captive = true,
                "-h" | "--help" => return Err(String::new()),
                other => return Err(format!("unknown argument {other}")),
            }
        }
        Ok(a)
    }
}

/// A fresh directory under the system's temp dir.
fn temp_dir(what: &str) -> std::io::Result<PathBuf> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let dir = std::env::temp_dir().join(format!(
        "tenure-service-{what}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("error: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = if args.captive {
        captive().await
    } else if let Some(n) = args.load {
        load_mode(n, &args).await
    } else {
        serve(&args).await
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

type Error = Box<dyn std::error::Error>;

/// Starts the incident's wiring: `build()` rejects it.
async fn captive() -> Result<ExitCode, Error> {
    let dir = temp_dir("captive")?;
    let config = Config::new(dir.join("service.db"));
    let addr: SocketAddr = "127.0.0.1:0".parse()?;
    let started = app::start(config, addr, Variant::Container(Lifetime::Singleton)).await;
    std::fs::remove_dir_all(&dir)?;
    match started {
        Ok(server) => {
            server.stop().await?;
            Err("the captive wiring built; it must not".into())
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

async fn serve(args: &Args) -> Result<ExitCode, Error> {
    let (db, temp) = match &args.db {
        Some(db) => (db.clone(), None),
        None => {
            let dir = temp_dir("db")?;
            (dir.join("service.db"), Some(dir))
        }
    };
    let addr = args.addr.unwrap_or(([127, 0, 0, 1], 3000).into());
    let variant = if args.baseline {
        Variant::Baseline
    } else {
        Variant::Container(Lifetime::Transient)
    };
    let server = app::start(Config::new(db.clone()), addr, variant).await?;
    let url = server.url();
    println!(
        "tenure service listening on {url} (database {})",
        db.display()
    );
    println!("try:");
    println!(
        "  curl -s -X POST {url}/clients -H 'content-type: application/json' -d '{{\"name\":\"demo\"}}'"
    );
    println!(
        "  curl -s -X POST {url}/token -H 'X-Client-Id: <client_id>' -H 'content-type: application/json' -d '{{\"client_secret\":\"<client_secret>\"}}'"
    );
    println!("then GET {url}/me with 'Authorization: Bearer <access_token>'; Ctrl-C stops.");
    tokio::signal::ctrl_c().await?;
    server.stop().await?;
    if let Some(dir) = temp {
        std::fs::remove_dir_all(dir)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The CPU time (user + system) of the server's threads so far: the
/// workers of its runtime (`svc-server`) and SQLite's connection threads
/// (`sqlx-sqlite-worker-N`), from `/proc/self/task` in 10 ms ticks. `None`
/// where that is not readable.
fn server_cpu() -> Option<Duration> {
    let mut ticks = 0;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        // A thread may end between the listing and the read: skip it.
        let Ok(stat) = std::fs::read_to_string(task.ok()?.path().join("stat")) else {
            continue;
        };
        let (open, close) = (stat.find('(')?, stat.rfind(')')?);
        let name = &stat[open + 1..close];
        if !(name.starts_with("svc-server") || name.starts_with("sqlx-sqlite")) {
            continue;
        }
        let f: Vec<&str> = stat[close + 2..].split_whitespace().collect();
        ticks += f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    }
    Some(Duration::from_millis(ticks * 10))
}

struct Measured {
    label: &'static str,
    outcome: Outcome,
    cpu: Option<Duration>,
}

async fn load_mode(n: usize, args: &Args) -> Result<ExitCode, Error> {
    let plan = Plan::new(n, args.concurrency.unwrap_or(16), args.faults);
    let tenure = ("tenure", Variant::Container(Lifetime::Transient));
    let by_hand = ("hand-wired", Variant::Baseline);
    let rounds = if args.baseline {
        args.rounds.unwrap_or(1).max(1)
    } else {
        1
    };
    let mut ok = true;
    let mut pairs = Vec::new();
    for round in 0..rounds {
        // Alternate which goes first, so neither always has the warmer
        // machine.
        let order = match (args.baseline, round % 2) {
            (false, _) => vec![tenure],
            (true, 0) => vec![tenure, by_hand],
            (true, _) => vec![by_hand, tenure],
        };
        let mut measured = Vec::new();
        for (label, variant) in order {
            if rounds > 1 {
                println!("round {} of {rounds}:", round + 1);
            }
            let (m, passed) = measure(label, variant, &plan).await?;
            ok &= passed;
            measured.push(m);
        }
        measured.sort_by_key(|m| m.label != "tenure");
        if let [t, b] = &measured[..] {
            println!("{}", compare(t, b));
        }
        pairs.push(measured);
    }
    if rounds > 1 {
        println!("{}", medians(&pairs));
    }
    println!("{}", if ok { "result: ok" } else { "result: FAILED" });
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Starts `variant` on a fresh database, runs `plan` against it, prints
/// its summary; `true` if nothing failed or leaked.
async fn measure(
    label: &'static str,
    variant: Variant,
    plan: &Plan,
) -> Result<(Measured, bool), Error> {
    let dir = temp_dir("load")?;
    let config = Config {
        faults: plan.faults,
        ..Config::new(dir.join("load.db"))
    };
    // The server runs on a runtime of its own, so that its CPU time can be
    // told from the clients'.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("svc-server")
        .enable_all()
        .build()?;
    let server = rt
        .spawn(app::start(config, "127.0.0.1:0".parse()?, variant))
        .await??;
    let before = server.idle_counts(Duration::from_secs(5)).await;
    let cpu_before = server_cpu();
    let outcome = load::run(&server.url(), plan).await;
    let cpu = server_cpu()
        .zip(cpu_before)
        .map(|(a, b)| a.saturating_sub(b));
    // Abandoned requests are disposed in the background: wait for the
    // counts (bounded), then judge.
    let (Ok(after) | Err(after)) = server.settle(&before, Duration::from_secs(5)).await;
    print!("{}", load::summary(label, plan, &outcome, &before, &after));
    let problems = load::accounting(&outcome, &before, &after);
    for p in &problems {
        println!("  WRONG        {p}");
    }
    let passed =
        outcome.failures.is_empty() && after.leaks_since(&before).is_empty() && problems.is_empty();
    server.stop().await?;
    rt.shutdown_background();
    std::fs::remove_dir_all(&dir)?;
    Ok((
        Measured {
            label,
            outcome,
            cpu,
        },
        passed,
    ))
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

fn us_per_request(d: Duration, m: &Measured) -> f64 {
    d.as_secs_f64() * 1e6 / m.outcome.sent as f64
}

/// The median, over the rounds, of what the container costs per request.
fn medians(pairs: &[Vec<Measured>]) -> String {
    // (tenure, hand-wired, difference) medians, and the difference's range.
    let diffs = |f: &dyn Fn(&Measured) -> Option<f64>| -> Option<[f64; 5]> {
        let (mut t_all, mut b_all, mut d) = (Vec::new(), Vec::new(), Vec::new());
        for p in pairs {
            let (t, b) = (f(&p[0])?, f(&p[1])?);
            t_all.push(t);
            b_all.push(b);
            d.push(t - b);
        }
        let lo = d.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = d.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Some([median(t_all), median(b_all), median(d), lo, hi])
    };
    let mut s = format!(
        "median over {} rounds, tenure vs hand-wired (the difference's range over the rounds):\n",
        pairs.len()
    );
    if let Some([t, b, d, lo, hi]) = diffs(&|m| Some(us_per_request(m.outcome.elapsed, m))) {
        s += &format!(
            "  wall time per request  {t:.1} µs vs {b:.1} µs: {d:+.1} µs ({lo:+.1} to {hi:+.1})\n"
        );
    }
    if let Some([t, b, d, lo, hi]) = diffs(&|m| m.cpu.map(|c| us_per_request(c, m))) {
        s += &format!(
            "  server CPU per request {t:.1} µs vs {b:.1} µs: {d:+.1} µs ({lo:+.1} to {hi:+.1})\n"
        );
    }
    for p in [50.0, 99.0] {
        let at = |m: &Measured| Some(m.outcome.percentile(p).as_secs_f64() * 1e3);
        if let Some([t, b, d, lo, hi]) = diffs(&at) {
            s += &format!(
                "  latency p{p:<2}            {t:.2} ms vs {b:.2} ms: {d:+.2} ms ({lo:+.2} to {hi:+.2})\n"
            );
        }
    }
    s.pop();
    s
}

/// What the container costs per request: the same load, `t` (tenure)
/// against `b` (hand-wired).
fn compare(t: &Measured, b: &Measured) -> String {
    let per = |m: &Measured| us_per_request(m.outcome.elapsed, m);
    let mut s = format!(
        "{} vs {} (same requests, same concurrency, one process):\n",
        t.label, b.label
    );
    s += &format!(
        "  wall time per request  {:.1} µs vs {:.1} µs: {:+.1} µs ({:+.1}%)\n",
        per(t),
        per(b),
        per(t) - per(b),
        (per(t) / per(b) - 1.0) * 100.0
    );
    if let (Some(ct), Some(cb)) = (t.cpu, b.cpu) {
        let (ct, cb) = (us_per_request(ct, t), us_per_request(cb, b));
        s += &format!(
            "  server CPU per request {ct:.1} µs vs {cb:.1} µs: {:+.1} µs ({:+.1}%)\n",
            ct - cb,
            (ct / cb - 1.0) * 100.0
        );
    }
    let lat = |m: &Measured, p| m.outcome.percentile(p).as_secs_f64() * 1e3;
    s += &format!(
        "  latency p50            {:.2} ms vs {:.2} ms: {:+.2} ms\n",
        lat(t, 50.0),
        lat(b, 50.0),
        lat(t, 50.0) - lat(b, 50.0)
    );
    s += &format!(
        "  latency p99            {:.2} ms vs {:.2} ms: {:+.2} ms",
        lat(t, 99.0),
        lat(b, 99.0),
        lat(t, 99.0) - lat(b, 99.0)
    );
    s
}
