//! A real HTTP service on tenure: axum, an embedded SQLite database through
//! sqlx, one scope per request.
//!
//! ```sh
//! cargo run --example service                      # serve on 127.0.0.1:3000, a database in a temp dir
//! cargo run --example service -- --db app.db --addr 127.0.0.1:8080
//! cargo run --release --example service -- --load 5000 --concurrency 16 [--faults] [--baseline]
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
//!   `sqlx::Transaction`) is scoped: one per request. The handler commits it
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
//!    singleton `service::app::TokenProvider`  registered at examples/service/app.rs:395:10
//!    scoped `service::app::Caller`            registered at examples/service/app.rs:384:10
//! 2. captive dependency [T0001]: singleton `service::app::TokenProvider` -> scoped `service::app::Faults`.
//!    A singleton would keep one `Faults` alive for every scope at once.
//!    Make `TokenProvider` scoped or transient, or inject `Factory<Faults>` (it holds nothing) and create `Faults` in a scope the caller passes (a `ScopeFactory` opens one per operation).
//!    singleton `service::app::TokenProvider`  registered at examples/service/app.rs:395:10
//!    scoped `service::app::Faults`            registered at examples/service/app.rs:386:10
//! 3. captive dependency [T0001]: singleton `service::app::TokenProvider` -> transient `service::store::ClientRepo` -> scoped `service::store::UnitOfWork`.
//!    A singleton would keep one `UnitOfWork` alive for every scope at once.
//!    Make `TokenProvider` scoped or transient, or inject `Factory<UnitOfWork>` (it holds nothing) and create `UnitOfWork` in a scope the caller passes (a `ScopeFactory` opens one per operation).
//!    singleton `service::app::TokenProvider`  registered at examples/service/app.rs:395:10
//!    transient `service::store::ClientRepo`   registered at examples/service/app.rs:393:10
//!    scoped `service::store::UnitOfWork`      registered at examples/service/app.rs:389:10
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
//! wired by hand (`baseline.rs`) and prints what the container costs per
//! request.

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
  service --load N [--concurrency C] [--faults] [--baseline]
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

/// The process's CPU time (user + system) so far, from `/proc/self/stat`
/// (in clock ticks of 10 ms), if readable.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name (which is in parentheses).
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

struct Measured {
    label: &'static str,
    outcome: Outcome,
    cpu: Option<Duration>,
}

async fn load_mode(n: usize, args: &Args) -> Result<ExitCode, Error> {
    let plan = Plan::new(n, args.concurrency.unwrap_or(16), args.faults);
    let mut variants = vec![("tenure", Variant::Container(Lifetime::Transient))];
    if args.baseline {
        variants.push(("hand-wired", Variant::Baseline));
    }
    let mut ok = true;
    let mut measured = Vec::new();
    for (label, variant) in variants {
        let dir = temp_dir("load")?;
        let config = Config {
            faults: plan.faults,
            ..Config::new(dir.join("load.db"))
        };
        let server = app::start(config, "127.0.0.1:0".parse()?, variant).await?;
        let before = server.idle_counts(Duration::from_secs(5)).await;
        let cpu_before = cpu_time();
        let outcome = load::run(&server.url(), &plan).await;
        let cpu = cpu_time().zip(cpu_before).map(|(a, b)| a - b);
        // Abandoned requests are disposed in the background: wait for the
        // counts (bounded), then judge.
        let (Ok(after) | Err(after)) = server.settle(&before, Duration::from_secs(5)).await;
        print!("{}", load::summary(label, &plan, &outcome, &before, &after));
        let problems = load::accounting(&outcome, &before, &after);
        for p in &problems {
            println!("  WRONG        {p}");
        }
        ok &= outcome.failures.is_empty()
            && after.leaks_since(&before).is_empty()
            && problems.is_empty();
        server.stop().await?;
        std::fs::remove_dir_all(&dir)?;
        measured.push(Measured {
            label,
            outcome,
            cpu,
        });
    }
    if let [t, b] = &measured[..] {
        println!("{}", compare(t, b));
    }
    println!("{}", if ok { "result: ok" } else { "result: FAILED" });
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// What the container costs per request: the same load, `t` (tenure)
/// against `b` (hand-wired).
fn compare(t: &Measured, b: &Measured) -> String {
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let per = |m: &Measured| us(m.outcome.elapsed) / m.outcome.sent as f64;
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
        let (ct, cb) = (
            us(ct) / t.outcome.sent as f64,
            us(cb) / b.outcome.sent as f64,
        );
        s += &format!(
            "  CPU time per request   {ct:.1} µs vs {cb:.1} µs: {:+.1} µs ({:+.1}%) (server and clients, 10 ms ticks)\n",
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
