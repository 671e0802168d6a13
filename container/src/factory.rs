//! [`FactoryFn`]: closures and functions whose arguments are their
//! dependencies, and the erased forms the builder stores them in.

use std::any::Any;
use std::sync::Arc;

use crate::erased::{BoxFuture, Erased, Typed};
use crate::error::{ResolveError, ResolveErrorKind};
use crate::inject::{Declarations, Deps, Inject};

/// A closure or function that creates a service; its arguments (0 to 12,
/// each [`Inject`]) are its dependencies.
///
/// The type parameter `M` is a marker (the tuple of argument types) that
/// keeps the impls for different arities apart; you never name it. This is
/// the pattern axum uses for handlers. The trait is sealed: it is
/// implemented for every `Fn` whose arguments are injectable.
///
/// ```
/// use std::sync::Arc;
/// use tenure::Container;
///
/// struct Config { url: String }
/// struct Pool { url: String }
///
/// fn open_pool(cfg: Arc<Config>) -> Pool {
///     Pool { url: cfg.url.clone() }
/// }
///
/// let c = Container::builder()
///     .instance(Config { url: "db://".into() })
///     .singleton(open_pool) // a plain fn works as well as a closure
///     .build()?;
/// assert_eq!(c.resolve::<Pool>()?.url, "db://");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a tenure factory",
    label = "expected a closure or fn whose arguments are all injectable",
    note = "a factory is `Fn(A1, .., An) -> T` (n <= 12) where every `Ai` is `Arc<T>`, \
            `Option<Arc<T>>`, `Vec<Arc<T>>`, `Lazy<T>`, `Factory<T>` or `ScopeFactory`; \
            annotate closure arguments with their types"
)]
pub trait FactoryFn<M>: sealed::Sealed<M> + Send + Sync + 'static {
    /// What the factory returns.
    type Output;

    /// Declares the dependencies, from the argument types.
    #[doc(hidden)]
    fn declare(decls: &mut Declarations);

    /// Fetches the arguments and calls the factory.
    #[doc(hidden)]
    fn call(&self, deps: &mut Deps<'_>) -> Result<Self::Output, ResolveError>;
}

mod sealed {
    /// Seals [`FactoryFn`](super::FactoryFn) and
    /// [`FactoryResult`](super::FactoryResult).
    pub trait Sealed<M> {}
}

macro_rules! impl_factory_fn {
    ($($A:ident),*) => {
        impl<F, R, $($A,)*> sealed::Sealed<($($A,)*)> for F
        where
            F: Fn($($A),*) -> R + Send + Sync + 'static,
            $($A: Inject,)*
        {}

        impl<F, R, $($A,)*> FactoryFn<($($A,)*)> for F
        where
            F: Fn($($A),*) -> R + Send + Sync + 'static,
            $($A: Inject,)*
        {
            type Output = R;

            #[allow(unused_variables)]
            fn declare(decls: &mut Declarations) {
                $($A::declare(decls);)*
            }

            #[allow(unused_variables)]
            #[inline]
            fn call(&self, deps: &mut Deps<'_>) -> Result<R, ResolveError> {
                Ok(self($($A::fetch(deps)?),*))
            }
        }
    };
}

crate::macros::all_tuples!(impl_factory_fn);

/// What a fallible factory (`try_singleton`, `try_scoped`, `try_transient`)
/// returns: `Result<T, E>` where `E` converts into [`anyhow::Error`] (any
/// `std::error::Error + Send + Sync + 'static`, a boxed error, or an
/// `anyhow::Error`). Sealed: implemented for `Result` only.
pub trait FactoryResult: sealed::Sealed<()> + 'static {
    /// The service type.
    type Service: Send + Sync + 'static;

    /// Converts into a plain result.
    #[doc(hidden)]
    fn into_result(self) -> Result<Self::Service, anyhow::Error>;
}

impl<T, E> sealed::Sealed<()> for Result<T, E>
where
    T: Send + Sync + 'static,
    E: Into<anyhow::Error> + 'static,
{
}

