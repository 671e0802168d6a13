//! Lints beyond the hard errors: each fires with its code, path and sites,
//! can be denied (a `BuildError` problem) or allowed with a reason, and
//! `testing::assert_valid_strict` / `assert_valid_with` fail on them.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use tenure::testing::{Checks, assert_valid, assert_valid_strict, assert_valid_with};
use tenure::{
    Container, ContainerBuilder, Factory, Injectable, Lazy, Level, Lint, Problem, ScopeFactory,
    Warning,
};

fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(p) => (*p.downcast::<&str>().unwrap()).to_owned(),
    }
}

fn at(line: u32) -> String {
    format!("{}:{line}:", file!())
}

fn short_path(w: &Warning) -> Vec<&'static str> {
    w.path().iter().map(|n| n.short_name()).collect()
}

fn warnings(b: &ContainerBuilder) -> Vec<Warning> {
    b.build_with_warnings().expect("the graph is valid").1
}

struct Tx;
struct Repo {
    _tx: Arc<Tx>,
}
struct Audit {
    _repo: Arc<Repo>,
}
struct LazyAudit {
    _tx: Lazy<Tx>,
}
struct Worker {
    _txs: Factory<Tx>,
}

fn disposable_tx(b: &mut ContainerBuilder) -> u32 {
    let line = line!() + 1;
    b.transient(|| Tx)
        .dispose_with::<Tx, _, _, std::io::Error>(|_| async { Ok(()) });
    line
}

// ----- L0001 -----

#[test]
fn a_singleton_holding_a_disposable_transient_through_a_transient_warns_with_path_and_sites() {
    let mut b = Container::builder();
    let tx = disposable_tx(&mut b);
    let repo = line!() + 1;
    b.transient(|_tx: Arc<Tx>| Repo { _tx });
    let audit = line!() + 1;
    b.singleton(|_repo: Arc<Repo>| Audit { _repo });
    let (c, ws) = b.build_with_warnings().unwrap();
    assert_eq!(ws, c.warnings());
    assert_eq!(ws.len(), 1, "{ws:#?}");
    let w = &ws[0];
    assert_eq!(
        (w.lint(), w.code()),
        (Lint::HeldDisposableTransient, "L0001")
    );
    assert_eq!(short_path(w), ["Audit", "Repo", "Tx"]);
    let msg = w.to_string();
    assert!(
        msg.starts_with(
            "disposable transient held by a long-lived service [L0001]: singleton `lints::Audit` \
             -> transient `lints::Repo` -> transient `lints::Tx`.\n   `Tx` has an async disposer"
        ),
        "{msg}"
    );
    assert!(
        msg.contains("its disposer runs only at `shutdown()`"),
        "{msg}"
    );
    for line in [tx, repo, audit] {
        assert!(msg.contains(&at(line)), "{msg}");
    }
}

#[test]
fn a_lazy_handle_holds_too_and_a_factory_does_not() {
    let mut b = Container::builder();
    disposable_tx(&mut b);
    b.singleton(|_tx: Lazy<Tx>| LazyAudit { _tx })
        .singleton(|_txs: Factory<Tx>| Worker { _txs });
    let ws = warnings(&b);
    assert_eq!(ws.len(), 1, "{ws:#?}");
    assert_eq!(short_path(&ws[0]), ["LazyAudit", "Tx"]);
}

#[test]
fn a_pooled_holder_warns_that_its_scope_disposes_the_transient() {
    let mut b = Container::builder();
    disposable_tx(&mut b);
    b.pooled(2, |_tx: Arc<Tx>| Repo { _tx });
    let ws = warnings(&b);
    assert_eq!(ws.len(), 1);
    assert_eq!(short_path(&ws[0]), ["Repo", "Tx"]);
    assert!(
        ws[0]
            .advice()
            .contains("while the pooled instance goes on using it in the next scopes"),
        "{}",
        ws[0]
    );
}

