//! Instance accounting: created / alive / dropped per service, and a leak
//! found by comparing two reports (DESIGN story 4).

use std::sync::Arc;

use parking_lot::Mutex;
use tenure::Container;

struct Context;
struct Workflow {
    _ctx: Arc<Context>,
}
struct Bus {
    handlers: Mutex<Vec<Arc<Workflow>>>,
}

#[test]
fn a_report_counts_creations_and_live_instances() {
    let c = Container::builder()
        .singleton(|| Bus {
            handlers: Mutex::new(Vec::new()),
        })
        .scoped(|| Context)
        .transient(|ctx: Arc<Context>| Workflow { _ctx: ctx })
        .track_instances()
        .build()
        .unwrap();
    let bus = c.resolve::<Bus>().unwrap();
    let before = c.instance_report().unwrap();

    for i in 0..100 {
        let scope = c.scope();
        let wf = scope.resolve::<Workflow>().unwrap();
        if i % 10 == 0 {
            // The bug: an event handler keeps the workflow (and its context).
            bus.handlers.lock().push(wf);
        }
    }

    let after = c.instance_report().unwrap();
    let ctx = after.get::<Context>().unwrap();
    assert_eq!((ctx.created, ctx.alive, ctx.dropped()), (100, 10, 90));
    let wf = after.get::<Workflow>().unwrap();
    assert_eq!((wf.created, wf.alive), (100, 10));
    let growth: Vec<_> = after
        .growth_since(&before)
        .iter()
        .map(|(n, k)| (n.short_name(), *k))
        .collect();
    assert_eq!(growth, [("Context", 10), ("Workflow", 10)]);
    assert!(
        after
            .to_string()
            .contains("      100        10        90  scoped `census::Context`"),
        "{after}"
    );

    bus.handlers.lock().clear();
    let fixed = c.instance_report().unwrap();
    assert!(fixed.growth_since(&before).is_empty());
    assert_eq!(fixed.alive(), 1, "only the bus");
}

#[test]
fn no_report_unless_tracking_is_on() {
    let c = Container::builder().singleton(|| Context).build().unwrap();
    assert!(c.instance_report().is_none());
}
