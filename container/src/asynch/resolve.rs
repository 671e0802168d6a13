//! Async resolution: the same plan, walked with `.await` where a service's
//! graph needs an async factory, and synchronously everywhere else.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::container::{Container, WarmUpError};
use crate::error::{DependencyKind, ResolveError, ResolveErrorKind};
use crate::handles::{Factory, Lazy};
use crate::inject::{Deps, Pre};
use crate::plan::{BoxFuture, Edge, Erased, Exec, Service, Target};
use crate::resolve::{Ctx, cast};
use crate::scope::Scope;
use crate::slot::Slot;
use crate::{Lifetime, node::Node};
use tokio::sync::Semaphore;

tokio::task_local! {
    /// The slots the current task is filling asynchronously, for
    /// re-entrancy checks across `.await` points.
    static ASYNC_BUSY: Chain;
}

impl<'a> Ctx<'a> {
    /// Resolves service `idx` as an `Arc<T>`, awaiting async factories.
    pub(crate) async fn resolve_as_async<T: ?Sized + Send + Sync + 'static>(
        self,
        idx: u32,
    ) -> Result<Arc<T>, ResolveError> {
        let svc = self.service(idx);
        if !svc.needs_async {
            return self.resolve_as::<T>(idx);
        }
        let erased = self.get_async(idx, svc).await?;
        Ok(cast::<T>(svc, erased))
    }

    /// The async counterpart of [`Ctx::get`].
    pub(crate) fn get_async(
        self,
        idx: u32,
        svc: &'a Service,
    ) -> BoxFuture<'a, Result<Erased, ResolveError>> {
        Box::pin(async move {
            if !svc.needs_async {
                return self.get(idx, svc);
            }
            match svc.lifetime {
                Lifetime::Singleton => {
                    let slot = &self.root.slots[svc.slot as usize];
                    if let Some(v) = slot.get() {
                        return Ok(v.clone());
                    }
                    let root = self.for_singleton();
                    init_async(slot, svc.node, root.construct_async(svc), |v| {
                        self.root.singleton_created(idx, svc, v)
                    })
                    .await
                }
                Lifetime::Scoped | Lifetime::Pooled => {
                    let scope = self.scope_for(svc)?;
                    let slot = scope.slot(svc.slot, self.root.plan.scoped_slots);
                    if let Some(v) = slot.get() {
                        return Ok(v.clone());
                    }
                    if scope.disposed.load(Ordering::Acquire) {
                        return Err(ResolveError::at(ResolveErrorKind::ScopeEnded, svc.node));
                    }
                    let create = async {
                        match svc.pool {
                            Some(p) => {
                                self.root.pools[p as usize]
                                    .rent_async(self.construct_async(svc))
                                    .await
                            }
                            None => self.construct_async(svc).await,
                        }
                    };
                    init_async(slot, svc.node, create, |_| {
                        scope.owned.push_slot(svc.slot, idx)
                    })
                    .await
                }
                Lifetime::Transient => {
                    let value = self
                        .construct_async(svc)
                        .await
                        .map_err(|e| e.within(svc.node))?;
                    self.track_transient(idx, svc, &value)?;
                    Ok(value)
                }
            }
        })
    }

    /// Resolves the dependencies that need async work first, then runs the
    /// factory (awaiting it if it is async).
    async fn construct_async(self, svc: &'a Service) -> Result<Erased, ResolveError> {
        let factory = match &svc.exec {
            Exec::Forward(t) => return self.get_async(*t, self.service(*t)).await,
            Exec::Instance(v) => return Ok(v.clone()),
            Exec::Factory(_) | Exec::AsyncFactory(_) => &svc.exec,
        };
        let mut pre = if self
            .root
            .plan
            .edges_of(svc)
            .iter()
            .any(|e| self.resolved_ahead(e))
        {
            self.prefetch(svc).await?
        } else {
            Vec::new()
        };
        match factory {
            Exec::AsyncFactory(f) => {
                let fut = f(&mut Deps::new(self, self.root.plan.edges_of(svc), &mut pre))?;
                let value = fut.await?;
                self.count(svc, &value);
                Ok(value)
            }
            _ => self.construct_with(svc, &mut pre),
        }
    }

    /// Whether `prefetch` resolves the dependency on edge `e`.
    fn resolved_ahead(&self, e: &Edge) -> bool {
        match (e.kind, e.target) {
            (DependencyKind::Required | DependencyKind::Optional, Target::Service(t)) => {
                self.service(t).needs_async
            }
            (DependencyKind::Collection, Target::Collection(c)) => self.root.plan.collections
                [c as usize]
                .iter()
                .any(|&i| self.service(i).needs_async),
            _ => false,
        }
    }

    /// Resolves, with `.await`, every dependency of `svc` whose graph needs
    /// an async factory; the rest are fetched synchronously by the factory.
    async fn prefetch(self, svc: &'a Service) -> Result<Vec<Option<Pre>>, ResolveError> {
        let edges = self.root.plan.edges_of(svc);
        let mut pre = Vec::with_capacity(edges.len());
        for e in edges {
            let value = match (e.kind, e.target) {
                (DependencyKind::Required | DependencyKind::Optional, Target::Service(t))
                    if self.service(t).needs_async =>
                {
                    Some(Pre::One(self.get_async(t, self.service(t)).await?))
                }
                (DependencyKind::Collection, Target::Collection(c)) => {
                    let elements = &self.root.plan.collections[c as usize];
                    if elements.iter().any(|&i| self.service(i).needs_async) {
                        let mut all = Vec::with_capacity(elements.len());
                        for &i in elements.iter() {
                            all.push(self.get_async(i, self.service(i)).await?);
                        }
                        Some(Pre::Many(all))
                    } else {
                        None
                    }
                }
                _ => None,
            };
            pre.push(value);
        }
        Ok(pre)
    }
}