#[test]
fn scoped_holders_and_transients_without_disposers_do_not_warn() {
    let mut b = Container::builder();
    disposable_tx(&mut b);
    b.scoped(|_tx: Arc<Tx>| Repo { _tx });
    assert!(warnings(&b).is_empty());

    let mut b = Container::builder();
    b.transient(|| Tx)
        .transient(|_tx: Arc<Tx>| Repo { _tx })
        .singleton(|_repo: Arc<Repo>| Audit { _repo });
    assert!(warnings(&b).is_empty());
}

#[test]
fn a_denied_lint_is_a_build_error_problem_and_an_allowed_one_is_silent() {
    let mut b = Container::builder();
    disposable_tx(&mut b);
    b.singleton(|_tx: Lazy<Tx>| LazyAudit { _tx });
    let deny = line!() + 1;
    b.lint(Lint::HeldDisposableTransient, Level::Deny);
    let err = b.build().unwrap_err();
    let [Problem::Denied { warning }] = err.problems() else {
        panic!("{err}")
    };
    assert_eq!(warning.lint(), Lint::HeldDisposableTransient);
    assert_eq!(err.problems()[0].code(), "L0001");
    assert_eq!(err.problems()[0].path(), warning.path());
    let msg = err.to_string();
    assert!(msg.starts_with("1 problem in the container:\n1. disposable transient held"));
    assert!(
        msg.contains("(denied: `builder.lint(Lint::HeldDisposableTransient, Level::Deny)`)"),
        "{msg} (set at line {deny})"
    );

    b.lint(
        Lint::HeldDisposableTransient,
        Level::Allow {
            reason: "the audit transaction is meant to live as long as the process",
        },
    );
    let (c, ws) = b.build_with_warnings().unwrap();
    assert!(ws.is_empty() && c.warnings().is_empty());
}

#[test]
fn allowing_without_a_reason_is_a_misconfiguration() {
    let mut b = Container::builder();
    let line = line!() + 1;
    b.lint(Lint::Unused, Level::Allow { reason: " " });
    let err = b.build().unwrap_err();
    let [Problem::Misconfigured { node, reason }] = err.problems() else {
        panic!("{err}")
    };
    assert_eq!(node.type_name(), "Lint::Unused");
    assert!(
        reason.contains("allowing a lint needs a reason"),
        "{reason}"
    );
    assert!(
        err.to_string()
            .contains("misconfigured [T0006]: setting `Lint::Unused`")
    );
    assert!(err.to_string().contains(&at(line)), "{err}");
}

// ----- L0002 -----

trait Mailer: Send + Sync {}
struct Smtp;
impl Mailer for Smtp {}
struct Pool;
struct Api {
    _pool: Arc<Pool>,
}
struct OldReport;
struct Jobs {
    _scopes: ScopeFactory,
}

fn app() -> ContainerBuilder {
    let mut b = Container::builder();
    b.singleton(|| Pool)
        .scoped(|_pool: Arc<Pool>| Api { _pool })
        .singleton(|| OldReport)
        .singleton(|| Smtp)
        .bind::<dyn Mailer, Smtp>(|s| s)
        .singleton(|_scopes: ScopeFactory| Jobs { _scopes });
    b
}

#[test]
fn without_roots_nothing_is_unused() {
    assert!(warnings(&app()).is_empty());
}

#[test]
fn with_roots_what_no_root_reaches_is_unused() {
    let mut b = app();
    b.root::<Api>().root::<Jobs>();
    let ws = warnings(&b);
    let unused: Vec<_> = ws
        .iter()
        .inspect(|w| assert_eq!(w.lint(), Lint::Unused))
        .map(|w| w.path()[0].to_string())
        .collect();
    assert_eq!(
        unused,
        [
            "singleton `lints::OldReport`",
            "singleton `lints::Smtp`",
            "binding `dyn lints::Mailer`"
        ]
    );
    let msg = ws[0].to_string();
    assert!(
        msg.starts_with("unused registration [L0002]: singleton `lints::OldReport`."),
        "{msg}"
    );
    assert!(msg.contains("No root reaches it (`Api`, `Jobs`)"), "{msg}");
    assert!(msg.contains("builder.root::<OldReport>()"), "{msg}");

    // A root through a binding reaches its implementation.
    b.root::<dyn Mailer>();
    let unused: Vec<_> = warnings(&b)
        .iter()
        .map(|w| w.path()[0].short_name())
        .collect();
    assert_eq!(unused, ["OldReport"]);
}

