//! Async resolution: the entry points (`resolve_async`, `warm_up_async`,
//! the handles' async methods) over the same lookup step as the sync
//! driver ([`resolve`](crate::resolve)); the creations that await run on
//! the driver in `drive.rs`.

use std::sync::Arc;

use crate::container::{Container, WarmUpError};
use crate::error::ResolveError;
use crate::handles::{Factory, Lazy, through_handle_async};
use crate::inject::{Got, cast};
use crate::resolve::{Ctx, Memo};
use crate::scope::Scope;

impl<'a> Ctx<'a> {
    /// Resolves service `idx`, awaiting waits and async factories. A hit,
    /// or a creation with nothing to await, is served synchronously;
    /// everything else runs along its route ([`routed`](Ctx::routed)) or
    /// on [`drive`](Ctx::drive), an explicit stack in one future (no future
    /// per node).
    pub(crate) async fn get_async(self, idx: u32) -> Result<Got<'a>, ResolveError> {
        if let Some(now) = self.without_await(idx) {
            return now;
        }
        // One actor for the whole chain of creations, current whenever the
        // driver is polled.
        match crate::actor::Actor::current() {
            Some(_) => self.routed(idx).await,
            None => {
                let (actor, _) = crate::actor::Actor::current_or_new();
                let run = std::pin::pin!(self.routed(idx));
                actor.polling(run).await
            }
        }
    }

    /// Service `idx` if nothing needs awaiting: a hit, or a creation with
    /// nothing in its graph that may await (no async factory, no pool:
    /// `needs_async`), done synchronously (a slot of such a service is
    /// never claimed across an `.await`, so a wait for it is a wait for a
    /// factory running on another thread). `None`: the async driver must
    /// create it.
    #[inline]
    pub(super) fn without_await(&self, idx: u32) -> Option<Result<Got<'a>, ResolveError>> {
        if let Some(got) = self.hit(idx) {
            return Some(Ok(got));
        }
        let svc = self.service(idx);
        (!svc.needs_async).then(|| self.get(idx))
    }

    /// Resolves service `idx` as an `Arc<T>`, awaiting async factories.
    pub(crate) async fn resolve_as_async<T: ?Sized + Send + Sync + 'static>(
        self,
        idx: u32,
    ) -> Result<Arc<T>, ResolveError> {
        self.get_async(idx).await.map(cast::<T>)
    }
}

impl Container {
    /// Resolves `T` from the root, awaiting async factories in its graph.
    /// Concurrent first resolutions of an async singleton run its factory
    /// once; the other callers wait without blocking a thread.
    ///
    /// # Cancel safety
    /// Dropping the future loses nothing: a creation that was running is
    /// abandoned (its slot is left empty, and the next resolution runs the
    /// factory again) and its waiters are woken.
    pub async fn resolve_async<T: ?Sized + Send + Sync + 'static>(
        &self,
    ) -> Result<Arc<T>, ResolveError> {
        let idx = self.shared.plan.lookup::<T>()?;
        self.resolve_at_async::<T>(idx).await
    }

    /// [`resolve_at`](Container::resolve_at), awaiting async factories.
    pub(crate) async fn resolve_at_async<T: ?Sized + Send + Sync + 'static>(
        &self,
        idx: u32,
    ) -> Result<Arc<T>, ResolveError> {
        let resolved = async { self.ctx_for(idx)?.resolve_as_async::<T>(idx).await };
        crate::trace::resolve_async(&self.shared.plan, idx, crate::trace::ROOT, resolved).await
    }

    /// Creates every singleton now, async ones included, so that a service
    /// fails at startup (not on the first request) when, say, its database
    /// is unreachable. The same rules as [`warm_up`](Container::warm_up):
    /// dependency order, each singleton tried once, dependents of a failure
    /// reported under it, every failure returned.
    ///
    /// # Cancel safety
    /// Dropping the future stops the warm-up: singletons created so far
    /// stay created, the one being created is abandoned (created again on
    /// its next resolution).
    pub async fn warm_up_async(&self) -> Result<(), WarmUpError> {
        let memo = Memo::default();
        let cx = Ctx {
            memo: Some(&memo),
            ..self.ctx().map_err(|e| WarmUpError::new(vec![e]))?
        };
        let mut errors = Vec::new();
        for i in self.warm_up_order() {
            if let Err(e) = cx.get_async(i).await {
                errors.push(e);
            }
        }
        WarmUpError::check(errors)
    }
}

