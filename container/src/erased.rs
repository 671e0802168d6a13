//! Type-erased instances and futures, shared by every layer.

use std::any::Any;
use std::sync::{Arc, OnceLock};

/// A type-erased service instance: always an `Arc<T>` of the sized type the
/// factory returned, unsized to `dyn Any` (no extra allocation).
pub(crate) type Erased = Arc<dyn Any + Send + Sync>;

/// A boxed, sendable future.
pub(crate) type BoxFuture<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// A typed handle: the `Arc<T>` a created singleton is resolved as, boxed as
/// `Any`, so that later resolutions are one type check and one reference
/// count increment away.
pub(crate) type Typed = Box<dyn Any + Send + Sync>;

/// The cell holding a singleton's [`Typed`] handle once it exists.
pub(crate) type TypedCell = OnceLock<Typed>;

/// A hook that receives an error report nobody awaits.
pub(crate) type ErrorHook = std::sync::Arc<dyn Fn(&dyn std::error::Error) + Send + Sync>;

/// The message of a panic payload.
pub(crate) fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a non-string panic payload)".to_owned()
    }
}

/// Runs a user callback that must not unwind into its caller (a `Drop`
/// implementation, a hook): a panic is caught and its message returned.
pub(crate) fn contain<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|p| panic_message(&*p))
}
