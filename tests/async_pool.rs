//! Pooled services: bounded, fair, cancel-safe, never shared by two scopes.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tenure::{Container, ResolveErrorKind};

mod common;

#[derive(Default)]
struct Counters {
    created: AtomicUsize,
    live: AtomicUsize,
    max_live: AtomicUsize,
    rented: AtomicUsize,
    max_rented: AtomicUsize,
    resets: AtomicUsize,
}

struct Conn {
    counters: Arc<Counters>,
    in_use: AtomicUsize,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.counters.live.fetch_sub(1, Ordering::SeqCst);
    }
}

struct Clock;
struct ViaFrames(#[allow(dead_code)] Arc<Conn>);

fn bump_max(max: &AtomicUsize, now: usize) {
    max.fetch_max(now, Ordering::SeqCst);
}

fn pool_of_four(counters: Arc<Counters>) -> Container {
    Container::builder()
        .instance_arc(counters)
        .pooled_async(4, |counters: Arc<Counters>| async move {
            tokio::task::yield_now().await;
            counters.created.fetch_add(1, Ordering::SeqCst);
            let live = counters.live.fetch_add(1, Ordering::SeqCst) + 1;
            bump_max(&counters.max_live, live);
            Conn {
                counters,
                in_use: AtomicUsize::new(0),
            }
        })
        .on_return(|c: &Conn| {
            c.counters.resets.fetch_add(1, Ordering::SeqCst);
        })
        // A request for `ViaFrames` rents on the driver's frames (a
        // transient async factory cannot be made ahead); one for `Conn`,
        // along its route.
        .transient_async(|| async { Clock })
        .transient(|conn: Arc<Conn>, _: Arc<Clock>| ViaFrames(conn))
        .build()
        .expect("valid graph")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_scopes_share_four_instances_one_at_a_time() {
    let counters = Arc::new(Counters::default());
    let c = pool_of_four(counters.clone());
    let barrier = Arc::new(tokio::sync::Barrier::new(64));
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let (c, barrier, counters) = (c.clone(), barrier.clone(), counters.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            c.run_scoped(|scope| async move {
                let conn = scope.resolve_async::<Conn>().await.expect("rents");
                assert!(Arc::ptr_eq(
                    &conn,
                    &scope.resolve_async::<Conn>().await.unwrap()
                ));
                assert_eq!(
                    conn.in_use.fetch_add(1, Ordering::SeqCst),
                    0,
                    "rented by two scopes at once"
                );
                let rented = counters.rented.fetch_add(1, Ordering::SeqCst) + 1;
                bump_max(&counters.max_rented, rented);
                tokio::task::yield_now().await;
                counters.rented.fetch_sub(1, Ordering::SeqCst);
                conn.in_use.fetch_sub(1, Ordering::SeqCst);
            })
            .await
            .expect("disposal succeeds");
        }));
    }
    for t in tasks {
        t.await.expect("all 64 complete");
    }
    assert!(
        counters.max_live.load(Ordering::SeqCst) <= 4,
        "never more than 4 instances"
    );
    assert!(counters.max_rented.load(Ordering::SeqCst) <= 4);
    assert!(counters.created.load(Ordering::SeqCst) <= 4);
    assert_eq!(
        counters.resets.load(Ordering::SeqCst),
        64,
        "reset before each return"
    );
    let status = c.pool_status::<Conn>().expect("pooled");
    assert_eq!((status.max, status.available), (4, 4), "{status}");
    assert_eq!(
        status.idle,
        counters.created.load(Ordering::SeqCst),
        "every instance returned"
    );
    assert_eq!(status.retired, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_waiters_leak_no_capacity() {
    let counters = Arc::new(Counters::default());
    let c = pool_of_four(counters.clone());
    // Rent all four.
    let holders: Vec<_> = (0..4).map(|_| c.scope()).collect();
    for s in &holders {
        s.resolve_async::<Conn>().await.unwrap();
    }
    assert_eq!(c.pool_status::<Conn>().unwrap().available, 0);

    // Twenty waiters give up (time out) while the pool is exhausted, half
    // of them waiting along their route, half on the driver's frames.
    let mut waiters = Vec::new();
    for i in 0..20 {
        let c = c.clone();
        waiters.push(tokio::spawn(async move {
            let scope = c.scope();
            let wait = Duration::from_millis(20);
            if i % 2 == 0 {
                tokio::time::timeout(wait, scope.resolve_async::<Conn>())
                    .await
                    .is_err()
            } else {
                tokio::time::timeout(wait, scope.resolve_async::<ViaFrames>())
                    .await
                    .is_err()
            }
        }));
    }
    for w in waiters {
        assert!(w.await.unwrap(), "the waiter timed out");
    }
    drop(holders);
    let status = c.pool_status::<Conn>().unwrap();
    assert_eq!((status.available, status.idle), (4, 4), "{status}");

    // The pool still serves four scopes at once.
    let scopes: Vec<_> = (0..4).map(|_| c.scope()).collect();
    for s in &scopes {
        s.resolve_async::<Conn>().await.unwrap();
    }
    assert_eq!(counters.created.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn a_waiter_is_served_when_an_instance_comes_back() {
    let counters = Arc::new(Counters::default());
    let c = pool_of_four(counters.clone());
    let holders: Vec<_> = (0..4).map(|_| c.scope()).collect();
    for s in &holders {
        s.resolve_async::<Conn>().await.unwrap();
    }
    let c2 = c.clone();
    let waiter = tokio::spawn(async move {
        let scope = c2.scope();
        scope.resolve_async::<Conn>().await.map(|_| ())
    });
    tokio::task::yield_now().await;
    drop(holders);
    waiter.await.unwrap().expect("served after a return");
    assert_eq!(counters.created.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn an_instance_that_escapes_its_scope_is_retired_not_reused() {
    let counters = Arc::new(Counters::default());
    let c = pool_of_four(counters.clone());
    let scope = c.scope();
    let escaped = scope.resolve_async::<Conn>().await.unwrap();
    drop(scope);
    let status = c.pool_status::<Conn>().unwrap();
    assert_eq!(
        (status.available, status.idle, status.retired),
        (4, 0, 1),
        "{status}"
    );
    let next = c.scope();
    let other = next.resolve_async::<Conn>().await.unwrap();
    assert!(
        !Arc::ptr_eq(&escaped, &other),
        "never handed to two scopes at once"
    );
}

#[test]
fn pooled_services_may_hold_only_singletons() {
    #[derive(Debug)]
    struct Session;
    #[derive(Debug)]
    struct Pooled;
    let err = Container::builder()
        .scoped(|| Session)
        .pooled(2, |_s: Arc<Session>| Pooled)
        .build()
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("captive dependency [T0001]: pooled `async_pool::pooled_services_may_hold_only_singletons::Pooled` -> scoped"), "{msg}");

    // ... and, like scoped services, may not be held by singletons.
    let err = Container::builder()
        .pooled(2, || Pooled)
        .singleton(|_p: Arc<Pooled>| Session)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("-> pooled"), "{err}");

    // A reset hook on a service that is not pooled is a build problem.
    let err = Container::builder()
        .scoped(|| Session)
        .on_return(|_: &Session| {})
        .build()
        .unwrap_err();
    assert_eq!(err.problems()[0].code(), "T0006");
    assert!(err.to_string().contains("not pooled"), "{err}");
}

#[test]
fn a_sync_resolve_of_an_exhausted_pool_fails_at_once() {
    #[derive(Debug)]
    struct Worker;
    let c = Container::builder().pooled(1, || Worker).build().unwrap();
    let first = c.scope();
    let w = first.resolve::<Worker>().unwrap();
    let second = c.scope();
    let err = second.resolve::<Worker>().unwrap_err();
    assert!(
        matches!(err.kind(), ResolveErrorKind::PoolExhausted { max: 1 }),
        "{err}"
    );
    assert!(
        err.to_string().contains("all 1 instances of pooled"),
        "{err}"
    );
    drop((w, first));
    let again = second.resolve::<Worker>().unwrap();
    assert_eq!(
        c.pool_status::<Worker>().unwrap().created,
        1,
        "the same instance, reused"
    );
    drop(again);
}

#[test]
fn try_pooled_keeps_its_size_and_reports_factory_errors() {
    #[derive(Debug)]
    struct Lease;
    let fail = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let f = fail.clone();
    let c = Container::builder()
        .try_pooled(2, move || {
            if f.load(Ordering::SeqCst) {
                Err(anyhow::anyhow!("no lease"))
            } else {
                Ok(Lease)
            }
        })
        .build()
        .unwrap();
    assert_eq!(c.pool_status::<Lease>().unwrap().max, 2);
    let err = c.scope().resolve::<Lease>().unwrap_err();
    assert!(matches!(err.kind(), ResolveErrorKind::Factory(_)), "{err}");
    assert_eq!(
        c.pool_status::<Lease>().unwrap().available,
        2,
        "a failed rent gives its permit back"
    );
    fail.store(false, Ordering::SeqCst);
    let (a, b) = (c.scope(), c.scope());
    a.resolve::<Lease>().unwrap();
    b.resolve::<Lease>().unwrap();
    assert!(matches!(
        c.scope().resolve::<Lease>().unwrap_err().kind(),
        ResolveErrorKind::PoolExhausted { max: 2 }
    ));
}

/// A service that depends on a pooled one waits, through `resolve_async`,
/// for an instance to come back, as the pooled service itself does: the
/// pool's factory sync or async, the request along its route or (a
/// transient async factory in its graph) on the driver's frames. (It failed
/// at once with a sync factory: renting was not counted as something a
/// creation may await, so the dependency was fetched synchronously, and the
/// error told the caller to use the `resolve_async` it was using.)
#[tokio::test]
async fn a_dependent_of_an_exhausted_pool_waits_for_an_instance() {
    struct Worker;
    struct Clock;
    struct Job(#[allow(dead_code)] Arc<Worker>);
    for async_factory in [false, true] {
        for frames in [false, true] {
            let mut b = Container::builder();
            if async_factory {
                b.pooled_async(1, || async { Worker });
            } else {
                b.pooled(1, || Worker);
            }
            if frames {
                b.transient_async(|| async { Clock })
                    .transient(|w: Arc<Worker>, _: Arc<Clock>| Job(w));
            } else {
                b.transient(Job);
            }
            let c = b.build().unwrap();
            let first = c.scope();
            first.resolve_async::<Job>().await.unwrap();
            let second = c.scope();
            let waiter = async { second.resolve_async::<Job>().await.map(drop) };
            let release = async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                drop(first);
            };
            let (got, ()) = tokio::join!(waiter, release);
            got.unwrap_or_else(|e| panic!("async factory {async_factory}, frames {frames}: {e}"));
            assert_eq!(c.pool_status::<Worker>().unwrap().created, 1, "reused");
        }
    }
}

/// Two requests of one scope on one thread need the same pooled instance
/// through different dependents while the pool is exhausted (one along
/// its route, one on the driver's frames, each of them first in turn): the
/// first claims the scope's slot and waits for the pool; the second waits
/// for the first by awaiting, not by blocking the thread (which would hang
/// the runtime, and with it the release that ends the wait). Run on a
/// thread of its own, watched, so that a hang fails the test.
#[test]
fn requests_of_one_scope_waiting_for_a_pool_do_not_block_the_thread() {
    struct Worker;
    struct Clock;
    struct First(Arc<Worker>);
    struct Second(Arc<Worker>, #[allow(dead_code)] Arc<Clock>);
    common::on_a_watched_thread(
        Duration::from_secs(30),
        "the requests hung: a thread blocked waiting for a pooled instance",
        || {
            common::current_thread_runtime().block_on(async {
                let c = Container::builder()
                    .pooled(1, || Worker)
                    .transient_async(|| async { Clock })
                    .transient(First)
                    .transient(Second)
                    .build()
                    .unwrap();
                for route_first in [true, false] {
                    let holder = c.scope();
                    let held = holder.resolve_async::<Worker>().await.unwrap();
                    let scope = c.scope();
                    let release = async {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        drop(held);
                        drop(holder);
                    };
                    let (a, b) = if route_first {
                        let (a, b, ()) = tokio::join!(
                            scope.resolve_async::<First>(),
                            scope.resolve_async::<Second>(),
                            release
                        );
                        (a.unwrap().0.clone(), b.unwrap().0.clone())
                    } else {
                        let (b, a, ()) = tokio::join!(
                            scope.resolve_async::<Second>(),
                            scope.resolve_async::<First>(),
                            release
                        );
                        (a.unwrap().0.clone(), b.unwrap().0.clone())
                    };
                    assert!(Arc::ptr_eq(&a, &b), "one rent per scope");
                }
            })
        },
    );
}
