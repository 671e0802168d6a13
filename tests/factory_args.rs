//! Factories with runtime arguments: `transient_with` registrations and the
//! `FactoryWith<A, T>` handle that creates them in the caller's scope.
//!
//! Registration lines are taken with `line!()` just before each
//! registration, so the assertions follow the file when it is edited.

mod common;

use std::sync::Arc;

use common::{Probe, Token, error_chain, site};
use tenure::testing::TestKernel;
use tenure::{
    Container, ContainerBuilder, DependencyKind, FactoryWith, Injectable, Lifetime, Problem,
    ResolveErrorKind, Role,
};

const F: &str = file!();

/// The error of a result expected to fail (`T` need not be `Debug`).
fn fails<T, E>(r: Result<T, E>) -> E {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct UserId(u64);

struct Config {
    queue: &'static str,
}
/// One per scope (a request's database session).
struct Session(#[allow(dead_code)] Token);
struct Job {
    user: UserId,
    queue: &'static str,
    session: Arc<Session>,
}
/// A singleton that creates jobs: it holds the handle, which holds nothing.
struct Scheduler {
    jobs: FactoryWith<UserId, Job>,
}

fn wiring(probe: &Probe) -> ContainerBuilder {
    let probe = probe.clone();
    let mut b = Container::builder();
    b.instance(Config { queue: "default" })
        .scoped(move || Session(probe.token("session")))
        .transient_with(
            |user: UserId, cfg: Arc<Config>, session: Arc<Session>| Job {
                user,
                queue: cfg.queue,
                session,
            },
        )
        .singleton(|jobs: FactoryWith<UserId, Job>| Scheduler { jobs });
    b
}

#[test]
fn a_singleton_creates_jobs_with_arguments_in_the_callers_scopes() {
    let probe = Probe::new();
    let c = wiring(&probe)
        .build()
        .expect("valid: the handle holds nothing");
    let scheduler = c.resolve::<Scheduler>().unwrap();

    let (s1, s2) = (c.scope(), c.scope());
    let a = scheduler.jobs.create(&s1, UserId(1)).unwrap();
    let b = scheduler.jobs.create(&s1, UserId(2)).unwrap();
    let other = scheduler.jobs.create(&s2, UserId(3)).unwrap();
    assert_eq!(
        (a.user, b.user, other.user),
        (UserId(1), UserId(2), UserId(3))
    );
    assert_eq!(a.queue, "default");
    // New instances each time, owned by the caller.
    assert!(!Arc::ptr_eq(&a, &b));
    // Scoped dependencies are the passed scope's.
    assert!(Arc::ptr_eq(&a.session, &s1.resolve::<Session>().unwrap()));
    assert!(Arc::ptr_eq(&a.session, &b.session));
    assert!(Arc::ptr_eq(
        &other.session,
        &s2.resolve::<Session>().unwrap()
    ));
    assert!(!Arc::ptr_eq(&a.session, &other.session));
    assert_eq!(probe.created(), 2, "one session per scope");

    // The jobs keep their session alive; the scope drops its own reference.
    drop((s1, s2));
    assert_eq!(probe.dropped(), 0);
    drop((a, b, other));
    assert_eq!(probe.dropped(), 2);
}

#[test]
fn without_a_scope_a_scoped_dependency_is_the_usual_scoped_from_root_error() {
    let c = wiring(&Probe::new()).build().unwrap();
    let scheduler = c.resolve::<Scheduler>().unwrap();
    let err = fails(scheduler.jobs.create_unscoped(UserId(1)));
    assert!(
        matches!(err.kind(), ResolveErrorKind::ScopedFromRoot),
        "{err}"
    );
    assert!(err.to_string().contains("Session"), "{err}");

    // With only singleton dependencies, no scope is needed.
    struct Plain(u64, Arc<Config>);
    let c = Container::builder()
        .instance(Config { queue: "q" })
        .transient_with(|n: u64, cfg: Arc<Config>| Plain(n, cfg))
        .singleton(|make: FactoryWith<u64, Plain>| Holder(make))
        .build()
        .unwrap();
    let holder = c.resolve::<Holder<u64, Plain>>().unwrap();
    let plain = holder.0.create_unscoped(4).unwrap();
    assert_eq!((plain.0, plain.1.queue), (4, "q"));
    // The handle is not a service of its own: it is only injected.
    let err = fails(c.resolve::<FactoryWith<u64, Plain>>());
    assert!(
        matches!(err.kind(), ResolveErrorKind::NotRegistered { .. }),
        "{err}"
    );
}

/// Holds a handle (a singleton made of it).
struct Holder<A: 'static, T: 'static>(FactoryWith<A, T>);

#[test]
fn resolving_the_type_without_its_argument_says_to_use_the_handle() {
    let c = wiring(&Probe::new()).build().unwrap();
    let err = fails(c.scope().resolve::<Job>());
    assert!(matches!(err.kind(), ResolveErrorKind::NotRegistered { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains(
            "`Job` is created with a runtime argument; take a `FactoryWith<UserId, Job>` and call \
             `create(&scope, args)`"
        ),
        "{msg}"
    );

    // A factory that takes `Arc<Job>` is a missing dependency with the same hint.
    let mut b = wiring(&Probe::new());
    let l_user = line!() + 1;
    b.transient(|_job: Arc<Job>| 0u8);
    let err = fails(b.build());
    let [
        Problem::Missing {
            requester,
            did_you_mean,
            ..
        },
    ] = err.problems()
    else {
        panic!("{err}");
    };
    assert_eq!(requester.site().line(), l_user);
    assert!(
        did_you_mean
            .iter()
            .any(|h| h.contains("take a `FactoryWith<UserId, Job>`")),
        "{did_you_mean:?}"
    );
}

struct Repo;
struct Report(#[allow(dead_code)] Arc<Repo>);

#[test]
fn a_missing_dependency_of_the_argument_factory_names_it_and_its_site() {
    let mut b = Container::builder();
    let l_with = line!() + 1;
    b.transient_with(|_n: u32, repo: Arc<Repo>| Report(repo));
    let l_user = line!() + 1;
    b.singleton(|make: FactoryWith<u32, Report>| Holder(make));
    let err = fails(b.build());
    let [
        Problem::Missing {
            requester,
            dependency,
            kind,
            ..
        },
    ] = err.problems()
    else {
        panic!("{err}");
    };
    assert_eq!(*kind, DependencyKind::Required);
    assert!(dependency.ends_with("factory_args::Repo"));
    assert_eq!(requester.role(), Role::Service(Lifetime::Transient));
    assert_eq!(
        (requester.site().file(), requester.site().line()),
        (F, l_with)
    );
    assert!(
        requester
            .type_name()
            .ends_with("FactoryWith<u32, factory_args::Report>"),
        "{}",
        requester.type_name()
    );
    let msg = err.to_string();
    assert!(
        msg.contains(
            "transient `tenure::with_args::FactoryWith<u32, factory_args::Report>` needs \
             `Arc<factory_args::Repo>`, which is not registered"
        ),
        "{msg}"
    );
    assert!(msg.contains(&site(F, l_with)), "{msg}");
    assert!(!msg.contains(&site(F, l_user)), "the holder is fine: {msg}");
}

#[test]
fn a_handle_without_a_registration_is_missing_and_says_how_to_register_it() {
    let mut b = Container::builder();
    b.singleton(|| Repo);
    // `Report` is registered, but not with an argument.
    b.transient(|repo: Arc<Repo>| Report(repo));
    let l_user = line!() + 1;
    b.singleton(|make: FactoryWith<u32, Report>| Holder(make));
    let err = fails(b.build());
    let [
        Problem::Missing {
            requester,
            dependency,
            kind,
            did_you_mean,
        },
    ] = err.problems()
    else {
        panic!("{err}");
    };
    assert_eq!(requester.site().line(), l_user);
    assert_eq!(*kind, DependencyKind::Factory);
    assert!(dependency.ends_with("FactoryWith<u32, factory_args::Report>"));
    assert!(
        did_you_mean.iter().any(|h| h.contains(
            "`FactoryWith<u32, Report>` needs `Report` registered with `transient_with`, a \
             factory whose first argument is `u32`"
        )),
        "{did_you_mean:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("needs `tenure::with_args::FactoryWith<u32, factory_args::Report>`, which is not registered"),
        "{msg}"
    );
}

#[test]
fn a_scoped_holder_and_a_singleton_holder_are_both_valid_and_cycles_through_the_handle_are_not_cycles()
 {
    // A job that can spawn follow-up jobs through its own handle.
    struct Step {
        n: u32,
        next: FactoryWith<u32, Step>,
    }
    struct Runner(FactoryWith<u32, Step>);
    let c = Container::builder()
        .transient_with(|n: u32, next: FactoryWith<u32, Step>| Step { n, next })
        .scoped(|steps: FactoryWith<u32, Step>| Runner(steps))
        .build()
        .unwrap();
    let scope = c.scope();
    let runner = scope.resolve::<Runner>().unwrap();
    let one = runner.0.create(&scope, 1).unwrap();
    let two = one.next.create(&scope, one.n + 1).unwrap();
    assert_eq!(two.n, 2);
}

#[test]
fn a_fallible_argument_factory_reports_its_error_naming_the_registration() {
    #[derive(Debug)]
    struct Parsed(#[allow(dead_code)] u16);
    struct Parser(FactoryWith<&'static str, Parsed>);
    let c = Container::builder()
        .try_transient_with(|s: &'static str| s.parse::<u16>().map(Parsed))
        .singleton(|p: FactoryWith<&'static str, Parsed>| Parser(p))
        .build()
        .unwrap();
    let parser = c.resolve::<Parser>().unwrap();
    assert_eq!(parser.0.create_unscoped("42").unwrap().0, 42);
    let err = fails(parser.0.create_unscoped("x"));
    assert!(matches!(err.kind(), ResolveErrorKind::Factory(_)), "{err}");
    assert!(
        err.path()[0]
            .type_name()
            .ends_with("FactoryWith<&str, factory_args::a_fallible_argument_factory_reports_its_error_naming_the_registration::Parsed>"),
        "{:?}",
        err.path()
    );
    let chain = error_chain(&err);
    assert!(
        chain.iter().any(|m| m.contains("invalid digit")),
        "{chain:?}"
    );
}

#[test]
fn a_scope_of_another_container_is_refused_naming_the_handle() {
    let c = wiring(&Probe::new()).build().unwrap();
    let other = wiring(&Probe::new()).build().unwrap();
    let scheduler = c.resolve::<Scheduler>().unwrap();
    let err = fails(scheduler.jobs.create(&other.scope(), UserId(1)));
    assert!(
        matches!(err.kind(), ResolveErrorKind::WrongContainer),
        "{err}"
    );
    assert!(
        err.path()[0]
            .type_name()
            .ends_with("FactoryWith<factory_args::UserId, factory_args::Job>")
    );
    assert!(
        err.to_string().starts_with(
            "`tenure::with_args::FactoryWith<factory_args::UserId, factory_args::Job>` was given a \
             scope of another container"
        ),
        "{err}"
    );
}

#[test]
fn a_job_creating_itself_without_end_is_capped_and_names_the_registration() {
    struct Forever;
    let c = Container::builder()
        .try_transient_with(
            |n: u32, me: FactoryWith<u32, Forever>| -> Result<Forever, tenure::ResolveError> {
                me.create_unscoped(n + 1)?;
                Ok(Forever)
            },
        )
        .transient(|me: FactoryWith<u32, Forever>| Starter(me))
        .build()
        .unwrap();
    struct Starter(FactoryWith<u32, Forever>);
    let starter = c.resolve::<Starter>().unwrap();
    let err = starter.0.create_unscoped(0).err().expect("re-entrant");
    let chain = error_chain(&err);
    assert!(
        chain.iter().any(|m| m.starts_with("re-entrant resolution")),
        "{chain:?}"
    );
    assert!(
        chain
            .iter()
            .all(|m| !m.contains("Forever") || m.contains("FactoryWith<u32")),
        "{chain:?}"
    );
    assert!(err.path()[0].type_name().contains("FactoryWith<u32"));
}

#[derive(Injectable)]
#[injectable(singleton)]
struct Dispatcher {
    jobs: FactoryWith<UserId, Job>,
}

#[test]
fn a_derived_struct_takes_the_handle() {
    let mut b = wiring(&Probe::new());
    b.add::<Dispatcher>();
    let c = b.build().expect("a singleton may hold the handle");
    let d = c.resolve::<Dispatcher>().unwrap();
    let scope = c.scope();
    let job = d.jobs.create(&scope, UserId(9)).unwrap();
    assert_eq!(job.user, UserId(9));
    assert!(Arc::ptr_eq(
        &job.session,
        &scope.resolve::<Session>().unwrap()
    ));
}

#[test]
fn a_test_kernel_replaces_the_argument_registration() {
    let mut kernel = TestKernel::new(wiring(&Probe::new()));
    kernel.replace(|b| {
        b.transient_with(|user: UserId, session: Arc<Session>| Job {
            user,
            queue: "fake",
            session,
        });
    });
    let c = kernel.build().unwrap();
    let scheduler = c.resolve::<Scheduler>().unwrap();
    assert_eq!(
        scheduler.jobs.create(&c.scope(), UserId(5)).unwrap().queue,
        "fake"
    );
    kernel.assert_all_overrides_used();
}

#[tokio::test(flavor = "current_thread")]
async fn an_async_argument_factory_with_an_async_dependency() {
    struct Pool(&'static str);
    struct Fetch {
        url: String,
        pool: Arc<Pool>,
        session: Arc<Session>,
    }
    struct Crawler(FactoryWith<String, Fetch>);
    let probe = Probe::new();
    let p = probe.clone();
    let c = Container::builder()
        .singleton_async(|| async { Pool("async pool") })
        .scoped(move || Session(p.token("session")))
        .transient_with_async(
            |url: String, pool: Arc<Pool>, session: Arc<Session>| async move {
                Fetch { url, pool, session }
            },
        )
        .singleton(|f: FactoryWith<String, Fetch>| Crawler(f))
        .build()
        .unwrap();
    let crawler = c.resolve::<Crawler>().unwrap();
    let scope = c.scope();
    // A sync `create` cannot await: it says so, naming the registration.
    let err = fails(crawler.0.create(&scope, "x".into()));
    assert!(
        matches!(err.kind(), ResolveErrorKind::AsyncRequired),
        "{err}"
    );
    let fetch = crawler
        .0
        .create_async(&scope, "https://a".into())
        .await
        .unwrap();
    assert_eq!(
        (fetch.url.as_str(), fetch.pool.0),
        ("https://a", "async pool")
    );
    assert!(Arc::ptr_eq(
        &fetch.session,
        &scope.resolve::<Session>().unwrap()
    ));
    let again = crawler
        .0
        .create_async(&scope, "https://b".into())
        .await
        .unwrap();
    assert!(Arc::ptr_eq(&fetch.pool, &again.pool));
    assert_eq!(probe.created(), 1);
    scope.dispose().await.unwrap();
}

#[test]
fn a_subject_build_keeps_the_argument_registration_it_reaches() {
    let mut b = wiring(&Probe::new());
    // Unrelated and broken: not reached from the subject.
    b.transient(|_missing: Arc<Repo>| 0u16);
    assert!(b.build().is_err());
    let c = b
        .build_for::<Scheduler>()
        .expect("only what Scheduler reaches");
    let scheduler = c.resolve::<Scheduler>().unwrap();
    let scope = c.scope();
    assert_eq!(
        scheduler.jobs.create(&scope, UserId(3)).unwrap().user,
        UserId(3)
    );
}
