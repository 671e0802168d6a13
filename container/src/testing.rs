//! Test kernels: reuse the production wiring in tests, override a few
//! services, keep every check on.
//!
//! Building a test's subject from a container instead of calling `new(...)`
//! by hand means a constructor change breaks no test. This module makes
//! that safe:
//!
//! - [`TestKernel`]: the application's modules plus explicit overrides
//!   ([`replace`](TestKernel::replace) must replace something;
//!   [`replace_or_add`](TestKernel::replace_or_add) may add), validated
//!   like production, with a report of the overrides nothing used.
//! - [`ContainerBuilder::build_for`]: a subject-only build, validating just
//!   what one type needs.
//! - Fill-ins for what a test does not care about:
//!   [`ContainerBuilder::defaults`] (`Default` values of several types in
//!   one call) and [`ContainerBuilder::bind_instance`] (a ready
//!   `Arc<dyn Trait>`), or their kernel forms
//!   [`TestKernel::defaults`] / [`TestKernel::fill_in`].
//! - [`assert_valid`]: the whole production graph checked in one test line;
//!   [`assert_valid_strict`] fails on lint warnings too, and
//!   [`assert_valid_with`] takes [`Checks`] (roots for the unused-registration
//!   lint, warnings denied or not).
//!
//! Nothing here is magic: no global mocking, no automatic fakes; every
//! replacement is a registration the test wrote, with its `file:line`.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use tenure::{ContainerBuilder, Module};
//! use tenure::testing::{TestKernel, assert_valid};
//!
//! // --- the application ---
//! trait Mailer: Send + Sync { fn send(&self, to: &str); }
//! struct Smtp;
//! impl Mailer for Smtp { fn send(&self, _to: &str) { /* talks to a server */ } }
//! struct Signup { mailer: Arc<dyn Mailer> }
//! impl Signup { fn run(&self, email: &str) { self.mailer.send(email) } }
//!
//! struct AppModule;
//! impl Module for AppModule {
//!     fn register(&self, b: &mut ContainerBuilder) {
//!         b.singleton(|| Smtp)
//!             .bind::<dyn Mailer, Smtp>(|m| m)
//!             .scoped(|mailer: Arc<dyn Mailer>| Signup { mailer });
//!     }
//! }
//!
//! // --- its tests ---
//! #[derive(Default)]
//! struct FakeMailer { sent: Mutex<Vec<String>> }
//! impl Mailer for FakeMailer {
//!     fn send(&self, to: &str) { self.sent.lock().unwrap().push(to.to_owned()) }
//! }
//!
//! // The production graph is valid (one line in the app's test suite):
//! assert_valid(&AppModule);
//!
//! // A test: the real wiring, one fake.
//! let fake = Arc::new(FakeMailer::default());
//! let mut kernel = TestKernel::from_module(AppModule);
//! kernel.replace(|b| { b.bind_instance::<dyn Mailer>(fake.clone()); });
//! let container = kernel.build()?;
//! container.scope().resolve::<Signup>()?.run("ada@example.com");
//! assert_eq!(*fake.sent.lock().unwrap(), ["ada@example.com"]);
//! kernel.assert_all_overrides_used();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod fill;
mod kernel;
mod subject;

pub use fill::Defaults;
pub use kernel::TestKernel;

use std::panic::Location;

use crate::builder::ContainerBuilder;
use crate::key::Key;
use crate::module::Module;

/// Something whose container graph can be checked: a [`ContainerBuilder`],
/// a [`Module`] (checked on its own, as if it were the whole application),
/// or a [`TestKernel`] (with its overrides).
pub trait Wiring {
    /// The registrations, as a builder.
    fn to_builder(&self) -> ContainerBuilder;
}

impl Wiring for ContainerBuilder {
    fn to_builder(&self) -> ContainerBuilder {
        self.clone()
    }
}

impl Wiring for TestKernel {
    fn to_builder(&self) -> ContainerBuilder {
        self.builder()
    }
}

impl<M: Module> Wiring for M {
    fn to_builder(&self) -> ContainerBuilder {
        let mut b = ContainerBuilder::new();
        b.include_ref(self);
        b
    }
}

