//! Disposal under cancellation, hooks that convert like resolution, and
//! user callbacks that panic inside `Drop`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use tenure::Container;
use tenure::testing::TestKernel;
use tokio::sync::Notify;

mod common;

/// What the disposers and the error hook saw.
#[derive(Default)]
struct Log {
    disposed: Mutex<Vec<&'static str>>,
    reports: Mutex<Vec<String>>,
    reported: Notify,
    started: Notify,
    release: Notify,
}

struct First;
struct Blocking;
struct Failing;

/// `First`, `Blocking` and `Failing` are created in that order, so they are
/// disposed as `Failing` (an error), `Blocking` (waits for `release`), then
/// `First`.
fn container(log: &Arc<Log>) -> Container {
    let (l1, l2, l3, l4) = (log.clone(), log.clone(), log.clone(), log.clone());
    Container::builder()
        .scoped(|| First)
        .scoped(|| Blocking)
        .scoped(|| Failing)
        .dispose_with(move |_: Arc<First>| {
            let log = l1.clone();
            async move {
                log.disposed.lock().push("First");
                Ok::<_, anyhow::Error>(())
            }
        })
        .dispose_with(move |_: Arc<Blocking>| {
            let log = l2.clone();
            async move {
                log.started.notify_one();
                log.release.notified().await;
                log.disposed.lock().push("Blocking");
                Ok::<_, anyhow::Error>(())
            }
        })
        .dispose_with(move |_: Arc<Failing>| {
            let log = l3.clone();
            async move {
                log.disposed.lock().push("Failing");
                Err(anyhow::anyhow!("flush failed"))
            }
        })
        .on_dispose_error(move |e| {
            l4.reports.lock().push(e.to_string());
            l4.reported.notify_one();
        })
        .build()
        .unwrap()
}

