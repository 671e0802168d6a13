//! Handles a service can take as dependencies: [`Lazy`], [`Factory`],
//! [`ScopeFactory`].
//!
//! A handle resolves later, from where its holder was created. Every
//! resolution through a handle forks a child [`Actor`] of the current one
//! (see [`actor`](crate::actor)), sync or async alike: that is what bounds
//! their nesting and lets a wait through a handle be checked for cycles.

use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, OnceLock, Weak};

use crate::actor::Actor;
use crate::container::Shared;
use crate::error::{DependencyKind, ResolveError, ResolveErrorKind};
use crate::inject::{Declarations, Deps, HandleSeed, Inject};
use crate::injectable::Injectable;
use crate::injectable::private::{Field, Pin, Probe};
use crate::node::Node;
use crate::resolve::Ctx;
use crate::scope::{Scope, ScopeShared};

/// Where a handle resolves from. Weak, so that a service holding a handle
/// never keeps its own container or scope alive (no reference cycles).
#[derive(Clone)]
pub(crate) struct Origin {
    root: Weak<dyn Any + Send + Sync>,
    scope: Option<Weak<dyn Any + Send + Sync>>,
    in_singleton: bool,
}

/// The live container (and scope) a handle resolves from.
pub(crate) struct Live {
    pub(crate) root: Arc<Shared>,
    pub(crate) scope: Option<Arc<ScopeShared>>,
    in_singleton: bool,
}

impl Live {
    /// The resolution context, if the container and scope still serve.
    pub(crate) fn ctx(&self) -> Result<Ctx<'_>, ResolveError> {
        let cx = match &self.scope {
            Some(scope) => Ctx::scoped(scope),
            None => Ctx {
                in_singleton: self.in_singleton,
                ..Ctx::root(&self.root)
            },
        };
        cx.check_open()?;
        Ok(cx)
    }
}

impl Origin {
    fn of(seed: &HandleSeed) -> Origin {
        Origin {
            root: seed.root.clone(),
            scope: seed.scope.clone(),
            in_singleton: seed.in_singleton,
        }
    }

    pub(crate) fn upgrade(&self) -> Result<Live, ResolveError> {
        let root = upgrade::<Shared>(&self.root)
            .ok_or_else(|| ResolveError::new(ResolveErrorKind::ContainerDropped))?;
        let scope = match &self.scope {
            Some(w) => Some(
                upgrade::<ScopeShared>(w)
                    .ok_or_else(|| ResolveError::new(ResolveErrorKind::ScopeEnded))?,
            ),
            None => None,
        };
        Ok(Live {
            root,
            scope,
            in_singleton: self.in_singleton,
        })
    }
}

fn upgrade<T: Send + Sync + 'static>(w: &Weak<dyn Any + Send + Sync>) -> Option<Arc<T>> {
    w.upgrade()?.downcast::<T>().ok()
}

/// Runs a resolution started by a handle as a child actor of the current
/// one (bounded in depth). Errors name the handle's service.
pub(crate) fn through_handle<R>(
    node: Option<Node>,
    f: impl FnOnce() -> Result<R, ResolveError>,
) -> Result<R, ResolveError> {
    let actor = Actor::fork().map_err(|e| e.about(node))?;
    let _entered = actor.enter();
    f().map_err(|e| e.about(node))
}

/// The async form of [`through_handle`].
#[cfg(feature = "tokio")]
pub(crate) async fn through_handle_async<R>(
    node: Option<Node>,
    f: impl std::future::Future<Output = Result<R, ResolveError>>,
) -> Result<R, ResolveError> {
    let actor = Actor::fork().map_err(|e| e.about(node))?;
    let f = std::pin::pin!(f);
    actor.polling(f).await.map_err(|e| e.about(node))
}

const UNRESOLVED: &str = "tenure bug: a handle's target passed validation unresolved";

