//! The async driver of the resolution core: the same lookup step as the
//! sync driver ([`resolve`](crate::resolve)), with waits awaited and async
//! factories awaited; everything else is shared.

use std::sync::Arc;

use crate::container::{Container, WarmUpError};
use crate::erased::{BoxFuture, Erased};
use crate::error::{DependencyKind, ResolveError};
use crate::handles::{Factory, Lazy, through_handle_async};
use crate::inject::{Deps, Edge, Got, HandleSeed, Source, Target, cast};
use crate::plan::{Exec, Service};
use crate::resolve::{Ctx, Fill, Memo, Step};
use crate::scope::Scope;

impl<'a> Ctx<'a> {
    /// Resolves service `idx`, awaiting waits and async factories. A hit
    /// allocates nothing; a creation boxes one future (the recursion
    /// through the dependencies' creations needs it).
    pub(crate) async fn get_async(self, idx: u32) -> Result<Got<'a>, ResolveError> {
        if let Some(got) = self.hit(idx) {
            return Ok(got);
        }
        let svc = self.service(idx);
        // Nothing to await: created synchronously, without a box. (A slot
        // of such a service is never claimed across an `.await`, so a wait
        // for it is a wait for a factory running on another thread.)
        if !svc.needs_async && svc.pool.is_none() {
            return self.get(idx);
        }
        self.get_async_slow(idx).await
    }

    /// [`get_async`](Ctx::get_async) past the hit.
    fn get_async_slow(self, idx: u32) -> BoxFuture<'a, Result<Got<'a>, ResolveError>> {
        Box::pin(async move {
            loop {
                match self.lookup(idx)? {
                    Step::Hit(got) => return Ok(got),
                    Step::Busy(slot, actor) => slot
                        .wait_async(&actor)
                        .await
                        .map_err(|e| e.within(self.service(idx).node))?,
                    Step::Fill(fill) => return self.fill_async(fill).await,
                }
            }
        })
    }

    /// Resolves service `idx` as an `Arc<T>`, awaiting async factories.
    pub(crate) async fn resolve_as_async<T: ?Sized + Send + Sync + 'static>(
        self,
        idx: u32,
    ) -> Result<Arc<T>, ResolveError> {
        self.get_async(idx).await.map(cast::<T>)
    }

    async fn fill_async(self, mut fill: Fill<'a>) -> Result<Got<'a>, ResolveError> {
        let (idx, svc) = (fill.idx, fill.svc);
        let cx = self.building(svc);
        let work = async {
            let mut rent = match svc.pool {
                Some(p) => Some(
                    crate::trace::pool_wait(&self, &svc.node, self.root.pools[p as usize].rent())
                        .await,
                ),
                None => None,
            };
            match rent.as_mut().and_then(|r| r.take_idle()) {
                Some(v) => Ok((v, rent, false)),
                None => cx.construct_async(svc).await.map(|v| (v, rent, true)),
            }
        };
        let mut work = std::pin::pin!(work);
        let done = match fill.enter.take() {
            Some(actor) => actor.polling(work.as_mut()).await,
            None => work.await,
        };
        match done {
            Ok((v, rent, created)) => Ok(self.complete(fill, v, rent, created)),
            Err(e) => Err(self.failed(idx, svc, e)),
        }
    }

    /// Runs the service's factory: dependencies whose creation needs async
    /// work are resolved first (awaited), the rest by the factory itself.
    async fn construct_async(self, svc: &'a Service) -> Result<Erased, ResolveError> {
        if !svc.needs_async {
            return self.construct(svc);
        }
        let f = match &svc.exec {
            Exec::Forward(t) => {
                let t = *t;
                return self.get_async(t).await.map(|g| self.erased(t, g));
            }
            Exec::Instance(v) => return Ok(v.clone()),
            Exec::Supplied => return self.construct(svc),
            Exec::Factory(_) | Exec::AsyncFactory(_) => &svc.exec,
        };
        let edges = self.root.plan.edges_of(svc);
        let mut pre: Vec<Option<Pre>> = Vec::new();
        if edges.iter().any(|e| self.resolved_ahead(e)) {
            pre.reserve_exact(edges.len());
            for e in edges {
                pre.push(self.prefetch(e).await?);
            }
        }
        let mut src = Prefetched { cx: self, pre };
        let fast = self.fast();
        let value = match f {
            Exec::AsyncFactory(f) => {
                // The arguments are fetched now; only the future lives on.
                let fut = f(&mut Deps::new(edges, fast, &mut src))?;
                fut.await?
            }
            Exec::Factory(f) => f(&mut Deps::new(edges, fast, &mut src))?,
            _ => unreachable!("matched above"),
        };
        self.count(svc, &value);
        Ok(value)
    }

    /// Whether [`prefetch`](Ctx::prefetch) resolves the dependency on `e`.
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

    /// Resolves, with `.await`, the dependency on `e` if its creation needs
    /// async work; the rest are fetched synchronously by the factory.
    async fn prefetch(self, e: &Edge) -> Result<Option<Pre>, ResolveError> {
        if !self.resolved_ahead(e) {
            return Ok(None);
        }
        Ok(Some(match e.target {
            Target::Service(t) => Pre::One(self.get_async(t).await.map(|g| self.erased(t, g))?),
            Target::Collection(c) => {
                let elements = &self.root.plan.collections[c as usize];
                let mut all = Vec::with_capacity(elements.len());
                for &i in elements.iter() {
                    all.push(self.get_async(i).await.map(|g| self.erased(i, g))?);
                }
                Pre::Many(all)
            }
            Target::Absent => return Ok(None),
        }))
    }
}

/// A dependency resolved ahead of the factory call.
enum Pre {
    One(Erased),
    Many(Vec<Erased>),
}

/// Serves a factory's dependencies: the ones resolved ahead (async), the
/// others synchronously.
struct Prefetched<'a> {
    cx: Ctx<'a>,
    pre: Vec<Option<Pre>>,
}

impl<'d, 'a: 'd> Source<'d> for Prefetched<'a> {
    fn one(&mut self, pos: usize, idx: u32) -> Result<Got<'d>, ResolveError> {
        match self.pre.get_mut(pos).and_then(Option::take) {
            Some(Pre::One(v)) => Ok(Got::Erased(v, &*self.cx.service(idx).caster)),
            _ => self.cx.get(idx),
        }
    }

    fn erased(&mut self, pos: usize, idx: u32) -> Result<Erased, ResolveError> {
        match self.pre.get_mut(pos).and_then(Option::take) {
            Some(Pre::One(v)) => Ok(v),
            _ => self.cx.get(idx).map(|g| self.cx.erased(idx, g)),
        }
    }

    fn many(
        &mut self,
        pos: usize,
        c: u32,
        each: &mut dyn FnMut(Got<'d>),
    ) -> Result<(), ResolveError> {
        let elements = &self.cx.root.plan.collections[c as usize];
        match self.pre.get_mut(pos).and_then(Option::take) {
            Some(Pre::Many(values)) => {
                for (&i, v) in elements.iter().zip(values) {
                    each(Got::Erased(v, &*self.cx.service(i).caster));
                }
            }
            _ => {
                for &i in elements.iter() {
                    each(self.cx.get(i)?);
                }
            }
        }
        Ok(())
    }

    fn seed(&self, idx: Option<u32>) -> HandleSeed {
        self.cx.seed(idx)
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
