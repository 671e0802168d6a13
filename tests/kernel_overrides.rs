//! Test kernels: explicit overrides on the production wiring, still
//! validated; unused overrides reported; fill-ins.

mod kernel_support;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};

use kernel_support::*;
use tenure::testing::TestKernel;
use tenure::{Lifetime, Problem, Role};

#[derive(Default)]
struct FakeMailer {
    sent: Mutex<Vec<Sent>>,
}
impl Mailer for FakeMailer {
    fn send(&self, to: &str, body: &str) {
        self.sent.lock().unwrap().push((to.into(), body.into()));
    }
}

struct FixedClock(u64);
impl Clock for FixedClock {
    fn now(&self) -> u64 {
        self.0
    }
}

fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(p) => (*p.downcast::<&str>().unwrap()).to_owned(),
    }
}

fn site(line: u32) -> String {
    format!("{}:{line}:", file!())
}

#[test]
fn kernel_replaces_two_bindings_and_resolves_the_subject_with_the_fakes() {
    let mailer = Arc::new(FakeMailer::default());
    let mut kernel = TestKernel::new(base());
    kernel
        // A fake behind a trait, kept by the test to inspect it.
        .replace(|b| {
            b.bind_instance::<dyn Mailer>(mailer.clone());
        })
        // A fake type registered next to the binding it replaces.
        .replace_or_add(|b| {
            b.singleton(|| FixedClock(42));
        })
        .replace(|b| {
            b.bind::<dyn Clock, FixedClock>(|c| c);
        });
    let container = kernel.build().expect("the overridden graph is valid");

    let scope = container.scope();
    let signup = scope.resolve::<Signup>().unwrap();
    let line = signup.run("ada@example.com");
    assert_eq!(line, "welcome ada@example.com at 42 (session #1)");
    assert_eq!(
        *mailer.sent.lock().unwrap(),
        [("ada@example.com".to_owned(), line)]
    );
    // The subject holds the very fakes the test registered.
    assert!(std::ptr::addr_eq(
        Arc::as_ptr(&signup.mailer),
        Arc::as_ptr(&mailer)
    ));
    assert!(std::ptr::addr_eq(
        Arc::as_ptr(&signup.clock),
        Arc::as_ptr(&container.resolve::<FixedClock>().unwrap())
    ));
    // The rest is the production wiring.
    assert_eq!(signup.repo.session.pool.url, "postgres://prod");
    kernel.assert_all_overrides_used();
}

struct NeverRegistered;

#[test]
fn replacing_something_never_registered_is_an_error() {
    let mut kernel = TestKernel::new(base());
    let line = line!() + 2;
    kernel.replace(|b| {
        b.singleton(|| NeverRegistered);
    });
    let err = kernel.build().unwrap_err();
    assert_eq!(err.problems().len(), 1, "{err}");
    let p = &err.problems()[0];
    assert_eq!(p.code(), "T0005");
    let Problem::ReplacesNothing { replacement, .. } = p else {
        panic!("unexpected problem: {p}")
    };
    assert_eq!(
        replacement.type_name(),
        std::any::type_name::<NeverRegistered>()
    );
    let text = err.to_string();
    assert!(text.contains("replaces nothing"), "{text}");
    assert!(text.contains("replace_or_add"), "{text}");
    assert!(text.contains(&site(line)), "{text}");

    // Saying it is adding makes the same registration fine.
    let mut adding = TestKernel::new(base());
    adding.replace_or_add(|b| {
        b.singleton(|| NeverRegistered);
    });
    assert!(adding.build().unwrap().resolve::<NeverRegistered>().is_ok());
}

/// `file:line:col` lines of a message, one per node, aligned as
/// `build()` prints them.
fn site_lines(nodes: &[(String, u32, u32)]) -> String {
    let width = nodes.iter().map(|(l, ..)| l.len()).max().unwrap_or(0);
    nodes
        .iter()
        .map(|(label, line, col)| {
            format!(
                "\n   {label:<width$}  registered at {}:{line}:{col}",
                file!()
            )
        })
        .collect()
}

const MAILER: &str = "dyn kernel_overrides::kernel_support::Mailer";

