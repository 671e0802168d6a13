//! Serving HTTP with [axum](https://docs.rs/axum) (feature `axum`): one
//! [`Scope`] per request, request values supplied to it, services injected
//! into handlers.
//!
//! - [`ScopeLayer`] opens a scope for every request, supplies the scope
//!   values you declared with
//!   [`scope_value`](crate::ContainerBuilder::scope_value) from the
//!   request's head ([`provide`](ScopeLayer::provide),
//!   [`provide_async`](ScopeLayer::provide_async)), puts the scope in the
//!   request's extensions, runs the handler, and disposes the scope
//!   (`scope.dispose().await`).
//! - [`Inject<T>`] resolves `T` from that scope in a handler's arguments;
//!   [`RequestScope`] hands over the scope itself.
//!
//! ```
//! use std::sync::Arc;
//! use axum::{Router, body::Body, http::{Request, StatusCode, request::Parts}, routing::get};
//! use tenure::Container;
//! use tenure::axum::{Inject, ScopeLayer};
//! use tower::ServiceExt; // for `oneshot`
//!
//! struct Tenant(String);                       // a request value
//! struct Greeter { tenant: Arc<Tenant> }       // a scoped service that needs it
//!
//! async fn hello(greeter: Inject<Greeter>) -> String {
//!     format!("hello, {}", greeter.tenant.0)
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let container = Container::builder()
//!     .scope_value::<Tenant>()
//!     .scoped(|tenant: Arc<Tenant>| Greeter { tenant })
//!     .build()?;
//!
//! let app = Router::new().route("/", get(hello)).layer(
//!     ScopeLayer::new(container).provide(|parts: &Parts| {
//!         match parts.headers.get("x-tenant").and_then(|v| v.to_str().ok()) {
//!             Some(t) => Ok(Tenant(t.to_owned())),
//!             None => Err((StatusCode::BAD_REQUEST, "x-tenant is required")),
//!         }
//!     }),
//! );
//!
//! let req = Request::get("/").header("x-tenant", "acme").body(Body::empty())?;
//! let res = app.clone().oneshot(req).await?;
//! let body = axum::body::to_bytes(res.into_body(), 1024).await?;
//! assert_eq!(body, "hello, acme");
//!
//! let res = app.oneshot(Request::get("/").body(Body::empty())?).await?;
//! assert_eq!(res.status(), StatusCode::BAD_REQUEST); // the provider's error is the response
//! # Ok(()) }
//! ```
//!
//! # The container is the layer's, not `State`'s
//!
//! [`ScopeLayer::new`] takes the [`Container`] (a cheap handle) instead of
//! reading it from the router's `State`, for three reasons. The scope must
//! exist before any extractor runs, and a layer runs before extraction,
//! whatever the router's state type is. The extractors then work in every
//! `Router<S>`: they need no `FromRef<S>` impl, and an application's state
//! stays its own. And one router can be served by two containers (a test
//! kernel's and production's) by layering each, with nothing else
//! changing. The container is not reachable from handlers except through
//! the request's scope ([`Scope::container`]).
//!
//! # When the scope is disposed
//!
//! The layer awaits `scope.dispose()` when the inner service's future has
//! produced the response: after the handler returned (or its extractors
//! rejected the request) and before the response goes back to the
//! server. So the response head leaves after the disposers ran, and the
//! disposal is always over when a client sees the response. It is
//! disposed in every other case too:
//!
//! - **An error response** (a handler's `Err`, a rejection, a provider's
//!   error): disposed like any response.
//! - **A panic** in the handler or an extractor: the panic is caught,
//!   the scope disposed, and the panic resumed, so it unwinds through the
//!   layer exactly as it would without it (the connection is closed, as
//!   axum does with a panicking handler; add a panic-catching layer
//!   outside this one to answer `500` instead).
//! - **A dropped request future** (the client disconnected, a timeout
//!   layer gave up): a guard spawns `scope.dispose()` on the Tokio
//!   runtime; its failures go to
//!   [`ContainerBuilder::on_dispose_error`](crate::ContainerBuilder::on_dispose_error),
//!   and a disposal already running continues there by itself (see
//!   [`Scope::dispose`]'s "Cancel safety"). Without a runtime to run it
//!   (the future dropped outside one, or by a runtime that is shutting
//!   down), the disposers that cannot run are reported to
//!   `on_dispose_error` as
//!   [`Skipped`](crate::DisposeFailureKind::Skipped), and the instances
//!   are dropped.
//!
//! A disposer that fails after a response was produced does not change the
//! response (a commit the client is told about stays true): its failure
//! goes to `on_dispose_error` too.
//!
//! **A streaming body outlives the scope.** The body of the response may
//! still be streaming after the handler returned. A body that holds
//! scoped services (an `Arc` of a connection, say) keeps those instances
//! alive past the disposal, but their disposers have run (the connection
//! was closed or given back), and the scope serves nothing more
//! ([`ScopeEnded`](crate::ResolveErrorKind::ScopeEnded)). Produce what a
//! body needs before returning it, or give the stream its own scope.
//!
//! The same holds for work a handler spawns with the request's scope: it
//! ends with the request.
//!
//! # Errors become `500`, without internals
//!
//! A [`ResolveError`] in an extractor (a factory failed, a scope value was
//! not supplied) answers `500 Internal Server Error` with the body
//! `internal error (ref N)`, and writes the full report (service path,
//! cause chain, `file:line` of each registration), under the same
//! `ref N`, to standard error. A request that reaches an extractor without
//! the layer gets the same answer, and the log line says to add the layer.
//! Take `Result<Inject<T>, InjectRejection>` in a handler to handle the
//! failure yourself.
//!
//! [`Container`]: crate::Container
//! [`Scope`]: crate::Scope
//! [`Scope::container`]: crate::Scope::container
//! [`Scope::dispose`]: crate::Scope::dispose
//! [`ResolveError`]: crate::ResolveError

mod extract;
mod layer;
mod rejection;

pub use extract::{Inject, RequestScope};
pub use layer::{ScopeLayer, ScopeService};
pub use rejection::{InjectRejection, MissingScope, ResolveFailed};
