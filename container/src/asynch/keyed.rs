//! The async forms of keyed services and factories with arguments:
//! registration under a key, resolution by key, argument registrations
//! with async factories, and [`FactoryWith::create_async`].

use std::future::Future;
use std::sync::Arc;

use crate::asynch::AsyncDispose;
use crate::builder::{ContainerBuilder, HookKind, RegExec, pool_size};
use crate::container::Container;
use crate::error::ResolveError;
use crate::factory::{FactoryFn, FactoryResult};
use crate::handles::through_handle_async;
use crate::keyed::{KeyedBuilder, key_of};
use crate::lifetime::Lifetime;
use crate::scope::Scope;
use crate::with_args::{ArgFactoryFn, FactoryWith, Made, Prepared, erase_with, within};

use super::register::{erase_async, erase_hook, erase_try_async};

impl<'b, K: 'static> KeyedBuilder<'b, K> {
    /// Registers an async singleton under `K`. See
    /// [`ContainerBuilder::singleton_async`].
    #[track_caller]
    pub fn singleton_async<M, F>(self, factory: F) -> &'b mut ContainerBuilder
    where
        F: FactoryFn<M>,
        F::Output: Future + Send + 'static,
        <F::Output as Future>::Output: Send + Sync + 'static,
    {
        self.register_async(Lifetime::Singleton, factory)
    }

    /// Registers an async scoped service under `K`.
    #[track_caller]
    pub fn scoped_async<M, F>(self, factory: F) -> &'b mut ContainerBuilder
    where
        F: FactoryFn<M>,
        F::Output: Future + Send + 'static,
        <F::Output as Future>::Output: Send + Sync + 'static,
    {
        self.register_async(Lifetime::Scoped, factory)
    }

    /// Registers an async transient under `K`.
    #[track_caller]
    pub fn transient_async<M, F>(self, factory: F) -> &'b mut ContainerBuilder
    where
        F: FactoryFn<M>,
        F::Output: Future + Send + 'static,
        <F::Output as Future>::Output: Send + Sync + 'static,
    {
        self.register_async(Lifetime::Transient, factory)
    }

    /// Registers an async `factory` under `K` with the given lifetime. See
    /// [`ContainerBuilder::register_async`].
    #[track_caller]
    pub fn register_async<M, F>(self, lifetime: Lifetime, factory: F) -> &'b mut ContainerBuilder
    where
        F: FactoryFn<M>,
        F::Output: Future + Send + 'static,
        <F::Output as Future>::Output: Send + Sync + 'static,
    {
        self.own::<<F::Output as Future>::Output, M, F>(
            lifetime,
            pool_size(lifetime),
            RegExec::AsyncFactory(erase_async(factory)),
        )
    }

    /// Registers a fallible async `factory` under `K` with the given
    /// lifetime. See [`ContainerBuilder::try_register_async`].
    #[track_caller]
    pub fn try_register_async<M, F>(
        self,
        lifetime: Lifetime,
        factory: F,
    ) -> &'b mut ContainerBuilder
    where
        F: FactoryFn<M>,
        F::Output: Future + Send + 'static,
        <F::Output as Future>::Output: FactoryResult,
    {
        self.own::<<<F::Output as Future>::Output as FactoryResult>::Service, M, F>(
            lifetime,
            pool_size(lifetime),
            RegExec::AsyncFactory(erase_try_async(factory)),
        )
    }
}

impl<'b, K: 'static> KeyedBuilder<'b, K> {
    /// Attaches `disposer` as the async disposer of `T` registered under
    /// `K`. See [`ContainerBuilder::dispose_with`].
    #[track_caller]
    pub fn dispose_with<T, F, Fut, E>(self, disposer: F) -> &'b mut ContainerBuilder
    where
        T: ?Sized + Send + Sync + 'static,
        F: Fn(Arc<T>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<anyhow::Error> + 'static,
    {
        self.push_hook::<T>(HookKind::Disposer(erase_hook(disposer)))
    }

    /// Attaches `T`'s [`AsyncDispose`] implementation as the async disposer
    /// of `T` registered under `K`.
    #[track_caller]
    pub fn dispose<T: AsyncDispose>(self) -> &'b mut ContainerBuilder {
        self.dispose_with::<T, _, _, anyhow::Error>(|t: Arc<T>| async move { t.dispose().await })
    }
}

