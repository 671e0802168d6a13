//! Keyed services and a factory with a runtime argument: a primary
//! database and a read replica behind one trait, and export jobs created per
//! user id by a singleton, each in the scope of its own operation.
//!
//! Run it with `cargo run --example reports`.

#[path = "wiring/reports.rs"]
mod wiring;

use std::sync::Arc;

use tenure::Container;
use tenure::testing::TestKernel;
use wiring::{Db, ExportModule, Exporter, PgPool, Primary, Replica, UserId};

/// A stand-in replica for the test at the end.
struct FakeReplica;
impl Db for FakeReplica {
    fn name(&self) -> &str {
        "fake replica"
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut b = Container::builder();
    b.include(ExportModule);
    let container = b.build()?;

    // 1. Each key is its own singleton.
    let primary = container.resolve_keyed::<Primary, dyn Db>()?;
    let replica = container.resolve_keyed::<Replica, dyn Db>()?;
    println!("primary: {}, replica: {}", primary.name(), replica.name());
    assert!(!Arc::ptr_eq(
        &container.resolve_keyed::<Primary, PgPool>()?,
        &container.resolve_keyed::<Replica, PgPool>()?
    ));

    // 2. A singleton creates a job per user, each in a scope of its own.
    let exporter = container.resolve::<Exporter>()?;
    for user in [UserId(1), UserId(2)] {
        println!("{}", exporter.export(user)?);
    }

    // 3. A job is only made with its argument.
    let err = container.scope().resolve::<wiring::ExportJob>().err();
    println!("\nwithout an argument: {}", err.ok_or("expected an error")?);

    // 4. A key nobody registered is a missing dependency that lists the keys.
    struct Analytics;
    struct Dashboard;
    let mut broken = Container::builder();
    broken
        .include(ExportModule)
        .singleton(|_db: tenure::Keyed<Analytics, dyn Db>| Dashboard);
    println!("\n{}", broken.build().err().ok_or("expected an error")?);

    // 5. A test replaces one key and keeps the other.
    let mut kernel = TestKernel::from_module(ExportModule);
    kernel
        // The fake's own type is new: added next to the binding it serves.
        .replace_or_add(|b| {
            b.keyed::<Replica>().singleton(|| FakeReplica);
        })
        .replace(|b| {
            b.keyed::<Replica>().bind::<dyn Db, FakeReplica>(|f| f);
        });
    let test = kernel.build()?;
    println!(
        "\nin a test: {}",
        test.resolve::<Exporter>()?.export(UserId(3))?
    );
    Ok(())
}