/// Checks the whole graph of `wiring` the way
/// [`build`](ContainerBuilder::build) does (captive, missing, cycle,
/// duplicate, replaced-nothing), without running any factory: the one-line
/// test that an application's production wiring is valid.
///
/// ```
/// use tenure::testing::assert_valid;
///
/// fn app() -> tenure::ContainerBuilder {
///     let mut b = tenure::ContainerBuilder::new();
///     b.singleton(|| 42u32);
///     b
/// }
///
/// // In the application's test suite, a `#[test]`:
/// fn production_graph_is_valid() {
///     assert_valid(&app());
/// }
/// # production_graph_is_valid();
/// ```
///
/// # Panics
///
/// If the graph has any problem: the message is the full
/// [`BuildError`](crate::BuildError) report, every problem with its path and
/// the `file:line` of each registration on it. Panicking is its job: it is
/// meant to be called from a `#[test]`. To handle the error instead, call
/// `build()` and match on it.
#[track_caller]
pub fn assert_valid<W: Wiring + ?Sized>(wiring: &W) {
    if let Err(e) = wiring.to_builder().build() {
        panic!("the container graph is invalid.\n{e}");
    }
}

/// [`assert_valid`], and every lint that fires at
/// [`Warn`](crate::Level::Warn) level is a failure too: the strict form
/// for an application that keeps its wiring free of warnings (a lint it
/// accepts is allowed in the wiring, with the reason:
/// [`ContainerBuilder::lint`]).
///
/// ```should_panic
/// use std::sync::Arc;
/// use tenure::testing::assert_valid_strict;
///
/// struct Tx;
/// struct Audit { _tx: Arc<Tx> }
///
/// let mut b = tenure::ContainerBuilder::new();
/// b.transient(|| Tx)
///     .dispose_with::<Tx, _, _, std::io::Error>(|_| async { Ok(()) })
///     .singleton(|_tx: Arc<Tx>| Audit { _tx });
/// assert_valid_strict(&b); // panics: L0001, the transient is disposed only at shutdown
/// ```
///
/// # Panics
///
/// If the graph has any problem, or any lint warns: the message is the
/// full report, each with its path and the `file:line` of each
/// registration on it.
#[track_caller]
pub fn assert_valid_strict<W: Wiring + ?Sized>(wiring: &W) {
    assert_valid_with(wiring, Checks::new().deny_warnings());
}

/// What [`assert_valid_with`] checks beyond [`assert_valid`].
///
/// ```
/// use std::sync::Arc;
/// use tenure::testing::{Checks, assert_valid_with};
///
/// struct Pool;
/// struct Api { _pool: Arc<Pool> }
///
/// let mut b = tenure::ContainerBuilder::new();
/// b.singleton(|| Pool).scoped(|_pool: Arc<Pool>| Api { _pool });
/// // Every registration is reached from the application's entry points,
/// // and no lint warns.
/// assert_valid_with(&b, Checks::new().root::<Api>().deny_warnings());
/// ```
#[derive(Clone, Debug, Default)]
pub struct Checks {
    deny_warnings: bool,
    roots: Vec<(Key, &'static Location<'static>)>,
}

impl Checks {
    /// Only what [`assert_valid`] checks.
    pub fn new() -> Self {
        Self::default()
    }

    /// Lint warnings fail the check too.
    pub fn deny_warnings(mut self) -> Self {
        self.deny_warnings = true;
        self
    }

    /// Declares `T` a root for the check, as
    /// [`ContainerBuilder::root`] does: with a root, registrations no root
    /// reaches are lint [`Unused`](crate::Lint::Unused) (`L0002`) warnings
    /// (failures with [`deny_warnings`](Self::deny_warnings)).
    #[track_caller]
    pub fn root<T: ?Sized + 'static>(mut self) -> Self {
        self.roots.push((Key::of::<T>(), Location::caller()));
        self
    }
}

/// [`assert_valid`] with [`Checks`]: roots for the unused-registration
/// lint, and whether lint warnings fail the check.
///
/// # Panics
///
/// If the graph has any problem, or (with
/// [`deny_warnings`](Checks::deny_warnings)) any lint warns; the message
/// is the full report.
#[track_caller]
pub fn assert_valid_with<W: Wiring + ?Sized>(wiring: &W, checks: Checks) {
    let mut b = wiring.to_builder();
    b.settings.lints.roots.extend(checks.roots);
    match b.build_with_warnings() {
        Err(e) => panic!("the container graph is invalid.\n{e}"),
        Ok((_, warnings)) if checks.deny_warnings && !warnings.is_empty() => {
            let n = warnings.len();
            let mut msg = format!(
                "the container graph has {n} lint warning{} (denied by the check):",
                if n == 1 { "" } else { "s" }
            );
            for (i, w) in warnings.iter().enumerate() {
                msg.push_str(&format!("\n{}. {w}", i + 1));
            }
            panic!("{msg}");
        }
        Ok(_) => {}
    }
}