#[test]
fn a_binding_to_a_fake_nobody_registered_says_to_register_the_fake_with_replace_or_add() {
    // The fake's own type is new: only the binding replaces something.
    let mut kernel = TestKernel::new(base());
    let line = line!() + 2;
    kernel.replace(|b| {
        b.bind::<dyn Mailer, FakeMailer>(|m| m);
    });
    let err = kernel.build().unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "1 problem in the container:\n1. missing dependency [T0002]: binding `{MAILER}` needs \
             `Arc<kernel_overrides::FakeMailer>`, which is not registered.\n   A binding serves \
             a registered implementation: register `FakeMailer` itself as well (e.g. \
             `.singleton(|| ...)` or `.instance(value)`). In a test override, register it next \
             to the binding inside `replace_or_add` (a builder's `replacing_or_adding`): \
             `replace` only swaps registrations that exist.{}",
            site_lines(&[(format!("binding `{MAILER}`"), line, 11)])
        )
    );
}

#[test]
fn a_fake_registered_inside_replace_is_one_problem_with_what_needs_it() {
    // The fake's own type inside `replace`: it replaces nothing (T0005), so
    // the binding to it has no target; that knock-on is reported under its
    // cause, not as a missing dependency of its own.
    let mut kernel = TestKernel::new(base());
    let (l_fake, l_bind) = (line!() + 2, line!() + 3);
    kernel.replace(|b| {
        b.singleton(FakeMailer::default);
        b.bind::<dyn Mailer, FakeMailer>(|m| m);
    });
    let err = kernel.build().unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "1 problem in the container:\n1. replacement of an unregistered service [T0005]: \
             singleton `kernel_overrides::FakeMailer` replaces nothing, so it is not registered, \
             and binding `{MAILER}` needs it (not reported separately).\n   `replace` only swaps \
             registrations that exist. To add `FakeMailer` (a fake's own type, next to the \
             binding that points at it), register it inside `replace_or_add` (a builder's \
             `replacing_or_adding`); otherwise check the type (a typo, or the production wiring \
             changed).{}",
            site_lines(&[
                (
                    "singleton `kernel_overrides::FakeMailer`".to_owned(),
                    l_fake,
                    11
                ),
                (format!("binding `{MAILER}`"), l_bind, 11),
            ])
        )
    );
    let [
        Problem::ReplacesNothing {
            replacement,
            needed_by,
        },
    ] = err.problems()
    else {
        panic!("{err}")
    };
    assert_eq!(replacement.site().line(), l_fake);
    assert_eq!(needed_by.len(), 1);
    assert_eq!(needed_by[0].role(), Role::Binding);

    // What the message says to do builds, and the fake is used.
    let mut fixed = TestKernel::new(base());
    fixed.replace_or_add(|b| {
        b.singleton(FakeMailer::default);
        b.bind::<dyn Mailer, FakeMailer>(|m| m);
    });
    let c = fixed.build().unwrap();
    c.scope()
        .resolve::<Signup>()
        .unwrap()
        .run("ada@example.com");
    assert_eq!(
        c.resolve::<FakeMailer>()
            .unwrap()
            .sent
            .lock()
            .unwrap()
            .len(),
        1
    );
}

struct Auditor;

#[test]
fn knock_ons_are_grouped_but_independent_problems_are_still_reported() {
    let mut kernel = TestKernel::new(base());
    let (l_fake, l_bind, l_hook, l_session) = (line!() + 2, line!() + 3, line!() + 4, line!() + 6);
    kernel.replace(|b| {
        b.singleton(FakeMailer::default);
        b.bind::<dyn Mailer, FakeMailer>(|m| m);
        b.dispose_with::<FakeMailer, _, _, anyhow::Error>(|_| async { Ok(()) });
        // Unrelated: this fake needs a type registered nowhere.
        b.scoped(|pool: Arc<Pool>, _a: Arc<Auditor>| DbSession { id: 1, pool });
    });
    let err = kernel.build().unwrap_err();
    let codes: Vec<_> = err.problems().iter().map(|p| p.code()).collect();
    assert_eq!(codes, ["T0005", "T0002"], "{err}");
    let Problem::ReplacesNothing { needed_by, .. } = &err.problems()[0] else {
        panic!("{err}")
    };
    let needers: Vec<_> = needed_by
        .iter()
        .map(|n| (n.to_string(), n.site().line()))
        .collect();
    assert_eq!(
        needers,
        [
            (format!("binding `{MAILER}`"), l_bind),
            ("hook for `kernel_overrides::FakeMailer`".to_owned(), l_hook),
        ]
    );
    let text = err.to_string();
    assert!(
        text.contains(&format!(
            "binding `{MAILER}` and hook for `kernel_overrides::FakeMailer` need it (not \
             reported separately)."
        )),
        "{text}"
    );
    assert!(text.contains(&format!("{}:{l_fake}:11", file!())), "{text}");
    let Problem::Missing {
        requester,
        dependency,
        ..
    } = &err.problems()[1]
    else {
        panic!("{err}")
    };
    assert_eq!(*dependency, std::any::type_name::<Auditor>());
    assert_eq!(requester.site().line(), l_session);
}