#[test]
fn a_root_that_is_not_registered_is_a_misconfiguration() {
    struct Typo;
    let mut b = app();
    let line = line!() + 1;
    b.root::<Typo>();
    let err = b.build().unwrap_err();
    assert!(
        matches!(err.problems(), [Problem::Misconfigured { .. }]),
        "{err}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("setting `lints::a_root_that_is_not_registered_is_a_misconfiguration::Typo`")
    );
    assert!(msg.contains("declared a root"), "{msg}");
    assert!(msg.contains(&at(line)), "{msg}");
}

#[test]
fn checks_name_roots_and_deny_warnings() {
    let b = app();
    // Valid, and no root: no lint.
    assert_valid_strict(&b);
    // Roots for the check only: the unused ones fail it when warnings are denied.
    assert_valid_with(&b, Checks::new().root::<Api>());
    let msg = panic_message(|| {
        assert_valid_with(
            &b,
            Checks::new().root::<Api>().root::<Jobs>().deny_warnings(),
        )
    });
    assert!(
        msg.starts_with(
            "the container graph has 3 lint warnings (denied by the check):\n1. unused"
        ),
        "{msg}"
    );
    assert!(msg.contains("binding `dyn lints::Mailer`"), "{msg}");
    // The builder itself is unchanged by a check.
    assert!(warnings(&b).is_empty());
}

// ----- L0003 -----

struct RequestContext;
struct Tokens {
    _ctx: Arc<RequestContext>,
}
struct TokenProvider {
    _tokens: Arc<Tokens>,
}
struct LazyProvider {
    _ctx: Lazy<RequestContext>,
}
struct FactoryProvider {
    _contexts: Factory<RequestContext>,
}
struct Helper {
    _contexts: Factory<RequestContext>,
}
struct Outer {
    _helper: Arc<Helper>,
}

#[test]
fn a_request_bound_transient_held_by_a_singleton_warns() {
    let mut b = Container::builder();
    let ctx = line!() + 1;
    b.transient(|| RequestContext)
        .request_bound::<RequestContext>();
    b.transient(|_ctx: Arc<RequestContext>| Tokens { _ctx })
        .singleton(|_tokens: Arc<Tokens>| TokenProvider { _tokens })
        .singleton(|_ctx: Lazy<RequestContext>| LazyProvider { _ctx });
    let ws = warnings(&b);
    let paths: Vec<_> = ws.iter().map(short_path).collect();
    assert_eq!(
        paths,
        [
            vec!["TokenProvider", "Tokens", "RequestContext"],
            vec!["LazyProvider", "RequestContext"]
        ]
    );
    let msg = ws[0].to_string();
    assert!(
        msg.starts_with("request-bound service held beyond its request [L0003]: singleton"),
        "{msg}"
    );
    assert!(
        msg.contains("`RequestContext` is marked request-bound"),
        "{msg}"
    );
    assert!(msg.contains(&at(ctx)), "{msg}");
}

#[test]
fn a_request_bound_scoped_service_held_by_a_singleton_is_captive_not_repeated() {
    let mut b = Container::builder();
    b.scoped(|| RequestContext)
        .request_bound::<RequestContext>()
        .singleton(|_ctx: Lazy<RequestContext>| LazyProvider { _ctx });
    let err = b.build().unwrap_err();
    let codes: Vec<_> = err.problems().iter().map(Problem::code).collect();
    assert_eq!(codes, ["T0001"]);
}

