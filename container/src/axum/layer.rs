//! [`ScopeLayer`]: one scope per request, disposed when the response is
//! produced.

use std::any::type_name;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::http::request::Parts;
use axum::http::{Method, Request, Uri};
use axum::response::{IntoResponse, Response};
use tower_layer::Layer;
use tower_service::Service;

use crate::axum::rejection::{InjectRejection, ResolveFailed};
use crate::container::Container;
use crate::error::ResolveError;
use crate::scope::Scope;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Why a provider did not supply its value.
enum Refused {
    /// The provider's own error, already a response.
    Response(Box<Response>),
    /// The scope refused the value (not a declared scope value, ...).
    Scope(ResolveError, &'static str),
}

type SyncSupply = dyn Fn(&Parts, &Scope) -> Result<(), Refused> + Send + Sync;
type AsyncSupply = dyn Fn(&Parts, &Scope) -> BoxFuture<Result<(), Refused>> + Send + Sync;

#[derive(Clone)]
enum Supplier {
    Sync(Arc<SyncSupply>),
    Async(Arc<AsyncSupply>),
}

fn supply<T: Send + Sync + 'static>(scope: &Scope, value: T) -> Result<(), Refused> {
    match scope.provide(value) {
        Ok(_) => Ok(()),
        Err(e) => Err(Refused::Scope(e, type_name::<T>())),
    }
}

/// A tower [`Layer`] that runs every request in its own [`Scope`]: it opens
/// the scope, supplies the request values, puts the scope in the request's
/// extensions (for [`Inject`](crate::axum::Inject) and [`RequestScope`](crate::axum::RequestScope)), runs the inner
/// service, and awaits `scope.dispose()` once the response is produced,
/// also after an error or a panic, and (spawned on the runtime) when the
/// request future is dropped. See the [module docs](crate::axum) for exactly when.
///
/// Providers run in the order they were added, each once per request; the
/// first that fails answers the request with its error (converted with
/// [`IntoResponse`]), and the handler does not run. A value whose type is
/// not declared with
/// [`scope_value`](crate::ContainerBuilder::scope_value) is refused by the
/// scope: that request answers `500` and the log names the type.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use axum::{Router, body::Body, http::{Request, StatusCode, request::Parts}, routing::get};
/// use tenure::Container;
/// use tenure::axum::{Inject, ScopeLayer};
/// use tower::ServiceExt;
///
/// struct RequestId(u64);
/// struct Session { id: Arc<RequestId> }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let closed = Arc::new(AtomicUsize::new(0));
/// let counter = closed.clone();
/// let container = Container::builder()
///     .scope_value::<RequestId>()
///     .scoped(|id: Arc<RequestId>| Session { id })
///     .dispose_with(move |_: Arc<Session>| {
///         let counter = counter.clone();
///         async move { counter.fetch_add(1, Ordering::SeqCst); Ok::<_, std::io::Error>(()) }
///     })
///     .build()?;
///
/// let layer = ScopeLayer::new(container).provide_async(|parts: &Parts| {
///     // Read what the value needs from the head now; the future owns it.
///     let raw = parts.headers.get("x-request-id").cloned();
///     async move {
///         let id = raw.and_then(|v| v.to_str().ok()?.parse().ok());
///         id.map(RequestId).ok_or(StatusCode::BAD_REQUEST)
///     }
/// });
/// let app = Router::new()
///     .route("/", get(|s: Inject<Session>| async move { s.id.0.to_string() }))
///     .layer(layer);
///
/// let req = Request::get("/").header("x-request-id", "7").body(Body::empty())?;
/// let res = app.oneshot(req).await?;
/// assert_eq!(res.status(), StatusCode::OK);
/// assert_eq!(closed.load(Ordering::SeqCst), 1); // disposed before the response came back
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ScopeLayer {
    container: Container,
    suppliers: Vec<Supplier>,
}

impl ScopeLayer {
    /// A layer that opens each request's scope in `container`.
    pub fn new(container: Container) -> ScopeLayer {
        ScopeLayer {
            container,
            suppliers: Vec::new(),
        }
    }

    /// Supplies the scope value `T` of every request from the request's
    /// head. An `Err(e)` answers the request with `e.into_response()`
    /// (the handler does not run); use [`Infallible`](std::convert::Infallible) as `E` for a value
    /// that is always there.
    pub fn provide<T, E, F>(mut self, provider: F) -> ScopeLayer
    where
        T: Send + Sync + 'static,
        E: IntoResponse,
        F: Fn(&Parts) -> Result<T, E> + Send + Sync + 'static,
    {
        self.suppliers.push(Supplier::Sync(Arc::new(
            move |parts, scope| match provider(parts) {
                Ok(value) => supply(scope, value),
                Err(e) => Err(Refused::Response(Box::new(e.into_response()))),
            },
        )));
        self
    }