#[test]
fn an_ordinary_duplicate_in_an_override_base_stays_an_error() {
    let mut b = base();
    b.singleton(|| SystemClock);
    let err = TestKernel::new(b).build().unwrap_err();
    assert_eq!(err.problems().len(), 1);
    assert_eq!(err.problems()[0].code(), "T0004");
}

struct ScopedClock(u64);
impl Clock for ScopedClock {
    fn now(&self) -> u64 {
        self.0
    }
}

#[test]
fn an_override_with_a_shorter_lifetime_makes_its_holder_captive() {
    // The real clock is a singleton held by the singleton `Scheduler`; a
    // scoped fake would be captured by it.
    let mut kernel = TestKernel::new(base());
    kernel
        .replace_or_add(|b| {
            b.scoped(|| ScopedClock(1));
        })
        .replace(|b| {
            b.bind::<dyn Clock, ScopedClock>(|c| c);
        });
    let err = kernel.build().unwrap_err();
    assert_eq!(err.problems().len(), 1, "{err}");
    let p = &err.problems()[0];
    assert_eq!(p.code(), "T0001");
    let path: Vec<_> = p.path().iter().map(|n| n.type_name()).collect();
    assert_eq!(
        path,
        [
            std::any::type_name::<Scheduler>(),
            std::any::type_name::<dyn Clock>(),
            std::any::type_name::<ScopedClock>(),
        ]
    );
    assert_eq!(p.path()[1].role(), Role::Binding);
    assert_eq!(p.path()[2].lifetime(), Some(Lifetime::Scoped));
    assert!(err.to_string().contains(file!()), "{err}");
}

#[test]
fn an_override_is_a_full_registration_and_its_own_dependencies_are_checked() {
    // The real session is scoped; this fake is (wrongly) a singleton, and it
    // holds the scoped request context.
    let mut kernel = TestKernel::new(base());
    let line = line!() + 2;
    kernel.replace(|b| {
        b.singleton(|pool: Arc<Pool>, _rc: Arc<RequestContext>| DbSession { id: 99, pool });
    });
    let err = kernel.build().unwrap_err();
    assert_eq!(err.problems().len(), 1, "{err}");
    let p = &err.problems()[0];
    assert_eq!(p.code(), "T0001");
    assert_eq!(p.path().len(), 2);
    assert_eq!(p.path()[0].type_name(), std::any::type_name::<DbSession>());
    assert_eq!(p.path()[0].lifetime(), Some(Lifetime::Singleton));
    assert_eq!(
        p.path()[1].type_name(),
        std::any::type_name::<RequestContext>()
    );
    assert!(err.to_string().contains(&site(line)), "{err}");

    // The same fake, scoped like the real one, is fine, and its
    // dependencies are injected.
    let mut fixed = TestKernel::new(base());
    fixed.replace(|b| {
        b.scoped(|pool: Arc<Pool>, rc: Arc<RequestContext>| DbSession {
            id: 1000 + rc.request_id,
            pool,
        });
    });
    let c = fixed.build().unwrap();
    let session = c.scope().resolve::<DbSession>().unwrap();
    assert_eq!(session.id, 1000);
    assert_eq!(session.pool.url, "postgres://prod");
}

/// A process-wide cache that (wrongly) holds a repository.
struct Cache {
    _repo: Arc<AccountsRepo>,
}

#[test]
fn overriding_a_scoped_service_does_not_hide_a_captive_dependency_elsewhere() {
    let mut buggy = base();
    buggy.singleton(|_repo: Arc<AccountsRepo>| Cache { _repo });
    let mut kernel = TestKernel::new(buggy);
    kernel.replace(|b| {
        b.scoped(|pool: Arc<Pool>| DbSession { id: 7, pool });
    });
    let err = kernel.build().unwrap_err();
    assert_eq!(err.problems().len(), 1, "{err}");
    let path: Vec<_> = err.problems()[0]
        .path()
        .iter()
        .map(|n| n.short_name())
        .collect();
    assert_eq!(path, ["Cache", "AccountsRepo", "DbSession"]);
}

