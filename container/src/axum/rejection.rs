//! What the extractors reject with: always `500 internal error (ref N)`,
//! with the cause logged under the same number.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::request::Parts;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::error::ResolveError;

/// Rejection of [`Inject`](crate::axum::Inject): the request has no scope, or resolving failed.
///
/// Both answer `500 Internal Server Error` with the body
/// `internal error (ref N)`, and log the cause under the same `ref N` to
/// standard error when turned into a response.
#[derive(Debug)]
#[non_exhaustive]
pub enum InjectRejection {
    /// The request has no scope: [`ScopeLayer`](crate::axum::ScopeLayer) is not installed on its
    /// route.
    MissingScope(MissingScope),
    /// Resolving (or supplying) the service failed.
    Failed(ResolveFailed),
}

impl InjectRejection {
    /// The resolution error, if resolving failed.
    pub fn resolve_error(&self) -> Option<&ResolveError> {
        match self {
            InjectRejection::Failed(f) => Some(&f.error),
            InjectRejection::MissingScope(_) => None,
        }
    }
}

impl fmt::Display for InjectRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InjectRejection::MissingScope(m) => fmt::Display::fmt(m, f),
            InjectRejection::Failed(r) => fmt::Display::fmt(r, f),
        }
    }
}

impl std::error::Error for InjectRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            InjectRejection::MissingScope(_) => None,
            InjectRejection::Failed(r) => Some(&r.error),
        }
    }
}

impl IntoResponse for InjectRejection {
    fn into_response(self) -> Response {
        match self {
            InjectRejection::MissingScope(m) => m.into_response(),
            InjectRejection::Failed(r) => r.into_response(),
        }
    }
}

/// The request has no [`Scope`](crate::Scope): [`ScopeLayer`](crate::axum::ScopeLayer) is not installed on the
/// route of an extractor that needs it.
///
/// Answers `500 Internal Server Error` (body `internal error (ref N)`) and
/// logs which extractor, which request, and how to add the layer.
#[derive(Debug)]
pub struct MissingScope {
    extractor: &'static str,
    method: Method,
    uri: Uri,
}

impl MissingScope {
    pub(crate) fn new(parts: &Parts, extractor: &'static str) -> MissingScope {
        MissingScope {
            extractor,
            method: parts.method.clone(),
            uri: parts.uri.clone(),
        }
    }
}

impl fmt::Display for MissingScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` needs the request's scope, but {} {} has none: add the layer that opens one, \
             `router.layer(tenure::axum::ScopeLayer::new(container))` (with `Router::layer`, \
             after the routes that use it, or on a router that nests them)",
            self.extractor, self.method, self.uri
        )
    }
}

impl std::error::Error for MissingScope {}

impl IntoResponse for MissingScope {
    fn into_response(self) -> Response {
        internal_error(&self)
    }
}

/// A service could not be resolved (or a request value not supplied) in
/// the request's scope. The [`ResolveError`] has the path and the cause.
///
/// Answers `500 Internal Server Error` (body `internal error (ref N)`) and
/// logs the request, the service and the full report.
#[derive(Debug)]
pub struct ResolveFailed {
    error: ResolveError,
    service: &'static str,
    supplying: bool,
    method: Method,
    uri: Uri,
}

impl ResolveFailed {
    /// `error` while resolving (or, `supplying`, while supplying) `service`
    /// for the request `parts`.
    pub(crate) fn new(
        error: ResolveError,
        service: &'static str,
        supplying: bool,
        parts: &Parts,
    ) -> ResolveFailed {
        ResolveFailed {
            error,
            service,
            supplying,
            method: parts.method.clone(),
            uri: parts.uri.clone(),
        }
    }

    /// The resolution error.
    pub fn error(&self) -> &ResolveError {
        &self.error
    }

    /// The type name of the service that was asked for (or supplied).
    pub fn service(&self) -> &'static str {
        self.service
    }
}

impl fmt::Display for ResolveFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.supplying {
            "cannot supply the request value"
        } else {
            "cannot inject"
        };
        // `Debug` of a `ResolveError` is its message and its cause chain.
        write!(
            f,
            "{} {}: {what} `{}`: {:?}",
            self.method, self.uri, self.service, self.error
        )
    }
}

impl std::error::Error for ResolveFailed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl IntoResponse for ResolveFailed {
    fn into_response(self) -> Response {
        internal_error(&self)
    }
}

/// Numbers the internal errors this process answered, to find one's log
/// line from what the client saw.
static NEXT_REF: AtomicU64 = AtomicU64::new(1);

/// `500 internal error (ref N)`, with `cause` on standard error under the
/// same number.
fn internal_error(cause: &dyn fmt::Display) -> Response {
    let n = NEXT_REF.fetch_add(1, Ordering::Relaxed);
    eprintln!("tenure::axum [ref {n}]: {cause}");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("internal error (ref {n})"),
    )
        .into_response()
}
