//! [`Scope`]: one unit of work (a request, a task, a parallel branch).

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use crate::container::{Container, Shared};
use crate::erased::contain;
use crate::error::{ResolveError, ResolveErrorKind};
use crate::lifetime::Lifetime;
use crate::owner::Owned;
use crate::plan::Exec;
use crate::resolve::Ctx;
use crate::slot::Slot;

pub(crate) struct ScopeShared {
    pub(crate) root: Arc<Shared>,
    /// Unique in the process (see `trace::next_scope_id`).
    pub(crate) id: u64,
    /// Allocated on the first scoped resolution, so that an unused scope
    /// costs one allocation whatever the number of registrations.
    slots: OnceLock<Box<[Slot]>>,
    /// Scoped and pooled instances (and transients with async disposers),
    /// in creation order, for disposal in reverse.
    pub(crate) owned: Owned,
    /// Set when `dispose()` starts: from then on the scope serves nothing.
    ended: AtomicBool,
}

impl ScopeShared {
    /// The instance in slot `i`, if this scope created it.
    #[inline]
    pub(crate) fn cached(&self, i: u32) -> Option<&crate::erased::Erased> {
        self.slots.get()?.get(i as usize)?.get()
    }

    /// The slot table, if any scoped service was resolved.
    pub(crate) fn slots(&self) -> Option<&[Slot]> {
        self.slots.get().map(|s| &s[..])
    }

    #[inline]
    pub(crate) fn slot(&self, i: u32, len: usize) -> &Slot {
        &self.slots.get_or_init(|| Slot::table(len))[i as usize]
    }

    /// Whether the scope has ended (its disposal started).
    #[inline]
    pub(crate) fn is_ended(&self) -> bool {
        self.ended.load(Ordering::Acquire)
    }

    /// Ends the scope; `false` if it had ended already.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn end(&self) -> bool {
        !self.ended.swap(true, Ordering::AcqRel)
    }
}

impl Drop for ScopeShared {
    fn drop(&mut self) {
        if self.owned.is_empty_mut() {
            // Nothing created: nothing to report, nothing to drop in order
            // (the slot table, if any, is empty).
            if let Some(slots) = self.slots.take() {
                Slot::recycle(slots);
            }
            return;
        }
        // Transients with async disposers are owned even by a scope that
        // never allocated its slot table.
        let mut slots = self.slots.take().unwrap_or_default();
        let root = &self.root;
        let plan = &root.plan;
        if !*self.ended.get_mut() {
            let pending = self.owned.pending_async_disposers(&slots, plan);
            if pending > 0 {
                root.undisposed.fetch_add(1, Ordering::Relaxed);
                let reported = match &plan.hooks.on_undisposed {
                    Some(hook) => contain(|| hook(pending)),
                    None => {
                        eprintln!(
                            "tenure: a scope was dropped without `dispose().await`; the async \
                             disposers of {pending} instance(s) did not run (the instances were \
                             dropped). Call `scope.dispose().await` or use `run_scoped`; \
                             `ContainerBuilder::on_undisposed` replaces this message."
                        );
                        Ok(())
                    }
                };
                if let Err(panic) = reported {
                    eprintln!(
                        "tenure: the `on_undisposed` hook panicked ({panic}) while reporting \
                         {pending} skipped async disposer(s)"
                    );
                }
            }
        }
        self.owned.drop_in_reverse(&mut slots, plan, |svc, value| {
            let s = &plan.services[svc as usize];
            if let Some(p) = s.pool {
                root.pools[p as usize].give_back(value, &*s.caster);
            }
        });
        // Every instance taken: the next scope on this thread reuses the
        // table.
        Slot::recycle(slots);
    }
}

