//! Async disposal: reverse creation order, exactly once, past errors,
//! panics and timeouts; singleton shutdown; undisposed scopes; run_scoped on
//! success, panic and cancellation.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use tenure::{Container, ContainerBuilder, DisposeFailureKind};

type Log = Arc<Mutex<Vec<&'static str>>>;

struct A;
struct B;
struct C;
struct Failing;
struct Panicking;
struct Hanging;

/// Attaches a disposer that logs its type's name to each of `which`.
fn logged(b: &mut ContainerBuilder, log: &Log, which: &str) {
    fn hook<T: Send + Sync + 'static>(b: &mut ContainerBuilder, log: &Log, name: &'static str) {
        let l = log.clone();
        b.dispose_with(move |_: Arc<T>| {
            let l = l.clone();
            async move {
                l.lock().push(name);
                Ok::<_, anyhow::Error>(())
            }
        });
    }
    for ch in which.chars() {
        match ch {
            'A' => hook::<A>(b, log, "A"),
            'B' => hook::<B>(b, log, "B"),
            'C' => hook::<C>(b, log, "C"),
            _ => unreachable!(),
        }
    }
}

#[tokio::test]
async fn scope_disposal_runs_in_reverse_creation_order_past_failures_and_panics() {
    let log: Log = Arc::default();
    let mut b = Container::builder();
    b.scoped(|| A)
        .scoped(|_a: Arc<A>| B)
        .scoped(|| Failing)
        .scoped(|| Panicking)
        .scoped(|_b: Arc<B>| C)
        .dispose_with(|_: Arc<Failing>| async { Err::<(), _>(anyhow::anyhow!("flush failed")) })
        .dispose_with(|_: Arc<Panicking>| async {
            if true {
                panic!("disposer bug");
            }
            Ok::<(), anyhow::Error>(())
        });
    logged(&mut b, &log, "ABC");
    let c = b.build().unwrap();

    let scope = c.scope();
    scope.resolve::<Failing>().unwrap(); // created 1st (A, B come after)
    scope.resolve::<C>().unwrap(); // creates A, B, C in that order
    scope.resolve::<Panicking>().unwrap(); // last
    let err = scope.dispose().await.unwrap_err();

    assert_eq!(
        *log.lock(),
        ["C", "B", "A"],
        "reverse creation order, each once"
    );
    let kinds: Vec<String> = err
        .failures()
        .iter()
        .map(|f| f.service().short_name().to_owned())
        .collect();
    assert_eq!(kinds, ["Panicking", "Failing"]);
    assert!(
        matches!(err.failures()[0].kind(), DisposeFailureKind::Panicked(m) if m == "disposer bug")
    );
    assert!(matches!(
        err.failures()[1].kind(),
        DisposeFailureKind::Failed(_)
    ));
    let msg = err.to_string();
    assert!(msg.starts_with("2 disposers did not complete:"), "{msg}");
    assert!(
        msg.contains("flush failed") && msg.contains("registered at tests/async_dispose.rs"),
        "{msg}"
    );
    assert_eq!(c.undisposed_scopes(), 0);
}

#[tokio::test]
async fn a_hanging_disposer_is_abandoned_after_the_timeout() {
    let disposed = Arc::new(AtomicUsize::new(0));
    let d = disposed.clone();
    let c = Container::builder()
        .scoped(|| A)
        .scoped(|| Hanging)
        .dispose_with(move |_: Arc<A>| {
            let d = d.clone();
            async move {
                d.fetch_add(1, Ordering::SeqCst);
                Ok::<_, anyhow::Error>(())
            }
        })
        .dispose_with(|_: Arc<Hanging>| std::future::pending::<anyhow::Result<()>>())
        .dispose_timeout(Duration::from_millis(30))
        .build()
        .unwrap();
    let scope = c.scope();
    scope.resolve::<A>().unwrap();
    scope.resolve::<Hanging>().unwrap();
    let err = scope.dispose().await.unwrap_err();
    assert!(
        matches!(err.failures()[0].kind(), DisposeFailureKind::TimedOut(t) if *t == Duration::from_millis(30))
    );
    assert!(
        err.to_string().contains("did not finish within 30ms"),
        "{err}"
    );
    assert_eq!(
        disposed.load(Ordering::SeqCst),
        1,
        "the next disposer still ran"
    );
}

#[tokio::test]
async fn shutdown_disposes_singletons_in_reverse_order_exactly_once() {
    let log: Log = Arc::default();
    let mut b = Container::builder();
    b.singleton(|| A)
        .singleton(|_a: Arc<A>| B)
        .singleton(|_b: Arc<B>| C);
    logged(&mut b, &log, "ABC");
    let c = b.build().unwrap();
    c.resolve::<B>().unwrap();
    c.resolve::<C>().unwrap();
    c.shutdown().await.unwrap();
    c.shutdown().await.unwrap();
    assert_eq!(*log.lock(), ["C", "B", "A"]);
}