impl Scope {
    /// Resolves `T` in this scope, awaiting async factories in its graph.
    /// A pooled service waits (fairly) while its pool is exhausted; see
    /// [`Lifetime::Pooled`](crate::Lifetime::Pooled).
    ///
    /// # Cancel safety
    /// Dropping the future loses nothing: a factory that was running is
    /// run again by the next resolution, and a pool permit that was taken
    /// is given back.
    pub async fn resolve_async<T: ?Sized + Send + Sync + 'static>(
        &self,
    ) -> Result<Arc<T>, ResolveError> {
        let idx = self.shared.root.plan.lookup::<T>()?;
        self.resolve_at_async::<T>(idx).await
    }

    /// [`resolve_at`](Scope::resolve_at), awaiting async factories.
    pub(crate) async fn resolve_at_async<T: ?Sized + Send + Sync + 'static>(
        &self,
        idx: u32,
    ) -> Result<Arc<T>, ResolveError> {
        let resolved = async { self.ctx_for(idx)?.resolve_as_async::<T>(idx).await };
        crate::trace::resolve_async(&self.shared.root.plan, idx, self.shared.id, resolved).await
    }

    /// Resolves every element registered with
    /// [`collect`](crate::ContainerBuilder::collect) for `T`, awaiting async
    /// factories.
    pub async fn resolve_all_async<T: ?Sized + Send + Sync + 'static>(
        &self,
    ) -> Result<Vec<Arc<T>>, ResolveError> {
        let cx = self.ctx()?;
        let Some(c) = self.shared.root.plan.collection_of::<T>() else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for &i in self.shared.root.plan.collections[c as usize].iter() {
            out.push(cx.resolve_as_async::<T>(i).await?);
        }
        Ok(out)
    }
}

impl<T: ?Sized + Send + Sync + 'static> Lazy<T> {
    /// The instance, resolved on the first call, awaiting async factories.
    pub async fn get_async(&self) -> Result<Arc<T>, ResolveError> {
        if let Some(v) = self.value.get() {
            return Ok(v.clone());
        }
        let v = through_handle_async(self.node, async {
            let live = self.origin.upgrade()?;
            live.ctx()?.resolve_as_async::<T>(self.idx).await
        })
        .await?;
        Ok(self.value.get_or_init(|| v).clone())
    }
}

impl<T: ?Sized + Send + Sync + 'static> Factory<T> {
    /// [`create`](Factory::create), awaiting async factories.
    pub async fn create_async(&self, scope: &Scope) -> Result<Arc<T>, ResolveError> {
        through_handle_async(self.node, async {
            self.check_scope(scope)?;
            scope.ctx()?.resolve_as_async::<T>(self.idx).await
        })
        .await
    }
}

impl<T: ?Sized + Send + Sync + 'static> crate::Resolver<T> {
    /// Resolves `T` from the root, awaiting async factories, as
    /// [`Container::resolve_async`] does.
    ///
    /// # Errors
    /// As [`Container::resolve_async`].
    pub async fn get_async(&self) -> Result<Arc<T>, ResolveError> {
        if let Some(v) = self.kept(None) {
            return Ok(v);
        }
        let v = self.container.resolve_at_async::<T>(self.idx).await?;
        self.keep(&v);
        Ok(v)
    }

    /// Resolves `T` from `scope`, awaiting async factories, as
    /// [`Scope::resolve_async`] does.
    ///
    /// # Errors
    /// As [`Scope::resolve_async`];
    /// [`WrongContainer`](crate::ResolveErrorKind::WrongContainer) if `scope`
    /// belongs to another container.
    pub async fn get_in_async(&self, scope: &Scope) -> Result<Arc<T>, ResolveError> {
        self.check_scope(scope)?;
        if let Some(v) = self.kept(Some(scope)) {
            return Ok(v);
        }
        let v = scope.resolve_at_async::<T>(self.idx).await?;
        self.keep(&v);
        Ok(v)
    }
}
