//! `build()`: every kind of problem, its message, and all problems at once.
//!
//! Registration lines are taken with `line!()` just before each registration,
//! so the assertions follow the file when it is edited.

mod common;

use std::sync::Arc;

use common::{Calls, site};
use tenure::{
    BuildError, Container, ContainerBuilder, DependencyKind, Factory, Lazy, Lifetime, Node,
    Problem, Role, ScopeFactory,
};

struct Session;
struct Engine;
struct Repo(#[allow(dead_code)] Arc<Session>);
struct Inner(#[allow(dead_code)] Arc<Session>);
struct Outer(#[allow(dead_code)] Arc<Inner>);
struct Helper;

trait Clock: Send + Sync {}
struct SystemClock;
impl Clock for SystemClock {}

trait Plugin: Send + Sync {}
struct Audit;
struct Trace;
impl Plugin for Audit {}
impl Plugin for Trace {}

const F: &str = file!();

fn problems(b: &ContainerBuilder) -> Vec<Problem> {
    b.build().unwrap_err().into_problems()
}

fn names(path: &[Node]) -> Vec<&'static str> {
    path.iter()
        .map(|n| n.type_name().trim_start_matches("core_validation::"))
        .collect()
}

fn captive_paths(b: &ContainerBuilder) -> Vec<Vec<&'static str>> {
    problems(b)
        .iter()
        .map(|p| match p {
            Problem::Captive { path } => names(path),
            other => panic!("expected only captive problems, got {other}"),
        })
        .collect()
}

#[test]
fn captive_direct_names_both_ends_lifetimes_sites_and_a_fix() {
    let mut b = Container::builder();
    let l_session = line!() + 1;
    b.scoped(|| Session);
    let l_helper = line!() + 1;
    b.singleton(|_s: Arc<Session>| Helper);
    let err = b.build().unwrap_err();
    assert_eq!(err.problems().len(), 1);
    let p = &err.problems()[0];
    assert_eq!(p.code(), "T0001");
    let path = p.path();
    assert_eq!(names(path), ["Helper", "Session"]);
    assert_eq!(path[0].role(), Role::Service(Lifetime::Singleton));
    assert_eq!(path[1].lifetime(), Some(Lifetime::Scoped));
    assert_eq!(
        (path[0].site().file(), path[0].site().line()),
        (F, l_helper)
    );
    assert_eq!(path[1].site().line(), l_session);

    let msg = err.to_string();
    let expected_head = "1 problem in the container:\n1. captive dependency [T0001]: \
        singleton `core_validation::Helper` -> scoped `core_validation::Session`.\n   \
        A singleton would keep one `Session` alive for every scope at once.\n   \
        Make `Helper` scoped or transient, or inject `Factory<Session>` (it holds nothing) and \
        create `Session` in a scope the caller passes (a `ScopeFactory` opens one per \
        operation).";
    assert!(msg.starts_with(expected_head), "{msg}");
    assert!(msg.contains(&site(F, l_helper)), "{msg}");
    assert!(msg.contains(&site(F, l_session)), "{msg}");
}

#[test]
fn captive_through_one_transient() {
    let mut b = Container::builder();
    b.scoped(|| Session)
        .transient(|s: Arc<Session>| Repo(s))
        .singleton(|_r: Arc<Repo>| Helper);
    let err = b.build().unwrap_err();
    assert_eq!(captive_paths(&b), [["Helper", "Repo", "Session"]]);
    let msg = err.to_string();
    assert!(
        msg.contains(
            "singleton `core_validation::Helper` -> transient `core_validation::Repo` -> \
             scoped `core_validation::Session`."
        ),
        "{msg}"
    );
    // One site line per node of the path.
    assert_eq!(msg.matches("registered at").count(), 3, "{msg}");
}

#[test]
fn captive_through_two_transients() {
    let mut b = Container::builder();
    b.scoped(|| Session)
        .transient(|s: Arc<Session>| Inner(s))
        .transient(|i: Arc<Inner>| Outer(i))
        .singleton(|_o: Arc<Outer>| Helper);
    assert_eq!(captive_paths(&b), [["Helper", "Outer", "Inner", "Session"]]);
}

#[test]
fn captive_through_a_trait_binding() {
    let mut b = Container::builder();
    b.scoped(|| SystemClock)
        .bind::<dyn Clock, SystemClock>(|c| c)
        .singleton(|_c: Arc<dyn Clock>| Helper);
    let err = b.build().unwrap_err();
    let path = err.problems()[0].path();
    assert_eq!(
        names(path),
        ["Helper", "dyn core_validation::Clock", "SystemClock"]
    );
    assert_eq!(path[1].role(), Role::Binding);
    assert!(
        err.to_string()
            .contains("-> binding `dyn core_validation::Clock` -> scoped")
    );
}

#[test]
fn captive_through_a_collection_names_only_the_short_lived_element() {
    let mut b = Container::builder();
    b.singleton(|| Audit)
        .scoped(|| Trace)
        .collect::<dyn Plugin, Audit>(|p| p)
        .collect::<dyn Plugin, Trace>(|p| p)
        .singleton(|_p: Vec<Arc<dyn Plugin>>| Helper);
    let ps = problems(&b);
    assert_eq!(ps.len(), 1);
    assert_eq!(
        names(ps[0].path()),
        ["Helper", "dyn core_validation::Plugin", "Trace"]
    );
    assert_eq!(ps[0].path()[1].role(), Role::Element);
    // A scoped holder of the same collection is fine.
    let mut ok = Container::builder();
    ok.singleton(|| Audit)
        .scoped(|| Trace)
        .collect::<dyn Plugin, Audit>(|p| p)
        .collect::<dyn Plugin, Trace>(|p| p)
        .scoped(|_p: Vec<Arc<dyn Plugin>>| Helper);
    assert!(ok.build().is_ok());
}

#[test]
fn captive_through_lazy_and_optional() {
    let mut b = Container::builder();
    b.scoped(|| Session).singleton(|_s: Lazy<Session>| Helper);
    assert_eq!(captive_paths(&b), [["Helper", "Session"]]);

    let mut b = Container::builder();
    b.scoped(|| Session)
        .singleton(|_s: Option<Arc<Session>>| Helper);
    assert_eq!(captive_paths(&b), [["Helper", "Session"]]);
}

#[test]
fn factory_and_scope_factory_handles_do_not_capture() {
    let c = Container::builder()
        .scoped(|| Session)
        .transient(|s: Arc<Session>| Repo(s))
        .singleton(|_s: Factory<Session>, _r: Factory<Repo>, _f: ScopeFactory| Helper)
        .build();
    assert!(c.is_ok(), "{}", c.unwrap_err());
}

#[test]
fn longer_lived_dependencies_are_fine() {
    let calls = Calls::new();
    let k = calls.clone();
    let c = Container::builder()
        .singleton(move || {
            k.hit();
            Engine
        })
        .transient(|_e: Arc<Engine>| SystemClock)
        .singleton(|_c: Arc<SystemClock>| Helper) // singleton -> transient -> singleton
        .scoped(|_h: Arc<Helper>, _e: Arc<Engine>| Session) // scoped -> singleton
        .transient(|s: Arc<Session>| Repo(s))
        .scoped(|s: Arc<Session>| Inner(s)) // scoped -> scoped
        .build();
    assert!(c.is_ok(), "{}", c.unwrap_err());
    assert_eq!(calls.get(), 0, "build runs no factory");
}

#[test]
fn every_captive_pair_is_reported() {
    // Two singletons through one transient, and one singleton reaching two
    // scoped services: three (holder, captive) pairs.
    let mut b = Container::builder();
    b.scoped(|| Session)
        .scoped(|| Engine)
        .transient(|s: Arc<Session>| Repo(s))
        .singleton(|_r: Arc<Repo>| Helper)
        .singleton(|_r: Arc<Repo>, _e: Arc<Engine>| Audit);
    assert_eq!(
        captive_paths(&b),
        [
            vec!["Helper", "Repo", "Session"],
            // per holder, shortest paths first (breadth-first discovery)
            vec!["Audit", "Engine"],
            vec!["Audit", "Repo", "Session"],
        ]
    );
}

#[test]
fn captive_path_is_a_shortest_one() {
    // Helper -> Outer -> Inner -> Session and Helper -> Inner -> Session:
    // the second is reported.
    let mut b = Container::builder();
    b.scoped(|| Session)
        .transient(|s: Arc<Session>| Inner(s))
        .transient(|i: Arc<Inner>| Outer(i))
        .singleton(|_o: Arc<Outer>, _i: Arc<Inner>| Helper);
    assert_eq!(captive_paths(&b), [["Helper", "Inner", "Session"]]);
}

mod elsewhere {
    pub struct Clock;
    pub struct Session;
}

#[test]
fn missing_dependency_names_requester_and_dependency_with_did_you_mean() {
    let mut b = Container::builder();
    let l_candidate = line!() + 1;
    b.singleton(|| elsewhere::Session);
    let l_req = line!() + 1;
    b.transient(|_s: Arc<Session>| Repo(Arc::new(Session)));
    let err = b.build().unwrap_err();
    let [
        Problem::Missing {
            requester,
            dependency,
            kind,
            did_you_mean,
        },
    ] = err.problems()
    else {
        panic!("{err}")
    };
    assert_eq!(requester.type_name(), "core_validation::Repo");
    assert_eq!(requester.site().line(), l_req);
    assert_eq!(*dependency, "core_validation::Session");
    assert_eq!(*kind, DependencyKind::Required);
    assert_eq!(did_you_mean.len(), 1);
    assert!(did_you_mean[0].contains("`core_validation::elsewhere::Session`"));
    assert!(did_you_mean[0].contains(&format!("{F}:{l_candidate}:")));
    let msg = err.to_string();
    assert!(
        msg.contains(
            "1. missing dependency [T0002]: transient `core_validation::Repo` needs \
             `Arc<core_validation::Session>`, which is not registered.\n   Did you mean \
             singleton `core_validation::elsewhere::Session`"
        ),
        "{msg}"
    );
    assert!(msg.contains(&site(F, l_req)), "{msg}");
}

#[test]
fn missing_trait_and_missing_handle_targets() {
    let mut b = Container::builder();
    b.singleton(|| elsewhere::Clock)
        .transient(|_c: Arc<dyn Clock>| Helper)
        .transient(|_c: Lazy<Engine>, _f: Factory<Audit>| Trace);
    let ps = problems(&b);
    let summary: Vec<_> = ps
        .iter()
        .map(|p| match p {
            Problem::Missing {
                dependency,
                kind,
                did_you_mean,
                ..
            } => (*dependency, *kind, did_you_mean.len()),
            other => panic!("{other}"),
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("dyn core_validation::Clock", DependencyKind::Required, 1),
            ("core_validation::Engine", DependencyKind::Lazy, 0),
            ("core_validation::Audit", DependencyKind::Factory, 0),
        ]
    );
    let text = ps[0].to_string();
    assert!(
        text.contains("needs `Arc<dyn core_validation::Clock>`"),
        "{text}"
    );
    assert!(
        text.contains(".bind::<dyn core_validation::Clock, Impl>(|s| s)"),
        "{text}"
    );
    assert!(
        ps[1]
            .to_string()
            .contains("needs `Lazy<core_validation::Engine>`")
    );
}

#[test]
fn missing_service_that_is_a_collection_suggests_the_vec() {
    let mut b = Container::builder();
    b.singleton(|| Audit)
        .collect::<dyn Plugin, Audit>(|p| p)
        .singleton(|_p: Arc<dyn Plugin>| Helper);
    let ps = problems(&b);
    assert_eq!(ps.len(), 1);
    assert!(
        ps[0]
            .to_string()
            .contains("`Vec<Arc<dyn core_validation::Plugin>>`"),
        "{}",
        ps[0]
    );
}

#[test]
fn binding_to_an_unregistered_implementation_is_missing_and_nothing_else() {
    let mut b = Container::builder();
    b.bind::<dyn Clock, SystemClock>(|c| c);
    let ps = problems(&b);
    assert!(
        matches!(&ps[..], [Problem::Missing { dependency, .. }] if *dependency == "core_validation::SystemClock"),
        "{ps:?}"
    );

    // No knock-on problem through the broken binding (it leads nowhere).
    let mut b = Container::builder();
    b.scoped(|| Session)
        .bind::<dyn Clock, SystemClock>(|c| c)
        .singleton(|_c: Arc<dyn Clock>| Helper);
    let ps = problems(&b);
    assert_eq!(ps.len(), 1, "{ps:?}");
    assert_eq!(ps[0].code(), "T0002");
}

#[test]
fn missing_optional_dependency_is_not_a_problem() {
    assert!(
        Container::builder()
            .singleton(|_e: Option<Arc<Engine>>| Helper)
            .build()
            .is_ok()
    );
}

struct A(#[allow(dead_code)] Arc<B>);
struct B(#[allow(dead_code)] Arc<A>);
struct LazyB(Lazy<LazyA>);
struct LazyA(Arc<LazyB>);

#[test]
fn cycle_is_printed_as_a_closed_path() {
    let mut b = Container::builder();
    let l_a = line!() + 1;
    b.singleton(|b: Arc<B>| A(b));
    let l_b = line!() + 1;
    b.transient(|a: Arc<A>| B(a));
    let err = b.build().unwrap_err();
    assert_eq!(err.problems().len(), 1);
    let p = &err.problems()[0];
    assert_eq!(p.code(), "T0003");
    assert_eq!(names(p.path()), ["A", "B", "A"]);
    let msg = err.to_string();
    assert!(
        msg.contains(
            "dependency cycle [T0003]: singleton `core_validation::A` -> transient \
             `core_validation::B` -> singleton `core_validation::A`."
        ),
        "{msg}"
    );
    assert!(msg.contains("Lazy<T>"), "suggests the fix: {msg}");
    assert!(
        msg.contains(&site(F, l_a)) && msg.contains(&site(F, l_b)),
        "{msg}"
    );
    assert_eq!(
        msg.matches("registered at").count(),
        2,
        "each node once: {msg}"
    );
}

#[test]
fn self_cycle_and_cycle_through_a_binding() {
    struct Me;
    let mut b = Container::builder();
    b.scoped(|_m: Arc<Me>| Me);
    assert_eq!(
        names(problems(&b)[0].path()),
        ["self_cycle_and_cycle_through_a_binding::Me"; 2]
    );

    struct NeedsClock;
    impl Clock for NeedsClock {}
    let mut b = Container::builder();
    b.singleton(|_c: Arc<dyn Clock>| NeedsClock)
        .bind::<dyn Clock, NeedsClock>(|c| c);
    let ps = problems(&b);
    assert_eq!(ps.len(), 1);
    assert_eq!(ps[0].code(), "T0003");
    assert_eq!(ps[0].path().len(), 3);
    assert_eq!(ps[0].path()[0], ps[0].path()[2]);
}

#[test]
fn lazy_breaks_a_cycle() {
    let c = Container::builder()
        .singleton(|b: Arc<LazyB>| LazyA(b))
        .singleton(|a: Lazy<LazyA>| LazyB(a))
        .build()
        .unwrap();
    let a = c.resolve::<LazyA>().unwrap();
    assert!(!a.0.0.is_resolved());
    let again = a.0.0.get().unwrap();
    assert!(Arc::ptr_eq(&a, &again));
}

#[test]
fn duplicate_registration_names_both_sites() {
    let mut b = Container::builder();
    let l1 = line!() + 1;
    b.singleton(|| Engine);
    let l2 = line!() + 1;
    b.scoped(|| Engine);
    let err = b.build().unwrap_err();
    let [Problem::Duplicate { first, second }] = err.problems() else {
        panic!("{err}")
    };
    assert_eq!((first.site().line(), second.site().line()), (l1, l2));
    let msg = err.to_string();
    assert!(
        msg.contains(
            "duplicate registration [T0004]: `core_validation::Engine` is registered twice."
        ),
        "{msg}"
    );
    assert!(msg.contains("replacing"), "{msg}");
    assert!(
        msg.contains(&site(F, l1)) && msg.contains(&site(F, l2)),
        "{msg}"
    );
}

#[test]
fn duplicate_binding_is_a_problem_but_collection_elements_are_not() {
    let mut b = Container::builder();
    b.singleton(|| SystemClock)
        .bind::<dyn Clock, SystemClock>(|c| c)
        .bind::<dyn Clock, SystemClock>(|c| c);
    assert_eq!(problems(&b)[0].code(), "T0004");

    let mut b = Container::builder();
    b.singleton(|| Audit)
        .collect::<dyn Plugin, Audit>(|p| p)
        .collect::<dyn Plugin, Audit>(|p| p);
    let c = b.build().unwrap();
    assert_eq!(c.resolve_all::<dyn Plugin>().unwrap().len(), 2);
}

struct Mailer(&'static str);

#[test]
fn replacing_swaps_the_implementation_and_validates_the_replacement() {
    let mut base = Container::builder();
    base.singleton(|| Mailer("smtp"));
    let c = base
        .clone()
        .replacing(|b| {
            b.scoped(|| Mailer("fake"));
        })
        .build()
        .unwrap();
    assert!(
        c.resolve::<Mailer>().is_err(),
        "the replacement's lifetime applies"
    );
    assert_eq!(c.scope().resolve::<Mailer>().unwrap().0, "fake");
    assert_eq!(base.build().unwrap().resolve::<Mailer>().unwrap().0, "smtp");

    // The replacement's own dependencies are checked.
    let ps = problems(base.clone().replacing(|b| {
        b.singleton(|_e: Arc<Engine>| Mailer("needs engine"));
    }));
    assert!(
        matches!(&ps[..], [Problem::Missing { dependency, .. }] if dependency.ends_with("Engine"))
    );

    // A replacement that replaces nothing.
    let mut nothing = base.clone();
    let l = line!() + 2;
    nothing.replacing(|b| {
        b.singleton(|| Engine);
    });
    let err = nothing.build().unwrap_err();
    let [Problem::ReplacesNothing { replacement, .. }] = err.problems() else {
        panic!("{err}")
    };
    assert_eq!(replacement.site().line(), l);
    assert!(err.to_string().contains("[T0005]"));
}

#[test]
fn all_problems_at_once_numbered_with_every_site() {
    let mut b = Container::builder();
    let l_dup1 = line!() + 1;
    b.singleton(|| Engine);
    let l_dup2 = line!() + 1;
    b.singleton(|| Engine);
    let l_missing = line!() + 1;
    b.transient(|_c: Arc<dyn Clock>| Audit);
    let l_a = line!() + 1;
    b.singleton(|b: Arc<B>| A(b));
    let l_b = line!() + 1;
    b.singleton(|a: Arc<A>| B(a));
    let l_session = line!() + 1;
    b.scoped(|| Session);
    let l_repo = line!() + 1;
    b.transient(|s: Arc<Session>| Repo(s));
    let l_helper = line!() + 1;
    b.singleton(|_r: Arc<Repo>| Helper);

    let err: BuildError = b.build().unwrap_err();
    let codes: Vec<_> = err.problems().iter().map(Problem::code).collect();
    assert_eq!(codes, ["T0004", "T0002", "T0003", "T0001"]);
    let msg = err.to_string();
    assert!(
        msg.starts_with("4 problems in the container:\n1. duplicate registration"),
        "{msg}"
    );
    for (i, head) in [
        "duplicate registration",
        "missing dependency",
        "dependency cycle",
        "captive dependency",
    ]
    .iter()
    .enumerate()
    {
        assert!(msg.contains(&format!("\n{}. {head}", i + 1)), "{msg}");
    }
    for l in [
        l_dup1, l_dup2, l_missing, l_a, l_b, l_session, l_repo, l_helper,
    ] {
        assert!(msg.contains(&site(F, l)), "line {l} missing from:\n{msg}");
    }
}

#[test]
fn a_builder_builds_independent_containers() {
    let calls = Calls::new();
    let k = calls.clone();
    let mut b = Container::builder();
    b.singleton(move || {
        k.hit();
        Engine
    });
    let (c1, c2) = (b.build().unwrap(), b.build().unwrap());
    assert!(!Arc::ptr_eq(
        &c1.resolve::<Engine>().unwrap(),
        &c2.resolve::<Engine>().unwrap()
    ));
    assert_eq!(calls.get(), 2);
}