impl<T, E> FactoryResult for Result<T, E>
where
    T: Send + Sync + 'static,
    E: Into<anyhow::Error> + 'static,
{
    type Service = T;

    fn into_result(self) -> Result<T, anyhow::Error> {
        self.map_err(Into::into)
    }
}

/// A type-erased factory: the instance, or `None` with its error left in
/// the [`Deps`] (see [`call`]). An `Option` of the erased `Arc` comes back
/// in two registers; a `Result` would be written to memory by the factory
/// and read back at once by its caller, a store-forwarding stall on every
/// creation (measured: a fifth of the time of a plain transient).
pub(crate) type ErasedFactory = dyn Fn(&mut Deps<'_>) -> Option<Erased> + Send + Sync;

/// Erases `f`, a factory written with `Result` and `?`.
pub(crate) fn sync_factory(
    f: impl Fn(&mut Deps<'_>) -> Result<Erased, ResolveError> + Send + Sync + 'static,
) -> Arc<ErasedFactory> {
    Arc::new(move |deps: &mut Deps<'_>| {
        let made = f(deps);
        deps.settle(made)
    })
}

/// Calls an erased factory: its instance or its error.
#[inline(always)]
pub(crate) fn call(f: &ErasedFactory, deps: &mut Deps<'_>) -> Result<Erased, ResolveError> {
    match f(deps) {
        Some(v) => Ok(v),
        None => Err(deps.take_failure()),
    }
}

/// A type-erased async factory: fetches its arguments synchronously (every
/// dependency that needs async work has been resolved before), then returns
/// the future that builds the instance.
pub(crate) type ErasedAsyncFactory = dyn Fn(&mut Deps<'_>) -> Result<BoxFuture<'static, Result<Erased, ResolveError>>, ResolveError>
    + Send
    + Sync;

/// A type-erased async disposer. Takes the instance and the caster of the
/// service it is attached to (`&Caster<T>` as `Any`), through which it
/// converts the instance exactly as resolution does.
pub(crate) type ErasedDisposer = dyn Fn(Erased, &(dyn Any + Send + Sync)) -> BoxFuture<'static, Result<(), anyhow::Error>>
    + Send
    + Sync;

/// A type-erased reset hook, run on a pooled instance before it goes back to
/// its pool; converts like [`ErasedDisposer`].
pub(crate) type ErasedReset = dyn Fn(&Erased, &(dyn Any + Send + Sync)) + Send + Sync;

/// Makes the typed handle (`Box<Arc<T>>`, as `Any`) of a singleton from its
/// erased instance, when it is created; `None` for entries never cached.
pub(crate) type Typer = fn(&Erased) -> Option<Typed>;

/// The [`Typer`] of a service resolved as its own (sized) type.
pub(crate) fn typed_own<T: Send + Sync + 'static>(e: &Erased) -> Option<Typed> {
    e.clone().downcast::<T>().ok().map(|a| Box::new(a) as Typed)
}

/// The [`Typer`] of entries that are never cached (bindings, elements).
pub(crate) fn typed_none(_: &Erased) -> Option<Typed> {
    None
}

/// Erases an infallible factory.
pub(crate) fn erase<M, F>(factory: F) -> Arc<ErasedFactory>
where
    F: FactoryFn<M>,
    F::Output: Send + Sync + 'static,
{
    sync_factory(move |deps| factory.call(deps).map(|v| Arc::new(v) as Erased))
}

/// Erases a fallible factory.
pub(crate) fn erase_try<M, F>(factory: F) -> Arc<ErasedFactory>
where
    F: FactoryFn<M>,
    F::Output: FactoryResult,
{
    sync_factory(move |deps| {
        let value = factory.call(deps)?.into_result().map_err(factory_error)?;
        Ok(Arc::new(value) as Erased)
    })
}

/// A factory's own error, as a [`ResolveError`].
pub(crate) fn factory_error(e: anyhow::Error) -> ResolveError {
    ResolveError::new(ResolveErrorKind::Factory(e))
}
