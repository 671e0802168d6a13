//! Derive macros for [`tenure`](https://docs.rs/tenure).
//!
//! This crate is re-exported by `tenure` behind its default `derive` feature;
//! depend on `tenure`, not on this crate directly.
//!
//! The derive is laid out like well-kept derive crates: `ast` parses the
//! input into a model that keeps the `syn` nodes (for spans), `attr` parses
//! the attributes, `valid` checks the model, `expand` generates the code.
//! Every error is collected (`ctxt`) and reported at once.

mod ast;
mod attr;
mod ctxt;
mod expand;
mod valid;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Implements `tenure::Injectable` for a struct: its fields are its
/// dependencies, its lifetime is declared by `#[injectable(..)]`.
///
/// ```
/// use std::sync::Arc;
/// use tenure::{Container, Injectable};
///
/// #[derive(Injectable)]
/// #[injectable(singleton)]
/// struct Pool;
///
/// #[derive(Injectable)]
/// #[injectable(scoped)]                   // singleton | scoped | pooled | transient
/// struct Session { pool: Arc<Pool> }
///
/// let c = Container::builder().add::<Pool>().add::<Session>().build()?;
/// let session = c.scope().resolve::<Session>()?;
/// # let _ = &session.pool;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Struct attribute `#[injectable(..)]`, every key:
///
/// | key | meaning |
/// |---|---|
/// | `singleton`, `scoped`, `pooled`, `transient` | the lifetime: exactly one, required |
/// | `pooled = N` | pooled, at most `N` instances in the pool (plain `pooled`: the builder's default size) |
/// | `provides = dyn Trait` | also resolvable as `Arc<dyn Trait>`, the same instance; repeatable |
/// | `collect = dyn Trait` | also an element of `Vec<Arc<dyn Trait>>`, in registration order; repeatable |
/// | `constructor = path` | built by `path(dep, ..) -> Self`, whose arguments are the dependencies |
/// | `try_constructor = path` | the same, returning `Result<Self, E>`; an `Err` reaches `resolve` |
/// | `async_dispose` | the type implements `tenure::AsyncDispose` (feature `tokio`), registered as its async disposer |
/// | `on_start = path`, `on_stop = path` | a singleton's start and stop hooks (feature `tokio`): `path(Arc<Self>)` returns a future of `Result<(), E>` (see `ContainerBuilder::on_start`) |
/// | `crate = path` | where `tenure` is, if it is renamed or re-exported |
///
/// Field attribute `#[inject(..)]` (not allowed with a constructor):
///
/// | key | meaning |
/// |---|---|
/// | none | injected: `Arc<T>`, `Arc<dyn Trait>`, `Option<Arc<T>>`, `Vec<Arc<dyn Trait>>`, `Lazy<T>`, `Factory<T>`, `ScopeFactory` |
/// | `default` | not injected: `Default::default()` |
/// | `with = path` | not injected: `path()` |
/// | `checked_at_build` | injected; holds a type parameter the compile-time check cannot see through, accepted: no warning, `build()` checks it |
///
/// A `path` may also be a string (`constructor = "Self::new"`). A generic
/// struct keeps its bounds; the derive adds `S: Send + Sync + 'static` for
/// each type parameter `S` an injected field names.
///
/// The compile-time captive check covers each injected field that is
/// `Arc<T>`, `Option<Arc<T>>`, `Vec<Arc<T>>` or `Lazy<T>` of a derived `T`,
/// through chains of derived transients: a non-generic struct where it is
/// defined (`cargo check` and `cargo build`), a generic one where
/// `add::<Cache<Session>>()` names its parameters (`cargo build` only).
/// A field holding a type parameter `S` itself is seen through only if `S`
/// is bounded `Injectable` in the struct; otherwise a singleton, pooled or
/// transient struct gets a warning at the field (a `deprecated` lint on
/// `CaptiveCheck..::BLIND_SPOT`, the only warning a derive can emit on
/// stable Rust), which `#[inject(checked_at_build)]` silences. `dyn Trait`
/// fields, constructor arguments, `Lazy` of a transient and `add_as`
/// overrides are left to `build()`, which checks every registration.
///
/// ```
/// use std::sync::Arc;
/// use tenure::{Container, Injectable};
///
/// #[derive(Injectable)]
/// #[injectable(scoped)]
/// struct Session;
///
/// // Checked where `add` names `S`: `add::<Cache<Session>>()` fails to
/// // compile, at `source`.
/// #[derive(Injectable)]
/// #[injectable(singleton)]
/// struct Cache<S: Injectable> { source: Arc<S> }
///
/// // `S` not bounded `Injectable`: without the key, a warning at `source`.
/// #[derive(Injectable)]
/// #[injectable(transient)]
/// struct View<S: Send + Sync + 'static> {
///     #[inject(checked_at_build)]
///     source: Arc<S>,
/// }
///
/// let c = Container::builder().add::<Session>().add::<View<Session>>().build()?;
/// let scope = c.scope();
/// assert!(Arc::ptr_eq(&scope.resolve::<View<Session>>()?.source, &scope.resolve::<Session>()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// See `tenure::Injectable`, "When the compile-time captive check applies",
/// and the `tenure` README, section "Deriving `Injectable`".
#[proc_macro_derive(Injectable, attributes(injectable, inject))]
pub fn derive_injectable(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input).into()
}
