//! [`Resolver`]: a typed entry point for a hot path, with the service's
//! lookup done once.

use std::fmt;
use std::sync::{Arc, OnceLock};

use crate::container::Container;
use crate::error::{ResolveError, ResolveErrorKind};
use crate::keyed::key_of;
use crate::lifetime::Lifetime;
use crate::node::Node;
use crate::plan::Exec;
use crate::resolve::Ctx;
use crate::scope::Scope;

/// Resolves one service, found once: what [`Container::resolve`] does
/// without looking the type up on each call, and, for a singleton, without
/// reading the container's slot table either.
///
/// Made by [`Container::resolver`] (or
/// [`resolver_keyed`](Container::resolver_keyed)), which fails at once if
/// `T` is not registered. Keep it where a hot path can reach it (a
/// handler's state, a field of a long-lived service's owner) and call
/// [`get`](Resolver::get) (from the root) or [`get_in`](Resolver::get_in)
/// (from a scope) per request.
///
/// Every rule of `resolve` holds, because every resolution but a singleton
/// hit *is* `resolve` (the same core, the same errors): a scoped service
/// from the root is
/// [`ScopedFromRoot`](ResolveErrorKind::ScopedFromRoot), an ended scope is
/// [`ScopeEnded`](ResolveErrorKind::ScopeEnded), and after
/// [`shutdown`](Container::shutdown) has started every call is
/// [`ShutDown`](ResolveErrorKind::ShutDown), hits included. A scope of
/// another container is
/// [`WrongContainer`](ResolveErrorKind::WrongContainer).
///
/// A singleton (or a binding to one) is kept in the resolver once
/// resolved: a later [`get`](Resolver::get) is a flag check and a
/// reference-count increment, as cheap as cloning an `Arc` you hold. So,
/// like any `Arc<T>` you hold, a resolver that has resolved a singleton
/// keeps that instance alive until the resolver is dropped, and it keeps
/// its container alive, as a clone of the [`Container`] does.
///
/// ```
/// use std::sync::Arc;
/// use tenure::Container;
///
/// struct Config { name: &'static str }
/// struct Session(Arc<Config>);
///
/// let container = Container::builder()
///     .singleton(|| Config { name: "prod" })
///     .scoped(|c: Arc<Config>| Session(c))
///     .build()?;
/// let config = container.resolver::<Config>()?;
/// let session = container.resolver::<Session>()?;
///
/// // Per request:
/// let scope = container.scope();
/// assert_eq!(config.get()?.name, "prod");
/// let s = session.get_in(&scope)?;
/// assert!(Arc::ptr_eq(&s, &scope.resolve::<Session>()?));
/// assert!(Arc::ptr_eq(&s.0, &config.get()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Resolver<T: ?Sized> {
    /// The singleton once resolved (declared first: dropped before the
    /// container, so that the container still drops its singletons in
    /// reverse creation order when the resolver held the last clone).
    instance: OnceLock<Arc<T>>,
    pub(crate) container: Container,
    pub(crate) idx: u32,
    /// Whether the service is a singleton (or a binding to one), whose
    /// instance may be kept.
    keep: bool,
}

impl Container {
    /// A [`Resolver`] for `T`: the lookup done once, for a hot path.
    ///
    /// # Errors
    /// [`NotRegistered`](ResolveErrorKind::NotRegistered) if `T` is not
    /// registered, with the same suggestions as
    /// [`resolve`](Container::resolve).
    pub fn resolver<T: ?Sized + Send + Sync + 'static>(&self) -> Result<Resolver<T>, ResolveError> {
        let idx = self.shared.plan.lookup::<T>()?;
        Ok(Resolver::new(self.clone(), idx))
    }

    /// A [`Resolver`] for `T` registered under the key `K` (see
    /// [`keyed`](crate::ContainerBuilder::keyed)).
    ///
    /// # Errors
    /// As [`resolve_keyed`](Container::resolve_keyed) when the key is not
    /// registered for `T`.
    pub fn resolver_keyed<K: 'static, T: ?Sized + Send + Sync + 'static>(
        &self,
    ) -> Result<Resolver<T>, ResolveError> {
        let idx = self.shared.plan.lookup_key(key_of::<K, T>())?;
        Ok(Resolver::new(self.clone(), idx))
    }
}

