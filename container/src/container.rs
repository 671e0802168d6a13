//! [`Container`]: the frozen, validated registry.

use std::any::Any;
use std::fmt;
use std::sync::{Arc, OnceLock};

use crate::Lifetime;
use crate::builder::ContainerBuilder;
use crate::census::{Census, InstanceReport};
use crate::error::{ResolveError, write_causes};
use crate::handles::ScopeFactory;
use crate::owner::Owned;
use crate::plan::{Erased, Plan, Service};
use crate::pool::{Pool, PoolStatus};
use crate::resolve::Ctx;
use crate::scope::Scope;
use crate::slot::Slot;

/// The state every handle to one container shares.
pub(crate) struct Shared {
    pub(crate) plan: Plan,
    /// One slot per singleton.
    pub(crate) slots: Box<[Slot]>,
    /// Per singleton slot, the instance as the `Arc<T>` it is resolved as,
    /// once resolved: a cached singleton is then one type check and one
    /// reference-count increment away.
    pub(crate) typed: Box<[OnceLock<Box<dyn Any + Send + Sync>>]>,
    /// Singletons (and transients with async disposers they hold), in
    /// creation order, for disposal in reverse.
    pub(crate) owned: Owned,
    /// One pool per pooled service.
    pub(crate) pools: Box<[Pool]>,
    /// Scopes dropped without `dispose().await` while they owned instances
    /// with async disposers.
    pub(crate) undisposed: std::sync::atomic::AtomicUsize,
    /// Instance counts, when `track_instances` is on.
    pub(crate) census: Option<Census>,
    /// Set once `shutdown().await` ran.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) shut_down: std::sync::atomic::AtomicBool,
}

impl Shared {
    /// Records a new singleton: its place in the disposal order, and its
    /// typed handle for the fast path of later resolutions.
    pub(crate) fn singleton_created(&self, idx: u32, svc: &Service, value: &Erased) {
        self.owned.push_slot(svc.slot, idx);
        if let Some(typed) = (svc.typer)(value) {
            let _ = self.typed[svc.slot as usize].set(typed);
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        let Shared {
            plan,
            slots,
            typed,
            owned,
            ..
        } = self;
        // The typed handles are extra references: dropping them first
        // leaves the slots to drop the instances, newest first.
        *typed = Box::default();
        owned.drop_in_reverse(slots, plan, |_, v| drop(v));
    }
}

/// A validated dependency-injection container: resolves singletons and
/// transients, and opens [`Scope`]s for scoped services.
///
/// `Container` is a cheap [`Clone`] handle (an `Arc`), `Send + Sync`. When
/// the last handle (and the last [`Scope`]) is dropped, singletons are
/// dropped in reverse creation order.
///
/// ```
/// use std::sync::Arc;
/// use tenure::{Container, Lifetime};
///
/// struct Config { name: &'static str }
/// struct Session { id: u32 }
/// struct Greeter { cfg: Arc<Config>, session: Arc<Session> }
///
/// let container = Container::builder()
///     .singleton(|| Config { name: "tenure" })
///     .scoped(|| Session { id: 7 })
///     .transient(|cfg: Arc<Config>, session: Arc<Session>| Greeter { cfg, session })
///     .build()?;
///
/// let scope = container.scope();
/// let greeter = scope.resolve::<Greeter>()?;
/// assert_eq!(greeter.cfg.name, "tenure");
/// assert!(Arc::ptr_eq(&greeter.session, &scope.resolve::<Session>()?));
///
/// // Scoped services exist only inside a scope:
/// assert!(container.resolve::<Greeter>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Container {
    pub(crate) shared: Arc<Shared>,
}

impl Container {
    /// Starts a [`ContainerBuilder`].
    pub fn builder() -> ContainerBuilder {
        ContainerBuilder::new()
    }

    pub(crate) fn from_plan(plan: Plan) -> Container {
        let slots = (0..plan.singleton_slots).map(|_| Slot::default()).collect();
        let typed = (0..plan.singleton_slots).map(|_| OnceLock::new()).collect();
        let pools = plan.pools.iter().cloned().map(Pool::new).collect();
        let census = plan
            .track_instances
            .then(|| Census::new(plan.services.len()));
        Container {
            shared: Arc::new(Shared {
                plan,
                slots,
                typed,
                owned: Owned::default(),
                pools,
                undisposed: Default::default(),
                census,
                shut_down: Default::default(),
            }),
        }
    }

