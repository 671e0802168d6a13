//! Async services on Tokio (feature `tokio`, on by default): async
//! factories, [`resolve_async`](crate::Scope::resolve_async), startup with
//! [`warm_up_async`](crate::Container::warm_up_async), async disposal
//! ([`AsyncDispose`], [`Scope::dispose`](crate::Scope::dispose),
//! [`Container::shutdown`](crate::Container::shutdown)), pools that make
//! async renters wait, and [`run_scoped`](crate::Container::run_scoped).

mod dispose;
mod drive;
mod keyed;
mod lifecycle;
mod register;
mod resolve;

#[cfg(feature = "axum")]
pub(crate) use dispose::report as report_disposal;
pub use dispose::{AsyncDispose, DisposeError, DisposeFailure, DisposeFailureKind};
pub use lifecycle::{StartError, StartErrorKind};
