//! `tenure::testing::assert_valid`: the production graph checked in one
//! line, failing with the full `BuildError` report.

mod kernel_support;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use kernel_support::*;
use tenure::testing::{TestKernel, assert_valid};

fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(p) => (*p.downcast::<&str>().unwrap()).to_owned(),
    }
}

#[test]
fn the_production_graph_is_valid() {
    assert_valid(&base());
}

/// A process-wide cache that holds a repository (captive), and a feature
/// whose settings are never registered (missing).
struct Cache {
    _repo: Arc<AccountsRepo>,
}
struct SmtpSettings;
struct Newsletter {
    _settings: Arc<SmtpSettings>,
}

#[test]
fn a_broken_graph_fails_with_the_full_report() {
    let mut broken = base();
    let cache_line = line!() + 1;
    broken.singleton(|_repo: Arc<AccountsRepo>| Cache { _repo });
    let newsletter_line = line!() + 1;
    broken.scoped(|_settings: Arc<SmtpSettings>| Newsletter { _settings });

    let msg = panic_message(|| assert_valid(&broken));
    let report = broken.build().unwrap_err();
    assert_eq!(report.problems().len(), 2);
    assert_eq!(msg, format!("the container graph is invalid.\n{report}"));
    assert!(msg.contains("2 problems in the container:"), "{msg}");
    assert!(msg.contains("captive dependency [T0001]"), "{msg}");
    assert!(msg.contains("missing dependency [T0002]"), "{msg}");
    for line in [cache_line, newsletter_line] {
        assert!(msg.contains(&format!("{}:{line}:", file!())), "{msg}");
    }
    // Sites inside the modules are named too (the path runs through them).
    assert!(msg.contains("kernel_support/mod.rs:"), "{msg}");
}

#[test]
fn a_module_on_its_own_is_checked_as_a_whole_application() {
    // `AppModule` expects the root to register `Config`.
    let msg = panic_message(|| assert_valid(&AppModule));
    assert!(msg.contains("missing dependency [T0002]"), "{msg}");
    assert!(msg.contains(std::any::type_name::<Config>()), "{msg}");
    // `InfraModule` and `DbModule` both need it.
    assert!(
        msg.starts_with("the container graph is invalid.\n2 problems"),
        "{msg}"
    );
}

#[test]
fn a_kernel_is_checked_with_its_overrides() {
    struct Typo;
    let mut kernel = TestKernel::new(base());
    assert_valid(&kernel);
    kernel.replace(|b| {
        b.singleton(|| Typo);
    });
    let msg = panic_message(|| assert_valid(&kernel));
    assert!(msg.contains("[T0005]"), "{msg}");
}