    /// Resolves `T` (a registered type, or a `dyn Trait` bound with
    /// [`bind`](ContainerBuilder::bind)) from the root.
    ///
    /// Singletons and transients resolve here; a scoped service, or a
    /// transient that needs one, is an error
    /// ([`ScopedFromRoot`](crate::ResolveErrorKind::ScopedFromRoot)) that
    /// says to open a [`scope`](Container::scope). It never silently becomes
    /// a singleton.
    #[inline]
    pub fn resolve<T: ?Sized + Send + Sync + 'static>(&self) -> Result<Arc<T>, ResolveError> {
        let idx = self.shared.plan.lookup::<T>()?;
        Ctx::root(&self.shared).resolve_as::<T>(idx)
    }

    /// Resolves every element registered with
    /// [`collect`](ContainerBuilder::collect) for `T`, in registration order
    /// (empty if there are none).
    pub fn resolve_all<T: ?Sized + Send + Sync + 'static>(
        &self,
    ) -> Result<Vec<Arc<T>>, ResolveError> {
        match self.shared.plan.collection_of::<T>() {
            Some(c) => Ctx::root(&self.shared).resolve_collection::<T>(c),
            None => Ok(Vec::new()),
        }
    }

    /// Opens a new scope: one instance of each scoped service, created on
    /// first use and dropped (newest first) with the scope.
    ///
    /// Cheap: one allocation, nothing proportional to the registrations.
    pub fn scope(&self) -> Scope {
        Scope::new(self.shared.clone())
    }

    /// A handle that opens scopes without keeping this container alive, for
    /// background work owned by a singleton.
    pub fn scope_factory(&self) -> ScopeFactory {
        ScopeFactory::new(&self.shared)
    }

    /// Whether `T` is registered (as a service or a binding).
    pub fn contains<T: ?Sized + 'static>(&self) -> bool {
        self.shared.plan.lookup::<T>().is_ok()
    }

    /// Creates every singleton now, in registration order, so that a broken
    /// one fails at startup rather than on the first request. Returns every
    /// failure, not just the first.
    pub fn warm_up(&self) -> Result<(), WarmUpError> {
        let cx = Ctx::root(&self.shared);
        let errors: Vec<ResolveError> = self
            .shared
            .plan
            .services
            .iter()
            .enumerate()
            .filter(|(_, s)| s.lifetime == Lifetime::Singleton)
            .filter_map(|(i, s)| cx.get(i as u32, s).err())
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(WarmUpError { errors })
        }
    }

    /// The number of singletons created so far (with the transients that
    /// have async disposers they hold).
    pub fn singletons_created(&self) -> usize {
        self.shared.owned.len()
    }

    /// Instances created and alive per service, if
    /// [`track_instances`](ContainerBuilder::track_instances) is on.
    pub fn instance_report(&self) -> Option<InstanceReport> {
        self.shared
            .census
            .as_ref()
            .map(|c| c.snapshot(&self.shared.plan))
    }

    /// A snapshot of the pool of the pooled service `T`, or `None` if `T`
    /// is not a pooled service.
    pub fn pool_status<T: ?Sized + 'static>(&self) -> Option<PoolStatus> {
        let idx = self.shared.plan.lookup::<T>().ok()?;
        let pool = self.shared.plan.services[idx as usize].pool?;
        Some(self.shared.pools[pool as usize].status())
    }

    /// How many scopes were dropped without `dispose().await` while they
    /// owned instances with async disposers (whose disposers then did not
    /// run). See [`ContainerBuilder::on_undisposed`](crate::ContainerBuilder::on_undisposed).
    pub fn undisposed_scopes(&self) -> usize {
        self.shared
            .undisposed
            .load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl fmt::Debug for Container {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Container")
            .field("services", &self.shared.plan.services.len())
            .field("singletons_created", &self.singletons_created())
            .finish()
    }
}

/// Some singletons failed to be created by [`Container::warm_up`].
///
/// Its [`Debug`](fmt::Debug) is the same report as its
/// [`Display`](fmt::Display) (each failure with its `caused by: ...`
/// chain); `{:#?}` prints the structure ([`errors`](WarmUpError::errors)).
pub struct WarmUpError {
    errors: Vec<ResolveError>,
}

impl WarmUpError {
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn new(errors: Vec<ResolveError>) -> Self {
        WarmUpError { errors }
    }

    /// Every failure, in registration order.
    pub fn errors(&self) -> &[ResolveError] {
        &self.errors
    }
}

impl fmt::Display for WarmUpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        write!(
            f,
            "{n} singleton{} failed to start:",
            if n == 1 { "" } else { "s" }
        )?;
        for (i, e) in self.errors.iter().enumerate() {
            write!(f, "\n{}. {e}", i + 1)?;
            write_causes(f, e, "   ")?;
        }
        Ok(())
    }
}

impl fmt::Debug for WarmUpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            f.debug_struct("WarmUpError")
                .field("errors", &self.errors)
                .finish()
        } else {
            fmt::Display::fmt(self, f)
        }
    }
}

impl std::error::Error for WarmUpError {}
