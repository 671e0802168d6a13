//! Handles a service can take as dependencies: [`Lazy`], [`Factory`],
//! [`ScopeFactory`].

use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, OnceLock, Weak};

use crate::container::Shared;
use crate::error::{DependencyKind, ResolveError, ResolveErrorKind};
use crate::inject::{Declarations, Deps, Inject};
use crate::plan::Target;
use crate::resolve::Ctx;
use crate::scope::{Scope, ScopeShared};

/// Where a handle resolves from. Weak, so that a service holding a handle
/// never keeps its own container or scope alive (no reference cycles).
#[derive(Clone)]
pub(crate) enum Origin {
    Root(Weak<Shared>),
    Scope(Weak<ScopeShared>),
}

impl Origin {
    /// The live container (and scope) a handle resolves from.
    pub(crate) fn upgrade(&self) -> Result<(Arc<Shared>, Option<Arc<ScopeShared>>), ResolveError> {
        match self {
            Origin::Root(w) => {
                let root = w
                    .upgrade()
                    .ok_or_else(|| ResolveError::new(ResolveErrorKind::ContainerDropped))?;
                Ok((root, None))
            }
            Origin::Scope(w) => {
                let scope = w
                    .upgrade()
                    .ok_or_else(|| ResolveError::new(ResolveErrorKind::ScopeEnded))?;
                Ok((scope.root.clone(), Some(scope)))
            }
        }
    }

    fn of(cx: &Ctx<'_>) -> Origin {
        match cx.scope {
            Some(s) => Origin::Scope(Arc::downgrade(s)),
            None => Origin::Root(Arc::downgrade(cx.root)),
        }
    }
}

fn service_index(deps: &mut Deps<'_>) -> u32 {
    match deps.next_edge().target {
        Target::Service(i) => i,
        _ => unreachable!("tenure bug: a handle's target passed validation unresolved"),
    }
}

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
    pub(crate) origin: Origin,
    pub(crate) value: OnceLock<Arc<T>>,
}

impl<T: ?Sized + Send + Sync + 'static> Lazy<T> {
    /// The instance, resolved on the first call.
    pub fn get(&self) -> Result<Arc<T>, ResolveError> {
        if let Some(v) = self.value.get() {
            return Ok(v.clone());
        }
        let v = through_handle(|| match self.origin.upgrade()? {
            (root, None) => Ctx::root(&root).resolve_as::<T>(self.idx),
            (_, Some(scope)) => Ctx::scoped(&scope).resolve_as::<T>(self.idx),
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
        let idx = service_index(deps);
        Ok(Lazy {
            idx,
            origin: Origin::of(&deps.cx),
            value: OnceLock::new(),
        })
    }
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
    root: Weak<Shared>,
    _marker: PhantomData<fn() -> Arc<T>>,
}

impl<T: ?Sized + Send + Sync + 'static> Factory<T> {
    /// Resolves `T` in `scope`: a new instance if `T` is transient, the
    /// scope's instance if it is scoped, the singleton if it is a singleton.
    pub fn create(&self, scope: &Scope) -> Result<Arc<T>, ResolveError> {
        self.check_scope(scope)?;
        through_handle(|| Ctx::scoped(&scope.shared).resolve_as::<T>(self.idx))
    }

    pub(crate) fn check_scope(&self, scope: &Scope) -> Result<(), ResolveError> {
        if std::ptr::eq(self.root.as_ptr(), Arc::as_ptr(&scope.shared.root)) {
            Ok(())
        } else {
            Err(ResolveError::new(ResolveErrorKind::WrongContainer))
        }
    }

    /// Resolves `T` from the root, without a scope: for transients and
    /// singletons that need nothing scoped.
    pub fn create_unscoped(&self) -> Result<Arc<T>, ResolveError> {
        let root = self
            .root
            .upgrade()
            .ok_or_else(|| ResolveError::new(ResolveErrorKind::ContainerDropped))?;
        through_handle(|| Ctx::root(&root).resolve_as::<T>(self.idx))
    }
}

/// How deep resolutions through handles may nest on one thread before they
/// are taken for a service that creates itself through a handle (a
/// transient taking `Factory<Self>` and calling it in its factory), which
/// would otherwise recurse until the stack overflows.
const MAX_HANDLE_DEPTH: u32 = 64;

thread_local! {
    static HANDLE_DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Runs a resolution started by a handle, refusing to nest deeper than
/// [`MAX_HANDLE_DEPTH`].
fn through_handle<R>(f: impl FnOnce() -> Result<R, ResolveError>) -> Result<R, ResolveError> {
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            HANDLE_DEPTH.with(|d| d.set(d.get() - 1));
        }
    }
    let depth = HANDLE_DEPTH.with(|d| {
        let n = d.get() + 1;
        d.set(n);
        n
    });
    let _leave = Leave;
    if depth > MAX_HANDLE_DEPTH {
        return Err(ResolveError::new(ResolveErrorKind::Reentrant));
    }
    f()
}

impl<T: ?Sized + Send + Sync + 'static> Clone for Factory<T> {
    fn clone(&self) -> Self {
        Factory {
            idx: self.idx,
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
        let idx = service_index(deps);
        Ok(Factory {
            idx,
            root: Arc::downgrade(deps.cx.root),
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
/// returns [`ContainerDropped`](crate::ResolveErrorKind::ContainerDropped).
#[derive(Clone)]
pub struct ScopeFactory {
    root: Weak<Shared>,
}

impl ScopeFactory {
    pub(crate) fn new(root: &Arc<Shared>) -> Self {
        ScopeFactory {
            root: Arc::downgrade(root),
        }
    }

    /// Opens a new scope.
    pub fn open(&self) -> Result<Scope, ResolveError> {
        let root = self
            .root
            .upgrade()
            .ok_or_else(|| ResolveError::new(ResolveErrorKind::ContainerDropped))?;
        Ok(Scope::new(root))
    }
}

impl Inject for ScopeFactory {
    fn declare(decls: &mut Declarations) {
        decls.push::<ScopeFactory>(DependencyKind::ScopeFactory);
    }

    fn fetch(deps: &mut Deps<'_>) -> Result<Self, ResolveError> {
        deps.next_edge();
        Ok(ScopeFactory::new(deps.cx.root))
    }
}

impl fmt::Debug for ScopeFactory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopeFactory")
            .field("container_alive", &(self.root.strong_count() > 0))
            .finish()
    }
}
