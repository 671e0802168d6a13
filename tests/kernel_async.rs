//! Test kernels with async factories: overrides of async services are
//! tracked, and a replaced binding to an async fake resolves with
//! `resolve_async` like any binding.

use std::sync::Arc;

use tenure::ContainerBuilder;
use tenure::testing::TestKernel;

trait Db: Send + Sync {
    fn name(&self) -> &'static str;
}
struct RealDb;
impl Db for RealDb {
    fn name(&self) -> &'static str {
        "real"
    }
}
struct FakeDb;
impl Db for FakeDb {
    fn name(&self) -> &'static str {
        "fake"
    }
}
struct Handler {
    db: Arc<dyn Db>,
}

fn base() -> ContainerBuilder {
    let mut b = ContainerBuilder::new();
    b.singleton_async(|| async {
        tokio::task::yield_now().await;
        RealDb
    })
    .bind::<dyn Db, RealDb>(|d| d)
    .scoped(|db: Arc<dyn Db>| Handler { db });
    b
}

#[tokio::test(flavor = "current_thread")]
async fn an_async_fake_behind_a_replaced_binding_is_resolved_and_tracked() {
    let mut kernel = TestKernel::new(base());
    kernel
        .replace_or_add(|b| {
            b.singleton_async(|| async {
                tokio::task::yield_now().await;
                FakeDb
            });
        })
        .replace(|b| {
            b.bind::<dyn Db, FakeDb>(|d| d);
        });
    let c = kernel.build().unwrap();
    assert_eq!(kernel.unused_overrides().len(), 2);

    let scope = c.scope();
    // The binding's target needs an async factory: a sync resolve says so...
    assert!(scope.resolve::<Handler>().is_err());
    // ...and an async one awaits it through the (tracked) binding.
    let handler = scope.resolve_async::<Handler>().await.unwrap();
    assert_eq!(handler.db.name(), "fake");
    kernel.assert_all_overrides_used();
    // Once created, the binding also resolves synchronously.
    assert_eq!(c.resolve::<dyn Db>().unwrap().name(), "fake");
    assert!(std::ptr::addr_eq(
        Arc::as_ptr(&handler.db),
        Arc::as_ptr(&c.resolve::<FakeDb>().unwrap())
    ));
}

#[tokio::test(flavor = "current_thread")]
async fn an_async_override_is_unused_until_its_factory_runs() {
    let mut kernel = TestKernel::new(base());
    kernel.replace(|b| {
        b.singleton_async(|| async { RealDb });
    });
    let c = kernel.build().unwrap();
    assert_eq!(kernel.unused_overrides().len(), 1);
    c.warm_up_async().await.unwrap();
    assert!(kernel.unused_overrides().is_empty());
}

struct Conn;
struct Unrelated;
struct NeverRegistered;

#[tokio::test(flavor = "current_thread")]
async fn a_subject_only_build_keeps_the_disposers_of_what_it_keeps() {
    use std::sync::atomic::{AtomicUsize, Ordering};

    let disposed = Arc::new(AtomicUsize::new(0));
    let counter = disposed.clone();
    let mut b = ContainerBuilder::new();
    b.scoped(|| Conn)
        .dispose_with::<Conn, _, _, std::convert::Infallible>(move |_| {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        })
        // Unrelated to `Conn`, and broken (its dependency is missing).
        .scoped(|_: Arc<NeverRegistered>| Unrelated)
        .dispose_with::<Unrelated, _, _, std::convert::Infallible>(|_| async { Ok(()) });
    assert!(b.build().is_err());

    let c = b.build_for::<Conn>().unwrap();
    let scope = c.scope();
    scope.resolve::<Conn>().unwrap();
    scope.dispose().await.unwrap();
    assert_eq!(disposed.load(Ordering::SeqCst), 1);

    // A hook on a type registered nowhere is reported, as by `build`.
    b.dispose_with::<NeverRegistered, _, _, std::convert::Infallible>(|_| async { Ok(()) });
    let err = b.build_for::<Conn>().unwrap_err();
    assert_eq!(err.problems().len(), 1, "{err}");
    assert_eq!(err.problems()[0].code(), "T0006");
}

struct FakeConn;

#[tokio::test(flavor = "current_thread")]
async fn a_disposer_registered_with_an_override_runs() {
    use std::sync::atomic::{AtomicUsize, Ordering};

    let disposed = Arc::new(AtomicUsize::new(0));
    let counter = disposed.clone();
    let mut kernel = TestKernel::new(base());
    kernel.replace_or_add(|b| {
        b.scoped(|| FakeConn)
            .dispose_with::<FakeConn, _, _, std::convert::Infallible>(move |_| {
                let counter = counter.clone();
                async move {
                    counter.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                }
            });
    });
    let c = kernel.build().unwrap();
    let scope = c.scope();
    scope.resolve::<FakeConn>().unwrap();
    scope.dispose().await.unwrap();
    assert_eq!(disposed.load(Ordering::SeqCst), 1);
    kernel.assert_all_overrides_used();
}