#[test]
fn unused_overrides_are_listed_with_their_sites() {
    struct Unused;
    let mut kernel = TestKernel::new(base());
    let (clock_line, mailer_line, extra_line) = (line!() + 3, line!() + 6, line!() + 9);
    kernel
        .replace(|b| {
            b.bind_instance::<dyn Clock>(Arc::new(FixedClock(5)));
        })
        .replace(|b| {
            b.bind_instance::<dyn Mailer>(Arc::new(FakeMailer::default()));
        })
        .replace_or_add(|b| {
            b.instance(Unused);
        });
    assert_eq!(kernel.unused_overrides().len(), 3, "nothing built yet");

    let c = kernel.build().unwrap();
    assert_eq!(c.resolve::<dyn Clock>().unwrap().now(), 5);
    let unused = kernel.unused_overrides();
    assert_eq!(unused.len(), 2);
    assert_eq!(unused[0].type_name(), std::any::type_name::<dyn Mailer>());
    assert_eq!(unused[1].type_name(), std::any::type_name::<Unused>());

    let msg = panic_message(|| kernel.assert_all_overrides_used());
    assert!(msg.starts_with("2 of 3 overrides were never used"), "{msg}");
    assert!(
        msg.contains(&format!(
            "singleton `{}`",
            std::any::type_name::<dyn Mailer>()
        )),
        "{msg}"
    );
    assert!(msg.contains(&site(mailer_line)), "{msg}");
    assert!(msg.contains(&site(extra_line)), "{msg}");
    assert!(
        !msg.contains(&site(clock_line)),
        "the used override is not listed: {msg}"
    );
    assert!(msg.contains("Remove the stale override"), "{msg}");

    // Using them, through any container built from the kernel, clears them.
    let again = kernel.build().unwrap();
    again.resolve::<dyn Mailer>().unwrap();
    c.resolve::<Unused>().unwrap();
    assert!(kernel.unused_overrides().is_empty());
    kernel.assert_all_overrides_used();
}

#[test]
fn a_binding_override_is_used_only_when_the_binding_is_resolved() {
    let mut kernel = TestKernel::new(base());
    kernel
        .replace_or_add(|b| {
            b.singleton(|| FixedClock(3));
        })
        .replace(|b| {
            b.bind::<dyn Clock, FixedClock>(|c| c);
        });
    let c = kernel.build().unwrap();
    c.resolve::<FixedClock>().unwrap();
    let unused = kernel.unused_overrides();
    assert_eq!(unused.len(), 1);
    assert_eq!(unused[0].role(), Role::Binding);
    // Through a holder: `Scheduler` gets the clock through the binding.
    assert_eq!(c.resolve::<Scheduler>().unwrap().clock.now(), 3);
    kernel.assert_all_overrides_used();
}

#[test]
fn a_base_kernel_prepared_once_is_cloned_per_test_with_fresh_flags() {
    // What a suite does: one kernel with the common fakes...
    let mut suite = TestKernel::new(base());
    suite.replace(|b| {
        b.bind_instance::<dyn Mailer>(Arc::new(FakeMailer::default()));
    });

    // ...and per-test additions on clones.
    let mut first = suite.clone();
    first.replace(|b| {
        b.bind_instance::<dyn Clock>(Arc::new(FixedClock(1)));
    });
    let c = first.build().unwrap();
    c.scope().resolve::<Signup>().unwrap().run("a@example.com");
    first.assert_all_overrides_used();

    let second = suite.clone();
    assert_eq!(
        second.unused_overrides().len(),
        1,
        "a clone does not inherit another clone's usage"
    );
    assert_eq!(suite.unused_overrides().len(), 1);
    assert_eq!(
        second
            .build()
            .unwrap()
            .scope()
            .resolve::<Signup>()
            .unwrap()
            .clock
            .now(),
        1_700_000_000,
        "the first test's clock override stayed in the first test"
    );
}

#[derive(Default)]
struct Settings {
    retries: u32,
}
#[derive(Default)]
struct Metrics;
trait Audit: Send + Sync {
    fn record(&self, what: &str) -> bool;
}
struct NullAudit;
impl Audit for NullAudit {
    fn record(&self, _what: &str) -> bool {
        false
    }
}
struct Importer {
    settings: Arc<Settings>,
    _metrics: Arc<Metrics>,
    audit: Arc<dyn Audit>,
    clock: Arc<dyn Clock>,
}

