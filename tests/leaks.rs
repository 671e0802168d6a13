//! The leak report: scoped and transient instances alive after the scopes
//! that created them ended are named, with their service, lifetime and
//! registration site; instances released in time are not.

use std::sync::Arc;

use parking_lot::Mutex;
use tenure::{Container, Lifetime};

struct DataContext;
struct Workflow {
    _ctx: Arc<DataContext>,
}
struct Released;
struct Report;
struct Conn;

type Handler = Box<dyn Fn() + Send + Sync>;

/// Event handlers, kept for the life of the process.
#[derive(Default)]
struct EventBus {
    handlers: Mutex<Vec<Handler>>,
}

#[test]
fn an_instance_kept_after_its_scope_ended_is_named_with_its_site_and_scope() {
    let mut b = Container::builder();
    b.singleton(EventBus::default);
    let ctx_line = line!() + 1;
    b.scoped(|| DataContext);
    let wf_line = line!() + 1;
    b.transient(|_ctx: Arc<DataContext>| Workflow { _ctx })
        .scoped(|| Released)
        .transient(|| Report)
        .pooled(2, || Conn)
        .track_instances();
    let c = b.build().unwrap();
    let bus = c.resolve::<EventBus>().unwrap();
    let mut leaked_scopes = Vec::new();
    for request in 0..6 {
        let scope = c.scope();
        let workflow = scope.resolve::<Workflow>().unwrap();
        scope.resolve::<Released>().unwrap();
        scope.resolve::<Conn>().unwrap();
        if request % 2 == 0 {
            // The bug: a handler captures the workflow, and with it the
            // request's data context.
            leaked_scopes.push(scope.id());
            bus.handlers.lock().push(Box::new(move || {
                let _ = &workflow;
            }));
        }
    }
    let open = c.scope();
    open.resolve::<DataContext>().unwrap();
    let from_root = c.resolve::<Report>().unwrap();

    let report = c.leak_report().expect("tracking is on");
    assert!(!report.is_clean());
    let leaks: Vec<_> = report.leaks().map(|r| r.service.short_name()).collect();
    assert_eq!(leaks, ["DataContext", "Workflow"]);

    let ctx = report.get::<DataContext>().unwrap();
    assert_eq!(ctx.service.lifetime(), Some(Lifetime::Scoped));
    assert_eq!(
        (
            ctx.alive,
            ctx.from_ended_scopes,
            ctx.in_open_scopes,
            ctx.from_root
        ),
        (4, 3, 1, 0)
    );
    assert_eq!(ctx.ended_scopes, leaked_scopes);
    assert_eq!(ctx.service.site().line(), ctx_line);
    let wf = report.get::<Workflow>().unwrap();
    assert_eq!(wf.service.lifetime(), Some(Lifetime::Transient));
    assert_eq!((wf.alive, wf.from_ended_scopes), (3, 3));
    assert_eq!(wf.service.site().line(), wf_line);

    // Released in time: not named at all. Alive where it belongs: named,
    // not a leak. Pooled and singletons: not judged.
    assert!(report.get::<Released>().is_none());
    let root = report.get::<Report>().unwrap();
    assert_eq!((root.alive, root.from_root), (1, 1));
    assert!(!root.is_probable_leak());
    assert!(report.get::<Conn>().is_none());
    assert!(report.get::<EventBus>().is_none());

    let text = report.to_string();
    assert!(
        text.starts_with(
            "6 probable leaks among 8 scoped and transient instances alive (alive after the \
             scope that created them ended):"
        ),
        "{text}"
    );
    let ctx_row = text
        .lines()
        .find(|l| l.contains("scoped `leaks::DataContext`"))
        .unwrap();
    assert!(ctx_row.starts_with("  LEAK "), "{ctx_row}");
    assert!(
        ctx_row.contains("4 alive: 3 from 3 ended scopes (#"),
        "{ctx_row}"
    );
    assert!(ctx_row.contains("1 in open scopes"), "{ctx_row}");
    assert!(
        ctx_row.ends_with(&format!("registered at {}:{ctx_line}:7", file!())),
        "{ctx_row}"
    );
    let root_row = text
        .lines()
        .find(|l| l.contains("transient `leaks::Report`"))
        .unwrap();
    assert!(root_row.starts_with("       "), "{root_row}");
    assert!(
        text.contains("a closure kept as an event handler"),
        "{text}"
    );

    // The fix: the handlers go, and so do the leaks.
    bus.handlers.lock().clear();
    drop((open, from_root));
    let fixed = c.leak_report().unwrap();
    assert!(fixed.is_clean() && fixed.rows().is_empty(), "{fixed}");
    assert!(
        fixed
            .to_string()
            .starts_with("no scoped or transient instance outlived its scope (0 alive"),
        "{fixed}"
    );
}

#[tokio::test]
async fn a_scope_that_ended_but_is_still_held_leaks_what_it_holds() {
    let c = Container::builder()
        .scoped(|| DataContext)
        .track_instances()
        .build()
        .unwrap();
    let scope = c.scope();
    scope.resolve::<DataContext>().unwrap();
    let kept = scope.clone(); // e.g. captured by a spawned task that never ends
    scope.dispose().await.unwrap();
    let report = c.leak_report().unwrap();
    let ctx = report.get::<DataContext>().unwrap();
    assert_eq!((ctx.alive, ctx.from_ended_scopes), (1, 1));
    assert_eq!(ctx.ended_scopes, [kept.id()]);
    drop(kept);
    assert!(c.leak_report().unwrap().rows().is_empty());
}

#[test]
fn no_report_without_tracking() {
    let c = Container::builder().scoped(|| DataContext).build().unwrap();
    assert!(c.leak_report().is_none());
}