/// Fills `slot` with `create`, once, however many tasks ask at the same
/// time: one task creates, the others wait on a semaphore (made by the
/// first of them) without blocking a runtime thread, then read the slot.
///
/// # Cancel safety
/// If the creating future is dropped while `create` runs, the slot is
/// marked idle again and the waiters are woken: the slot stays empty and the
/// next resolution runs the factory again. A failed or panicking factory is
/// handled the same way.
async fn init_async(
    slot: &Slot,
    node: Node,
    create: impl Future<Output = Result<Erased, ResolveError>>,
    created: impl FnOnce(&Erased),
) -> Result<Erased, ResolveError> {
    let id = slot.id();
    let mut chain = ASYNC_BUSY.try_with(Chain::clone).unwrap_or_default();
    if chain.contains(id) {
        return Err(ResolveError::at(ResolveErrorKind::Reentrant, node));
    }
    loop {
        let wait = {
            let mut state = slot.lock.lock();
            if let Some(v) = slot.get() {
                return Ok(v.clone());
            }
            if !state.busy {
                state.busy = true;
                break;
            }
            state
                .done
                .get_or_insert_with(|| Arc::new(Semaphore::new(0)))
                .clone()
        };
        // Closed (an error, by design) when the creating task is done.
        let _ = wait.acquire().await;
    }
    let _idle = IdleOnDrop(slot);
    chain.push(id);
    let value = ASYNC_BUSY
        .scope(chain, create)
        .await
        .map_err(|e| e.within(node))?;
    let value = slot.set(value);
    created(&value);
    Ok(value)
}

/// Marks a slot's async creation over and wakes its waiters, however the
/// attempt ends (success, error, panic or cancellation).
struct IdleOnDrop<'a>(&'a Slot);

impl Drop for IdleOnDrop<'_> {
    fn drop(&mut self) {
        let mut state = self.0.lock.lock();
        state.busy = false;
        if let Some(done) = state.done.take() {
            done.close();
        }
    }
}

/// The slots a task is filling, innermost last, without allocating for the
/// first few levels.
#[derive(Clone, Default)]
struct Chain {
    inline: [usize; 8],
    len: usize,
    spill: Vec<usize>,
}

impl Chain {
    fn contains(&self, id: usize) -> bool {
        self.inline[..self.len.min(8)].contains(&id) || self.spill.contains(&id)
    }

    fn push(&mut self, id: usize) {
        match self.inline.get_mut(self.len) {
            Some(x) => *x = id,
            None => self.spill.push(id),
        }
        self.len += 1;
    }
}

impl Container {
    /// Resolves `T` from the root, awaiting async factories in its graph.
    /// Concurrent first resolutions of an async singleton run its factory
    /// once; the other callers wait without blocking a thread.
    pub async fn resolve_async<T: ?Sized + Send + Sync + 'static>(
        &self,
    ) -> Result<Arc<T>, ResolveError> {
        let idx = self.shared.plan.lookup::<T>()?;
        Ctx::root(&self.shared).resolve_as_async::<T>(idx).await
    }

    /// Creates every singleton now, async ones included, in registration
    /// order, so that a service fails at startup (not on the first request)
    /// when, say, its database is unreachable. Reports every failure.
    pub async fn warm_up_async(&self) -> Result<(), WarmUpError> {
        let cx = Ctx::root(&self.shared);
        let mut errors = Vec::new();
        for (i, svc) in self.shared.plan.services.iter().enumerate() {
            if svc.lifetime == Lifetime::Singleton
                && let Err(e) = cx.get_async(i as u32, svc).await
            {
                errors.push(e);
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(WarmUpError::new(errors))
        }
    }
}

impl Scope {
    /// Resolves `T` in this scope, awaiting async factories in its graph.
    /// A pooled service waits (fairly) while its pool is exhausted; see
    /// [`Lifetime::Pooled`].
    ///
    /// # Cancel safety
    /// Dropping the future loses nothing: a factory that was running is
    /// run again by the next resolution, and a pool permit that was taken
    /// is given back.
    pub async fn resolve_async<T: ?Sized + Send + Sync + 'static>(
        &self,
    ) -> Result<Arc<T>, ResolveError> {
        let idx = self.shared.root.plan.lookup::<T>()?;
        Ctx::scoped(&self.shared).resolve_as_async::<T>(idx).await
    }

    /// Resolves every element registered with
    /// [`collect`](crate::ContainerBuilder::collect) for `T`, awaiting async
    /// factories.
    pub async fn resolve_all_async<T: ?Sized + Send + Sync + 'static>(
        &self,
    ) -> Result<Vec<Arc<T>>, ResolveError> {
        let Some(c) = self.shared.root.plan.collection_of::<T>() else {
            return Ok(Vec::new());
        };
        let cx = Ctx::scoped(&self.shared);
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
        let v = match self.origin.upgrade()? {
            (root, None) => Ctx::root(&root).resolve_as_async::<T>(self.idx).await?,
            (_, Some(scope)) => Ctx::scoped(&scope).resolve_as_async::<T>(self.idx).await?,
        };
        Ok(self.value.get_or_init(|| v).clone())
    }
}

impl<T: ?Sized + Send + Sync + 'static> Factory<T> {
    /// [`create`](Factory::create), awaiting async factories.
    pub async fn create_async(&self, scope: &Scope) -> Result<Arc<T>, ResolveError> {
        self.check_scope(scope)?;
        Ctx::scoped(&scope.shared)
            .resolve_as_async::<T>(self.idx)
            .await
    }
}
