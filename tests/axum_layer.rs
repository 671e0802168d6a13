//! `tenure::axum` without a network: the layer and the extractors driven
//! with `tower::ServiceExt::oneshot`. Request values supplied (sync and
//! async), a provider's error as the response, resolution errors as a `500`
//! that leaks nothing, a missing layer, and the scope disposed exactly once
//! after an `Ok`, an error, a panic and a dropped request future.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{Request, StatusCode};
use axum::response::Response;
use axum::routing::get;
use parking_lot::Mutex;
use tenure::axum::{Inject, InjectRejection, RequestScope, ScopeLayer};
use tenure::{Container, ContainerBuilder, ResolveErrorKind};
use tokio::sync::Notify;
use tower::ServiceExt;

struct CurrentUser(String);

struct Greeting {
    user: Arc<CurrentUser>,
}

/// A scoped service whose async disposer counts (and announces) disposals.
struct Probe;

#[derive(Clone, Default)]
struct Disposals {
    count: Arc<AtomicUsize>,
    done: Arc<Notify>,
}

impl Disposals {
    fn get(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }
}

fn with_probe(b: &mut ContainerBuilder, d: &Disposals) {
    let d = d.clone();
    b.scoped(|| Probe).dispose_with(move |_: Arc<Probe>| {
        let d = d.clone();
        async move {
            d.count.fetch_add(1, Ordering::SeqCst);
            d.done.notify_one();
            Ok::<_, std::io::Error>(())
        }
    });
}

fn user_from_header(parts: &Parts) -> Result<CurrentUser, (StatusCode, &'static str)> {
    match parts.headers.get("x-user").map(|v| v.to_str()) {
        Some(Ok(name)) => Ok(CurrentUser(name.to_owned())),
        _ => Err((StatusCode::UNAUTHORIZED, "x-user is required")),
    }
}

