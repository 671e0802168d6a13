//! Subject-only builds: validate and build just what one type needs.

mod kernel_support;

use std::sync::Arc;

use kernel_support::*;
use tenure::testing::TestKernel;
use tenure::{ContainerBuilder, Factory, Lazy, Problem, ResolveErrorKind};

/// A feature whose settings this test suite never provides.
struct SmtpSettings;
struct Newsletter {
    _settings: Arc<SmtpSettings>,
}

fn incomplete_app() -> ContainerBuilder {
    let mut b = base();
    b.scoped(|_settings: Arc<SmtpSettings>| Newsletter { _settings });
    b
}

#[test]
fn subject_only_build_ignores_unrelated_missing_registrations() {
    let app = incomplete_app();
    let full = app.build().unwrap_err();
    assert_eq!(full.problems().len(), 1);
    assert_eq!(full.problems()[0].code(), "T0002");

    let c = app
        .build_for::<Reports>()
        .expect("Reports has all it needs");
    let reports = c.scope().resolve::<Reports>().unwrap();
    assert_eq!(reports.repo.session.pool.url, "postgres://prod");
    // Only the subgraph is in the container.
    assert!(!c.contains::<Newsletter>());
    assert!(!c.contains::<Signup>());
    assert!(!c.contains::<dyn Mailer>());
    assert!(c.contains::<AccountsRepo>() && c.contains::<Config>());
    let Err(err) = c.resolve::<Scheduler>() else {
        panic!("Scheduler is outside the subgraph")
    };
    assert!(matches!(err.kind(), ResolveErrorKind::NotRegistered { .. }));
}

/// Holds a repository for the whole process: captive.
struct Cache {
    _repo: Arc<AccountsRepo>,
}
/// Needs a type that is not registered, with a registered look-alike.
mod other {
    pub struct Pool;
}
struct Migrator {
    _pool: Arc<other::Pool>,
}
struct Left {
    _right: Arc<Right>,
}
struct Right {
    _left: Arc<Left>,
}

#[test]
fn the_subgraph_is_held_to_every_check_of_build() {
    let mut app = incomplete_app();
    app.singleton(|_repo: Arc<AccountsRepo>| Cache { _repo })
        .singleton(|_pool: Arc<other::Pool>| Migrator { _pool })
        .transient(|_right: Arc<Right>| Left { _right })
        .transient(|_left: Arc<Left>| Right { _left });

    // Captive, inside the subgraph.
    let err = app.build_for::<Cache>().unwrap_err();
    assert_eq!(err.problems().len(), 1, "{err}");
    let path: Vec<_> = err.problems()[0]
        .path()
        .iter()
        .map(|n| n.short_name())
        .collect();
    assert_eq!(path, ["Cache", "AccountsRepo", "DbSession"]);

    // Missing, with "did you mean" drawn from the whole builder.
    let err = app.build_for::<Migrator>().unwrap_err();
    assert_eq!(err.problems().len(), 1, "{err}");
    let Problem::Missing { did_you_mean, .. } = &err.problems()[0] else {
        panic!("{err}")
    };
    assert_eq!(did_you_mean.len(), 1, "{err}");
    assert!(
        did_you_mean[0].contains(std::any::type_name::<Pool>()),
        "{err}"
    );

    // Cycle.
    let err = app.build_for::<Left>().unwrap_err();
    assert_eq!(err.problems().len(), 1, "{err}");
    assert_eq!(err.problems()[0].code(), "T0003");

    // None of those problems leaks into an unrelated subject.
    app.build_for::<Signup>().unwrap();
}

#[test]
fn a_subject_that_is_not_registered_is_an_error_with_its_request_site() {
    struct Missing;
    let line = line!() + 1;
    let err = base().build_for::<Missing>().unwrap_err();
    assert_eq!(err.problems().len(), 1);
    let p = &err.problems()[0];
    assert_eq!(p.code(), "T0007");
    let text = err.to_string();
    assert!(text.contains(std::any::type_name::<Missing>()), "{text}");
    assert!(
        text.contains(&format!("requested at {}:{line}:", file!())),
        "{text}"
    );
}

trait Plugin: Send + Sync {
    fn name(&self) -> &'static str;
}
struct Alpha {
    _cfg: Arc<Config>,
}
impl Plugin for Alpha {
    fn name(&self) -> &'static str {
        "alpha"
    }
}
struct Beta;
impl Plugin for Beta {
    fn name(&self) -> &'static str {
        "beta"
    }
}
struct Host {
    plugins: Vec<Arc<dyn Plugin>>,
    later: Lazy<Scheduler>,
    repos: Factory<AccountsRepo>,
}

