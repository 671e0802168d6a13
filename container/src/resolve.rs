//! Resolution: walking the frozen plan from a root or a scope.

use std::sync::Arc;

use crate::Lifetime;
use crate::container::Shared;
use crate::error::{ResolveError, ResolveErrorKind};
use crate::inject::Deps;
use crate::plan::{Caster, Erased, Exec, Service};
use crate::scope::ScopeShared;

/// Where a resolution happens: always a container, and a scope unless it is
/// a resolution from the root (or the creation of a singleton).
#[derive(Clone, Copy)]
pub(crate) struct Ctx<'a> {
    pub(crate) root: &'a Arc<Shared>,
    pub(crate) scope: Option<&'a Arc<ScopeShared>>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn root(root: &'a Arc<Shared>) -> Self {
        Ctx { root, scope: None }
    }

    pub(crate) fn scoped(scope: &'a Arc<ScopeShared>) -> Self {
        Ctx {
            root: &scope.root,
            scope: Some(scope),
        }
    }

    /// Resolves service `idx` as an `Arc<T>`.
    #[inline]
    pub(crate) fn resolve_as<T: ?Sized + 'static>(&self, idx: u32) -> Result<Arc<T>, ResolveError> {
        let svc = &self.root.plan.services[idx as usize];
        let erased = self.get(svc)?;
        Ok(cast::<T>(svc, erased))
    }

    /// Resolves every element of collection `c`, in registration order.
    pub(crate) fn resolve_collection<T: ?Sized + 'static>(
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

    /// Resolves `svc` as a type-erased instance.
    #[inline]
    pub(crate) fn get(&self, svc: &Service) -> Result<Erased, ResolveError> {
        match svc.lifetime {
            Lifetime::Singleton => {
                let slot = &self.root.slots[svc.slot as usize];
                match slot.get() {
                    Some(v) => Ok(v.clone()),
                    None => self.create_singleton(svc),
                }
            }
            Lifetime::Scoped => {
                let Some(scope) = self.scope else {
                    return Err(ResolveError::at(ResolveErrorKind::ScopedFromRoot, svc.node));
                };
                let slot = scope.slot(svc.slot, self.root.plan.scoped_slots);
                match slot.get() {
                    Some(v) => Ok(v.clone()),
                    None => slot
                        .get_or_try_init(
                            || self.construct(svc),
                            || scope.order.lock().push(svc.slot),
                        )
                        .map_err(|e| e.within(svc.node)),
                }
            }
            Lifetime::Transient => self.construct(svc).map_err(|e| e.within(svc.node)),
        }
    }

    #[cold]
    fn create_singleton(&self, svc: &Service) -> Result<Erased, ResolveError> {
        // A singleton is built from the root, never from the scope that
        // happened to ask first: it must not see anything scoped.
        let root = Ctx::root(self.root);
        let slot = &self.root.slots[svc.slot as usize];
        slot.get_or_try_init(
            || root.construct(svc),
            || self.root.order.lock().push(svc.slot),
        )
        .map_err(|e| e.within(svc.node))
    }

    fn construct(&self, svc: &Service) -> Result<Erased, ResolveError> {
        match &svc.exec {
            Exec::Factory(f) => f(&mut Deps {
                cx: *self,
                edges: svc.edges.iter(),
            }),
            Exec::Instance(v) => Ok(v.clone()),
            Exec::Forward(target) => self.get(&self.root.plan.services[*target as usize]),
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