    /// Supplies the scope value `T` of every request asynchronously (a
    /// session looked up in a store, say). `provider` reads what it needs
    /// from the head and returns a future that owns it; an `Err(e)`
    /// answers the request with `e.into_response()`.
    ///
    /// The future runs before the handler, in the request's task: dropping
    /// the request drops it (and disposes the scope).
    pub fn provide_async<T, E, F, Fut>(mut self, provider: F) -> ScopeLayer
    where
        T: Send + Sync + 'static,
        E: IntoResponse,
        F: Fn(&Parts) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        self.suppliers
            .push(Supplier::Async(Arc::new(move |parts, scope| {
                let fut = provider(parts);
                let scope = scope.clone();
                Box::pin(async move {
                    match fut.await {
                        Ok(value) => supply(&scope, value),
                        Err(e) => Err(Refused::Response(Box::new(e.into_response()))),
                    }
                })
            })));
        self
    }

    /// The container whose scopes this layer opens.
    pub fn container(&self) -> &Container {
        &self.container
    }
}

impl fmt::Debug for ScopeLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopeLayer")
            .field("container", &self.container)
            .field("providers", &self.suppliers.len())
            .finish()
    }
}

impl<S> Layer<S> for ScopeLayer {
    type Service = ScopeService<S>;

    fn layer(&self, inner: S) -> ScopeService<S> {
        ScopeService {
            inner,
            layer: Arc::new(self.clone()),
        }
    }
}

/// The service [`ScopeLayer`] wraps around an inner service (a router, a
/// route): see [`ScopeLayer`].
#[derive(Clone)]
pub struct ScopeService<S> {
    inner: S,
    layer: Arc<ScopeLayer>,
}

impl<S> fmt::Debug for ScopeService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopeService")
            .field("layer", &self.layer)
            .finish_non_exhaustive()
    }
}

impl<S, B> Service<Request<B>> for ScopeService<S>
where
    S: Service<Request<B>> + Clone + Send + 'static,
    S::Response: IntoResponse,
    S::Error: Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        // The clone is ready only if polled: keep the one that was.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        Box::pin(async move {
            let (mut parts, body) = req.into_parts();
            let scope = layer.container.scope();
            let guard = DisposeGuard::new(scope.clone(), &parts);
            for supplier in &layer.suppliers {
                let supplied = match supplier {
                    Supplier::Sync(f) => f(&parts, &scope),
                    Supplier::Async(f) => f(&parts, &scope).await,
                };
                let response = match supplied {
                    Ok(()) => continue,
                    Err(Refused::Response(r)) => *r,
                    Err(Refused::Scope(error, value)) => {
                        InjectRejection::Failed(ResolveFailed::new(error, value, true, &parts))
                            .into_response()
                    }
                };
                drop(scope);
                guard.dispose().await;
                return Ok(response);
            }
            parts.extensions.insert(scope);
            // `call` itself runs inside, so a panic in it is caught too.
            let req = Request::from_parts(parts, body);
            let out = catch_unwind(async move { inner.call(req).await }).await;
            let out = out.map(|r| r.map(IntoResponse::into_response));
            guard.dispose().await;
            match out {
                Ok(r) => r,
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })
    }
}

/// Awaits `fut`, turning a panic while polling it into an `Err`.
async fn catch_unwind<F: Future>(fut: F) -> Result<F::Output, Box<dyn std::any::Any + Send>> {
    let mut fut = pin!(fut);
    std::future::poll_fn(move |cx| {
        match std::panic::catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    })
    .await
}

/// Disposes the request's scope: awaited by the request, or, if the
/// request future is dropped first, spawned on the runtime from `Drop`.
struct DisposeGuard {
    scope: Option<Scope>,
    method: Method,
    uri: Uri,
}

impl DisposeGuard {
    fn new(scope: Scope, parts: &Parts) -> DisposeGuard {
        DisposeGuard {
            scope: Some(scope),
            method: parts.method.clone(),
            uri: parts.uri.clone(),
        }
    }

    async fn dispose(mut self) {
        if let Some(scope) = self.scope.take() {
            let (method, uri) = (self.method.clone(), self.uri.clone());
            dispose_reporting(scope, method, uri).await;
        }
    }
}

impl Drop for DisposeGuard {
    fn drop(&mut self) {
        if let Some(scope) = self.scope.take() {
            // The core's detached disposal (the same as a dropped
            // `run_scoped`): it continues on the runtime, or reports the
            // disposers that cannot run.
            scope.dispose_detached(format!(
                "disposing the scope of {} {} (its request was dropped) failed",
                self.method, self.uri
            ));
        }
    }
}

/// Disposes `scope`; failures go to the container's `on_dispose_error`
/// (nobody awaits them: the response is produced, or the request gone).
async fn dispose_reporting(scope: Scope, method: Method, uri: Uri) {
    let container = scope.container();
    if let Err(e) = scope.dispose().await {
        let what = format!("disposing the scope of {method} {uri} failed");
        crate::asynch::report_disposal(&container.shared.plan.hooks, &e, &what);
    }
}