fn get_req(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

fn get_as(uri: &str, user: &str) -> Request<Body> {
    Request::get(uri)
        .header("x-user", user)
        .body(Body::empty())
        .unwrap()
}

async fn text(res: Response) -> (StatusCode, String) {
    let status = res.status();
    let body = axum::body::to_bytes(res.into_body(), 4096).await.unwrap();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

/// `internal error (ref N)`, nothing else.
fn assert_internal_error(body: &str) {
    let n = body
        .strip_prefix("internal error (ref ")
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or_else(|| panic!("unexpected body {body:?}"));
    assert!(n.parse::<u64>().is_ok(), "unexpected body {body:?}");
}

#[tokio::test]
async fn request_values_are_supplied_from_the_head_per_request() {
    let c = Container::builder()
        .scope_value::<CurrentUser>()
        .scoped(|user: Arc<CurrentUser>| Greeting { user })
        .build()
        .unwrap();
    let app = Router::new()
        .route(
            "/",
            get(|g: Inject<Greeting>, u: Inject<CurrentUser>| async move {
                // One scope per request: the greeting holds this request's value.
                assert!(Arc::ptr_eq(&g.user, &u.0));
                format!("hello {}", g.user.0)
            }),
        )
        .layer(ScopeLayer::new(c).provide(user_from_header));

    let (a, b) = tokio::join!(
        app.clone().oneshot(get_as("/", "ada")),
        app.clone().oneshot(get_as("/", "bob"))
    );
    assert_eq!(text(a.unwrap()).await, (StatusCode::OK, "hello ada".into()));
    assert_eq!(text(b.unwrap()).await, (StatusCode::OK, "hello bob".into()));
}

#[tokio::test]
async fn a_providers_error_is_the_response_and_the_handler_does_not_run() {
    let ran = Arc::new(AtomicUsize::new(0));
    let c = Container::builder()
        .scope_value::<CurrentUser>()
        .build()
        .unwrap();
    let r = ran.clone();
    let app = Router::new()
        .route(
            "/",
            get(move |_: Inject<CurrentUser>| async move {
                r.fetch_add(1, Ordering::SeqCst);
            }),
        )
        .layer(ScopeLayer::new(c.clone()).provide(user_from_header));

    let res = app.oneshot(get_req("/")).await.unwrap();
    assert_eq!(
        text(res).await,
        (StatusCode::UNAUTHORIZED, "x-user is required".into())
    );
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    assert_eq!(c.undisposed_scopes(), 0);
}

#[tokio::test]
async fn async_providers_run_in_order_and_their_error_is_the_response() {
    struct Session(String);
    let c = Container::builder()
        .scope_value::<CurrentUser>()
        .scope_value::<Session>()
        .build()
        .unwrap();
    let layer = ScopeLayer::new(c)
        .provide(user_from_header)
        .provide_async(|parts: &Parts| {
            let cookie = parts.headers.get("cookie").cloned();
            async move {
                tokio::task::yield_now().await; // e.g. a session store
                match cookie.as_ref().map(|c| c.to_str()) {
                    Some(Ok(c)) => Ok(Session(c.to_owned())),
                    _ => Err((StatusCode::FORBIDDEN, "no session")),
                }
            }
        });
    let app = Router::new()
        .route(
            "/",
            get(|u: Inject<CurrentUser>, s: Inject<Session>| async move {
                format!("{} {}", u.0.0, s.0.0)
            }),
        )
        .layer(layer);

    let req = Request::get("/")
        .header("x-user", "ada")
        .header("cookie", "s=1")
        .body(Body::empty())
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    assert_eq!(text(res).await, (StatusCode::OK, "ada s=1".into()));

    // The sync provider runs first: its error wins.
    let res = app.clone().oneshot(get_req("/")).await.unwrap();
    assert_eq!(
        text(res).await,
        (StatusCode::UNAUTHORIZED, "x-user is required".into())
    );
    let res = app.oneshot(get_as("/", "ada")).await.unwrap();
    assert_eq!(
        text(res).await,
        (StatusCode::FORBIDDEN, "no session".into())
    );
}

#[tokio::test]
async fn a_resolve_error_is_a_500_that_leaks_nothing() {
    struct Db;
    let c = Container::builder()
        .try_scoped(|| -> Result<Db, std::io::Error> {
            Err(std::io::Error::other("password=hunter2 rejected"))
        })
        .build()
        .unwrap();
    let app = Router::new()
        .route("/", get(|_: Inject<Db>| async {}))
        .route(
            "/handled",
            get(|db: Result<Inject<Db>, InjectRejection>| async move {
                let rejection = db.unwrap_err();
                let error = rejection.resolve_error().expect("a resolve error");
                assert!(matches!(error.kind(), ResolveErrorKind::Factory(_)));
                assert!(rejection.to_string().contains("password=hunter2"));
                assert!(
                    rejection
                        .to_string()
                        .starts_with("GET /handled: cannot inject `")
                );
                "handled"
            }),
        )
        .layer(ScopeLayer::new(c));

    let (status, body) = text(app.clone().oneshot(get_req("/")).await.unwrap()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_internal_error(&body);
    assert!(!body.contains("hunter2") && !body.contains("Db"));

    let res = app.oneshot(get_req("/handled")).await.unwrap();
    assert_eq!(text(res).await, (StatusCode::OK, "handled".into()));
}

#[tokio::test]
async fn an_unsupplied_request_value_is_a_500() {
    let c = Container::builder()
        .scope_value::<CurrentUser>()
        .build()
        .unwrap();
    let app = Router::new()
        .route(
            "/",
            get(
                |u: Result<Inject<CurrentUser>, InjectRejection>| async move {
                    let e = u.unwrap_err();
                    assert!(matches!(
                        e.resolve_error().unwrap().kind(),
                        ResolveErrorKind::NotSupplied
                    ));
                    "not supplied"
                },
            ),
        )
        .route("/plain", get(|_: Inject<CurrentUser>| async {}))
        .layer(ScopeLayer::new(c)); // no provider
    let res = app.clone().oneshot(get_req("/")).await.unwrap();
    assert_eq!(text(res).await, (StatusCode::OK, "not supplied".into()));
    let (status, body) = text(app.oneshot(get_req("/plain")).await.unwrap()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_internal_error(&body);
}

#[tokio::test]
async fn a_value_that_is_not_a_declared_scope_value_is_refused_with_a_500() {
    let ran = Arc::new(AtomicUsize::new(0));
    let c = Container::builder().build().unwrap(); // CurrentUser not declared
    let r = ran.clone();
    let app = Router::new()
        .route(
            "/",
            get(move || async move {
                r.fetch_add(1, Ordering::SeqCst);
            }),
        )
        .layer(ScopeLayer::new(c).provide(user_from_header));
    let (status, body) = text(app.oneshot(get_as("/", "ada")).await.unwrap()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_internal_error(&body);
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn without_the_layer_the_extractors_answer_500_and_say_to_add_it() {
    struct Clock;
    let app = Router::new()
        .route("/", get(|_: Inject<Clock>| async {}))
        .route("/scope", get(|_: RequestScope| async {}))
        .route(
            "/handled",
            get(|c: Result<Inject<Clock>, InjectRejection>| async move {
                let e = c.unwrap_err();
                assert!(matches!(e, InjectRejection::MissingScope(_)));
                assert!(e.resolve_error().is_none());
                assert!(
                    e.to_string()
                        .contains("router.layer(tenure::axum::ScopeLayer::new(container))"),
                    "{e}"
                );
                "handled"
            }),
        );
    for uri in ["/", "/scope"] {
        let (status, body) = text(app.clone().oneshot(get_req(uri)).await.unwrap()).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{uri}");
        assert_internal_error(&body);
    }
    let res = app.oneshot(get_req("/handled")).await.unwrap();
    assert_eq!(text(res).await, (StatusCode::OK, "handled".into()));
}

#[tokio::test]
async fn one_scope_per_request_shared_by_its_extractors() {
    let seen = Arc::new(Mutex::new(Vec::<Arc<Probe>>::new()));
    let c = Container::builder().scoped(|| Probe).build().unwrap();
    let s = seen.clone();
    let app = Router::new()
        .route(
            "/",
            get(
                move |a: Inject<Probe>, b: Inject<Probe>, scope: RequestScope| async move {
                    assert!(Arc::ptr_eq(&a.0, &b.0));
                    assert!(Arc::ptr_eq(&a.0, &scope.resolve::<Probe>().unwrap()));
                    s.lock().push(a.into_inner());
                },
            ),
        )
        .layer(ScopeLayer::new(c));
    app.clone().oneshot(get_req("/")).await.unwrap();
    app.oneshot(get_req("/")).await.unwrap();
    let seen = seen.lock();
    assert_eq!(seen.len(), 2);
    assert!(!Arc::ptr_eq(&seen[0], &seen[1]));
}

fn probe_app(d: &Disposals) -> (Container, Router, Arc<Notify>) {
    let mut b = Container::builder();
    with_probe(&mut b, d);
    let c = b.track_instances().build().unwrap();
    let entered = Arc::new(Notify::new());
    let e = entered.clone();
    let app = Router::new()
        .route("/ok", get(|_: Inject<Probe>| async { "ok" }))
        .route(
            "/err",
            get(|_: Inject<Probe>| async { Err::<(), _>((StatusCode::CONFLICT, "taken")) }),
        )
        .route(
            "/panic",
            get(|_: Inject<Probe>| async {
                if true {
                    panic!("handler panicked on purpose");
                }
            }),
        )
        .route(
            "/hang",
            get(move |_: Inject<Probe>| async move {
                e.notify_one();
                std::future::pending::<()>().await
            }),
        )
        .layer(ScopeLayer::new(c.clone()));
    (c, app, entered)
}

fn assert_settled(c: &Container) {
    assert_eq!(c.undisposed_scopes(), 0);
    let report = c.instance_report().unwrap();
    assert_eq!(report.get::<Probe>().map(|r| r.alive), Some(0), "{report}");
}

#[tokio::test]
async fn the_scope_is_disposed_after_an_ok_and_after_an_error() {
    let d = Disposals::default();
    let (c, app, _) = probe_app(&d);

    let res = app.clone().oneshot(get_req("/ok")).await.unwrap();
    // Disposed before the response came back.
    assert_eq!(d.get(), 1);
    assert_eq!(text(res).await, (StatusCode::OK, "ok".into()));

    let res = app.oneshot(get_req("/err")).await.unwrap();
    assert_eq!(d.get(), 2);
    assert_eq!(text(res).await, (StatusCode::CONFLICT, "taken".into()));
    assert_settled(&c);
}

#[tokio::test]
async fn the_scope_is_disposed_when_the_handler_panics_and_the_panic_goes_on() {
    let d = Disposals::default();
    let (c, app, _) = probe_app(&d);
    let joined = tokio::spawn(app.oneshot(get_req("/panic"))).await;
    let panic = joined.unwrap_err();
    assert!(panic.is_panic());
    let payload = panic.into_panic();
    assert_eq!(
        payload.downcast_ref::<&str>(),
        Some(&"handler panicked on purpose")
    );
    assert_eq!(d.get(), 1);
    assert_settled(&c);
}

#[tokio::test]
async fn the_scope_is_disposed_when_the_request_future_is_dropped() {
    let d = Disposals::default();
    let (c, app, entered) = probe_app(&d);
    let mut fut = Box::pin(app.oneshot(get_req("/hang")));
    tokio::select! {
        _ = &mut fut => panic!("the handler never returns"),
        () = entered.notified() => {}
    }
    assert_eq!(d.get(), 0);
    drop(fut); // the client went away
    tokio::time::timeout(Duration::from_secs(10), d.done.notified())
        .await
        .expect("the dropped request's scope is disposed on the runtime");
    assert_eq!(d.get(), 1);
    // The disposal task lets go of the scope right after the disposer ran.
    for _ in 0..1000 {
        if c.instance_report().unwrap().get::<Probe>().unwrap().alive == 0 {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_settled(&c);
}

#[tokio::test]
async fn a_failed_disposer_keeps_the_response_and_goes_to_on_dispose_error() {
    let reported = Arc::new(Mutex::new(Vec::<String>::new()));
    let r = reported.clone();
    let c = Container::builder()
        .scoped(|| Probe)
        .dispose_with(|_: Arc<Probe>| async { Err(std::io::Error::other("rollback failed")) })
        .on_dispose_error(move |e| r.lock().push(e.to_string()))
        .build()
        .unwrap();
    let app = Router::new()
        .route("/", get(|_: Inject<Probe>| async { "committed" }))
        .layer(ScopeLayer::new(c));
    let res = app.oneshot(get_req("/")).await.unwrap();
    assert_eq!(text(res).await, (StatusCode::OK, "committed".into()));
    let reported = reported.lock();
    assert_eq!(reported.len(), 1);
    assert!(reported[0].contains("rollback failed"), "{}", reported[0]);
}
