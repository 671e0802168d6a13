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
