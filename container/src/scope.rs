//! [`Scope`]: one unit of work (a request, a task, a parallel branch).

use std::fmt;
use std::sync::{Arc, OnceLock};

use std::sync::atomic::{AtomicBool, Ordering};

use crate::container::{Container, Shared};
use crate::error::ResolveError;
use crate::owner::Owned;
use crate::resolve::Ctx;
use crate::slot::Slot;

pub(crate) struct ScopeShared {
    pub(crate) root: Arc<Shared>,
    /// Allocated on the first scoped resolution, so that an unused scope
    /// costs one allocation whatever the number of registrations.
    slots: OnceLock<Box<[Slot]>>,
    /// Scoped and pooled instances (and transients with async disposers),
    /// in creation order, for disposal in reverse.
    pub(crate) owned: Owned,
    /// Set once `dispose().await` ran.
    pub(crate) disposed: AtomicBool,
}

impl ScopeShared {
    /// The instance in slot `i`, if this scope created it.
    #[inline]
    pub(crate) fn cached(&self, i: u32) -> Option<&crate::plan::Erased> {
        self.slots.get()?.get(i as usize)?.get()
    }

    /// The slot table, if any scoped service was resolved.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn slots(&self) -> Option<&[Slot]> {
        self.slots.get().map(|s| &s[..])
    }

    #[inline]
    pub(crate) fn slot(&self, i: u32, len: usize) -> &Slot {
        &self
            .slots
            .get_or_init(|| (0..len).map(|_| Slot::default()).collect())[i as usize]
    }
}

impl Drop for ScopeShared {
    fn drop(&mut self) {
        // Transients with async disposers are owned even by a scope that
        // never allocated its slot table.
        let mut slots = self.slots.take().unwrap_or_default();
        let root = &self.root;
        if !*self.disposed.get_mut() {
            let pending = self.owned.pending_async_disposers(&root.plan);
            if pending > 0 {
                root.undisposed.fetch_add(1, Ordering::Relaxed);
                match &root.plan.on_undisposed {
                    Some(hook) => hook(pending),
                    None => eprintln!(
                        "tenure: a scope was dropped without `dispose().await`; the async \
                         disposers of {pending} instance(s) did not run (the instances were \
                         dropped). Call `scope.dispose().await` or use `run_scoped`; \
                         `ContainerBuilder::on_undisposed` replaces this message."
                    ),
                }
            }
        }
        self.owned
            .drop_in_reverse(&mut slots, &root.plan, |svc, value| {
                if let Some(p) = root.plan.services[svc as usize].pool {
                    root.pools[p as usize].give_back(value);
                }
            });
    }
}

/// One unit of work: holds one instance of each scoped service it resolved,
/// and drops them, newest first, when it is dropped.
///
/// `Scope` is a handle: its clones share one scope, whose instances are
/// dropped with the last clone (or disposed by `dispose().await`, with the
/// `tokio` feature). Open a new scope per request, task or parallel branch.
///
/// Open one per request, per task, per parallel branch with
/// [`Container::scope`]. A scope is `Send + Sync`: it can cross `.await`
/// points and be shared by reference between threads (they then share its
/// scoped instances, which is what a scope means). It keeps its container
/// alive.
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
                slots: OnceLock::new(),
                owned: Owned::default(),
                disposed: AtomicBool::new(false),
            }),
        }
    }

    /// Resolves `T` in this scope: the scope's own instance of a scoped
    /// service, the container's singleton, or a new transient.
    #[inline]
    pub fn resolve<T: ?Sized + Send + Sync + 'static>(&self) -> Result<Arc<T>, ResolveError> {
        let idx = self.shared.root.plan.lookup::<T>()?;
        Ctx::scoped(&self.shared).resolve_as::<T>(idx)
    }

    /// Resolves every element registered with
    /// [`collect`](crate::ContainerBuilder::collect) for `T`, in
    /// registration order.
    pub fn resolve_all<T: ?Sized + Send + Sync + 'static>(
        &self,
    ) -> Result<Vec<Arc<T>>, ResolveError> {
        match self.shared.root.plan.collection_of::<T>() {
            Some(c) => Ctx::scoped(&self.shared).resolve_collection::<T>(c),
            None => Ok(Vec::new()),
        }
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
        self.shared.owned.len()
    }
}

impl fmt::Debug for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field("instances_created", &self.instances_created())
            .finish()
    }
}