/// A dependency resolved on first use, then kept.
///
/// `Lazy<T>` *holds* `T` for lifetime checks: a singleton holding a
/// `Lazy<ScopedThing>` is still a captive dependency. It does not take part
/// in cycle checks, so it can break a construction cycle (`A` needs `B`,
/// `B` needs `Lazy<A>`).
///
/// It resolves from where its holder was created (the scope, or the root for
/// singletons), through a weak reference: if that scope has ended,
/// [`get`](Lazy::get) returns
/// [`ScopeEnded`](crate::ResolveErrorKind::ScopeEnded).
///
/// ```
/// use std::sync::Arc;
/// use tenure::{Container, Lazy};
///
/// struct Expensive;
/// struct Report { data: Lazy<Expensive> }
///
/// let c = Container::builder()
///     .singleton(|| Expensive)
///     .transient(|data: Lazy<Expensive>| Report { data })
///     .build()?;
/// let report = c.resolve::<Report>()?;
/// assert_eq!(c.singletons_created(), 0);
/// let _data: Arc<Expensive> = report.data.get()?;
/// assert_eq!(c.singletons_created(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Lazy<T: ?Sized + Send + Sync + 'static> {
    pub(crate) idx: u32,
    pub(crate) node: Option<Node>,
    pub(crate) origin: Origin,
    pub(crate) value: OnceLock<Arc<T>>,
}

impl<T: ?Sized + Send + Sync + 'static> Lazy<T> {
    /// The instance, resolved on the first call.
    pub fn get(&self) -> Result<Arc<T>, ResolveError> {
        if let Some(v) = self.value.get() {
            return Ok(v.clone());
        }
        let v = through_handle(self.node, || {
            self.origin.upgrade()?.ctx()?.resolve_as::<T>(self.idx)
        })?;
        Ok(self.value.get_or_init(|| v).clone())
    }

    /// Whether [`get`](Lazy::get) has resolved the instance already.
    pub fn is_resolved(&self) -> bool {
        self.value.get().is_some()
    }
}

impl<T: ?Sized + Send + Sync + 'static> Inject for Lazy<T> {
    fn declare(decls: &mut Declarations) {
        decls.push::<T>(DependencyKind::Lazy);
    }

    fn fetch(deps: &mut Deps<'_>) -> Result<Self, ResolveError> {
        let (idx, seed) = deps.next_handle();
        Ok(Lazy {
            idx: idx.expect(UNRESOLVED),
            node: seed.node,
            origin: Origin::of(&seed),
            value: OnceLock::new(),
        })
    }
}

// The derive's field forms of the handles (see `injectable::private::Field`).
impl<T: ?Sized + Send + Sync + 'static> Field for Lazy<T> {
    type Dep = Self;

    #[inline]
    fn from_dep(dep: Self) -> Self {
        dep
    }
}

impl<T: ?Sized + Send + Sync + 'static> Field for Factory<T> {
    type Dep = Self;

    #[inline]
    fn from_dep(dep: Self) -> Self {
        dep
    }
}

impl Field for ScopeFactory {
    type Dep = Self;

    #[inline]
    fn from_dep(dep: Self) -> Self {
        dep
    }
}

impl<T: Injectable> Probe<Lazy<T>> {
    /// A lazy handle still holds what it resolves: `T` itself when `T` is
    /// cached. For a transient `T`, what it would hold is left to `build()`:
    /// `Lazy` is how a cycle is broken, and following it here would make
    /// the compiler evaluate the cycle's constants in a circle (an error for
    /// a graph `build()` accepts).
    pub const PIN: Pin = Pin::cached(T::LIFETIME, T::NAME);
}

impl<T: ?Sized + Send + Sync + 'static> fmt::Debug for Lazy<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lazy")
            .field("type", &std::any::type_name::<T>())
            .field("resolved", &self.is_resolved())
            .finish()
    }
}

/// Creates `T` on demand, in a scope the caller passes.
///
/// A `Factory<T>` does not hold `T`, so any service may take one, including
/// a singleton that needs a scoped `T` per operation. Because the caller
/// passes the scope, a singleton can never pull a scoped instance out of the
/// root (the hidden captive dependency of factories that resolve from the
/// root).
///
/// ```
/// use std::sync::Arc;
/// use tenure::{Container, Factory, ScopeFactory};
///
/// struct Session;
/// struct Worker { sessions: Factory<Session>, scopes: ScopeFactory }
///
/// impl Worker {
///     fn run_once(&self) -> Result<Arc<Session>, tenure::ResolveError> {
///         let scope = self.scopes.open()?;
///         self.sessions.create(&scope)
///     }
/// }
///
/// let c = Container::builder()
///     .scoped(|| Session)
///     .singleton(|sessions: Factory<Session>, scopes: ScopeFactory| Worker { sessions, scopes })
///     .build()?;
/// let worker = c.resolve::<Worker>()?;
/// let (a, b) = (worker.run_once()?, worker.run_once()?);
/// assert!(!Arc::ptr_eq(&a, &b)); // a new scope, a new session
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Factory<T: ?Sized + Send + Sync + 'static> {
    pub(crate) idx: u32,
    pub(crate) node: Option<Node>,
    root: Weak<dyn Any + Send + Sync>,
    _marker: PhantomData<fn() -> Arc<T>>,
}