#[test]
fn fill_ins_provide_what_the_test_does_not_care_about() {
    let mut b = base();
    b.singleton(
        |settings: Arc<Settings>,
         _metrics: Arc<Metrics>,
         audit: Arc<dyn Audit>,
         clock: Arc<dyn Clock>| {
            Importer {
                settings,
                _metrics,
                audit,
                clock,
            }
        },
    );
    assert_eq!(b.build().unwrap_err().problems().len(), 3, "three missing");

    let mut kernel = TestKernel::new(b);
    kernel
        .defaults::<(Settings, Metrics)>()
        .fill_in::<dyn Audit>(Arc::new(NullAudit))
        // A fill-in may also neutralise a production registration.
        .fill_in::<dyn Clock>(Arc::new(FixedClock(0)));
    let c = kernel.build().unwrap();
    let importer = c.resolve::<Importer>().unwrap();
    assert_eq!(importer.settings.retries, 0);
    assert!(!importer.audit.record("x"));
    assert_eq!(importer.clock.now(), 0);
    assert!(
        kernel.unused_overrides().is_empty(),
        "fill-ins are not tracked"
    );

    // An explicit override beats a fill-in, whatever the order of the calls.
    let mut k2 = kernel.clone();
    k2.replace(|b| {
        b.bind_instance::<dyn Clock>(Arc::new(FixedClock(9)));
    })
    .fill_in::<dyn Clock>(Arc::new(FixedClock(1)));
    assert_eq!(
        k2.build()
            .unwrap()
            .resolve::<Importer>()
            .unwrap()
            .clock
            .now(),
        9
    );
}

#[test]
fn fill_in_registrations_carry_the_test_site() {
    let mut b = tenure::ContainerBuilder::new();
    let line = line!() + 1;
    b.defaults::<(Settings,)>()
        .defaults::<(Settings, Metrics)>();
    let err = b.build().unwrap_err();
    assert_eq!(err.problems().len(), 1);
    let Problem::Duplicate { first, second } = &err.problems()[0] else {
        panic!("{err}")
    };
    assert_eq!(first.site().file(), file!());
    assert_eq!(first.site().line(), line);
    assert_eq!(second.site().line(), line + 1);
}

mod derived {
    //! The same pattern with `#[derive(Injectable)]`: the subject's
    //! constructor is generated, so adding a field breaks no test.

    use std::sync::{Arc, Mutex};

    use tenure::testing::TestKernel;
    use tenure::{ContainerBuilder, Injectable};

    pub trait Notifier: Send + Sync {
        fn notify(&self, what: &str);
    }

    #[derive(Injectable)]
    #[injectable(singleton, provides = dyn Notifier)]
    pub struct PagerNotifier;
    impl Notifier for PagerNotifier {
        fn notify(&self, what: &str) {
            panic!("a test paged someone about {what}");
        }
    }

    #[derive(Injectable)]
    #[injectable(scoped)]
    pub struct Incident {
        notifier: Arc<dyn Notifier>,
    }
    impl Incident {
        fn open(&self, what: &str) {
            self.notifier.notify(what);
        }
    }

    #[derive(Injectable, Default)]
    #[injectable(singleton, provides = dyn Notifier)]
    pub struct RecordingNotifier {
        #[inject(default)]
        seen: Mutex<Vec<String>>,
    }
    impl Notifier for RecordingNotifier {
        fn notify(&self, what: &str) {
            self.seen.lock().unwrap().push(what.to_owned());
        }
    }

    #[test]
    fn a_derived_fake_replaces_a_derived_binding() {
        let mut base = ContainerBuilder::new();
        base.add::<PagerNotifier>().add::<Incident>();

        let mut kernel = TestKernel::new(base);
        // `add` registers the fake and its `provides = dyn Notifier`
        // binding: the first is new, the second replaces.
        kernel.replace_or_add(|b| {
            b.add::<RecordingNotifier>();
        });
        let c = kernel.build().unwrap();
        c.scope().resolve::<Incident>().unwrap().open("disk full");
        let recorder = c.resolve::<RecordingNotifier>().unwrap();
        assert_eq!(*recorder.seen.lock().unwrap(), ["disk full"]);
        kernel.assert_all_overrides_used();

        // With `replace`, the fake's own type replaces nothing: T0005.
        let mut strict = TestKernel::new(ContainerBuilder::new());
        strict.replace(|b| {
            b.add::<RecordingNotifier>();
        });
        let codes: Vec<_> = strict
            .build()
            .unwrap_err()
            .problems()
            .iter()
            .map(|p| p.code())
            .collect();
        assert_eq!(codes, ["T0005", "T0005"]);
    }
}