fn resolve_all(scope: &tenure::Scope) {
    scope.resolve::<First>().unwrap();
    scope.resolve::<Blocking>().unwrap();
    scope.resolve::<Failing>().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_dispose_finishes_on_the_runtime_and_reports_its_failures() {
    let log = Arc::new(Log::default());
    let c = container(&log);
    let scope = c.scope();
    resolve_all(&scope);
    // Cancel the disposal while `Blocking`'s disposer is running.
    tokio::select! {
        r = scope.dispose() => panic!("cannot finish before release: {r:?}"),
        () = log.started.notified() => {}
    }
    assert_eq!(*log.disposed.lock(), ["Failing"]);
    log.release.notify_one();
    tokio::time::timeout(Duration::from_secs(30), log.reported.notified())
        .await
        .expect("the rest of the disposal ran on the runtime and reported");
    assert_eq!(*log.disposed.lock(), ["Failing", "Blocking", "First"]);
    let reports = log.reports.lock().clone();
    assert_eq!(reports.len(), 1);
    assert!(
        reports[0].starts_with("1 disposer did not complete:\n1. the disposer of scoped `core_disposal_faults::Failing` failed: flush failed"),
        "{reports:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_run_scoped_still_disposes_and_reports() {
    let log = Arc::new(Log::default());
    let c = container(&log);
    let resolved = Arc::new(Notify::new());
    let r = resolved.clone();
    tokio::select! {
        _ = c.run_scoped(|scope| async move {
            resolve_all(&scope);
            r.notify_one();
            std::future::pending::<()>().await;
        }) => panic!("the work never ends"),
        () = resolved.notified() => {}
    }
    // The client went away: the scope's disposal was handed to the runtime.
    log.started.notified().await;
    log.release.notify_one();
    tokio::time::timeout(Duration::from_secs(30), log.reported.notified())
        .await
        .expect("the disposal error reached the hook");
    assert_eq!(*log.disposed.lock(), ["Failing", "Blocking", "First"]);
    assert!(log.reports.lock()[0].contains("flush failed"));
    assert_eq!(c.undisposed_scopes(), 0, "nothing skipped");
}

#[test]
fn a_disposal_cancelled_without_a_runtime_reports_what_did_not_run() {
    let log = Arc::new(Log::default());
    let c = container(&log);
    let scope = c.scope();
    resolve_all(&scope);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // Poll the disposal until `Blocking` runs, then drop it with the runtime.
    let mut fut = Box::pin(scope.dispose());
    rt.block_on(async {
        tokio::select! {
            _ = &mut fut => panic!("cannot finish"),
            () = log.started.notified() => {}
        }
    });
    drop(rt);
    drop(fut);
    let reports = log.reports.lock().clone();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(
        reports[0].starts_with("3 disposers did not complete:"),
        "{reports:?}"
    );
    assert!(reports[0].contains("`core_disposal_faults::Failing` failed: flush failed"));
    assert!(
        reports[0].contains("the disposer of scoped `core_disposal_faults::Blocking` never ran")
    );
    assert!(reports[0].contains("the disposer of scoped `core_disposal_faults::First` never ran"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn during_disposal_the_scope_already_serves_nothing() {
    let log = Arc::new(Log::default());
    let c = container(&log);
    let scope = c.scope();
    resolve_all(&scope);
    let clone = scope.clone();
    let disposing = tokio::spawn(scope.dispose());
    log.started.notified().await;
    let err = clone.resolve::<First>().err().expect("ended");
    assert!(matches!(err.kind(), tenure::ResolveErrorKind::ScopeEnded));
    log.release.notify_one();
    assert!(disposing.await.unwrap().is_err(), "Failing's error");
}

// ---------------------------------------------------------------------------
// Defect 8: hooks convert the instance like resolution does.

struct Conn;

#[tokio::test]
async fn a_disposer_on_a_ready_arc_runs() {
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let c = Container::builder()
        .bind_instance::<Conn>(Arc::new(Conn))
        .dispose_with(move |_: Arc<Conn>| {
            let r = r.clone();
            async move {
                r.fetch_add(1, Ordering::SeqCst);
                Ok::<_, anyhow::Error>(())
            }
        })
        .build()
        .unwrap();
    c.resolve::<Conn>().unwrap();
    c.shutdown().await.unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 1, "never skipped silently");
}

trait Mailer: Send + Sync {}
struct FakeMailer;
impl Mailer for FakeMailer {}

#[tokio::test]
async fn a_disposer_on_a_kernels_fill_in_for_a_trait_runs() {
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let mut base = Container::builder();
    base.dispose_with(move |_: Arc<dyn Mailer>| {
        let r = r.clone();
        async move {
            r.fetch_add(1, Ordering::SeqCst);
            Ok::<_, anyhow::Error>(())
        }
    });
    let mut kernel = TestKernel::new(base);
    kernel.fill_in::<dyn Mailer>(Arc::new(FakeMailer));
    let c = kernel.build().unwrap();
    c.resolve::<dyn Mailer>().unwrap();
    c.shutdown().await.unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

// ---------------------------------------------------------------------------
// Defect 11: user callbacks never unwind out of `Drop`.

struct Pending;

#[test]
fn a_panicking_on_undisposed_hook_during_an_unwind_does_not_abort() {
    let calls = Arc::new(AtomicUsize::new(0));
    let n = calls.clone();
    let c = Container::builder()
        .scoped(|| Pending)
        .dispose_with(|_: Arc<Pending>| async { Ok::<_, anyhow::Error>(()) })
        .on_undisposed(move |_| {
            n.fetch_add(1, Ordering::SeqCst);
            panic!("a buggy hook");
        })
        .build()
        .unwrap();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let scope = c.scope();
        scope.resolve::<Pending>().unwrap();
        panic!("the request failed"); // the scope drops while unwinding
    }));
    assert!(outcome.is_err());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // And outside an unwind, the hook's panic does not escape the drop.
    let scope = c.scope();
    scope.resolve::<Pending>().unwrap();
    drop(scope);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(c.undisposed_scopes(), 2);
}

struct Buffer;

#[test]
fn a_panicking_on_return_hook_retires_the_instance() {
    let c = Container::builder()
        .pooled(2, || Buffer)
        .on_return(|_: &Buffer| panic!("reset failed"))
        .build()
        .unwrap();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let scope = c.scope();
        scope.resolve::<Buffer>().unwrap();
        panic!("the request failed");
    }));
    assert!(outcome.is_err());
    let status = c.pool_status::<Buffer>().unwrap();
    assert_eq!((status.retired, status.idle, status.available), (1, 0, 2));
}