#[test]
fn collections_lazy_and_factory_handles_are_followed() {
    let mut app = incomplete_app();
    app.singleton(|_cfg: Arc<Config>| Alpha { _cfg })
        .collect::<dyn Plugin, Alpha>(|p| p)
        .singleton(|| Beta)
        .collect::<dyn Plugin, Beta>(|p| p)
        .singleton(
            |plugins: Vec<Arc<dyn Plugin>>,
             later: Lazy<Scheduler>,
             repos: Factory<AccountsRepo>| Host {
                plugins,
                later,
                repos,
            },
        );
    let c = app.build_for::<Host>().unwrap();
    let host = c.resolve::<Host>().unwrap();
    let names: Vec<_> = host.plugins.iter().map(|p| p.name()).collect();
    assert_eq!(names, ["alpha", "beta"]);
    assert_eq!(host.later.get().unwrap().clock.now(), 1_700_000_000);
    let scope = c.scope();
    assert!(host.repos.create(&scope).is_ok());
    assert!(!c.contains::<Signup>());

    // A collection can be the subject itself.
    let c = app.build_for::<dyn Plugin>().unwrap();
    assert_eq!(c.resolve_all::<dyn Plugin>().unwrap().len(), 2);
}

#[derive(Default)]
struct FakeMailer;
impl Mailer for FakeMailer {
    fn send(&self, _to: &str, _body: &str) {}
}

#[test]
fn a_replaced_service_does_not_drag_in_its_own_dependencies() {
    // The real mailer needs settings this test does not have.
    struct MailSettings;
    struct RealMailer;
    impl Mailer for RealMailer {
        fn send(&self, _to: &str, _body: &str) {}
    }
    let mut b = ContainerBuilder::new();
    b.instance(Config {
        database_url: "postgres://test".into(),
    })
    .include(DbModule)
    .singleton(|| SystemClock)
    .bind::<dyn Clock, SystemClock>(|c| c)
    .singleton(|_: Arc<MailSettings>| RealMailer)
    .bind::<dyn Mailer, RealMailer>(|m| m)
    .scoped(
        |repo: Arc<AccountsRepo>, mailer: Arc<dyn Mailer>, clock: Arc<dyn Clock>| Signup {
            repo,
            mailer,
            clock,
        },
    );
    assert!(
        b.build_for::<Signup>().is_err(),
        "the real mailer is reachable"
    );

    let mut kernel = TestKernel::new(b);
    kernel.replace(|b| {
        b.bind_instance::<dyn Mailer>(Arc::new(FakeMailer));
    });
    let c = kernel.build_for::<Signup>().unwrap();
    c.scope()
        .resolve::<Signup>()
        .unwrap()
        .run("ada@example.com");
    assert!(!c.contains::<RealMailer>());
    kernel.assert_all_overrides_used();
}

#[test]
fn kernel_subject_builds_report_unreachable_overrides_and_typos() {
    struct Typo;
    let mut kernel = TestKernel::new(incomplete_app());
    kernel.replace(|b| {
        b.bind_instance::<dyn Mailer>(Arc::new(FakeMailer));
    });
    let c = kernel.build_for::<Reports>().unwrap();
    c.scope().resolve::<Reports>().unwrap();
    // `Reports` never reaches the mailer: the override is stale for it.
    assert_eq!(kernel.unused_overrides().len(), 1);

    // A replacement of nothing is a test bug, reachable or not.
    kernel.replace(|b| {
        b.singleton(|| Typo);
    });
    let err = kernel.build_for::<Reports>().unwrap_err();
    assert_eq!(err.problems().len(), 1, "{err}");
    assert_eq!(err.problems()[0].code(), "T0005");
}

#[test]
fn hints_about_a_binding_to_a_binding_survive_a_subject_build() {
    trait Cache: Send + Sync {}
    struct Mem;
    struct Alias;
    impl Cache for Alias {}
    struct User {
        _cache: Arc<dyn Cache>,
    }
    let mut b = ContainerBuilder::new();
    b.singleton(|| Mem)
        .bind::<Alias, Mem>(|_| Arc::new(Alias))
        // Wrong: `bind` must point at an implementation, not at a binding.
        .bind::<dyn Cache, Alias>(|a| a)
        .singleton(|_cache: Arc<dyn Cache>| User { _cache });
    let full = b.build().unwrap_err();
    let sub = b.build_for::<User>().unwrap_err();
    assert_eq!(sub.to_string(), full.to_string());
    assert!(sub.to_string().contains("not at another binding"), "{sub}");
}
