//! Modules: an application graph composed from modules; a module included
//! twice registers once; identity is the module's type.

mod kernel_support;

use std::sync::Arc;

use kernel_support::*;
use tenure::{Container, ContainerBuilder, Module, Problem};

#[test]
fn app_graph_from_modules_builds_and_resolves() {
    let container = base().build().expect("the application graph is valid");
    let scope = container.scope();
    let signup = scope.resolve::<Signup>().unwrap();
    let reports = scope.resolve::<Reports>().unwrap();
    // One session per scope, shared by both features (DbModule registered once).
    assert!(Arc::ptr_eq(&signup.repo.session, &reports.repo.session));
    assert_eq!(signup.repo.session.pool.url, "postgres://prod");
    assert_eq!(signup.clock.now(), 1_700_000_000);
    // A second scope gets its own session from the same pool.
    let other = container.scope().resolve::<Signup>().unwrap();
    assert!(!Arc::ptr_eq(&other.repo.session, &signup.repo.session));
    assert!(Arc::ptr_eq(
        &other.repo.session.pool,
        &signup.repo.session.pool
    ));
}

#[test]
fn a_module_included_twice_registers_once() {
    let mut b = ContainerBuilder::new();
    b.include(DbModule);
    assert_eq!(b.len(), 4);
    b.include(DbModule);
    assert_eq!(b.len(), 4, "the second include registers nothing");

    // Through two feature modules that both include DbModule: 4 (db) + 5
    // (infra) + 1 (Signup) + 1 (Reports), and no duplicate.
    let mut app = ContainerBuilder::new();
    app.include(AppModule);
    assert_eq!(app.len(), 11);
    assert!(app.includes::<DbModule>() && app.includes::<ReportsModule>());
    assert!(!ContainerBuilder::new().includes::<DbModule>());
    app.include(ReportsModule).include(AppModule);
    assert_eq!(app.len(), 11);
    app.instance(Config {
        database_url: "x".into(),
    });
    app.build().expect("no duplicate registrations");
}

struct Ping;
struct Pong;
struct PingModule;
struct PongModule;
impl Module for PingModule {
    fn register(&self, b: &mut ContainerBuilder) {
        b.include(PongModule).singleton(|| Ping);
    }
}
impl Module for PongModule {
    fn register(&self, b: &mut ContainerBuilder) {
        b.include(PingModule).singleton(|| Pong);
    }
}

#[test]
fn modules_that_include_each_other_terminate() {
    let mut b = ContainerBuilder::new();
    b.include(PingModule);
    assert_eq!(b.len(), 2);
    let c = b.build().unwrap();
    c.resolve::<Ping>().unwrap();
    c.resolve::<Pong>().unwrap();
}

struct Greeting(&'static str);
struct GreetingModule(&'static str);
impl Module for GreetingModule {
    fn register(&self, b: &mut ContainerBuilder) {
        let text = self.0;
        b.singleton(move || Greeting(text));
    }
}

#[test]
fn module_identity_is_its_type_and_the_first_value_wins() {
    let c = Container::builder()
        .include(GreetingModule("hello"))
        .include(GreetingModule("bonjour"))
        .build()
        .unwrap();
    assert_eq!(c.resolve::<Greeting>().unwrap().0, "hello");
}

#[test]
fn configuration_at_the_root_makes_a_conflict_loud() {
    // The documented alternative to module fields: configuration registered
    // at the composition root; two different ones are a duplicate.
    let err = Container::builder()
        .instance(Config {
            database_url: "a".into(),
        })
        .include(AppModule)
        .instance(Config {
            database_url: "b".into(),
        })
        .build()
        .unwrap_err();
    assert_eq!(err.problems().len(), 1);
    assert!(matches!(err.problems()[0], Problem::Duplicate { .. }));
}

struct TestMailer;
impl Mailer for TestMailer {
    fn send(&self, _to: &str, _body: &str) {}
}
struct TestInfraModule;
impl Module for TestInfraModule {
    fn register(&self, b: &mut ContainerBuilder) {
        b.singleton(|| TestMailer)
            .bind::<dyn Mailer, TestMailer>(|m| m);
    }
}

#[test]
fn a_module_included_inside_replacing_replaces() {
    let c = base()
        .replacing_or_adding(|b| {
            b.include(TestInfraModule);
        })
        .build()
        .unwrap();
    let scope = c.scope();
    // TestMailer is new (added); the `dyn Mailer` binding is replaced.
    scope.resolve::<Signup>().unwrap().run("ada@example.com");
    assert!(c.resolve::<TestMailer>().is_ok());
}

/// A test module that needs the database layer too.
struct FakeInfraModule;
impl Module for FakeInfraModule {
    fn register(&self, b: &mut ContainerBuilder) {
        b.include(DbModule)
            .singleton(|| TestMailer)
            .bind::<dyn Mailer, TestMailer>(|m| m);
    }
}

#[test]
fn a_kernel_override_does_not_register_again_a_module_the_base_includes() {
    use tenure::testing::TestKernel;

    let mut kernel = TestKernel::new(base());
    kernel.replace(|b| {
        b.include(DbModule);
    });
    assert!(kernel.unused_overrides().is_empty(), "nothing registered");

    kernel.replace_or_add(|b| {
        b.include(FakeInfraModule);
    });
    // Only the test module's own two registrations are overrides.
    assert_eq!(kernel.unused_overrides().len(), 2);
    let c = kernel.build().unwrap();
    c.scope()
        .resolve::<Signup>()
        .unwrap()
        .run("ada@example.com");
    kernel.assert_all_overrides_used();
}
