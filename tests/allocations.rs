//! Allocation counts on the hot path, from a counting global allocator.
//!
//! These are the allocation targets of the benchmarks (issue 7, BENCHMARKS.md)
//! turned into deterministic tests: no clocks, only counts. Counting is per
//! thread, so tests running in parallel do not see each other's allocations.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::sync::Arc;

use tenure::Container;

struct Counting;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards every call to `System` unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The number of allocations (including reallocations) `f` makes on this thread.
fn allocations<R>(f: impl FnOnce() -> R) -> usize {
    let before = ALLOCS.with(Cell::get);
    let r = f();
    let after = ALLOCS.with(Cell::get);
    drop(black_box(r));
    after - before
}

// IocPerformance's "Complex" shape: a transient with 6 dependencies, 3
// singletons and 3 transients that each take one singleton.
struct S1;
struct S2;
struct S3;
struct T1(#[allow(dead_code)] Arc<S1>);
struct T2(#[allow(dead_code)] Arc<S2>);
struct T3(#[allow(dead_code)] Arc<S3>);
#[allow(dead_code)]
struct Complex(Arc<S1>, Arc<S2>, Arc<S3>, Arc<T1>, Arc<T2>, Arc<T3>);

struct Session;

fn complex_container() -> Container {
    Container::builder()
        .singleton(|| S1)
        .singleton(|| S2)
        .singleton(|| S3)
        .transient(|s: Arc<S1>| T1(s))
        .transient(|s: Arc<S2>| T2(s))
        .transient(|s: Arc<S3>| T3(s))
        .transient(
            |a: Arc<S1>, b: Arc<S2>, c: Arc<S3>, d: Arc<T1>, e: Arc<T2>, f: Arc<T3>| {
                Complex(a, b, c, d, e, f)
            },
        )
        .scoped(|| Session)
        .build()
        .expect("the complex graph is valid")
}

#[test]
fn resolving_an_existing_singleton_allocates_nothing() {
    let c = complex_container();
    c.warm_up().expect("singletons start");
    let scope = c.scope();
    assert_eq!(allocations(|| c.resolve::<S1>().unwrap()), 0);
    assert_eq!(
        allocations(|| (
            c.resolve::<S1>().unwrap(),
            c.resolve::<S2>().unwrap(),
            c.resolve::<S3>().unwrap()
        )),
        0
    );
    assert_eq!(allocations(|| scope.resolve::<S2>().unwrap()), 0);
}

#[test]
fn a_resolver_allocates_nothing_per_call_for_singletons_and_scoped_hits() {
    let c = complex_container();
    c.warm_up().expect("singletons start");
    let s1 = c.resolver::<S1>().unwrap();
    let session = c.resolver::<Session>().unwrap();
    let scope = c.scope();
    let first = session.get_in(&scope).unwrap();
    assert_eq!(allocations(|| s1.get().unwrap()), 0, "the first get");
    assert_eq!(allocations(|| s1.get().unwrap()), 0, "a kept singleton");
    assert_eq!(allocations(|| s1.get_in(&scope).unwrap()), 0);
    let mut again = None;
    assert_eq!(
        allocations(|| again = Some(session.get_in(&scope).unwrap())),
        0
    );
    assert!(Arc::ptr_eq(&first, &again.unwrap()));
}

#[test]
fn complex_transient_allocates_what_hand_written_code_does() {
    let c = complex_container();
    c.warm_up().expect("singletons start");
    let (s1, s2, s3) = (
        c.resolve::<S1>().unwrap(),
        c.resolve::<S2>().unwrap(),
        c.resolve::<S3>().unwrap(),
    );
    let hand_written = allocations(|| {
        Arc::new(Complex(
            s1.clone(),
            s2.clone(),
            s3.clone(),
            Arc::new(T1(s1.clone())),
            Arc::new(T2(s2.clone())),
            Arc::new(T3(s3.clone())),
        ))
    });
    assert_eq!(hand_written, 4, "one Arc per transient");
    // The first resolution may warm up thread-locals; count the steady state.
    drop(c.resolve::<Complex>().unwrap());
    assert_eq!(
        allocations(|| c.resolve::<Complex>().unwrap()),
        hand_written
    );
    let scope = c.scope();
    drop(scope.resolve::<Complex>().unwrap());
    assert_eq!(
        allocations(|| scope.resolve::<Complex>().unwrap()),
        hand_written
    );
}

#[test]
fn a_transient_without_deps_allocates_one_arc() {
    let c = Container::builder().transient(|| S1).build().unwrap();
    drop(c.resolve::<S1>().unwrap());
    assert_eq!(allocations(|| c.resolve::<S1>().unwrap()), 1);
}

#[test]
fn an_empty_scope_allocates_at_most_once() {
    let c = complex_container();
    let n = allocations(|| drop(c.scope()));
    assert!(n <= 1, "an empty scope made {n} allocations");
}

#[test]
fn a_scoped_hit_allocates_nothing() {
    let c = complex_container();
    let scope = c.scope();
    let first = scope.resolve::<Session>().unwrap();
    let mut again = None;
    assert_eq!(
        allocations(|| again = Some(scope.resolve::<Session>().unwrap())),
        0
    );
    assert!(Arc::ptr_eq(&first, &again.unwrap()));
}

// Scenario 6's shape, smaller: a request scope in which a transient
// controller takes two transient repositories, each taking a singleton and
// two scoped services.
struct Config;
struct Db;
struct Audit;
#[allow(dead_code)]
struct Repo1(Arc<Config>, Arc<Db>, Arc<Audit>);
#[allow(dead_code)]
struct Repo2(Arc<Config>, Arc<Db>, Arc<Audit>);
#[allow(dead_code)]
struct Controller(Arc<Repo1>, Arc<Repo2>);

fn request_container(builder: &mut tenure::ContainerBuilder) -> Container {
    builder
        .singleton(|| Config)
        .transient(|c: Arc<Config>, d: Arc<Db>, a: Arc<Audit>| Repo1(c, d, a))
        .transient(|c: Arc<Config>, d: Arc<Db>, a: Arc<Audit>| Repo2(c, d, a))
        .transient(|a: Arc<Repo1>, b: Arc<Repo2>| Controller(a, b))
        .build()
        .unwrap()
}

/// What hand-written code allocates for one request: one `Arc` per
/// instance (2 scoped, 2 repositories, the controller).
const HAND_WRITTEN_REQUEST: usize = 5;

#[test]
fn a_request_scope_allocates_hand_written_plus_the_scope() {
    let c = request_container(Container::builder().scoped(|| Db).scoped(|| Audit));
    c.warm_up().unwrap();
    let hand_written = allocations(|| {
        let cfg = Arc::new(Config);
        let (db, audit) = (Arc::new(Db), Arc::new(Audit));
        Arc::new(Controller(
            Arc::new(Repo1(cfg.clone(), db.clone(), audit.clone())),
            Arc::new(Repo2(cfg, db, audit)),
        ))
    }) - 1; // the singleton config exists already in the container's case
    assert_eq!(hand_written, HAND_WRITTEN_REQUEST);
    let mut kept = Vec::new();
    let mut request = || {
        allocations(|| {
            let scope = c.scope();
            let ctrl = scope.resolve::<Controller>().unwrap();
            assert!(Arc::ptr_eq(&ctrl.0.1, &ctrl.1.1), "one Db per scope");
            kept.push(ctrl);
        })
    };
    // The first request on a thread: the scope's `Arc`, its slot table
    // (the creation order needs none), and once per thread the list where
    // it keeps the table of the scope it drops.
    let first = request();
    assert!(first >= HAND_WRITTEN_REQUEST + 2, "{first} allocations");
    // The next ones reuse the table the thread kept from the ended scope.
    for _ in 0..3 {
        assert_eq!(request(), HAND_WRITTEN_REQUEST + 1);
    }
    assert!(!Arc::ptr_eq(&kept[0].0.1, &kept[1].0.1), "a Db per scope");
}

/// The allocations of the first and of a later async request for
/// `Controller` in a new scope on a current-thread runtime, each checked
/// with `check`.
fn async_requests(c: &Container, check: impl Fn(&Controller)) -> (usize, usize) {
    c.warm_up().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let request = || {
        rt.block_on(async {
            let scope = c.scope();
            let ctrl = scope.resolve_async::<Controller>().await.unwrap();
            check(&ctrl);
            drop(scope);
            ctrl
        })
    };
    let first = allocations(request);
    (first, allocations(request))
}

#[test]
fn an_async_request_allocates_its_factories_futures_and_nothing_per_node() {
    let c = request_container(
        Container::builder()
            .scoped_async(|| async { Db })
            .scoped_async(|| async { Audit }),
    );
    let (first, n) = async_requests(&c, |ctrl| {
        assert!(Arc::ptr_eq(&ctrl.0.2, &ctrl.1.2), "one Audit per scope");
    });
    // The first request on the thread allocates the scope's slot table too.
    assert!(first > n, "the second request reuses the slot table");
    // Hand-written + the scope + one boxed future per async factory
    // called (the two scoped services: a type-erased async factory
    // returns a boxed future). The controller's route (the two scoped
    // services, then the rest built synchronously) needs no frames.
    assert_eq!(n, HAND_WRITTEN_REQUEST + 1 + 2, "{n} allocations");
}

#[test]
fn without_a_route_an_async_request_allocates_one_stack_not_one_future_per_node() {
    // A transient async factory (one `Audit` per repository) cannot be
    // made ahead of its dependent: the driver's frames build this graph.
    let c = request_container(
        Container::builder()
            .scoped_async(|| async { Db })
            .transient_async(|| async { Audit }),
    );
    let (_, n) = async_requests(&c, |ctrl| {
        assert!(Arc::ptr_eq(&ctrl.0.1, &ctrl.1.1), "one Db per scope");
        assert!(
            !Arc::ptr_eq(&ctrl.0.2, &ctrl.1.2),
            "an Audit per repository"
        );
    });
    // Hand-written (one more `Audit`) + the scope + the driver's stack and
    // its arena of dependencies resolved ahead (whatever the number of
    // nodes) + one boxed future per async factory called (`Db`, and
    // `Audit` twice).
    assert_eq!(n, HAND_WRITTEN_REQUEST + 1 + 1 + 2 + 3, "{n} allocations");
}
