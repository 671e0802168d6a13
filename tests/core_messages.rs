//! What a user reads when something is wrong: the exact text of errors for
//! the mistakes new users make (issue 11), and the `Debug` that `unwrap()`
//! and `?` out of `main` print.
//!
//! Registrations sit on their own lines as `    b.method(..)`, so that the
//! site of each is `tests/core_messages.rs:<line>:7`.

use std::error::Error;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use tenure::{Container, ContainerBuilder, Problem, ResolveErrorKind};

const F: &str = file!();

/// `file:line:7`: the site of a registration written as `    b.method(..)`.
fn at(line: u32) -> String {
    format!("{F}:{line}:7")
}

fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(p) => (*p.downcast::<&str>().unwrap()).to_owned(),
    }
}

mod app {
    pub struct Pool;
    pub struct Session;
    pub struct UserRepo;
    pub struct Reports;
    pub trait Plugin: Send + Sync {}
    pub struct Audit;
    impl Plugin for Audit {}
}
use app::{Pool, Session, UserRepo};

// ---------------------------------------------------------------------------
// (4) `Debug` is the readable report; `{:#?}` is the structure.

#[test]
fn build_error_debug_is_the_report_that_unwrap_and_main_print() {
    let mut b = Container::builder();
    let l_session = line!() + 1;
    b.scoped(|| Session);
    let l_reports = line!() + 1;
    b.singleton(|_s: Arc<Session>| app::Reports);
    let err = b.build().unwrap_err();
    let report = format!(
        "1 problem in the container:\n\
         1. captive dependency [T0001]: singleton `core_messages::app::Reports` -> scoped \
         `core_messages::app::Session`.\n   \
         A singleton would keep one `Session` alive for every scope at once.\n   \
         Make `Reports` scoped or transient, or inject `Factory<Session>` (it holds nothing) and \
         create `Session` in a scope the caller passes (a `ScopeFactory` opens one per operation).\n   \
         singleton `core_messages::app::Reports`  registered at {}\n   \
         scoped `core_messages::app::Session`     registered at {}",
        at(l_reports),
        at(l_session)
    );
    assert_eq!(err.to_string(), report);
    assert_eq!(format!("{err:?}"), report);
    // What `fn main() -> Result<(), Box<dyn Error>>` prints after "Error: ".
    let boxed: Box<dyn Error> = Box::new(err.clone());
    assert_eq!(format!("{boxed:?}"), report);
    assert_eq!(
        panic_message(|| drop(b.build().unwrap())),
        format!("called `Result::unwrap()` on an `Err` value: {report}")
    );
    // The structure is still there, for `{:#?}` and the accessors.
    let pretty = format!("{err:#?}");
    assert!(
        pretty.starts_with(
            "BuildError {\n    problems: [\n        Captive {\n            path: [\n                Node {\n                    name: \"core_messages::app::Reports\","
        ),
        "{pretty}"
    );
    assert!(matches!(err.problems(), [Problem::Captive { .. }]));
}

#[derive(Debug)]
struct Refused;
impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection refused")
    }
}
impl Error for Refused {}

#[test]
fn resolve_error_debug_is_the_message_and_its_causes() {
    let mut b = Container::builder();
    let l = line!() + 1;
    b.try_singleton(|| -> anyhow::Result<Pool> {
        Err(anyhow::Error::new(Refused).context("opening the pool"))
    });
    let c = b.build().unwrap();
    let err = c.resolve::<Pool>().err().unwrap();
    let message = format!(
        "the factory of singleton `core_messages::app::Pool` failed \
         [core_messages::app::Pool registered at {}]",
        at(l)
    );
    assert_eq!(err.to_string(), message);
    assert_eq!(
        format!("{err:?}"),
        format!("{message}\n   caused by: opening the pool\n   caused by: connection refused")
    );
    assert_eq!(
        panic_message(|| drop(c.resolve::<Pool>().unwrap())),
        format!(
            "called `Result::unwrap()` on an `Err` value: {message}\n   caused by: opening the \
             pool\n   caused by: connection refused"
        )
    );
    let pretty = format!("{err:#?}");
    assert!(
        pretty.starts_with("ResolveError {\n    kind: Factory(\n"),
        "{pretty}"
    );
    assert!(
        pretty.contains(
            "    path: [\n        Node {\n            name: \"core_messages::app::Pool\","
        ),
        "{pretty}"
    );

    // Without a source, just the message.
    let err = c.resolve::<Session>().err().unwrap();
    assert_eq!(format!("{err:?}"), err.to_string());
}

