//! Contention: singletons created exactly once, scopes isolated, across 16
//! threads started together by a barrier. Iteration counts are bounded; no
//! sleeps.

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Barrier};

use common::{Calls, Probe, Token};
use tenure::Container;

const THREADS: usize = 16;

struct Config(#[allow(dead_code)] Token);
struct Pool(#[allow(dead_code)] Arc<Config>);
struct Session(Token, #[allow(dead_code)] Arc<Pool>);
struct Repo(Arc<Session>);

/// Some work inside a factory, so that the threads overlap inside it.
fn busy() {
    for _ in 0..2_000 {
        std::hint::spin_loop();
    }
    std::thread::yield_now();
}

fn container(probe: &Probe, config_calls: &Calls, pool_calls: &Calls) -> Container {
    let (p1, p2) = (probe.clone(), probe.clone());
    let (k1, k2) = (config_calls.clone(), pool_calls.clone());
    Container::builder()
        .singleton(move || {
            k1.hit();
            busy();
            Config(p1.token("config"))
        })
        .singleton(move |cfg: Arc<Config>| {
            k2.hit();
            busy();
            Pool(cfg)
        })
        .scoped(move |pool: Arc<Pool>| {
            busy();
            Session(p2.token("session"), pool)
        })
        .transient(|s: Arc<Session>| Repo(s))
        .build()
        .unwrap()
}

#[test]
fn singleton_is_created_exactly_once_under_16_thread_contention() {
    for round in 0..25 {
        let probe = Probe::new();
        let (config_calls, pool_calls) = (Calls::new(), Calls::new());
        let c = container(&probe, &config_calls, &pool_calls);
        let barrier = Barrier::new(THREADS);
        let addrs: Vec<usize> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..THREADS)
                .map(|i| {
                    let (c, barrier) = (&c, &barrier);
                    s.spawn(move || {
                        barrier.wait();
                        // Half from the root, half from their own scope.
                        let pool = if i % 2 == 0 {
                            c.resolve::<Pool>().unwrap()
                        } else {
                            c.scope().resolve::<Pool>().unwrap()
                        };
                        Arc::as_ptr(&pool) as usize
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(config_calls.get(), 1, "round {round}");
        assert_eq!(pool_calls.get(), 1, "round {round}");
        assert!(addrs.iter().all(|&a| a == addrs[0]), "round {round}");
        assert_eq!(c.singletons_created(), 2);
        assert_eq!(probe.created(), 1);
    }
}

#[test]
fn scoped_is_created_exactly_once_per_scope_when_threads_share_the_scope() {
    for _ in 0..25 {
        let probe = Probe::new();
        let c = container(&probe, &Calls::new(), &Calls::new());
        let scope = c.scope();
        let barrier = Barrier::new(THREADS);
        let ids: Vec<usize> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..THREADS)
                .map(|_| {
                    let (scope, barrier) = (&scope, &barrier);
                    s.spawn(move || {
                        barrier.wait();
                        scope.resolve::<Repo>().unwrap().0.0.id
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(ids.iter().all(|&i| i == ids[0]));
        assert_eq!(scope.instances_created(), 1);
        assert_eq!(probe.created(), 2, "one config, one session");
    }
}

#[test]
fn no_scope_ever_sees_another_scopes_instance_across_16_threads() {
    const STEPS: usize = 100;
    let probe = Probe::new();
    let (config_calls, pool_calls) = (Calls::new(), Calls::new());
    let c = container(&probe, &config_calls, &pool_calls);
    let barrier = Barrier::new(THREADS);
    // Each step, every thread opens a scope, and all 16 scopes are alive at
    // once while each thread resolves its session several times.
    let per_thread: Vec<Vec<usize>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                let (c, barrier) = (&c, &barrier);
                s.spawn(move || {
                    let mut ids = Vec::with_capacity(STEPS);
                    for _ in 0..STEPS {
                        let scope = c.scope();
                        barrier.wait();
                        let first = scope.resolve::<Session>().unwrap();
                        for _ in 0..4 {
                            let repo = scope.resolve::<Repo>().unwrap();
                            assert!(
                                Arc::ptr_eq(&repo.0, &first),
                                "a scope saw a foreign session"
                            );
                            assert!(Arc::ptr_eq(&scope.resolve::<Session>().unwrap(), &first));
                        }
                        ids.push(first.0.id);
                        barrier.wait(); // every scope of this step is still alive here
                    }
                    ids
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let all: Vec<usize> = per_thread.iter().flatten().copied().collect();
    let distinct: HashSet<usize> = all.iter().copied().collect();
    assert_eq!(all.len(), THREADS * STEPS);
    assert_eq!(
        distinct.len(),
        all.len(),
        "every scope had a session of its own"
    );
    assert_eq!(config_calls.get(), 1);
    assert_eq!(pool_calls.get(), 1);
    assert_eq!(probe.alive(), 1, "only the singleton config is left");
}

#[test]
fn a_panic_in_one_thread_does_not_block_the_others() {
    let calls = Calls::new();
    let k = calls.clone();
    struct Flaky;
    let c = Container::builder()
        .singleton(move || {
            busy();
            if k.hit() == 0 {
                panic!("first creation fails");
            }
            Flaky
        })
        .build()
        .unwrap();
    let barrier = Barrier::new(THREADS);
    let results: Vec<bool> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                let (c, barrier) = (&c, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        c.resolve::<Flaky>().map(|f| Arc::as_ptr(&f) as usize)
                    }))
                    .is_ok()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        results.iter().filter(|ok| !**ok).count(),
        1,
        "exactly one thread saw the panic"
    );
    assert_eq!(calls.get(), 2, "one failed creation, one successful");
}

/// Link `I` of a chain: holds link `I + 1` and, inside its factory, asks
/// for link `I + 2` through a `Lazy` (no cycle, so never `Reentrant`).
struct Link<const I: usize>;

fn link<const I: usize, const NEXT: usize, const AFTER: usize>(
    b: &mut tenure::ContainerBuilder,
    lifetime: tenure::Lifetime,
) {
    b.register(
        lifetime,
        |_next: Arc<Link<NEXT>>, after: tenure::Lazy<Link<AFTER>>| {
            busy();
            after
                .get()
                .expect("no cycle here: waiting is fine, refusing is a false alarm");
            busy();
            Link::<I>
        },
    );
}

fn chain(lifetime: tenure::Lifetime) -> Container {
    let mut b = Container::builder();
    link::<0, 1, 2>(&mut b, lifetime);
    link::<1, 2, 3>(&mut b, lifetime);
    link::<2, 3, 4>(&mut b, lifetime);
    link::<3, 4, 5>(&mut b, lifetime);
    link::<4, 5, 6>(&mut b, lifetime);
    link::<5, 6, 7>(&mut b, lifetime);
    b.register(lifetime, |_next: Arc<Link<7>>| {
        busy();
        Link::<6>
    });
    b.register(lifetime, || {
        busy();
        Link::<7>
    });
    b.build().unwrap()
}

fn resolve_link<F: Fn(usize) -> Result<(), tenure::ResolveError>>(i: usize, f: F) {
    if let Err(e) = f(i) {
        panic!("link {i}: {e}");
    }
}

#[test]
fn threads_waiting_on_each_others_creations_without_a_cycle_are_never_refused() {
    for lifetime in [tenure::Lifetime::Singleton, tenure::Lifetime::Scoped] {
        for _ in 0..30 {
            let c = chain(lifetime);
            let scope = c.scope();
            let barrier = Barrier::new(THREADS);
            std::thread::scope(|s| {
                for t in 0..THREADS {
                    let (scope, barrier) = (&scope, &barrier);
                    s.spawn(move || {
                        barrier.wait();
                        resolve_link(t % 8, |i| match i {
                            0 => scope.resolve::<Link<0>>().map(drop),
                            1 => scope.resolve::<Link<1>>().map(drop),
                            2 => scope.resolve::<Link<2>>().map(drop),
                            3 => scope.resolve::<Link<3>>().map(drop),
                            4 => scope.resolve::<Link<4>>().map(drop),
                            5 => scope.resolve::<Link<5>>().map(drop),
                            6 => scope.resolve::<Link<6>>().map(drop),
                            _ => scope.resolve::<Link<7>>().map(drop),
                        });
                    });
                }
            });
        }
    }
}

struct Base(#[allow(dead_code)] Token);
struct Leaf<const I: usize>(#[allow(dead_code)] Token, #[allow(dead_code)] Arc<Base>);

fn leaf<const I: usize>(b: &mut tenure::ContainerBuilder, probe: &Probe) {
    let probe = probe.clone();
    b.scoped(move |base: Arc<Base>| {
        busy();
        Leaf::<I>(probe.token(&format!("leaf{I}")), base)
    });
}

/// A scoped `Base` and the first `n` (up to 8) scoped leaves on it.
fn leaves(probe: &Probe, n: usize) -> Container {
    let mut b = Container::builder();
    let p = probe.clone();
    b.scoped(move || {
        busy();
        Base(p.token("base"))
    });
    let all: [fn(&mut tenure::ContainerBuilder, &Probe); 8] = [
        leaf::<0>, leaf::<1>, leaf::<2>, leaf::<3>, leaf::<4>, leaf::<5>, leaf::<6>, leaf::<7>,
    ];
    for add in &all[..n] {
        add(&mut b, probe);
    }
    b.build().unwrap()
}

fn resolve_leaf(scope: &tenure::Scope, i: usize) {
    let r = match i {
        0 => scope.resolve::<Leaf<0>>().map(drop),
        1 => scope.resolve::<Leaf<1>>().map(drop),
        2 => scope.resolve::<Leaf<2>>().map(drop),
        3 => scope.resolve::<Leaf<3>>().map(drop),
        4 => scope.resolve::<Leaf<4>>().map(drop),
        5 => scope.resolve::<Leaf<5>>().map(drop),
        6 => scope.resolve::<Leaf<6>>().map(drop),
        _ => scope.resolve::<Leaf<7>>().map(drop),
    };
    if let Err(e) = r {
        panic!("leaf {i}: {e}");
    }
}

/// The creation order of a scope is recorded without a lock (each slot
/// links to the one filled before it): creations that finish at the same
/// time on many threads are all recorded, once each, and the scope drops
/// every dependent before what it depends on.
#[test]
fn concurrent_creations_in_one_scope_are_all_disposed_dependents_first() {
    for _ in 0..50 {
        let probe = Probe::new();
        let c = leaves(&probe, 8);
        let scope = c.scope();
        let barrier = Barrier::new(THREADS);
        std::thread::scope(|s| {
            for t in 0..THREADS {
                let (scope, barrier) = (&scope, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    resolve_leaf(scope, t % 8);
                });
            }
        });
        assert_eq!(scope.instances_created(), 9, "eight leaves and their base");
        assert_eq!(probe.created(), 9, "each created once");
        drop(scope);
        assert_eq!(probe.alive(), 0, "everything the scope owned is dropped");
        let drops = probe.drops();
        assert_eq!(drops.len(), 9);
        assert_eq!(drops.last().map(String::as_str), Some("base"), "{drops:?}");
    }
}

/// Threads blocked on creations in flight wait in a table shared by every
/// slot of every scope: with many scopes at once, slots share its entries,
/// and a wake-up meant for one slot must neither be lost nor let a waiter
/// of another slot through early. Each scope still creates each leaf once
/// and every thread sees the scope's one instance.
#[test]
fn waiters_of_many_scopes_at_once_each_get_their_scopes_instance() {
    const SCOPES: usize = 40;
    let probe = Probe::new();
    let c = leaves(&probe, 4);
    let scopes: Vec<_> = (0..SCOPES).map(|_| c.scope()).collect();
    let barrier = Barrier::new(8);
    std::thread::scope(|s| {
        for t in 0..8 {
            let (scopes, barrier) = (&scopes, &barrier);
            s.spawn(move || {
                barrier.wait();
                for (i, scope) in scopes.iter().enumerate() {
                    resolve_leaf(scope, (t + i) % 4);
                    let base = scope.resolve::<Base>().unwrap();
                    let again = scopes[i].resolve::<Base>().unwrap();
                    assert!(Arc::ptr_eq(&base, &again));
                }
            });
        }
    });
    for (i, scope) in scopes.iter().enumerate() {
        assert_eq!(
            scope.instances_created(),
            5,
            "scope {i}: four leaves, one base"
        );
    }
    assert_eq!(probe.created(), SCOPES * 5, "each created once per scope");
    drop(scopes);
    assert_eq!(probe.alive(), 0);
}