impl Container {
    /// Resolves the service `T` registered under the key `K` from the root,
    /// awaiting async factories. See [`resolve_async`](Container::resolve_async).
    ///
    /// # Cancel safety
    /// As [`resolve_async`](Container::resolve_async).
    pub async fn resolve_keyed_async<K: 'static, T: ?Sized + Send + Sync + 'static>(
        &self,
    ) -> Result<Arc<T>, ResolveError> {
        let idx = self.shared.plan.lookup_key(key_of::<K, T>())?;
        self.resolve_at_async::<T>(idx).await
    }
}

impl Scope {
    /// Resolves the service `T` registered under the key `K` in this scope,
    /// awaiting async factories.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tenure::Container;
    ///
    /// struct Primary;
    /// struct Conn(&'static str);
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let c = Container::builder()
    ///     .keyed::<Primary>().scoped_async(|| async { Conn("primary") })
    ///     .build()?;
    /// let scope = c.scope();
    /// assert_eq!(scope.resolve_keyed_async::<Primary, Conn>().await?.0, "primary");
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    /// As [`resolve_async`](Scope::resolve_async).
    pub async fn resolve_keyed_async<K: 'static, T: ?Sized + Send + Sync + 'static>(
        &self,
    ) -> Result<Arc<T>, ResolveError> {
        let idx = self.shared.root.plan.lookup_key(key_of::<K, T>())?;
        self.resolve_at_async::<T>(idx).await
    }
}

impl ContainerBuilder {
    /// The async form of [`transient_with`](ContainerBuilder::transient_with):
    /// the factory returns a future; create with
    /// [`FactoryWith::create_async`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tenure::{Container, FactoryWith};
    ///
    /// struct Http;
    /// struct Fetch { url: String }
    /// struct Crawler { fetches: FactoryWith<String, Fetch> }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let c = Container::builder()
    ///     .singleton(|| Http)
    ///     .transient_with_async(|url: String, _http: Arc<Http>| async move { Fetch { url } })
    ///     .singleton(|fetches: FactoryWith<String, Fetch>| Crawler { fetches })
    ///     .build()?;
    /// let crawler = c.resolve::<Crawler>()?;
    /// let scope = c.scope();
    /// let fetch = crawler.fetches.create_async(&scope, "https://example.com".into()).await?;
    /// assert_eq!(fetch.url, "https://example.com");
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn transient_with_async<A, M, F>(&mut self, factory: F) -> &mut Self
    where
        A: 'static,
        F: ArgFactoryFn<A, M>,
        F::Output: Future + Send + 'static,
        <F::Output as Future>::Output: Send + Sync + 'static,
    {
        let exec = erase_with::<A, <F::Output as Future>::Output, M, F>(factory, |fut| {
            Made::Later(Box::pin(async move { Ok(fut.await) }))
        });
        self.push_with::<A, <F::Output as Future>::Output, M, F>(exec)
    }
}

impl<A: Send + 'static, T: Send + Sync + 'static> FactoryWith<A, T> {
    /// [`create`](FactoryWith::create), awaiting async factories (the
    /// argument registration's own, and its dependencies').
    ///
    /// # Cancel safety
    /// Dropping the future drops the instance being made; scoped
    /// dependencies already created stay in `scope`.
    pub async fn create_async(&self, scope: &Scope, args: A) -> Result<Arc<T>, ResolveError> {
        through_handle_async(self.node, async {
            self.check_scope(scope)?;
            let prepared = scope
                .ctx()?
                .resolve_as_async::<Prepared<A, T>>(self.idx)
                .await?;
            match prepared.run(args) {
                Made::Now(r) => r,
                Made::Later(fut) => fut.await,
            }
            .map(Arc::new)
            .map_err(|e| within(crate::factory::factory_error(e), self.node))
        })
        .await
    }
}
