//! Keyed services: the key is part of the service's identity, so every
//! rule (lifetimes, captive, duplicates, missing) applies per (key, type).
//!
//! Registration lines are taken with `line!()` just before each
//! registration, so the assertions follow the file when it is edited.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::site;
use tenure::testing::TestKernel;
use tenure::{
    Container, ContainerBuilder, DependencyKind, Injectable, Keyed, Lifetime, Problem,
    ResolveErrorKind, Role,
};

const F: &str = file!();

struct Primary;
struct Replica;
struct Audit;

trait Db: Send + Sync {
    fn url(&self) -> &str;
}
#[derive(Debug)]
struct Postgres(&'static str);
impl Db for Postgres {
    fn url(&self) -> &str {
        self.0
    }
}
#[derive(Debug)]
struct Sqlite;
impl Db for Sqlite {
    fn url(&self) -> &str {
        "sqlite::memory:"
    }
}

struct Reports {
    primary: Keyed<Primary, dyn Db>,
    replica: Keyed<Replica, dyn Db>,
}

fn two_databases() -> ContainerBuilder {
    let mut b = Container::builder();
    b.keyed::<Primary>()
        .singleton(|| Postgres("postgres://primary"))
        .keyed::<Primary>()
        .bind::<dyn Db, Postgres>(|d| d)
        .keyed::<Replica>()
        .singleton(|| Sqlite)
        .keyed::<Replica>()
        .bind::<dyn Db, Sqlite>(|d| d)
        .singleton(
            |primary: Keyed<Primary, dyn Db>, replica: Keyed<Replica, dyn Db>| Reports {
                primary,
                replica,
            },
        );
    b
}

#[test]
fn two_keyed_implementations_of_one_trait_resolve_each_to_its_own_instance() {
    let c = two_databases().build().expect("valid");
    let reports = c.resolve::<Reports>().unwrap();
    assert_eq!(reports.primary.url(), "postgres://primary");
    assert_eq!(reports.replica.url(), "sqlite::memory:");

    // The binding under a key is the keyed implementation's instance.
    let primary = c.resolve_keyed::<Primary, dyn Db>().unwrap();
    let pg = c.resolve_keyed::<Primary, Postgres>().unwrap();
    assert!(std::ptr::addr_eq(Arc::as_ptr(&primary), Arc::as_ptr(&pg)));
    assert!(std::ptr::addr_eq(
        Arc::as_ptr(reports.primary.arc()),
        Arc::as_ptr(&pg)
    ));
    let replica = c.resolve_keyed::<Replica, dyn Db>().unwrap();
    assert!(std::ptr::addr_eq(
        Arc::as_ptr(reports.replica.arc()),
        Arc::as_ptr(&replica)
    ));
    assert!(!std::ptr::addr_eq(
        Arc::as_ptr(&primary),
        Arc::as_ptr(&replica)
    ));
    // Nothing is registered unkeyed.
    assert!(!c.contains::<dyn Db>());
    assert!(c.contains_keyed::<Primary, dyn Db>());
    assert!(!c.contains_keyed::<Audit, dyn Db>());
}

#[test]
fn one_singleton_per_key_and_each_factory_runs_once() {
    let runs = Arc::new(AtomicUsize::new(0));
    let (r1, r2) = (runs.clone(), runs.clone());
    let c = Container::builder()
        .keyed::<Primary>()
        .singleton(move || {
            r1.fetch_add(1, Ordering::SeqCst);
            Postgres("p")
        })
        .keyed::<Replica>()
        .singleton(move || {
            r2.fetch_add(1, Ordering::SeqCst);
            Postgres("r")
        })
        .build()
        .unwrap();
    let p1 = c.resolve_keyed::<Primary, Postgres>().unwrap();
    let p2 = c.resolve_keyed::<Primary, Postgres>().unwrap();
    let r = c.resolve_keyed::<Replica, Postgres>().unwrap();
    assert!(Arc::ptr_eq(&p1, &p2));
    assert!(!Arc::ptr_eq(&p1, &r));
    assert_eq!((p1.0, r.0), ("p", "r"));
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    assert_eq!(c.singletons_created(), 2);
}

#[test]
fn a_keyed_scoped_service_is_one_per_scope() {
    let c = Container::builder()
        .keyed::<Primary>()
        .scoped(|| Postgres("conn"))
        .build()
        .unwrap();
    let (s1, s2) = (c.scope(), c.scope());
    let a = s1.resolve_keyed::<Primary, Postgres>().unwrap();
    assert!(Arc::ptr_eq(
        &a,
        &s1.resolve_keyed::<Primary, Postgres>().unwrap()
    ));
    assert!(!Arc::ptr_eq(
        &a,
        &s2.resolve_keyed::<Primary, Postgres>().unwrap()
    ));
    let err = c.resolve_keyed::<Primary, Postgres>().unwrap_err();
    assert!(
        matches!(err.kind(), ResolveErrorKind::ScopedFromRoot),
        "{err}"
    );
}

#[test]
fn the_same_key_twice_is_a_duplicate_but_the_same_type_under_two_keys_is_not() {
    let mut b = Container::builder();
    let l_first = line!() + 1;
    b.keyed::<Primary>().singleton(|| Sqlite);
    b.keyed::<Replica>().singleton(|| Sqlite);
    b.singleton(|| Sqlite);
    assert!(b.build().is_ok(), "one type under two keys and unkeyed");

    let l_second = line!() + 1;
    b.keyed::<Primary>().transient(|| Sqlite);
    let err = b.build().unwrap_err();
    let [Problem::Duplicate { first, second }] = err.problems() else {
        panic!("expected one duplicate: {err}");
    };
    assert_eq!(first.site().line(), l_first);
    assert_eq!(second.site().line(), l_second);
    assert_eq!(second.site().file(), F);
    assert!(
        first.type_name().contains("Keyed<"),
        "{}",
        first.type_name()
    );
    assert!(first.type_name().ends_with("Primary, keyed::Sqlite>"));
    assert_eq!(first.short_name(), "Sqlite");
}

#[test]
fn a_missing_key_is_a_missing_dependency_that_lists_the_registered_keys() {
    let mut b = Container::builder();
    let l_primary = line!() + 1;
    b.keyed::<Primary>().singleton(|| Sqlite);
    let l_plain = line!() + 1;
    b.singleton(|| Sqlite);
    let l_user = line!() + 1;
    b.singleton(|_db: Keyed<Audit, Sqlite>| Reports2);
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
        panic!("expected one missing dependency: {err}");
    };
    assert_eq!(requester.site().line(), l_user);
    assert_eq!(*kind, DependencyKind::Required);
    assert!(
        dependency.ends_with("Keyed<keyed::Audit, keyed::Sqlite>"),
        "{dependency}"
    );
    assert_eq!(did_you_mean.len(), 2, "{did_you_mean:?}");
    assert!(
        did_you_mean[0].contains(&site(F, l_primary))
            && did_you_mean[0].ends_with("`Sqlite` under the key `Primary`"),
        "{did_you_mean:?}"
    );
    assert!(
        did_you_mean[1].contains(&site(F, l_plain))
            && did_you_mean[1].ends_with("`Sqlite` without a key (take `Arc<Sqlite>`)"),
        "{did_you_mean:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains(
            "needs `tenure::keyed::Keyed<keyed::Audit, keyed::Sqlite>`, which is not registered"
        ),
        "{msg}"
    );
    assert!(
        msg.contains(
            "Did you mean singleton `tenure::keyed::Keyed<keyed::Primary, keyed::Sqlite>`"
        ),
        "{msg}"
    );

    // Resolving by a missing key says the same.
    let c = Container::builder()
        .keyed::<Primary>()
        .singleton(|| Sqlite)
        .build()
        .unwrap();
    let err = c.resolve_keyed::<Replica, Sqlite>().unwrap_err();
    let ResolveErrorKind::NotRegistered { did_you_mean, .. } = err.kind() else {
        panic!("{err}");
    };
    assert_eq!(did_you_mean.len(), 1, "{did_you_mean:?}");
    assert!(did_you_mean[0].ends_with("under the key `Primary`"));
    // And resolving the type without its key points at the key.
    let err = c.resolve::<Sqlite>().unwrap_err();
    assert!(
        err.to_string()
            .contains("`Sqlite` is registered under the key `Primary`; take `Keyed<Primary, Sqlite>` or call `resolve_keyed::<Primary, Sqlite>()`"),
        "{err}"
    );
}

