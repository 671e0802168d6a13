//! [`Container`]: the frozen, validated registry.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::builder::ContainerBuilder;
use crate::census::{Census, InstanceReport};
use crate::erased::{Erased, TypedCell};
use crate::error::{BuildError, ResolveError, ResolveErrorKind, write_causes};
use crate::handles::ScopeFactory;
use crate::lifetime::Lifetime;
use crate::node::Node;
use crate::owner::Owned;
use crate::plan::{Plan, Service};
use crate::pool::{Pool, PoolStatus};
use crate::resolve::{Ctx, Memo};
use crate::scope::Scope;
use crate::slot::Slot;

/// The state every handle to one container shares.
///
/// Aligned to a cache line so that what every resolution reads (the plan's
/// tables) never shares a line with the `Arc`'s reference counts, which
/// every scope's creation and drop writes (false sharing between threads
/// opening scopes). A guard: on the two-core machine it was measured on,
/// the two-thread scenario showed no difference either way.
#[repr(align(64))]
pub(crate) struct Shared {
    pub(crate) plan: Plan,
    /// One slot per singleton.
    pub(crate) slots: Box<[Slot]>,
    /// Per singleton slot, the instance as the `Arc<T>` it is resolved as,
    /// once resolved: a cached singleton is then one type check and one
    /// reference-count increment away.
    pub(crate) typed: Box<[TypedCell]>,
    /// Singletons (and transients with async disposers they hold), in
    /// creation order, for disposal in reverse.
    pub(crate) owned: Owned,
    /// One pool per pooled service.
    pub(crate) pools: Box<[Pool]>,
    /// Scopes dropped without `dispose().await` while they owned instances
    /// with async disposers.
    pub(crate) undisposed: AtomicUsize,
    /// Instance counts, when `track_instances` is on.
    pub(crate) census: Option<Census>,
    /// Set when `shutdown()` starts: from then on nothing resolves.
    shut_down: AtomicBool,
    /// The registrations it was built from (`describe`, `graph`).
    pub(crate) source: ContainerBuilder,
    /// What `start()` did (see `asynch/lifecycle.rs`).
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) lifecycle: parking_lot::Mutex<Lifecycle>,
}

/// The lifecycle state of a container: whether `start()` was called, and
/// the singletons it started, in start order (their instances stay in
/// their slots, so that they are still dropped in reverse creation order).
/// Whoever stops them (a failed start, or `shutdown`) takes them, so each
/// stop hook runs at most once.
#[derive(Default)]
#[cfg_attr(not(feature = "tokio"), allow(dead_code))]
pub(crate) struct Lifecycle {
    pub(crate) called: bool,
    pub(crate) started: Vec<u32>,
}

impl Shared {
    /// Whether `shutdown()` has started.
    #[inline]
    pub(crate) fn is_shut_down(&self) -> bool {
        self.shut_down.load(Ordering::Acquire)
    }

