//! The testing pattern: build each test's subject from the production
//! wiring, replace the one or two services the test controls, and keep every
//! check of `build()` on.
//!
//! Run it with `cargo run --example testing`. In your own crate, `app` is
//! your library and each function of `tests` is a `#[test]` in `tests/`;
//! here `main` calls them in turn and prints what the failures look like.

/// The application: in your crate, `src/`.
mod app {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use tenure::{ContainerBuilder, Injectable, Module};

    pub struct Config {
        pub database_url: String,
    }

    pub struct Pool {
        pub url: String,
        next: AtomicU32,
    }

    /// One per request.
    pub struct Session {
        pub id: u32,
        pub pool: Arc<Pool>,
    }

    /// Holds the request's session; new on every resolution.
    pub struct Users {
        pub session: Arc<Session>,
    }

    impl Users {
        pub fn create(&self, email: &str) -> String {
            format!("{email} (session #{})", self.session.id)
        }
    }

    pub trait Mailer: Send + Sync {
        fn send(&self, to: &str, body: &str);
    }

    pub struct SmtpMailer;
    impl Mailer for SmtpMailer {
        fn send(&self, to: &str, _body: &str) {
            panic!("the test sent a real e-mail to {to}");
        }
    }

    pub trait Clock: Send + Sync {
        fn now(&self) -> u64;
    }

    pub struct SystemClock;
    impl Clock for SystemClock {
        fn now(&self) -> u64 {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        }
    }

    /// The service under test. Derived: its constructor is generated from
    /// its fields, so a new field breaks no test that builds it from the
    /// container.
    #[derive(Injectable)]
    #[injectable(scoped)]
    pub struct Signup {
        pub users: Arc<Users>,
        pub mailer: Arc<dyn Mailer>,
        pub clock: Arc<dyn Clock>,
    }

    impl Signup {
        pub fn run(&self, email: &str) -> String {
            let user = self.users.create(email);
            self.mailer
                .send(email, &format!("welcome {user} at {}", self.clock.now()));
            user
        }
    }

    /// Storage: a library crate exports its wiring as a module.
    pub struct DbModule;
    impl Module for DbModule {
        fn register(&self, b: &mut ContainerBuilder) {
            b.singleton(|cfg: Arc<Config>| Pool {
                url: cfg.database_url.clone(),
                next: AtomicU32::new(1),
            })
            .scoped(|pool: Arc<Pool>| Session {
                id: pool.next.fetch_add(1, Ordering::Relaxed),
                pool,
            })
            .transient(|session: Arc<Session>| Users { session });
        }
    }

    pub struct SignupModule;
    impl Module for SignupModule {
        fn register(&self, b: &mut ContainerBuilder) {
            b.include(DbModule) // harmless if the root includes it too
                .singleton(|| SmtpMailer)
                .bind::<dyn Mailer, SmtpMailer>(|m| m)
                .singleton(|| SystemClock)
                .bind::<dyn Clock, SystemClock>(|c| c)
                .add::<Signup>();
        }
    }

    /// The composition root: what `main` builds.
    pub fn wiring(cfg: Config) -> ContainerBuilder {
        let mut b = ContainerBuilder::new();
        b.instance(cfg).include(DbModule).include(SignupModule);
        b
    }
}

/// The tests: in your crate, `tests/signup.rs`.
mod tests {
    use std::sync::{Arc, Mutex};

    use tenure::ContainerBuilder;
    use tenure::testing::{TestKernel, assert_valid};

    use crate::app::*;

    // Fakes the suite shares.
    #[derive(Default)]
    pub struct FakeMailer {
        pub sent: Mutex<Vec<(String, String)>>,
    }
    impl Mailer for FakeMailer {
        fn send(&self, to: &str, body: &str) {
            self.sent.lock().unwrap().push((to.into(), body.into()));
        }
    }

    pub struct FixedClock(pub u64);
    impl Clock for FixedClock {
        fn now(&self) -> u64 {
            self.0
        }
    }

    /// The production wiring with test configuration: built once per suite,
    /// cloned (cheaply) by every test.
    fn base() -> ContainerBuilder {
        crate::app::wiring(Config {
            database_url: "postgres://test".into(),
        })
    }

    /// `#[test]`: the whole production graph is valid (captive, missing,
    /// cycles, duplicates), without running a factory.
    pub fn production_graph_is_valid() {
        assert_valid(&base());
    }

    /// `#[test]`: the subject comes from the container, with two fakes.
    /// A new constructor argument of `Signup` breaks nothing here.
    pub fn signup_sends_a_welcome_mail() {
        let mailer = Arc::new(FakeMailer::default());
        let mut kernel = TestKernel::new(base());
        kernel.replace(|b| {
            b.bind_instance::<dyn Mailer>(mailer.clone());
            b.bind_instance::<dyn Clock>(Arc::new(FixedClock(1_000)));
        });
        let container = kernel.build().expect("valid graph");

        let scope = container.scope();
        let user = scope.resolve::<Signup>().unwrap().run("ada@example.com");

        assert_eq!(user, "ada@example.com (session #1)");
        assert_eq!(
            *mailer.sent.lock().unwrap(),
            [(
                "ada@example.com".to_owned(),
                "welcome ada@example.com (session #1) at 1000".to_owned()
            )]
        );
        kernel.assert_all_overrides_used(); // both fakes were really used
    }

    /// `#[test]`: a unit test of `Users` needs only what `Users` needs; the
    /// rest of the application (here: no mailer at all) is not its business.
    pub fn users_alone() {
        let mut b = ContainerBuilder::new();
        b.include(DbModule).instance(Config {
            database_url: "postgres://unit".into(),
        });
        let container = b.build_for::<Users>().expect("Users has what it needs");
        let users = container.scope().resolve::<Users>().unwrap();
        assert_eq!(users.session.pool.url, "postgres://unit");
    }

    /// What a stale override looks like: the test replaces something the
    /// subject no longer uses. `kernel.assert_all_overrides_used()` fails
    /// with this list.
    pub fn stale_override() -> String {
        let mut kernel = TestKernel::new(base());
        kernel.replace(|b| {
            b.bind_instance::<dyn Mailer>(Arc::new(FakeMailer::default()));
            b.bind_instance::<dyn Clock>(Arc::new(FixedClock(1)));
        });
        let container = kernel.build().unwrap();
        container.resolve::<dyn Clock>().unwrap(); // never asks for the mailer
        let names: Vec<String> = kernel
            .unused_overrides()
            .iter()
            .map(|n| format!("{n} at {}", n.site()))
            .collect();
        names.join("\n")
    }

    /// What an override with the wrong lifetime looks like: a process-wide
    /// fake that holds a per-request repository (and so its session).
    pub fn wrong_lifetime() -> String {
        struct Audit {
            _users: Arc<Users>,
        }
        let mut kernel = TestKernel::new(base());
        kernel.replace_or_add(|b| {
            b.singleton(|_users: Arc<Users>| Audit { _users });
        });
        kernel.build().unwrap_err().to_string()
    }
}

fn main() {
    tests::production_graph_is_valid();
    println!("ok  production_graph_is_valid");
    tests::signup_sends_a_welcome_mail();
    println!("ok  signup_sends_a_welcome_mail");
    tests::users_alone();
    println!("ok  users_alone");

    println!("\nA stale override, as `kernel.unused_overrides()` reports it:");
    println!("{}", tests::stale_override());

    println!("\nA fake with the wrong lifetime, as `kernel.build()` reports it:");
    println!("{}", tests::wrong_lifetime());
}
