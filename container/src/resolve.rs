//! Resolution: walking the frozen plan from a root or a scope.

use std::sync::Arc;

use crate::Lifetime;
use crate::container::Shared;
use crate::error::{ResolveError, ResolveErrorKind};
use crate::inject::{Deps, Pre};
use crate::owner::Entry;
use crate::plan::{Caster, Erased, Exec, Service};
use crate::scope::ScopeShared;

/// Where a resolution happens: always a container, and a scope unless it is
/// a resolution from the root (or the creation of a singleton).
#[derive(Clone, Copy)]
pub(crate) struct Ctx<'a> {
    pub(crate) root: &'a Arc<Shared>,
    pub(crate) scope: Option<&'a Arc<ScopeShared>>,
    /// Creating a singleton: transients with async disposers created now
    /// are owned by the container.
    pub(crate) in_singleton: bool,
}

impl<'a> Ctx<'a> {
    pub(crate) fn root(root: &'a Arc<Shared>) -> Self {
        Ctx {
            root,
            scope: None,
            in_singleton: false,
        }
    }

    pub(crate) fn scoped(scope: &'a Arc<ScopeShared>) -> Self {
        Ctx {
            root: &scope.root,
            scope: Some(scope),
            in_singleton: false,
        }
    }

    /// The context singletons are built in: the root, never the scope that
    /// happened to ask first (a singleton must not see anything scoped).
    pub(crate) fn for_singleton(&self) -> Self {
        Ctx {
            root: self.root,
            scope: None,
            in_singleton: true,
        }
    }