    /// Starts the shutdown; `false` if it had started already.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn begin_shutdown(&self) -> bool {
        !self.shut_down.swap(true, Ordering::AcqRel)
    }

    /// Records a new singleton: its place in the disposal order, and its
    /// typed handle for the fast path of later resolutions.
    pub(crate) fn singleton_created(&self, idx: u32, svc: &Service, value: &Erased) {
        self.owned.push_slot(&self.slots, svc.slot, idx);
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

    pub(crate) fn from_plan(plan: Plan, source: ContainerBuilder) -> Container {
        let slots = Slot::many(plan.singleton_slots);
        let typed = (0..plan.singleton_slots)
            .map(|_| TypedCell::new())
            .collect();
        let pools = plan.pools.iter().cloned().map(Pool::new).collect();
        let census = plan
            .hooks
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
                source,
                lifecycle: Default::default(),
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
    /// a singleton. After [`shutdown`](Container::shutdown) has started,
    /// every resolution is [`ShutDown`](crate::ResolveErrorKind::ShutDown).
    #[inline]
    pub fn resolve<T: ?Sized + Send + Sync + 'static>(&self) -> Result<Arc<T>, ResolveError> {
        let idx = self.shared.plan.lookup::<T>()?;
        self.resolve_at::<T>(idx)
    }

    /// A top-level resolution of service `idx` from the root (`resolve`,
    /// `resolve_keyed`, a [`Resolver`](crate::Resolver)): traced, refused
    /// once the container is shut down.
    #[inline]
    pub(crate) fn resolve_at<T: ?Sized + Send + Sync + 'static>(
        &self,
        idx: u32,
    ) -> Result<Arc<T>, ResolveError> {
        crate::trace::resolve(&self.shared.plan, idx, crate::trace::ROOT, || {
            self.ctx_for(idx)?.resolve_as::<T>(idx)
        })
    }

    /// The root resolution context for service `idx`, if the container
    /// still serves.
    #[inline]
    pub(crate) fn ctx_for(&self, idx: u32) -> Result<Ctx<'_>, ResolveError> {
        let cx = Ctx::root(&self.shared);
        cx.check_open_for(idx)?;
        Ok(cx)
    }

    /// The root resolution context, if the container still serves.
    #[inline]
    pub(crate) fn ctx(&self) -> Result<Ctx<'_>, ResolveError> {
        let cx = Ctx::root(&self.shared);
        cx.check_open()?;
        Ok(cx)
    }

    /// Resolves every element registered with
    /// [`collect`](ContainerBuilder::collect) for `T`, in registration order
    /// (empty if there are none).
    pub fn resolve_all<T: ?Sized + Send + Sync + 'static>(
        &self,
    ) -> Result<Vec<Arc<T>>, ResolveError> {
        let cx = self.ctx()?;
        match self.shared.plan.collection_of::<T>() {
            Some(c) => cx.resolve_collection::<T>(c),
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
        self.shared
            .plan
            .index
            .contains_key(&std::any::TypeId::of::<T>())
    }

    /// Whether [`shutdown`](Container::shutdown) has started: the container
    /// then resolves nothing more.
    pub fn is_shut_down(&self) -> bool {
        self.shared.is_shut_down()
    }

    /// Creates every singleton now, so that a broken one fails at startup
    /// rather than on the first request. Singletons are created in
    /// dependency order (each after what it needs); each is tried once,
    /// and one that needs a singleton that failed is not tried but reported
    /// under that cause. Returns every failure, not just the first.
    pub fn warm_up(&self) -> Result<(), WarmUpError> {
        let memo = Memo::default();
        let cx = Ctx {
            memo: Some(&memo),
            ..self.ctx().map_err(|e| WarmUpError::new(vec![e]))?
        };
        let errors = self
            .warm_up_order()
            .filter_map(|i| cx.get(i).err())
            .collect();
        WarmUpError::check(errors)
    }

    /// The singletons, in the order a warm-up creates them.
    pub(crate) fn warm_up_order(&self) -> impl Iterator<Item = u32> + '_ {
        let plan = &self.shared.plan;
        plan.dependency_order()
            .into_iter()
            .filter(|&i| plan.services[i as usize].lifetime == Lifetime::Singleton)
    }

    /// The number of singletons created so far (with the transients that
    /// have async disposers they hold).
    pub fn singletons_created(&self) -> usize {
        self.shared.owned.len(&self.shared.slots)
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
        let idx = *self.shared.plan.index.get(&std::any::TypeId::of::<T>())?;
        let pool = self.shared.plan.services[idx as usize].pool?;
        Some(self.shared.pools[pool as usize].status())
    }

    /// How many scopes were dropped without `dispose().await` while they
    /// owned instances with async disposers (whose disposers then did not
    /// run). See [`ContainerBuilder::on_undisposed`](crate::ContainerBuilder::on_undisposed).
    pub fn undisposed_scopes(&self) -> usize {
        self.shared.undisposed.load(Ordering::Relaxed)
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

impl ContainerBuilder {
    /// Validates the whole graph, then freezes it into a [`Container`].
    ///
    /// No factory runs here. Every problem is reported at once in the
    /// [`BuildError`]: captive dependencies (every holder and captive pair,
    /// with the path through transients), missing dependencies (with a "did
    /// you mean"), cycles, duplicates and replacements of nothing. Linear in
    /// services + edges.
    ///
    /// The builder is left as it was, so it can build again.
    pub fn build(&self) -> Result<Container, BuildError> {
        crate::validate::validate(&self.regs, &self.hooks, &self.decorators, &self.settings)
            .map(|plan| Container::from_plan(plan, self.clone()))
            .map_err(|problems| BuildError { problems })
    }
}

/// Some singletons failed to be created by [`Container::warm_up`] (or
/// `warm_up_async`).
///
/// Each failing singleton was tried once. A singleton that needs one that
/// failed was not tried: its error is
/// [`DependencyFailed`](crate::ResolveErrorKind::DependencyFailed), and the
/// report lists it under its cause.
///
/// Its [`Debug`](fmt::Debug) is the same report as its
/// [`Display`](fmt::Display) (each failure with its `caused by: ...`
/// chain); `{:#?}` prints the structure ([`errors`](WarmUpError::errors)).
pub struct WarmUpError {
    errors: Vec<ResolveError>,
}

impl WarmUpError {
    pub(crate) fn new(errors: Vec<ResolveError>) -> Self {
        WarmUpError { errors }
    }

    pub(crate) fn check(errors: Vec<ResolveError>) -> Result<(), WarmUpError> {
        if errors.is_empty() {
            Ok(())
        } else {
            Err(WarmUpError { errors })
        }
    }

    /// Every failure, in the order the singletons were tried (dependency
    /// order): root causes and the singletons they kept from starting.
    pub fn errors(&self) -> &[ResolveError] {
        &self.errors
    }

    /// The failures that are root causes (not
    /// [`DependencyFailed`](crate::ResolveErrorKind::DependencyFailed)).
    pub fn root_causes(&self) -> impl Iterator<Item = &ResolveError> {
        self.errors
            .iter()
            .filter(|e| !matches!(e.kind(), ResolveErrorKind::DependencyFailed { .. }))
    }

    /// The singletons not started because `cause` failed.
    fn blocked_by(&self, cause: Option<Node>) -> impl Iterator<Item = &Node> {
        self.errors.iter().filter_map(move |e| match e.kind() {
            ResolveErrorKind::DependencyFailed { cause: c } if Some(*c) == cause => {
                e.path().first()
            }
            _ => None,
        })
    }
}

impl fmt::Display for WarmUpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        let roots: Vec<&ResolveError> = self.root_causes().collect();
        write!(
            f,
            "{n} singleton{} failed to start",
            if n == 1 { "" } else { "s" }
        )?;
        if roots.len() < n {
            write!(
                f,
                ", from {} root cause{}",
                roots.len(),
                if roots.len() == 1 { "" } else { "s" }
            )?;
        }
        f.write_str(":")?;
        for (i, e) in roots.iter().enumerate() {
            write!(f, "\n{}. {e}", i + 1)?;
            write_causes(f, *e, "   ")?;
            let blocked: Vec<String> = self
                .blocked_by(e.innermost())
                .map(|b| format!("{b} (registered at {})", b.site()))
                .collect();
            if !blocked.is_empty() {
                write!(f, "\n   so these were not started: {}", blocked.join(", "))?;
            }
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
