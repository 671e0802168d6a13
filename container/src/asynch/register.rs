//! Registration of async factories and async disposers.

use std::future::Future;
use std::sync::Arc;

use crate::asynch::AsyncDispose;
use crate::builder::{ContainerBuilder, HookKind, RegExec, convert, pool_size};
use crate::erased::{BoxFuture, Erased};
use crate::factory::{ErasedAsyncFactory, ErasedDisposer, FactoryFn, FactoryResult, factory_error};
use crate::lifetime::Lifetime;

pub(super) fn erase_async<M, F>(factory: F) -> Arc<ErasedAsyncFactory>
where
    F: FactoryFn<M>,
    F::Output: Future + Send + 'static,
    <F::Output as Future>::Output: Send + Sync + 'static,
{
    Arc::new(move |deps| {
        let fut = factory.call(deps)?;
        let fut: BoxFuture<'static, _> = Box::pin(async move { Ok(Arc::new(fut.await) as Erased) });
        Ok(fut)
    })
}

pub(super) fn erase_try_async<M, F>(factory: F) -> Arc<ErasedAsyncFactory>
where
    F: FactoryFn<M>,
    F::Output: Future + Send + 'static,
    <F::Output as Future>::Output: FactoryResult,
{
    Arc::new(move |deps| {
        let fut = factory.call(deps)?;
        let fut: BoxFuture<'static, _> = Box::pin(async move {
            let value = fut.await.into_result().map_err(factory_error)?;
            Ok(Arc::new(value) as Erased)
        });
        Ok(fut)
    })
}

/// Async registrations (feature `tokio`).
///
/// An async factory declares its dependencies exactly like a sync one, from
/// its argument types, and returns a future:
///
/// ```
/// use std::sync::Arc;
/// use tenure::Container;
///
/// struct Config { url: String }
/// struct Pool { url: String }
/// struct Conn { pool: Arc<Pool> }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let c = Container::builder()
///     .instance(Config { url: "db://".into() })
///     .singleton_async(|cfg: Arc<Config>| async move { Pool { url: cfg.url.clone() } })
///     .scoped_async(|pool: Arc<Pool>| async move { Conn { pool } })
///     .build()?;
/// c.warm_up_async().await?; // creates the pool now: a broken database fails at startup
/// let scope = c.scope();
/// let conn = scope.resolve_async::<Conn>().await?;
/// assert_eq!(conn.pool.url, "db://");
/// # Ok(()) }
/// ```
impl ContainerBuilder {
    /// Registers an async singleton.
    #[track_caller]
    pub fn singleton_async<M, F>(&mut self, factory: F) -> &mut Self
    where
        F: FactoryFn<M>,
        F::Output: Future + Send + 'static,
        <F::Output as Future>::Output: Send + Sync + 'static,
    {
        self.register_async(Lifetime::Singleton, factory)
    }

    /// Registers an async scoped service.
    #[track_caller]
    pub fn scoped_async<M, F>(&mut self, factory: F) -> &mut Self
    where
        F: FactoryFn<M>,
        F::Output: Future + Send + 'static,
        <F::Output as Future>::Output: Send + Sync + 'static,
    {
        self.register_async(Lifetime::Scoped, factory)
    }

    /// Registers an async transient.
    #[track_caller]
    pub fn transient_async<M, F>(&mut self, factory: F) -> &mut Self
    where
        F: FactoryFn<M>,
        F::Output: Future + Send + 'static,
        <F::Output as Future>::Output: Send + Sync + 'static,
    {
        self.register_async(Lifetime::Transient, factory)
    }

    /// Registers an async pooled service with a pool of `max` instances.
    #[track_caller]
    pub fn pooled_async<M, F>(&mut self, max: usize, factory: F) -> &mut Self
    where
        F: FactoryFn<M>,
        F::Output: Future + Send + 'static,
        <F::Output as Future>::Output: Send + Sync + 'static,
    {
        let exec = RegExec::AsyncFactory(erase_async(factory));
        self.push_own::<<F::Output as Future>::Output, M, F>(Lifetime::Pooled, Some(max), exec)
    }

    /// Registers an async factory with the given lifetime.
    #[track_caller]
    pub fn register_async<M, F>(&mut self, lifetime: Lifetime, factory: F) -> &mut Self
    where
        F: FactoryFn<M>,
        F::Output: Future + Send + 'static,
        <F::Output as Future>::Output: Send + Sync + 'static,
    {
        let exec = RegExec::AsyncFactory(erase_async(factory));
        self.push_own::<<F::Output as Future>::Output, M, F>(lifetime, pool_size(lifetime), exec)
    }

