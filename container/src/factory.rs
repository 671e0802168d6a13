//! [`FactoryFn`]: closures and functions whose arguments are their dependencies.

use crate::error::ResolveError;
use crate::inject::{Declarations, Deps, Inject};

/// A closure or function that creates a service; its arguments (0 to 12,
/// each [`Inject`]) are its dependencies.
///
/// The type parameter `M` is a marker (the tuple of argument types) that
/// keeps the impls for different arities apart; you never name it. This is
/// the pattern axum uses for handlers.
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
pub trait FactoryFn<M>: Send + Sync + 'static {
    /// What the factory returns.
    type Output;

    /// Declares the dependencies, from the argument types.
    #[doc(hidden)]
    fn declare(decls: &mut Declarations);

    /// Fetches the arguments and calls the factory.
    #[doc(hidden)]
    fn call(&self, deps: &mut Deps<'_>) -> Result<Self::Output, ResolveError>;
}

macro_rules! impl_factory_fn {
    ($($A:ident),*) => {
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
/// `anyhow::Error`).
pub trait FactoryResult: 'static {
    /// The service type.
    type Service: Send + Sync + 'static;

    /// Converts into a plain result.
    fn into_result(self) -> Result<Self::Service, anyhow::Error>;
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