#[test]
fn warm_up_error_debug_is_its_report() {
    let mut b = Container::builder();
    let l = line!() + 1;
    b.try_singleton(|| -> Result<Pool, Refused> { Err(Refused) });
    let err = b.build().unwrap().warm_up().unwrap_err();
    let report = format!(
        "1 singleton failed to start:\n1. the factory of singleton `core_messages::app::Pool` \
         failed [core_messages::app::Pool registered at {}]\n   caused by: connection refused",
        at(l)
    );
    assert_eq!(err.to_string(), report);
    assert_eq!(format!("{err:?}"), report);
    let pretty = format!("{err:#?}");
    assert!(
        pretty.starts_with(
            "WarmUpError {\n    errors: [\n        ResolveError {\n            kind: Factory("
        ),
        "{pretty}"
    );
}

#[tokio::test]
async fn dispose_error_debug_is_its_report() {
    let mut b = Container::builder();
    b.scoped(|| Session);
    let l = line!();
    b.dispose_with::<Session, _, _, _>(|_s| async { Err(Refused) });
    let c = b.build().unwrap();
    let scope = c.scope();
    scope.resolve::<Session>().unwrap();
    let err = scope.dispose().await.unwrap_err();
    let report = format!(
        "1 disposer did not complete:\n1. the disposer of scoped `core_messages::app::Session` \
         failed: connection refused [registered at {}]",
        at(l - 1)
    );
    assert_eq!(err.to_string(), report);
    assert_eq!(format!("{err:?}"), report);
    let pretty = format!("{err:#?}");
    assert!(
        pretty.starts_with("DisposeError {\n    failures: [\n        DisposeFailure {"),
        "{pretty}"
    );
}

// ---------------------------------------------------------------------------
// (5) A wrapper registered by mistake.

#[test]
fn a_factory_returning_an_arc_is_rejected_and_the_missing_service_points_at_it() {
    let mut b = Container::builder();
    let l_pool = line!() + 1;
    b.singleton(|| Arc::new(Pool));
    let l_repo = line!() + 1;
    b.transient(|_p: Arc<Pool>| UserRepo);
    let err = b.build().unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "2 problems in the container:\n\
             1. misconfigured [T0006]: singleton `alloc::sync::Arc<core_messages::app::Pool>`: \
             the factory returns `Arc<Pool>`, so this registers \
             `Arc<core_messages::app::Pool>`, not `core_messages::app::Pool` (which stays \
             unregistered). Return `Pool` itself from the factory (the container puts it in an \
             `Arc`); to register an `Arc` that already exists as `Pool`, use \
             `.instance_arc(arc)`.\n   \
             singleton `alloc::sync::Arc<core_messages::app::Pool>`  registered at {pool}\n\
             2. missing dependency [T0002]: transient `core_messages::app::UserRepo` needs \
             `Arc<core_messages::app::Pool>`, which is not registered.\n   \
             Did you mean singleton `alloc::sync::Arc<core_messages::app::Pool>` (registered at \
             {pool}), which registers the wrapper rather than `Pool` (see its T0006 problem)?\n   \
             Register it (e.g. `.singleton(|| ...)` or `.instance(value)`), or take it as \
             `Option<Arc<...>>` if it is optional.\n   \
             transient `core_messages::app::UserRepo`  registered at {repo}",
            pool = at(l_pool),
            repo = at(l_repo),
        )
    );
    assert_eq!(err.problems()[0].code(), "T0006");
}

