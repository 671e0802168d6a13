//! Finding a leak with the instance census (DESIGN story 4): event handlers
//! capture a workflow instance, the workflow holds the request's data
//! context, the context holds its caches, so every request leaks. The leak
//! report names what outlived its scope, where it was registered, and the
//! scopes it came from; the fix lets the handler hold the workflow weakly.
//!
//! Run it with `cargo run --example leaks`.

use std::sync::{Arc, Mutex, Weak};

use tenure::{Container, ContainerBuilder};

/// The request's unit of work, with what it has loaded.
struct DataContext {
    _cache: Vec<u8>,
}

/// A business workflow for one request; it reacts to domain events.
struct Workflow {
    ctx: Arc<DataContext>,
}

impl Workflow {
    fn on_event(&self, _event: &str) {
        let _ = &self.ctx;
    }
}

type Handler = Box<dyn Fn(&str) + Send + Sync>;

/// Process-wide: handlers subscribe and are called for every event.
#[derive(Default)]
struct EventBus {
    handlers: Mutex<Vec<Handler>>,
}

impl EventBus {
    fn subscribe(&self, handler: impl Fn(&str) + Send + Sync + 'static) {
        self.handlers.lock().unwrap().push(Box::new(handler));
    }
}

fn wiring() -> ContainerBuilder {
    let mut b = Container::builder();
    b.singleton(EventBus::default)
        .scoped(|| DataContext {
            _cache: vec![0; 64 * 1024],
        })
        .transient(|ctx: Arc<DataContext>| Workflow { ctx })
        .track_instances();
    b
}

/// One request: a scope, a workflow, a subscription.
fn request(c: &Container, fixed: bool) -> Result<u64, tenure::ResolveError> {
    let scope = c.scope();
    let workflow = scope.resolve::<Workflow>()?;
    let bus = c.resolve::<EventBus>()?;
    if fixed {
        // The handler holds the workflow weakly: it lives as long as the
        // request, and the handler becomes a no-op after it.
        let weak: Weak<Workflow> = Arc::downgrade(&workflow);
        bus.subscribe(move |e| {
            if let Some(w) = weak.upgrade() {
                w.on_event(e)
            }
        });
    } else {
        // The bug: the closure keeps the workflow (and its context) forever.
        bus.subscribe(move |e| workflow.on_event(e));
    }
    Ok(scope.id())
} // the scope ends here

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let c = wiring().build()?;
    let before = c.instance_report().expect("tracking is on");
    let scopes: Vec<u64> = (0..5)
        .map(|_| request(&c, false))
        .collect::<Result<_, _>>()?;
    println!("5 requests in scopes {scopes:?}; every scope has ended.\n");

    // Two snapshots: what grew.
    let after = c.instance_report().expect("tracking is on");
    println!("growth since the first snapshot:");
    for (service, more) in after.growth_since(&before) {
        println!("  +{more}  {service}");
    }

    // The leak report: what outlived the scope that created it.
    let report = c.leak_report().expect("tracking is on");
    println!("\n{report}\n");
    assert!(!report.is_clean(), "the closures keep every workflow");

    // The fix, in a fresh container.
    let c = wiring().build()?;
    for _ in 0..5 {
        request(&c, true)?;
    }
    let report = c.leak_report().expect("tracking is on");
    println!("with weak handlers: {report}");
    assert!(report.is_clean());
    Ok(())
}