#[test]
fn a_factory_of_a_request_bound_service_in_a_singleton_warns_even_through_a_transient() {
    let mut b = Container::builder();
    b.scoped(|| RequestContext)
        .request_bound::<RequestContext>()
        .singleton(|_contexts: Factory<RequestContext>| FactoryProvider { _contexts })
        .transient(|_contexts: Factory<RequestContext>| Helper { _contexts })
        .singleton(|_helper: Arc<Helper>| Outer { _helper })
        // A scoped holder is fine: it lives no longer than the request.
        .scoped(|_contexts: Factory<RequestContext>| TokenProviderScoped { _contexts });
    let ws = warnings(&b);
    let paths: Vec<_> = ws.iter().map(short_path).collect();
    assert_eq!(
        paths,
        [
            vec!["FactoryProvider", "RequestContext"],
            vec!["Outer", "Helper", "RequestContext"]
        ]
    );
    assert!(
        ws[1]
            .advice()
            .contains("`Helper` takes `Factory<RequestContext>`, so the singleton `Outer`"),
        "{}",
        ws[1]
    );
    // Without the mark, `Factory<T>` in a singleton is the usual fix for a
    // captive `T`: no warning.
    let mut unmarked = Container::builder();
    unmarked
        .scoped(|| RequestContext)
        .singleton(|_contexts: Factory<RequestContext>| FactoryProvider { _contexts });
    assert!(warnings(&unmarked).is_empty());
}

struct TokenProviderScoped {
    _contexts: Factory<RequestContext>,
}

#[derive(Injectable)]
#[injectable(transient, request_bound)]
struct Cart;

#[derive(Injectable)]
#[injectable(singleton)]
struct Checkout {
    _cart: Arc<Cart>,
}

#[test]
fn the_derive_key_marks_the_service() {
    let mut b = Container::builder();
    b.add::<Cart>().add::<Checkout>();
    let ws = warnings(&b);
    assert_eq!(ws.len(), 1);
    assert_eq!(ws[0].lint(), Lint::RequestBoundHeld);
    assert_eq!(short_path(&ws[0]), ["Checkout", "Cart"]);
    assert!(b.describe().get::<Cart>().unwrap().request_bound);
    b.lint(
        Lint::RequestBoundHeld,
        Level::Allow {
            reason: "checkout is single-user in this kiosk build",
        },
    );
    assert!(warnings(&b).is_empty());
    assert_valid_strict(&b);
}

#[test]
fn request_bound_marks_that_cannot_apply_are_misconfigurations() {
    trait Ctx: Send + Sync {}
    impl Ctx for RequestContext {}
    struct Nowhere;
    let mut b = Container::builder();
    b.singleton(|| RequestContext)
        .request_bound::<RequestContext>()
        .bind::<dyn Ctx, RequestContext>(|c| c)
        .request_bound::<dyn Ctx>()
        .request_bound::<Nowhere>();
    let err = b.build().unwrap_err();
    let reasons: Vec<_> = err
        .problems()
        .iter()
        .map(|p| match p {
            Problem::Misconfigured { reason, .. } => reason.split(':').next().unwrap().to_owned(),
            p => panic!("{p}"),
        })
        .collect();
    assert_eq!(
        reasons,
        [
            "`RequestContext` is a singleton",
            "`Ctx` is a binding; mark the implementation it is bound to",
            "it is not registered as a service; register it, or remove the `request_bound` mark"
        ]
    );
    // assert_valid reports them like any problem.
    let msg = panic_message(|| assert_valid(&b));
    assert!(msg.contains("3 problems"), "{msg}");
}

#[test]
fn every_lint_has_a_stable_code_and_a_title() {
    let codes: Vec<_> = Lint::ALL.iter().map(|l| l.code()).collect();
    assert_eq!(codes, ["L0001", "L0002", "L0003"]);
    assert_eq!(Lint::Unused.to_string(), "unused registration [L0002]");
}