impl<T: ?Sized + Send + Sync + 'static> Resolver<T> {
    fn new(container: Container, idx: u32) -> Resolver<T> {
        let plan = &container.shared.plan;
        let mut svc = &plan.services[idx as usize];
        if let Exec::Forward(target) = svc.exec
            && let Some(t) = plan.services.get(target as usize)
        {
            svc = t;
        }
        let keep = svc.lifetime == Lifetime::Singleton;
        Resolver {
            instance: OnceLock::new(),
            container,
            idx,
            keep,
        }
    }

    /// Resolves `T` from the root, as [`Container::resolve`] does.
    ///
    /// # Errors
    /// As [`Container::resolve`].
    #[inline]
    pub fn get(&self) -> Result<Arc<T>, ResolveError> {
        match self.kept(None) {
            Some(v) => Ok(v),
            None => self.get_slow(),
        }
    }

    #[inline(never)]
    fn get_slow(&self) -> Result<Arc<T>, ResolveError> {
        let v = self.container.resolve_at::<T>(self.idx)?;
        self.keep(&v);
        Ok(v)
    }

    /// Resolves `T` from `scope`, as [`Scope::resolve`] does.
    ///
    /// # Errors
    /// As [`Scope::resolve`]; [`WrongContainer`](ResolveErrorKind::WrongContainer)
    /// if `scope` belongs to another container.
    #[inline]
    pub fn get_in(&self, scope: &Scope) -> Result<Arc<T>, ResolveError> {
        self.check_scope(scope)?;
        if let Some(v) = self.kept(Some(scope)) {
            return Ok(v);
        }
        let v = scope.resolve_at::<T>(self.idx)?;
        self.keep(&v);
        Ok(v)
    }

    /// The registration it resolves: its type name, role and site.
    pub fn node(&self) -> Node {
        self.container.shared.plan.services[self.idx as usize].node
    }

    /// The kept singleton, if there is one and it may be handed out from
    /// the root or `scope`: the container still serves, the scope has not
    /// ended, and nothing traces resolutions (a listener at DEBUG level
    /// sees every resolution as `resolve` reports it).
    #[inline]
    pub(crate) fn kept(&self, scope: Option<&Scope>) -> Option<Arc<T>> {
        let v = self.instance.get()?;
        let cx = match scope {
            Some(s) => Ctx::scoped(&s.shared),
            None => Ctx::root(&self.container.shared),
        };
        let served = !crate::trace::debug_on() && cx.serves();
        served.then(|| v.clone())
    }

    /// Keeps `v` if it is the singleton.
    pub(crate) fn keep(&self, v: &Arc<T>) {
        if self.keep && self.instance.get().is_none() {
            let _ = self.instance.set(v.clone());
        }
    }

    /// [`WrongContainer`](ResolveErrorKind::WrongContainer) unless `scope`
    /// belongs to this resolver's container.
    #[inline]
    pub(crate) fn check_scope(&self, scope: &Scope) -> Result<(), ResolveError> {
        if Arc::ptr_eq(&self.container.shared, &scope.shared.root) {
            Ok(())
        } else {
            Err(self.wrong_container())
        }
    }

    #[cold]
    fn wrong_container(&self) -> ResolveError {
        let node = self.node();
        ResolveError::at(
            ResolveErrorKind::WrongContainer,
            Node {
                name: std::any::type_name::<Resolver<T>>(),
                ..node
            },
        )
    }
}

impl<T: ?Sized> Clone for Resolver<T> {
    fn clone(&self) -> Self {
        Resolver {
            instance: self.instance.clone(),
            container: self.container.clone(),
            idx: self.idx,
            keep: self.keep,
        }
    }
}

impl<T: ?Sized> fmt::Debug for Resolver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let node = self.container.shared.plan.services[self.idx as usize].node;
        f.debug_struct("Resolver")
            .field("service", &node.name)
            .field("role", &node.role)
            .field("kept", &self.instance.get().is_some())
            .finish()
    }
}
