//! The frozen, validated plan a [`Container`](crate::Container) resolves from.

use std::any::{Any, TypeId};
use std::sync::Arc;

use crate::Lifetime;
use crate::error::{DependencyKind, ResolveError, ResolveErrorKind};
use crate::inject::Deps;
use crate::key::{IdMap, short_name};
use crate::node::{Node, Role};
use crate::suggest::Wrapped;

/// A type-erased service instance: always an `Arc<T>` of the sized service
/// type, unsized to `dyn Any` (no extra allocation).
pub(crate) type Erased = Arc<dyn Any + Send + Sync>;

/// A type-erased factory.
pub(crate) type ErasedFactory = dyn Fn(&mut Deps<'_>) -> Result<Erased, ResolveError> + Send + Sync;

/// Makes the typed handle (`Box<Arc<T>>`, as `Any`) of a singleton from its
/// erased instance, when it is created; `None` for entries never cached.
pub(crate) type Typer = fn(&Erased) -> Option<Box<dyn Any + Send + Sync>>;

/// The [`Typer`] of a service resolved as its own (sized) type.
pub(crate) fn typed_own<T: Send + Sync + 'static>(
    e: &Erased,
) -> Option<Box<dyn Any + Send + Sync>> {
    e.clone()
        .downcast::<T>()
        .ok()
        .map(|a| Box::new(a) as Box<dyn Any + Send + Sync>)
}

/// The [`Typer`] of entries that are never cached (bindings, elements).
pub(crate) fn typed_none(_: &Erased) -> Option<Box<dyn Any + Send + Sync>> {
    None
}

/// A boxed, sendable future.
pub(crate) type BoxFuture<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// A type-erased async factory: fetches its arguments synchronously (every
/// async dependency has been resolved before), then returns the future that
/// builds the instance.
pub(crate) type ErasedAsyncFactory = dyn Fn(&mut Deps<'_>) -> Result<BoxFuture<'static, Result<Erased, ResolveError>>, ResolveError>
    + Send
    + Sync;

/// A type-erased async disposer.
pub(crate) type ErasedDisposer =
    dyn Fn(Erased) -> BoxFuture<'static, Result<(), anyhow::Error>> + Send + Sync;

/// A type-erased reset hook, run on a pooled instance before it goes back to
/// its pool.
pub(crate) type ErasedReset = dyn Fn(&Erased) + Send + Sync;

/// The configuration of one pool.
#[derive(Clone)]
pub(crate) struct PoolSpec {
    pub(crate) max: usize,
    pub(crate) reset: Option<Arc<ErasedReset>>,
}

/// Turns an [`Erased`] into the `Arc<T>` a caller asked for: a downcast for
/// a service's own type, a downcast then an unsizing coercion for a binding.
pub(crate) struct Caster<T: ?Sized>(pub(crate) Box<dyn Fn(Erased) -> Option<Arc<T>> + Send + Sync>);

impl<T: Send + Sync + 'static> Caster<T> {
    pub(crate) fn own() -> Self {
        Caster(Box::new(|e: Erased| e.downcast::<T>().ok()))
    }
}

/// How a service is produced.
#[derive(Clone)]
pub(crate) enum Exec {
    /// Call a factory.
    Factory(Arc<ErasedFactory>),
    /// Call an async factory and await it.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    AsyncFactory(Arc<ErasedAsyncFactory>),
    /// A ready value (`instance`).
    Instance(Erased),
    /// Serve another service, by index (bindings and collection elements).
    Forward(u32),
}

/// Where a declared edge leads in the frozen plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    Service(u32),
    Collection(u32),
    /// An optional dependency that is not registered (or a `ScopeFactory`).
    Absent,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Edge {
    pub(crate) kind: DependencyKind,
    pub(crate) target: Target,
}

impl Edge {
    /// Whether holding the dependency keeps it alive (for captive checks).
    pub(crate) fn holds(&self) -> bool {
        !matches!(
            self.kind,
            DependencyKind::Factory | DependencyKind::ScopeFactory
        )
    }

    /// Whether the dependency must exist before the holder can be built
    /// (for cycle checks).
    pub(crate) fn constructs(&self) -> bool {
        self.holds() && self.kind != DependencyKind::Lazy
    }
}

