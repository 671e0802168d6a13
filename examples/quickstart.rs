//! The quickstart: a small service graph, a captive registration rejected by
//! `build()`, and two requests, each in its own scope.
//!
//! Run it with `cargo run --example quickstart`.

#[path = "wiring/quickstart.rs"]
mod wiring;

use std::sync::Arc;

use wiring::{AuditJob, UserRepo, wiring};

/// The bug tenure exists to stop: a process-wide helper that holds a
/// repository, which holds a per-request session.
struct AuditHelper {
    #[allow(dead_code)]
    repo: Arc<UserRepo>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. A captive registration never gets past build().
    let mut broken = wiring();
    broken.singleton(|repo: Arc<UserRepo>| AuditHelper { repo });
    match broken.build() {
        Ok(_) => unreachable!("a singleton holding a scoped session must be rejected"),
        Err(err) => println!("build() rejected the broken wiring:\n{err}\n"),
    }

    // 2. The correct wiring builds, and each request gets its own session.
    let container = wiring().build()?;
    for request in 1..=2 {
        println!("request {request}:");
        let scope = container.scope();
        let a = scope.resolve::<UserRepo>()?;
        let b = scope.resolve::<UserRepo>()?;
        println!("    found {}", a.find("alice"));
        println!("    found {}", b.find("bob"));
        assert!(Arc::ptr_eq(&a.session, &b.session), "one session per scope");
        drop((a, b));
        // The scope ends here: its session is dropped.
    }

    // 3. Resolving a scoped service from the root is an error, never a
    //    silent singleton.
    let err = container
        .resolve::<UserRepo>()
        .err()
        .ok_or("expected an error")?;
    println!("\nfrom the root: {err}");

    // 4. A singleton doing background work opens its own scopes.
    let job = container.resolve::<AuditJob>()?;
    println!("\nbackground job: {}", job.run()?);
    Ok(())
}