impl<T: ?Sized + Send + Sync + 'static> Factory<T> {
    /// Resolves `T` in `scope`: a new instance if `T` is transient, the
    /// scope's instance if it is scoped, the singleton if it is a singleton.
    pub fn create(&self, scope: &Scope) -> Result<Arc<T>, ResolveError> {
        through_handle(self.node, || {
            self.check_scope(scope)?;
            scope.ctx()?.resolve_as::<T>(self.idx)
        })
    }

    pub(crate) fn check_scope(&self, scope: &Scope) -> Result<(), ResolveError> {
        if std::ptr::addr_eq(self.root.as_ptr(), Arc::as_ptr(&scope.shared.root)) {
            Ok(())
        } else {
            Err(ResolveError::new(ResolveErrorKind::WrongContainer))
        }
    }

    /// Resolves `T` from the root, without a scope: for transients and
    /// singletons that need nothing scoped.
    pub fn create_unscoped(&self) -> Result<Arc<T>, ResolveError> {
        through_handle(self.node, || {
            let root = upgrade::<Shared>(&self.root)
                .ok_or_else(|| ResolveError::new(ResolveErrorKind::ContainerDropped))?;
            let cx = Ctx::root(&root);
            cx.check_open()?;
            cx.resolve_as::<T>(self.idx)
        })
    }
}

impl<T: ?Sized + Send + Sync + 'static> Clone for Factory<T> {
    fn clone(&self) -> Self {
        Factory {
            idx: self.idx,
            node: self.node,
            root: self.root.clone(),
            _marker: PhantomData,
        }
    }
}

impl<T: ?Sized + Send + Sync + 'static> Inject for Factory<T> {
    fn declare(decls: &mut Declarations) {
        decls.push::<T>(DependencyKind::Factory);
    }

    fn fetch(deps: &mut Deps<'_>) -> Result<Self, ResolveError> {
        let (idx, seed) = deps.next_handle();
        Ok(Factory {
            idx: idx.expect(UNRESOLVED),
            node: seed.node,
            root: seed.root,
            _marker: PhantomData,
        })
    }
}

impl<T: ?Sized + Send + Sync + 'static> fmt::Debug for Factory<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Factory")
            .field("type", &std::any::type_name::<T>())
            .finish()
    }
}

/// Opens new [`Scope`]s of the container, without keeping it alive.
///
/// Give it to a singleton that runs background work, and open a scope per
/// operation. It holds the container weakly: dropping the last container
/// handle still drops everything, and [`open`](ScopeFactory::open) then
/// returns [`ContainerDropped`](crate::ResolveErrorKind::ContainerDropped);
/// after [`shutdown`](crate::Container::shutdown) has started it returns
/// [`ShutDown`](crate::ResolveErrorKind::ShutDown).
#[derive(Clone)]
pub struct ScopeFactory {
    root: Weak<dyn Any + Send + Sync>,
}

impl ScopeFactory {
    pub(crate) fn new(root: &Arc<Shared>) -> Self {
        let root: Weak<dyn Any + Send + Sync> = Arc::downgrade(root) as _;
        ScopeFactory { root }
    }

    /// Opens a new scope.
    pub fn open(&self) -> Result<Scope, ResolveError> {
        let root = upgrade::<Shared>(&self.root)
            .ok_or_else(|| ResolveError::new(ResolveErrorKind::ContainerDropped))?;
        if root.is_shut_down() {
            return Err(ResolveError::new(ResolveErrorKind::ShutDown));
        }
        Ok(Scope::new(root))
    }
}

impl Inject for ScopeFactory {
    fn declare(decls: &mut Declarations) {
        decls.push::<ScopeFactory>(DependencyKind::ScopeFactory);
    }

    fn fetch(deps: &mut Deps<'_>) -> Result<Self, ResolveError> {
        let (_, seed) = deps.next_handle();
        Ok(ScopeFactory { root: seed.root })
    }
}

impl fmt::Debug for ScopeFactory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopeFactory")
            .field("container_alive", &(self.root.strong_count() > 0))
            .finish()
    }
}