#[test]
fn an_instance_of_an_arc_is_rejected_with_instance_arc_as_the_fix() {
    let mut b = Container::builder();
    let l = line!() + 1;
    b.instance(Arc::new(Pool));
    let err = b.build().unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "1 problem in the container:\n\
             1. misconfigured [T0006]: singleton `alloc::sync::Arc<core_messages::app::Pool>`: \
             `.instance(Arc::new(..))` registers `Arc<core_messages::app::Pool>`, not \
             `core_messages::app::Pool` (which stays unregistered). Pass the value itself to \
             `.instance(value)`; to register an `Arc` that already exists as `Pool`, use \
             `.instance_arc(arc)`.\n   \
             singleton `alloc::sync::Arc<core_messages::app::Pool>`  registered at {}",
            at(l)
        )
    );
    // The fix builds.
    let mut fixed = Container::builder();
    fixed.instance_arc(Arc::new(Pool));
    fixed.build().unwrap().resolve::<Pool>().unwrap();
}

#[test]
fn a_fallible_factory_registered_without_try_is_rejected_with_the_try_method() {
    let mut b = Container::builder();
    let l = line!() + 1;
    b.scoped(|| -> Result<Session, Refused> { Ok(Session) });
    let err = b.build().unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "1 problem in the container:\n\
             1. misconfigured [T0006]: scoped `core::result::Result<core_messages::app::Session, \
             core_messages::Refused>`: the factory returns \
             `Result<core_messages::app::Session, core_messages::Refused>` and was registered \
             without `try_`, so this registers the `Result`, not `core_messages::app::Session`, \
             and an `Err` would be served as a value. Register it with `try_scoped` (which \
             registers `core_messages::app::Session`, and turns an `Err` into a failed \
             resolution with the error as its source).\n   \
             scoped `core::result::Result<core_messages::app::Session, core_messages::Refused>`  \
             registered at {}",
            at(l)
        )
    );
    let Problem::Misconfigured { node, .. } = &err.problems()[0] else {
        panic!("{err}")
    };
    assert_eq!(node.site().line(), l);
}

// ---------------------------------------------------------------------------
// (6) `resolve` asked for the wrong shape.

#[test]
fn resolving_an_arc_or_a_vec_of_a_collection_points_to_the_call_that_works() {
    let c = Container::builder()
        .singleton(|| Pool)
        .singleton(|| app::Audit)
        .collect::<dyn app::Plugin, app::Audit>(|p| p)
        .build()
        .unwrap();
    let err = c.resolve::<Arc<Pool>>().err().unwrap();
    assert_eq!(
        err.to_string(),
        "`alloc::sync::Arc<core_messages::app::Pool>` is not registered in this container; did \
         you mean `resolve::<core_messages::app::Pool>()` (`resolve` returns an `Arc<Pool>` \
         already)?"
    );
    let err = c.resolve::<Vec<Arc<dyn app::Plugin>>>().err().unwrap();
    assert_eq!(
        err.to_string(),
        "`alloc::vec::Vec<alloc::sync::Arc<dyn core_messages::app::Plugin>>` is not registered \
         in this container; did you mean `resolve_all::<dyn core_messages::app::Plugin>()` (`dyn \
         core_messages::app::Plugin` is a collection, registered with `collect`; `resolve_all` \
         returns its `Vec<Arc<Plugin>>`)?"
    );
    let err = c.scope().resolve::<Option<Arc<Pool>>>().err().unwrap();
    assert!(
        err.to_string()
            .contains("did you mean `resolve::<core_messages::app::Pool>().ok()`"),
        "{err}"
    );
    // Only when the inner type is registered (resp. a collection).
    let err = c.resolve::<Arc<Session>>().err().unwrap();
    assert_eq!(
        err.to_string(),
        "`alloc::sync::Arc<core_messages::app::Session>` is not registered in this container"
    );
    let err = c.resolve::<Vec<Arc<Pool>>>().err().unwrap();
    let ResolveErrorKind::NotRegistered { did_you_mean, .. } = err.kind() else {
        panic!("{err}")
    };
    assert!(did_you_mean.is_empty(), "{err}");
}

// ---------------------------------------------------------------------------
// (7) Did you mean, by similarity.