/// One unit of work: holds one instance of each scoped service it resolved,
/// and drops them, newest first, when it is dropped.
///
/// `Scope` is a handle: its clones share one scope, whose instances are
/// dropped with the last clone (or disposed by `dispose().await`, with the
/// `tokio` feature). Open one per request, per task, per parallel branch
/// with [`Container::scope`]. A scope is `Send + Sync`: it can cross
/// `.await` points and be shared by reference between threads (they then
/// share its scoped instances, which is what a scope means). It keeps its
/// container alive.
///
/// Once its disposal has started, a scope (and every clone of it) serves
/// nothing: every resolution fails with
/// [`ScopeEnded`](crate::ResolveErrorKind::ScopeEnded), even of an instance
/// it had cached, so a disposed connection is never handed out again.
///
/// ```
/// use std::sync::Arc;
/// use tenure::Container;
///
/// struct Session;
/// let c = Container::builder().scoped(|| Session).build()?;
///
/// let a = c.scope();
/// let b = c.scope();
/// let s1 = a.resolve::<Session>()?;
/// assert!(Arc::ptr_eq(&s1, &a.resolve::<Session>()?)); // one per scope
/// assert!(!Arc::ptr_eq(&s1, &b.resolve::<Session>()?)); // not shared
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Scope {
    pub(crate) shared: Arc<ScopeShared>,
}

impl Scope {
    pub(crate) fn new(root: Arc<Shared>) -> Scope {
        Scope {
            shared: Arc::new(ScopeShared {
                root,
                id: crate::trace::next_scope_id(),
                slots: OnceLock::new(),
                owned: Owned::default(),
                ended: AtomicBool::new(false),
            }),
        }
    }