struct Reports2;

#[test]
fn an_optional_keyed_dependency_is_none_when_the_key_is_not_registered() {
    struct Holder(
        Option<Keyed<Primary, Sqlite>>,
        Option<Keyed<Replica, Sqlite>>,
    );
    let c = Container::builder()
        .keyed::<Primary>()
        .singleton(|| Sqlite)
        .singleton(
            |a: Option<Keyed<Primary, Sqlite>>, b: Option<Keyed<Replica, Sqlite>>| Holder(a, b),
        )
        .build()
        .unwrap();
    let h = c.resolve::<Holder>().unwrap();
    assert!(h.0.is_some() && h.1.is_none());
}

struct Session;
struct Repo(#[allow(dead_code)] Keyed<Primary, Session>);
struct Helper;

#[test]
fn captive_through_a_keyed_scoped_service_names_the_key_the_path_and_the_sites() {
    let mut b = Container::builder();
    let l_session = line!() + 1;
    b.keyed::<Primary>().scoped(|| Session);
    b.keyed::<Replica>().singleton(|| Session);
    let l_repo = line!() + 1;
    b.transient(|s: Keyed<Primary, Session>| Repo(s));
    let l_helper = line!() + 1;
    b.singleton(|_r: Arc<Repo>, _ok: Keyed<Replica, Session>| Helper);
    let err = b.build().unwrap_err();
    let [p @ Problem::Captive { path }] = err.problems() else {
        panic!("expected one captive problem: {err}");
    };
    assert_eq!(p.code(), "T0001");
    let lines: Vec<u32> = path.iter().map(|n| n.site().line()).collect();
    assert_eq!(lines, [l_helper, l_repo, l_session]);
    assert_eq!(path[2].role(), Role::Service(Lifetime::Scoped));
    assert!(
        path[2]
            .type_name()
            .ends_with("Keyed<keyed::Primary, keyed::Session>")
    );
    let msg = err.to_string();
    assert!(
        msg.contains(
            "singleton `keyed::Helper` -> transient `keyed::Repo` -> scoped \
             `tenure::keyed::Keyed<keyed::Primary, keyed::Session>`."
        ),
        "{msg}"
    );
    assert!(msg.contains("would keep one `Session` alive"), "{msg}");
    for l in [l_helper, l_repo, l_session] {
        assert!(msg.contains(&site(F, l)), "{msg}");
    }
}

#[derive(Injectable)]
#[injectable(singleton)]
struct Mirror {
    #[inject(key = Primary)]
    primary: Arc<dyn Db>,
    #[inject(key = Replica)]
    replica: Arc<dyn Db>,
    #[inject(key = Audit)]
    audit: Option<Arc<dyn Db>>,
    plain: Keyed<Replica, Sqlite>,
}

#[test]
fn a_derived_struct_takes_keyed_fields() {
    let mut b = two_databases();
    b.add::<Mirror>();
    let c = b.build().unwrap();
    let m = c.resolve::<Mirror>().unwrap();
    assert_eq!(m.primary.url(), "postgres://primary");
    assert_eq!(m.replica.url(), "sqlite::memory:");
    assert!(m.audit.is_none());
    assert!(std::ptr::addr_eq(
        Arc::as_ptr(&m.replica),
        Arc::as_ptr(m.plain.arc())
    ));
    assert!(std::ptr::addr_eq(
        Arc::as_ptr(&m.primary),
        Arc::as_ptr(&c.resolve_keyed::<Primary, dyn Db>().unwrap())
    ));
}

#[derive(Injectable)]
#[injectable(singleton)]
struct KeyedHolder {
    #[inject(key = Primary)]
    _session: Arc<Session>,
}

#[test]
fn a_derived_keyed_field_is_checked_for_captives_at_build() {
    let mut b = Container::builder();
    b.keyed::<Primary>().scoped(|| Session);
    let l_add = line!() + 1;
    b.add::<KeyedHolder>();
    let err = b.build().unwrap_err();
    let [Problem::Captive { path }] = err.problems() else {
        panic!("{err}");
    };
    assert_eq!(path[0].site().line(), l_add);
    assert!(
        path[1]
            .type_name()
            .ends_with("Keyed<keyed::Primary, keyed::Session>")
    );
}

#[test]
fn a_test_kernel_replaces_one_key_and_keeps_the_other() {
    let mut kernel = TestKernel::new(two_databases());
    kernel.replace(|b| {
        b.keyed::<Primary>()
            .singleton(|| Postgres("postgres://fake"));
    });
    let c = kernel.build().unwrap();
    let reports = c.resolve::<Reports>().unwrap();
    assert_eq!(reports.primary.url(), "postgres://fake");
    assert_eq!(reports.replica.url(), "sqlite::memory:");
    kernel.assert_all_overrides_used();

    // Replacing a key that is not registered replaces nothing.
    let mut kernel = TestKernel::new(two_databases());
    kernel.replace(|b| {
        b.keyed::<Audit>().singleton(|| Sqlite);
    });
    let err = kernel.build().unwrap_err();
    assert!(
        matches!(err.problems(), [Problem::ReplacesNothing { .. }]),
        "{err}"
    );
}

#[test]
fn describe_shows_the_key() {
    let d = two_databases().describe();
    let text = d.to_string();
    assert!(
        text.contains("singleton  Keyed<Primary, Postgres>  Keyed<Primary, dyn Db>"),
        "{text}"
    );
    assert!(
        text.contains("Keyed<Primary, dyn Db>, Keyed<Replica, dyn Db>"),
        "{text}"
    );
    let dot = d.graph().to_dot();
    assert!(dot.contains("Keyed<Primary, Postgres>"), "{dot}");
    assert!(dot.contains("Keyed<Replica, dyn Db>"), "{dot}");
}

#[tokio::test(flavor = "current_thread")]
async fn async_keyed_factories_resolve_per_key() {
    let c = Container::builder()
        .keyed::<Primary>()
        .singleton_async(|| async { Postgres("async primary") })
        .keyed::<Primary>()
        .bind::<dyn Db, Postgres>(|d| d)
        .keyed::<Replica>()
        .scoped_async(|p: Keyed<Primary, dyn Db>| async move {
            Postgres(if p.url().is_empty() {
                ""
            } else {
                "async replica"
            })
        })
        .build()
        .unwrap();
    let err = c.resolve_keyed::<Primary, Postgres>().unwrap_err();
    assert!(
        matches!(err.kind(), ResolveErrorKind::AsyncRequired),
        "{err}"
    );
    let p = c.resolve_keyed_async::<Primary, Postgres>().await.unwrap();
    assert_eq!(p.0, "async primary");
    assert!(Arc::ptr_eq(
        &p,
        &c.resolve_keyed_async::<Primary, Postgres>().await.unwrap()
    ));
    let scope = c.scope();
    let r = scope
        .resolve_keyed_async::<Replica, Postgres>()
        .await
        .unwrap();
    assert_eq!(r.0, "async replica");
    assert!(Arc::ptr_eq(
        &r,
        &scope
            .resolve_keyed_async::<Replica, Postgres>()
            .await
            .unwrap()
    ));
    scope.dispose().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn a_keyed_service_gets_its_own_async_disposer_and_pool_reset() {
    let disposed = Arc::new(std::sync::Mutex::new(Vec::<&'static str>::new()));
    let resets = Arc::new(AtomicUsize::new(0));
    let (d, r) = (disposed.clone(), resets.clone());
    let c = Container::builder()
        .keyed::<Primary>()
        .scoped(|| Postgres("primary"))
        .keyed::<Primary>()
        .dispose_with(move |p: Arc<Postgres>| {
            let d = d.clone();
            async move {
                d.lock().unwrap().push(p.0);
                Ok::<(), std::io::Error>(())
            }
        })
        // The same type under another key has no disposer.
        .keyed::<Replica>()
        .scoped(|| Postgres("replica"))
        .keyed::<Audit>()
        .pooled(2, || Postgres("audit"))
        .keyed::<Audit>()
        .on_return(move |_p: &Postgres| {
            r.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .unwrap();
    let scope = c.scope();
    scope.resolve_keyed::<Primary, Postgres>().unwrap();
    scope.resolve_keyed::<Replica, Postgres>().unwrap();
    scope.resolve_keyed::<Audit, Postgres>().unwrap();
    scope.dispose().await.unwrap();
    assert_eq!(*disposed.lock().unwrap(), ["primary"]);
    assert_eq!(resets.load(Ordering::SeqCst), 1);

    // A hook on a key nothing is registered under is a problem at build.
    let mut b = Container::builder();
    b.keyed::<Primary>().scoped(|| Postgres("p"));
    let l_hook = line!() + 1;
    b.keyed::<Replica>().on_return(|_p: &Postgres| {});
    let err = b.build().unwrap_err();
    let [Problem::Misconfigured { node, reason }] = err.problems() else {
        panic!("{err}");
    };
    assert_eq!(node.site().line(), l_hook);
    assert!(reason.contains("is not registered"), "{reason}");
}

#[test]
fn a_subject_build_keeps_the_keyed_services_it_reaches() {
    let mut b = two_databases();
    b.keyed::<Audit>()
        .singleton(|_missing: Arc<Session>| Sqlite);
    assert!(b.build().is_err());
    let c = b.build_for::<Reports>().expect("only what Reports reaches");
    assert_eq!(
        c.resolve::<Reports>().unwrap().replica.url(),
        "sqlite::memory:"
    );
    assert!(!c.contains_keyed::<Audit, Sqlite>());
}