mod repos {
    pub struct UserRepository;
    pub struct UserRepos;
    pub struct UsrRepository;
    pub struct Mailer;
}

#[test]
fn a_similar_name_is_suggested_for_missing_not_registered_and_subject() {
    let mut b = Container::builder();
    let l_repo = line!() + 1;
    b.singleton(|| UserRepo);
    b.singleton(|| repos::Mailer);
    let l_req = line!() + 1;
    b.transient(|_r: Arc<repos::UserRepository>| Session);
    let err = b.build().unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "1 problem in the container:\n\
             1. missing dependency [T0002]: transient `core_messages::app::Session` needs \
             `Arc<core_messages::repos::UserRepository>`, which is not registered.\n   \
             Did you mean singleton `core_messages::app::UserRepo` (registered at {})?\n   \
             Register it (e.g. `.singleton(|| ...)` or `.instance(value)`), or take it as \
             `Option<Arc<...>>` if it is optional.\n   \
             transient `core_messages::app::Session`  registered at {}",
            at(l_repo),
            at(l_req)
        )
    );

    let c = build_ok(|b| {
        b.singleton(|| UserRepo);
    });
    let err = c.resolve::<repos::UserRepository>().err().unwrap();
    let ResolveErrorKind::NotRegistered { did_you_mean, .. } = err.kind() else {
        panic!("{err}")
    };
    assert_eq!(did_you_mean.len(), 1, "{err}");
    assert!(
        did_you_mean[0].starts_with("singleton `core_messages::app::UserRepo` (registered at "),
        "{err}"
    );

    let err = b.build_for::<repos::UserRepository>().unwrap_err();
    let [Problem::SubjectNotRegistered { did_you_mean, .. }] = err.problems() else {
        panic!("{err}")
    };
    assert_eq!(
        *did_you_mean,
        [format!(
            "singleton `core_messages::app::UserRepo` (registered at {})",
            at(l_repo)
        )]
    );
}

#[test]
fn suggestions_come_best_first() {
    let mut b = Container::builder();
    let l_contains = line!() + 1;
    b.singleton(|| UserRepo);
    let l_typo = line!() + 1;
    b.singleton(|| repos::UsrRepository);
    let l_plural = line!() + 1;
    b.singleton(|| repos::UserRepos);
    let c = b.build().unwrap();
    let err = c.resolve::<repos::UserRepository>().err().unwrap();
    let ResolveErrorKind::NotRegistered { did_you_mean, .. } = err.kind() else {
        panic!("{err}")
    };
    // One letter missing, then five added, then six.
    let sites: Vec<_> = did_you_mean
        .iter()
        .map(|s| {
            s.rsplit("registered at ")
                .next()
                .unwrap()
                .trim_end_matches(')')
        })
        .collect();
    assert_eq!(sites, [at(l_typo), at(l_plural), at(l_contains)]);
}

fn build_ok(f: impl FnOnce(&mut ContainerBuilder)) -> Container {
    let mut b = Container::builder();
    f(&mut b);
    b.build().unwrap()
}

// ---------------------------------------------------------------------------
// (10) The captive advice, grammatical for every holder.

#[test]
fn captive_advice_for_a_pooled_holder() {
    let mut b = Container::builder();
    let l_session = line!() + 1;
    b.scoped(|| Session);
    let l_pool = line!() + 1;
    b.pooled(4, |_s: Arc<Session>| Pool);
    let err = b.build().unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "1 problem in the container:\n\
             1. captive dependency [T0001]: pooled `core_messages::app::Pool` -> scoped \
             `core_messages::app::Session`.\n   \
             A pooled service would keep one `Session` alive for every scope at once.\n   \
             Make `Pool` scoped or transient, or inject `Factory<Session>` (it holds nothing) \
             and create `Session` in a scope the caller passes (a `ScopeFactory` opens one per \
             operation).\n   \
             pooled `core_messages::app::Pool`     registered at {}\n   \
             scoped `core_messages::app::Session`  registered at {}",
            at(l_pool),
            at(l_session)
        )
    );
}
