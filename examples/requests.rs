//! Request-per-scope on Tokio: an async connection pool opened at startup,
//! a pooled unit of work per request, disposal that always runs, and
//! parallel branches each with their own scope.
//!
//! Run it with `cargo run --example requests`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tenure::{AsyncDispose, Container};

struct Config {
    url: String,
}

/// Opened once, asynchronously, at startup.
struct Database {
    url: String,
    sessions: AtomicU32,
}

/// One per request, rented from a pool of 2 and given back at the end.
struct UnitOfWork {
    id: u32,
}

/// One per request (or parallel branch): not pooled, closed asynchronously.
struct AuditLog {
    request: u32,
}

impl AsyncDispose for AuditLog {
    async fn dispose(&self) -> anyhow::Result<()> {
        tokio::time::sleep(Duration::from_millis(1)).await; // e.g. flush to disk
        println!("    audit log of request {} flushed", self.request);
        Ok(())
    }
}

struct Handler {
    uow: Arc<UnitOfWork>,
    audit: Arc<AuditLog>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let requests = Arc::new(AtomicU32::new(0));
    let container = Container::builder()
        .instance(Config {
            url: "postgres://localhost/app".into(),
        })
        .singleton_async(|cfg: Arc<Config>| async move {
            tokio::time::sleep(Duration::from_millis(5)).await; // connect
            Database {
                url: cfg.url.clone(),
                sessions: AtomicU32::new(0),
            }
        })
        .pooled_async(2, |db: Arc<Database>| async move {
            let id = db.sessions.fetch_add(1, Ordering::Relaxed) + 1;
            println!("    opened unit of work #{id} on {}", db.url);
            UnitOfWork { id }
        })
        .on_return(|uow: &UnitOfWork| println!("    unit of work #{} returned to the pool", uow.id))
        .instance_arc(requests)
        .scoped(|counter: Arc<AtomicU32>| AuditLog {
            request: counter.fetch_add(1, Ordering::Relaxed) + 1,
        })
        .dispose::<AuditLog>()
        .transient(|uow: Arc<UnitOfWork>, audit: Arc<AuditLog>| Handler { uow, audit })
        .build()?;

    // Startup: the database is opened now, not on the first request.
    container.warm_up_async().await?;
    println!("started");

    // Four concurrent requests, each in its own scope; only two units of
    // work exist, so two requests wait their turn.
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let c = container.clone();
        tasks.push(tokio::spawn(async move {
            c.run_scoped(|scope| async move {
                let handler = scope.resolve_async::<Handler>().await?;
                println!(
                    "    request {} uses unit of work #{}",
                    handler.audit.request, handler.uow.id
                );
                tokio::time::sleep(Duration::from_millis(2)).await;
                Ok::<_, tenure::ResolveError>(())
            })
            .await
        }));
    }
    for t in tasks {
        t.await???;
    }

    // Parallel branches of one piece of work, each with its own scope.
    let (a, b) = tokio::join!(
        container
            .run_scoped(|s| async move { s.resolve_async::<AuditLog>().await.map(|l| l.request) }),
        container
            .run_scoped(|s| async move { s.resolve_async::<AuditLog>().await.map(|l| l.request) }),
    );
    println!("branches used audit logs {} and {}", a??, b??);

    let pool = container.pool_status::<UnitOfWork>().ok_or("pooled")?;
    println!("pool: {pool}");
    container.shutdown().await?;
    Ok(())
}
