//! [`Scope`]: one unit of work (a request, a task, a parallel branch).

use std::fmt;
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;

use crate::container::{Container, Shared};
use crate::error::ResolveError;
use crate::resolve::Ctx;
use crate::slot::{Slot, dispose_in_reverse};

pub(crate) struct ScopeShared {
    pub(crate) root: Arc<Shared>,
    /// Allocated on the first scoped resolution, so that an unused scope
    /// costs one allocation whatever the number of registrations.
    slots: OnceLock<Box<[Slot]>>,
    /// Scoped slots in creation order, for disposal in reverse.
    pub(crate) order: Mutex<Vec<u32>>,
}

impl ScopeShared {
    #[inline]
    pub(crate) fn slot(&self, i: u32, len: usize) -> &Slot {
        &self
            .slots
            .get_or_init(|| (0..len).map(|_| Slot::default()).collect())[i as usize]
    }
}

impl Drop for ScopeShared {
    fn drop(&mut self) {
        if let Some(mut slots) = self.slots.take() {
            let order = std::mem::take(self.order.get_mut());
            dispose_in_reverse(&mut slots, order);
        }
    }
}

/// One unit of work: holds one instance of each scoped service it resolved,
/// and drops them, newest first, when it is dropped.
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
pub struct Scope {
    pub(crate) shared: Arc<ScopeShared>,
}

impl Scope {
    pub(crate) fn new(root: Arc<Shared>) -> Scope {
        Scope {
            shared: Arc::new(ScopeShared {
                root,
                slots: OnceLock::new(),
                order: Mutex::new(Vec::new()),
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

    /// The number of scoped instances this scope has created.
    pub fn instances_created(&self) -> usize {
        self.shared.order.lock().len()
    }
}

impl fmt::Debug for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field("instances_created", &self.instances_created())
            .finish()
    }
}