    /// Registers a fallible async singleton: the future resolves to
    /// `Result<T, E>`.
    #[track_caller]
    pub fn try_singleton_async<M, F>(&mut self, factory: F) -> &mut Self
    where
        F: FactoryFn<M>,
        F::Output: Future + Send + 'static,
        <F::Output as Future>::Output: FactoryResult,
    {
        self.try_register_async(Lifetime::Singleton, factory)
    }

    /// Registers a fallible async scoped service.
    #[track_caller]
    pub fn try_scoped_async<M, F>(&mut self, factory: F) -> &mut Self
    where
        F: FactoryFn<M>,
        F::Output: Future + Send + 'static,
        <F::Output as Future>::Output: FactoryResult,
    {
        self.try_register_async(Lifetime::Scoped, factory)
    }

    /// Registers a fallible async transient.
    #[track_caller]
    pub fn try_transient_async<M, F>(&mut self, factory: F) -> &mut Self
    where
        F: FactoryFn<M>,
        F::Output: Future + Send + 'static,
        <F::Output as Future>::Output: FactoryResult,
    {
        self.try_register_async(Lifetime::Transient, factory)
    }

    /// Registers a fallible async pooled service with a pool of `max`.
    #[track_caller]
    pub fn try_pooled_async<M, F>(&mut self, max: usize, factory: F) -> &mut Self
    where
        F: FactoryFn<M>,
        F::Output: Future + Send + 'static,
        <F::Output as Future>::Output: FactoryResult,
    {
        let exec = RegExec::AsyncFactory(erase_try_async(factory));
        self.push_own::<<<F::Output as Future>::Output as FactoryResult>::Service, M, F>(
            Lifetime::Pooled,
            Some(max),
            exec,
        )
    }

    /// Registers a fallible async factory with the given lifetime.
    #[track_caller]
    pub fn try_register_async<M, F>(&mut self, lifetime: Lifetime, factory: F) -> &mut Self
    where
        F: FactoryFn<M>,
        F::Output: Future + Send + 'static,
        <F::Output as Future>::Output: FactoryResult,
    {
        let exec = RegExec::AsyncFactory(erase_try_async(factory));
        self.push_own::<<<F::Output as Future>::Output as FactoryResult>::Service, M, F>(
            lifetime,
            pool_size(lifetime),
            exec,
        )
    }

    /// Attaches an async disposer to the registered service `T`: it runs
    /// when the instance's owner is disposed (its scope's
    /// [`dispose`](crate::Scope::dispose), or the container's
    /// [`shutdown`](crate::Container::shutdown) for singletons), in reverse
    /// creation order, exactly once, under the
    /// [`dispose_timeout`](Self::dispose_timeout).
    #[track_caller]
    pub fn dispose_with<T, F, Fut, E>(&mut self, disposer: F) -> &mut Self
    where
        T: ?Sized + Send + Sync + 'static,
        F: Fn(Arc<T>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<anyhow::Error> + 'static,
    {
        self.push_hook::<T>(HookKind::Disposer(erase_hook(disposer)))
    }

    /// Attaches `T`'s [`AsyncDispose`] implementation as its async disposer.
    /// See [`dispose_with`](Self::dispose_with).
    #[track_caller]
    pub fn dispose<T: AsyncDispose>(&mut self) -> &mut Self {
        self.dispose_with::<T, _, _, anyhow::Error>(|t: Arc<T>| async move { t.dispose().await })
    }

    /// How long one async disposer may run before it is reported as timed
    /// out and skipped (default 30 seconds).
    pub fn dispose_timeout(&mut self, timeout: std::time::Duration) -> &mut Self {
        self.settings.dispose_timeout = timeout;
        self
    }
}

/// Erases an async hook on `T` (a disposer, a start or stop hook): it
/// converts the erased instance through the service's caster and boxes the
/// hook's future, its error as `anyhow::Error`.
pub(super) fn erase_hook<T, F, Fut, E>(hook: F) -> Arc<ErasedDisposer>
where
    T: ?Sized + Send + Sync + 'static,
    F: Fn(Arc<T>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: Into<anyhow::Error> + 'static,
{
    Arc::new(
        move |e: Erased, caster: &(dyn std::any::Any + Send + Sync)| {
            let fut = hook(convert::<T>(e, caster));
            Box::pin(async move { fut.await.map_err(Into::into) })
                as BoxFuture<'static, Result<(), anyhow::Error>>
        },
    )
}