    #[inline]
    pub(crate) fn service(&self, idx: u32) -> &'a Service {
        &self.root.plan.services[idx as usize]
    }

    /// Resolves service `idx` as an `Arc<T>`.
    #[inline]
    pub(crate) fn resolve_as<T: ?Sized + Send + Sync + 'static>(
        &self,
        idx: u32,
    ) -> Result<Arc<T>, ResolveError> {
        let svc = self.service(idx);
        // A singleton hit: its typed handle, made when it was created.
        if svc.lifetime == Lifetime::Singleton
            && let Some(typed) = self.root.typed[svc.slot as usize].get()
            && let Some(arc) = typed.downcast_ref::<Arc<T>>()
        {
            return Ok(arc.clone());
        }
        // A scoped hit: read the scope's slot directly.
        if let (Lifetime::Scoped | Lifetime::Pooled, Some(scope)) = (svc.lifetime, self.scope)
            && let Some(v) = scope.cached(svc.slot)
        {
            return Ok(cast::<T>(svc, v.clone()));
        }
        let erased = self.get(idx, svc)?;
        Ok(cast::<T>(svc, erased))
    }

    /// Resolves every element of collection `c`, in registration order.
    pub(crate) fn resolve_collection<T: ?Sized + Send + Sync + 'static>(
        &self,
        c: u32,
    ) -> Result<Vec<Arc<T>>, ResolveError> {
        let elements = &self.root.plan.collections[c as usize];
        let mut out = Vec::with_capacity(elements.len());
        for &i in elements.iter() {
            out.push(self.resolve_as::<T>(i)?);
        }
        Ok(out)
    }

    /// Resolves `svc` (service `idx`) as a type-erased instance.
    #[inline]
    pub(crate) fn get(&self, idx: u32, svc: &Service) -> Result<Erased, ResolveError> {
        match svc.lifetime {
            Lifetime::Singleton => {
                let slot = &self.root.slots[svc.slot as usize];
                match slot.get() {
                    Some(v) => Ok(v.clone()),
                    None => self.create_singleton(idx, svc),
                }
            }
            Lifetime::Scoped | Lifetime::Pooled => {
                let scope = self.scope_for(svc)?;
                let slot = scope.slot(svc.slot, self.root.plan.scoped_slots);
                match slot.get() {
                    Some(v) => Ok(v.clone()),
                    None if scope.disposed.load(std::sync::atomic::Ordering::Acquire) => {
                        Err(ResolveError::at(ResolveErrorKind::ScopeEnded, svc.node))
                    }
                    // Cached services whose graph needs an async factory are
                    // created only by `resolve_async`, so that one slot is
                    // never filled by two mechanisms at once.
                    None if svc.needs_async => {
                        Err(ResolveError::at(ResolveErrorKind::AsyncRequired, svc.node))
                    }
                    None => slot
                        .get_or_try_init(
                            || match svc.pool {
                                Some(p) => {
                                    self.root.pools[p as usize].rent_sync(|| self.construct(svc))
                                }
                                None => self.construct(svc),
                            },
                            |_| scope.owned.push_slot(svc.slot, idx),
                        )
                        .map_err(|e| e.within(svc.node)),
                }
            }
            Lifetime::Transient => {
                let value = self.construct(svc).map_err(|e| e.within(svc.node))?;
                self.track_transient(idx, svc, &value)?;
                Ok(value)
            }
        }
    }

    /// The scope a scoped or pooled service must come from.
    #[inline]
    pub(crate) fn scope_for(&self, svc: &Service) -> Result<&'a Arc<ScopeShared>, ResolveError> {
        self.scope
            .ok_or_else(|| ResolveError::at(ResolveErrorKind::ScopedFromRoot, svc.node))
    }

    /// A transient with an async disposer is owned by the scope that created
    /// it (or the container, while creating a singleton), so that its
    /// disposer is awaited with theirs.
    #[inline]
    pub(crate) fn track_transient(
        &self,
        idx: u32,
        svc: &Service,
        value: &Erased,
    ) -> Result<(), ResolveError> {
        if svc.disposer.is_none() {
            return Ok(());
        }
        let entry = Entry::Transient {
            value: value.clone(),
            svc: idx,
        };
        match (self.scope, self.in_singleton) {
            (Some(scope), _) => scope.owned.entries.lock().push(entry),
            (None, true) => self.root.owned.entries.lock().push(entry),
            (None, false) => {
                return Err(ResolveError::at(
                    ResolveErrorKind::UntrackedDisposable,
                    svc.node,
                ));
            }
        }
        Ok(())
    }

    #[cold]
    fn create_singleton(&self, idx: u32, svc: &Service) -> Result<Erased, ResolveError> {
        if svc.needs_async {
            return Err(ResolveError::at(ResolveErrorKind::AsyncRequired, svc.node));
        }
        let root = self.for_singleton();
        let slot = &self.root.slots[svc.slot as usize];
        slot.get_or_try_init(
            || root.construct(svc),
            |v| self.root.singleton_created(idx, svc, v),
        )
        .map_err(|e| e.within(svc.node))
    }

    /// Counts a new instance, if `track_instances` is on.
    #[inline]
    pub(crate) fn count(&self, svc: &Service, value: &Erased) {
        if let Some(census) = &self.root.census {
            census.record(svc.id, value);
        }
    }

    /// Runs the service's factory (or forwards) with dependencies resolved
    /// synchronously.
    pub(crate) fn construct(&self, svc: &Service) -> Result<Erased, ResolveError> {
        self.construct_with(svc, &mut [])
    }

    /// Runs the service's factory with `pre`: dependencies already resolved
    /// (asynchronously), aligned with its edges.
    pub(crate) fn construct_with(
        &self,
        svc: &Service,
        pre: &mut [Option<Pre>],
    ) -> Result<Erased, ResolveError> {
        match &svc.exec {
            Exec::Factory(f) => {
                let value = f(&mut Deps::new(*self, self.root.plan.edges_of(svc), pre))?;
                self.count(svc, &value);
                Ok(value)
            }
            Exec::Instance(v) => Ok(v.clone()),
            Exec::Forward(target) => self.get(*target, self.service(*target)),
            Exec::AsyncFactory(_) => {
                Err(ResolveError::at(ResolveErrorKind::AsyncRequired, svc.node))
            }
        }
    }
}

/// Converts the erased instance of `svc` into the `Arc<T>` it is resolved as.
#[inline]
pub(crate) fn cast<T: ?Sized + 'static>(svc: &Service, erased: Erased) -> Arc<T> {
    let caster = svc
        .caster
        .downcast_ref::<Caster<T>>()
        .expect("tenure bug: service resolved as a type it was not registered as");
    (caster.0)(erased).expect("tenure bug: service instance of an unexpected type")
}
