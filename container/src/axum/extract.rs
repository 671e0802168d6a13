//! The extractors: [`Inject`] and [`RequestScope`].

use std::any::type_name;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::axum::rejection::{InjectRejection, MissingScope, ResolveFailed};
use crate::scope::Scope;

/// Extractor that resolves `T` from the request's [`Scope`] (opened by
/// [`ScopeLayer`](crate::axum::ScopeLayer)), awaiting async factories: the scope's own instance of a
/// scoped service, the container's singleton, or a new transient.
///
/// Holds the `Arc<T>` and derefs to `T`; `T` may be `dyn Trait` (bound with
/// [`bind`](crate::ContainerBuilder::bind)). Every `Inject` of one request
/// resolves in the same scope, so two of the same scoped service are one
/// instance.
///
/// Not to be confused with the trait [`tenure::Inject`](crate::Inject)
/// (what a factory can take as an argument): this one is
/// `tenure::axum::Inject`.
///
/// # Rejections
///
/// If `T` cannot be resolved (a factory failed, a scope value was not
/// supplied, `T` is not registered), or the request has no scope (the
/// layer is missing), it rejects the request with [`InjectRejection`](crate::axum::InjectRejection):
/// `500 Internal Server Error`, body `internal error (ref N)`, the full
/// report on standard error under the same `ref N`. Take
/// `Result<Inject<T>, InjectRejection>` to handle it yourself.
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use axum::{Router, body::Body, http::{Request, StatusCode}, routing::get};
/// use tenure::Container;
/// use tenure::axum::{Inject, ScopeLayer};
/// use tower::ServiceExt;
///
/// struct Clock;
/// impl Clock { fn now(&self) -> u64 { 42 } }
/// struct NotRegistered;
///
/// async fn time(clock: Inject<Clock>) -> String {
///     clock.now().to_string()
/// }
///
/// async fn broken(_: Inject<NotRegistered>) {}
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let container = Container::builder().singleton(|| Clock).build()?;
/// let app = Router::new()
///     .route("/time", get(time))
///     .route("/broken", get(broken))
///     .layer(ScopeLayer::new(container));
///
/// let res = app.clone().oneshot(Request::get("/time").body(Body::empty())?).await?;
/// assert_eq!(axum::body::to_bytes(res.into_body(), 64).await?, "42");
///
/// let res = app.oneshot(Request::get("/broken").body(Body::empty())?).await?;
/// assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
/// let body = axum::body::to_bytes(res.into_body(), 64).await?;
/// assert!(body.starts_with(b"internal error (ref ")); // the type name is only in the log
/// # Ok(()) }
/// ```
pub struct Inject<T: ?Sized>(pub Arc<T>);

impl<T: ?Sized> Inject<T> {
    /// The `Arc<T>`.
    pub fn into_inner(self) -> Arc<T> {
        self.0
    }
}

impl<T: ?Sized> Deref for Inject<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: ?Sized> Clone for Inject<T> {
    fn clone(&self) -> Self {
        Inject(self.0.clone())
    }
}

impl<T: ?Sized> fmt::Debug for Inject<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Inject<{}>", type_name::<T>())
    }
}

impl<T, S> FromRequestParts<S> for Inject<T>
where
    T: ?Sized + Send + Sync + 'static,
    S: Send + Sync,
{
    type Rejection = InjectRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, InjectRejection> {
        let Some(scope) = parts.extensions.get::<Scope>() else {
            return Err(InjectRejection::MissingScope(MissingScope::new(
                parts,
                type_name::<Inject<T>>(),
            )));
        };
        match scope.resolve_async::<T>().await {
            Ok(value) => Ok(Inject(value)),
            Err(error) => Err(InjectRejection::Failed(ResolveFailed::new(
                error,
                type_name::<T>(),
                false,
                parts,
            ))),
        }
    }
}

/// Extractor for the request's [`Scope`] itself (opened by [`ScopeLayer`](crate::axum::ScopeLayer)),
/// for what [`Inject`] does not cover: `resolve_all_async`, a
/// [`Factory`](crate::Factory) that needs the caller's scope, resolving
/// conditionally. Derefs to [`Scope`].
///
/// The scope ends with the request (see the [module docs](crate::axum)): work
/// spawned with it fails with
/// [`ScopeEnded`](crate::ResolveErrorKind::ScopeEnded) once the response is
/// produced.
///
/// # Rejections
///
/// If the request has no scope (the layer is missing), it rejects the
/// request with [`MissingScope`](crate::axum::MissingScope): `500 Internal Server Error`, and a log
/// line that says to add the layer.
///
/// # Example
///
/// ```
/// use axum::{Router, body::Body, http::Request, routing::get};
/// use tenure::Container;
/// use tenure::axum::{RequestScope, ScopeLayer};
/// use tower::ServiceExt;
///
/// trait Check: Send + Sync { fn name(&self) -> &'static str; }
/// struct Disk;
/// struct Db;
/// impl Check for Disk { fn name(&self) -> &'static str { "disk" } }
/// impl Check for Db { fn name(&self) -> &'static str { "db" } }
///
/// async fn health(scope: RequestScope) -> String {
///     match scope.resolve_all_async::<dyn Check>().await {
///         Ok(checks) => checks.iter().map(|c| c.name()).collect::<Vec<_>>().join(","),
///         Err(e) => format!("failed: {e}"),
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let container = Container::builder()
///     .scoped(|| Disk).collect::<dyn Check, Disk>(|c| c)
///     .scoped(|| Db).collect::<dyn Check, Db>(|c| c)
///     .build()?;
/// let app = Router::new().route("/health", get(health)).layer(ScopeLayer::new(container));
/// let res = app.oneshot(Request::get("/health").body(Body::empty())?).await?;
/// assert_eq!(axum::body::to_bytes(res.into_body(), 64).await?, "disk,db");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct RequestScope(pub Scope);

impl Deref for RequestScope {
    type Target = Scope;

    fn deref(&self) -> &Scope {
        &self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestScope {
    type Rejection = MissingScope;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, MissingScope> {
        match parts.extensions.get::<Scope>() {
            Some(scope) => Ok(RequestScope(scope.clone())),
            None => Err(MissingScope::new(parts, type_name::<RequestScope>())),
        }
    }
}