#[tokio::test]
async fn transients_with_disposers_belong_to_their_scope() {
    let log: Log = Arc::default();
    let mut b = Container::builder();
    b.transient(|| A).scoped(|| B);
    logged(&mut b, &log, "AB");
    let c = b.build().unwrap();
    let scope = c.scope();
    scope.resolve::<A>().unwrap();
    scope.resolve::<B>().unwrap();
    scope.resolve::<A>().unwrap();
    assert_eq!(scope.instances_created(), 3);
    scope.dispose().await.unwrap();
    assert_eq!(*log.lock(), ["A", "B", "A"]);

    // From the root nothing would await the disposer: refused.
    let err = c.resolve::<A>().err().expect("refused");
    assert!(err.to_string().contains("resolve it from a scope"), "{err}");
}

#[tokio::test]
async fn a_scope_dropped_without_dispose_calls_the_hook() {
    let reported = Arc::new(AtomicUsize::new(0));
    let r = reported.clone();
    let log: Log = Arc::default();
    let mut b = Container::builder();
    b.scoped(|| A).scoped(|| B).on_undisposed(move |n| {
        r.fetch_add(n, Ordering::SeqCst);
    });
    logged(&mut b, &log, "AB");
    let c = b.build().unwrap();
    let scope = c.scope();
    scope.resolve::<A>().unwrap();
    scope.resolve::<B>().unwrap();
    drop(scope);
    assert_eq!(reported.load(Ordering::SeqCst), 2);
    assert_eq!(c.undisposed_scopes(), 1);
    assert!(log.lock().is_empty(), "disposers cannot run from Drop");

    // A scope with nothing to dispose asynchronously is not reported.
    drop(c.scope());
    assert_eq!(c.undisposed_scopes(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_scoped_disposes_on_panic_and_on_cancellation() {
    let log: Log = Arc::default();
    let mut b = Container::builder();
    b.scoped(|| A);
    logged(&mut b, &log, "A");
    let c = b.build().unwrap();

    // Panic: disposed, then the panic resumes.
    let c2 = c.clone();
    let joined = tokio::spawn(async move {
        c2.run_scoped(|scope| async move {
            scope.resolve::<A>().unwrap();
            panic!("handler bug");
        })
        .await
    })
    .await;
    assert!(joined.unwrap_err().is_panic());
    assert_eq!(*log.lock(), ["A"]);

    // Cancellation: the disposal is spawned.
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let c3 = c.clone();
    let task = tokio::spawn(async move {
        c3.run_scoped(|scope| async move {
            scope.resolve::<A>().unwrap();
            let _ = started_tx.send(());
            std::future::pending::<()>().await;
        })
        .await
    });
    started_rx.await.unwrap();
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    for _ in 0..1_000 {
        if log.lock().len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert_eq!(*log.lock(), ["A", "A"]);
    assert_eq!(c.undisposed_scopes(), 0);
}

#[tokio::test]
async fn a_disposed_scope_creates_nothing_more() {
    let c = Container::builder().scoped(|| A).build().unwrap();
    let scope = c.scope();
    let clone = scope.clone();
    scope.dispose().await.unwrap();
    let err = clone.resolve::<A>().err().expect("ended");
    assert!(err.to_string().contains("has ended"), "{err}");
}

#[tokio::test]
async fn undisposed_counts_transients_without_a_slot_table_and_not_pooled_instances() {
    let reported = Arc::new(AtomicUsize::new(0));
    let r = reported.clone();
    let log: Log = Arc::default();
    let mut b = Container::builder();
    b.transient(|| A).pooled(1, || B).on_undisposed(move |n| {
        r.fetch_add(n, Ordering::SeqCst);
    });
    logged(&mut b, &log, "AB");
    let c = b.build().unwrap();

    // Only a transient with a disposer: the scope never allocates slots.
    let scope = c.scope();
    scope.resolve::<A>().unwrap();
    drop(scope);
    assert_eq!(reported.load(Ordering::SeqCst), 1);
    assert_eq!(c.undisposed_scopes(), 1);

    // A pooled instance goes back to its pool: nothing was skipped.
    let scope = c.scope();
    scope.resolve::<B>().unwrap();
    drop(scope);
    assert_eq!(reported.load(Ordering::SeqCst), 1);
    assert_eq!(c.undisposed_scopes(), 1);
    assert_eq!(c.pool_status::<B>().unwrap().idle, 1);
}