pub(crate) struct Service {
    /// Its index in `Plan::services`.
    pub(crate) id: u32,
    pub(crate) node: Node,
    pub(crate) lifetime: Lifetime,
    pub(crate) exec: Exec,
    /// Index into the singleton or the scope slot table.
    pub(crate) slot: u32,
    /// Its dependencies: a range of `Plan::edges`.
    pub(crate) edges: std::ops::Range<u32>,
    /// A `Caster<T>` for the type this entry is resolved as.
    pub(crate) caster: Arc<dyn Any + Send + Sync>,
    /// Makes the typed handle of a created singleton.
    pub(crate) typer: Typer,
    /// Whether creating it needs an async factory somewhere in its graph.
    pub(crate) needs_async: bool,
    /// Its async disposer, if registered.
    pub(crate) disposer: Option<Arc<ErasedDisposer>>,
    /// For pooled services, the index of its pool.
    pub(crate) pool: Option<u32>,
}

pub(crate) struct Plan {
    pub(crate) services: Vec<Service>,
    /// Every service's dependencies, one flat array (one allocation, and
    /// contiguous for the validator's passes).
    pub(crate) edges: Vec<Edge>,
    pub(crate) index: IdMap<TypeId, u32>,
    pub(crate) collections: Vec<Box<[u32]>>,
    pub(crate) collection_index: IdMap<TypeId, u32>,
    pub(crate) singleton_slots: usize,
    pub(crate) scoped_slots: usize,
    pub(crate) pools: Vec<PoolSpec>,
    /// Called with the number of pending async disposers when a scope is
    /// dropped without `dispose().await`.
    pub(crate) on_undisposed: Option<Arc<dyn Fn(usize) + Send + Sync>>,
    /// Whether to count instances (`track_instances`).
    pub(crate) track_instances: bool,
    /// How long one async disposer may run.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) dispose_timeout: std::time::Duration,
}

impl Plan {
    #[inline]
    pub(crate) fn lookup<T: ?Sized + 'static>(&self) -> Result<u32, ResolveError> {
        match self.index.get(&TypeId::of::<T>()) {
            Some(&i) => Ok(i),
            None => Err(self.not_registered(std::any::type_name::<T>())),
        }
    }

    #[cold]
    fn not_registered(&self, name: &'static str) -> ResolveError {
        let mut did_you_mean: Vec<String> = self.request_shape(name).into_iter().collect();
        did_you_mean.extend(suggest(name, self.services.iter().map(|s| s.node)));
        ResolveError::new(ResolveErrorKind::NotRegistered {
            service: name,
            did_you_mean,
        })
    }

    /// The call that was meant, when `name` asks for a shape `resolve` does
    /// not take: `Arc<T>` (resolve returns the `Arc`), `Option<Arc<T>>`,
    /// or `Vec<Arc<T>>` of a collection.
    fn request_shape(&self, name: &str) -> Option<String> {
        let is = |t: &str, element: bool| {
            self.services
                .iter()
                .any(|s| s.node.name == t && (s.node.role == Role::Element) == element)
        };
        match crate::suggest::wrapped(name)? {
            Wrapped::Arc(t) if is(t, false) => Some(format!(
                "`resolve::<{t}>()` (`resolve` returns an `Arc<{}>` already)",
                short_name(t)
            )),
            Wrapped::OptionOfArc(t) if is(t, false) => Some(format!(
                "`resolve::<{t}>().ok()` (`resolve` returns an `Arc<{}>` already)",
                short_name(t)
            )),
            Wrapped::VecOfArc(t) if is(t, true) => Some(format!(
                "`resolve_all::<{t}>()` (`{t}` is a collection, registered with `collect`; \
                 `resolve_all` returns its `Vec<Arc<{}>>`)",
                short_name(t)
            )),
            _ => None,
        }
    }
}

/// Registered nodes whose names look like `wanted`, described for a "did
/// you mean" line, best first (see [`similar`](crate::suggest::similar)).
pub(crate) fn suggest(wanted: &str, nodes: impl Iterator<Item = Node>) -> Vec<String> {
    crate::suggest::similar(wanted, nodes, |n| n.name)
        .into_iter()
        .map(|n| format!("{n} (registered at {})", n.site))
        .collect()
}

impl Plan {
    /// The dependencies of `svc`, in declaration order.
    #[inline]
    pub(crate) fn edges_of(&self, svc: &Service) -> &[Edge] {
        &self.edges[svc.edges.start as usize..svc.edges.end as usize]
    }

    /// Whether service `svc` has an async disposer that its owner (scope or
    /// container) runs: pooled instances go back to their pool instead, and
    /// are disposed with the idle ones at shutdown.
    pub(crate) fn disposed_by_owner(&self, svc: u32) -> bool {
        let s = &self.services[svc as usize];
        s.disposer.is_some() && s.pool.is_none()
    }

    pub(crate) fn collection_of<T: ?Sized + 'static>(&self) -> Option<u32> {
        self.collection_index.get(&TypeId::of::<T>()).copied()
    }
}
