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
/// #[injectable(scoped)]                   // singleton | scoped | transient
/// struct Session { pool: Arc<Pool> }
///
/// let c = Container::builder().add::<Pool>().add::<Session>().build()?;
/// let session = c.scope().resolve::<Session>()?;
/// # let _ = &session.pool;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Struct attribute `#[injectable(..)]` keys:
/// - `singleton`, `scoped`, `pooled`, `pooled = max` or `transient` (exactly one);
/// - `provides = dyn Trait` (repeatable): also bind the service as
///   `Arc<dyn Trait>`;
/// - `collect = dyn Trait` (repeatable): also add it to the collection
///   injected as `Vec<Arc<dyn Trait>>`;
/// - `constructor = path` / `try_constructor = path`: build through a
///   function whose arguments are the dependencies (the latter returns
///   `Result`);
/// - `async_dispose`: the type implements `tenure::AsyncDispose`; register
///   it as the type's async disposer (needs `tenure`'s `tokio` feature);
/// - `crate = path`: where `tenure` is, if it is renamed or re-exported.
///
/// Field attribute `#[inject(..)]`: `default` (not injected:
/// `Default::default()`) or `with = path` (not injected: `path()`).
///
/// See the `tenure` README, section "Deriving `Injectable`".
#[proc_macro_derive(Injectable, attributes(injectable, inject))]
pub fn derive_injectable(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input).into()
}