    /// The resolution context of this scope for service `idx`, if the
    /// scope still serves.
    #[inline]
    pub(crate) fn ctx_for(&self, idx: u32) -> Result<Ctx<'_>, ResolveError> {
        let cx = Ctx::scoped(&self.shared);
        cx.check_open_for(idx)?;
        Ok(cx)
    }

    /// The resolution context of this scope, if it still serves.
    #[inline]
    pub(crate) fn ctx(&self) -> Result<Ctx<'_>, ResolveError> {
        let cx = Ctx::scoped(&self.shared);
        cx.check_open()?;
        Ok(cx)
    }

    /// Resolves `T` in this scope: the scope's own instance of a scoped
    /// service, the container's singleton, or a new transient.
    #[inline]
    pub fn resolve<T: ?Sized + Send + Sync + 'static>(&self) -> Result<Arc<T>, ResolveError> {
        let idx = self.shared.root.plan.lookup::<T>()?;
        self.resolve_at::<T>(idx)
    }

    /// A top-level resolution of service `idx` in this scope (`resolve`,
    /// `resolve_keyed`, a [`Resolver`](crate::Resolver)): traced, refused
    /// once the scope has ended or the container is shut down.
    #[inline]
    pub(crate) fn resolve_at<T: ?Sized + Send + Sync + 'static>(
        &self,
        idx: u32,
    ) -> Result<Arc<T>, ResolveError> {
        let shared = &*self.shared;
        crate::trace::resolve(&shared.root.plan, idx, shared.id, || {
            match self.scoped_hit::<T>(idx) {
                Some(hit) => Ok(hit),
                None => self.resolve_else::<T>(idx),
            }
        })
    }

    /// The scope's existing instance of scoped (or pooled) service `idx`
    /// as an `Arc<T>`, if the scope still serves; `None` for anything else
    /// (the caller resolves it, and reports the errors).
    #[inline(always)]
    fn scoped_hit<T: ?Sized + Send + Sync + 'static>(&self, idx: u32) -> Option<Arc<T>> {
        let cx = Ctx::scoped(&self.shared);
        let svc = self.shared.root.plan.services.get(idx as usize)?;
        if !matches!(svc.lifetime, Lifetime::Scoped | Lifetime::Pooled) || !cx.serves() {
            return None;
        }
        let v = self.shared.cached(svc.slot)?;
        Some(crate::inject::cast_erased::<T>(v.clone(), &*svc.caster))
    }

    /// [`resolve_at`](Scope::resolve_at) past a hit on the scope's own
    /// instance: the checks (and their errors), singletons, creations.
    /// Out of line, so that a scoped hit is a short function.
    #[inline(never)]
    fn resolve_else<T: ?Sized + Send + Sync + 'static>(
        &self,
        idx: u32,
    ) -> Result<Arc<T>, ResolveError> {
        self.ctx_for(idx)?.resolve_as::<T>(idx)
    }

    /// Resolves every element registered with
    /// [`collect`](crate::ContainerBuilder::collect) for `T`, in
    /// registration order.
    pub fn resolve_all<T: ?Sized + Send + Sync + 'static>(
        &self,
    ) -> Result<Vec<Arc<T>>, ResolveError> {
        let cx = self.ctx()?;
        match self.shared.root.plan.collection_of::<T>() {
            Some(c) => cx.resolve_collection::<T>(c),
            None => Ok(Vec::new()),
        }
    }

    /// Supplies the value of the scope value `T` (declared with
    /// [`scope_value`](crate::ContainerBuilder::scope_value)) for this
    /// scope: resolving `T` here, directly or as a dependency, returns it.
    /// Supply values when the scope opens, before anything that needs them
    /// is resolved. Returns the scope, to chain.
    ///
    /// # Errors
    ///
    /// [`CannotSupply`](crate::ResolveErrorKind::CannotSupply) if `T` is not
    /// a declared scope value (a typo, or a type registered with a factory),
    /// or if this scope already has a `T`;
    /// [`ScopeEnded`](crate::ResolveErrorKind::ScopeEnded) /
    /// [`ShutDown`](crate::ResolveErrorKind::ShutDown) if it serves nothing
    /// more.
    pub fn provide<T: Send + Sync + 'static>(&self, value: T) -> Result<&Self, ResolveError> {
        self.provide_arc(Arc::new(value))
    }

    /// [`provide`](Scope::provide) with an existing `Arc<T>` (the scope
    /// then hands out clones of this very `Arc`).
    pub fn provide_arc<T: Send + Sync + 'static>(
        &self,
        value: Arc<T>,
    ) -> Result<&Self, ResolveError> {
        let cannot = |reason| {
            ResolveError::new(ResolveErrorKind::CannotSupply {
                service: std::any::type_name::<T>(),
                reason,
            })
        };
        let plan = &self.shared.root.plan;
        let Some(&idx) = plan.index.get(&std::any::TypeId::of::<T>()) else {
            return Err(cannot(
                "it is not registered; declare it with `builder.scope_value::<T>()`",
            ));
        };
        let svc = &plan.services[idx as usize];
        if !matches!(svc.exec, Exec::Supplied) {
            return Err(cannot(
                "it is registered with a factory or an instance, not declared with \
                 `scope_value`; the container makes it, so it cannot be supplied",
            )
            .within(svc.node));
        }
        Ctx::scoped(&self.shared).check_open_for(idx)?;
        let slot = self.shared.slot(svc.slot, plan.scoped_slots);
        if !slot.preset(value) {
            return Err(cannot("this scope already has one; open a new scope").within(svc.node));
        }
        self.shared
            .owned
            .push_slot(self.shared.slots().unwrap_or_default(), svc.slot, idx);
        Ok(self)
    }

    /// A handle to the container this scope belongs to.
    pub fn container(&self) -> Container {
        Container {
            shared: self.shared.root.clone(),
        }
    }

    /// The number of instances this scope owns: scoped and pooled ones,
    /// and transients with async disposers.
    pub fn instances_created(&self) -> usize {
        self.shared
            .owned
            .len(self.shared.slots().unwrap_or_default())
    }

    /// Whether the scope has ended (its `dispose()` has started): it then
    /// serves nothing.
    pub fn is_ended(&self) -> bool {
        self.shared.is_ended()
    }
}

impl fmt::Debug for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field("instances_created", &self.instances_created())
            .field("ended", &self.is_ended())
            .finish()
    }
}
