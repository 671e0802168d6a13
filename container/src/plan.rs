//! The frozen, validated plan a container resolves from: data only. The
//! validator is its one producer; the runtime reads it.

use std::any::{Any, TypeId};
use std::sync::Arc;

use crate::erased::{Erased, ErrorHook};
use crate::error::{ResolveError, ResolveErrorKind};
use crate::factory::{ErasedAsyncFactory, ErasedDisposer, ErasedFactory, ErasedReset, Typer};
use crate::inject::{Edge, Target};
use crate::key::{IdMap, short_name};
use crate::lifetime::Lifetime;
use crate::node::{Node, Role};
use crate::suggest::Wrapped;

/// The configuration of one pool.
#[derive(Clone)]
pub(crate) struct PoolSpec {
    pub(crate) max: usize,
    pub(crate) reset: Option<Arc<ErasedReset>>,
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
    /// A scope value: supplied when the scope opens, never created.
    Supplied,
}

pub(crate) struct Service {
    /// Its index in `Plan::services`.
    pub(crate) id: u32,
    pub(crate) node: Node,
    pub(crate) lifetime: Lifetime,
    pub(crate) exec: Exec,
    /// Index into the singleton or the scope slot table (for singletons,
    /// also into the typed handles).
    pub(crate) slot: u32,
    /// Its dependencies: a range of `Plan::edges`.
    pub(crate) edges: std::ops::Range<u32>,
    /// A `Caster<T>` for the type this entry is resolved as.
    pub(crate) caster: Arc<dyn Any + Send + Sync>,
    /// Makes the typed handle of a created singleton.
    pub(crate) typer: Typer,
    /// Whether creating it may await: an async factory, or renting from a
    /// pool (which waits while the pool is exhausted), somewhere in its
    /// construction graph. The async driver resolves such dependencies
    /// ahead of their dependent's factory call; a slot of a service
    /// without it is never claimed across an `.await`.
    pub(crate) needs_async: bool,
    /// Its async disposer, if registered.
    pub(crate) disposer: Option<Arc<ErasedDisposer>>,
    /// For pooled services, the index of its pool.
    pub(crate) pool: Option<u32>,
}

/// The start and stop hooks of one singleton
/// ([`on_start`](crate::ContainerBuilder::on_start),
/// [`on_stop`](crate::ContainerBuilder::on_stop)), each with its node.
#[derive(Clone)]
#[cfg_attr(not(feature = "tokio"), allow(dead_code))]
pub(crate) struct LifeHooks {
    /// The service, by index.
    pub(crate) svc: u32,
    pub(crate) start: Option<(Node, Arc<ErasedDisposer>)>,
    pub(crate) stop: Option<(Node, Arc<ErasedDisposer>)>,
}

/// Container-wide hooks and settings, frozen with the plan.
#[derive(Clone)]
pub(crate) struct Hooks {
    /// Called with the number of pending async disposers when a scope is
    /// dropped without `dispose().await`.
    pub(crate) on_undisposed: Option<Arc<dyn Fn(usize) + Send + Sync>>,
    /// Called with the report of a disposal that nobody awaits any more (a
    /// cancelled `dispose`, `shutdown` or `run_scoped`, finished on the
    /// runtime).
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) on_dispose_error: Option<ErrorHook>,
    /// Whether to count instances (`track_instances`).
    pub(crate) track_instances: bool,
    /// How long one async disposer may run.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) dispose_timeout: std::time::Duration,
    /// How long one start or stop hook may run.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) lifecycle_timeout: std::time::Duration,
}

impl Default for Hooks {
    fn default() -> Self {
        Hooks {
            on_undisposed: None,
            on_dispose_error: None,
            track_instances: false,
            dispose_timeout: std::time::Duration::from_secs(30),
            lifecycle_timeout: std::time::Duration::from_secs(30),
        }
    }
}

pub(crate) struct Plan {
    /// The lints that fired at `Warn` level.
    pub(crate) warnings: Vec<crate::lint::Warning>,
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
    /// Every service's caster, by service index (for [`Deps`]'s fast path).
    ///
    /// [`Deps`]: crate::inject::Deps
    pub(crate) casters: Vec<Arc<dyn Any + Send + Sync>>,
    pub(crate) hooks: Hooks,
    /// The singletons with start or stop hooks, in registration order of
    /// their first hook.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) lifecycle: Vec<LifeHooks>,
    /// Whether any service is [`disposed_by_owner`](Plan::disposed_by_owner)
    /// (if not, a dropped scope has nothing to report).
    pub(crate) owners_dispose: bool,
}

impl Plan {
    #[inline]
    pub(crate) fn lookup<T: ?Sized + 'static>(&self) -> Result<u32, ResolveError> {
        match self.index.get(&TypeId::of::<T>()) {
            Some(&i) => Ok(i),
            None => Err(self.not_registered(std::any::type_name::<T>())),
        }
    }

    /// [`lookup`](Plan::lookup) by key (keyed services, whose identity is
    /// not the type a caller names).
    #[inline]
    pub(crate) fn lookup_key(&self, key: crate::key::Key) -> Result<u32, ResolveError> {
        match self.index.get(&key.id) {
            Some(&i) => Ok(i),
            None => Err(self.not_registered(key.name)),
        }
    }

    #[cold]
    fn not_registered(&self, name: &'static str) -> ResolveError {
        let mut did_you_mean: Vec<String> = self.request_shape(name).into_iter().collect();
        let nodes = || self.services.iter().map(|s| s.node);
        let keyed = |n: &Node| n.name.starts_with(crate::key::KEYED_PREFIX);
        match crate::keyed::hints(name, nodes()) {
            Some(keys) => did_you_mean.extend(keys),
            None => did_you_mean.extend(suggest(name, nodes().filter(|n| !keyed(n)))),
        }
        did_you_mean.extend(crate::keyed::unkeyed_hints(name, nodes()));
        did_you_mean.extend(crate::with_args::hints(name, nodes()));
        ResolveError::new(ResolveErrorKind::NotRegistered {
            service: name,
            did_you_mean,
        })
    }

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

    /// Every service in dependency order: each after everything its
    /// construction needs (required, optional and collection dependencies,
    /// binding targets), ties in registration order. The graph of those
    /// edges is acyclic (the validator rejects cycles). Iterative, linear.
    pub(crate) fn dependency_order(&self) -> Vec<u32> {
        let n = self.services.len();
        let mut done = vec![false; n];
        let mut order = Vec::with_capacity(n);
        let deps_of = |v: u32| -> Vec<u32> {
            let s = &self.services[v as usize];
            let mut out = Vec::new();
            if let Exec::Forward(t) = s.exec {
                out.push(t);
            }
            for e in self.edges_of(s).iter().filter(|e| e.constructs()) {
                match e.target {
                    Target::Service(t) => out.push(t),
                    Target::Collection(c) => out.extend(self.collections[c as usize].iter()),
                    Target::Absent => {}
                }
            }
            out
        };
        let mut stack: Vec<(u32, Vec<u32>, usize)> = Vec::new();
        for root in 0..n as u32 {
            if done[root as usize] {
                continue;
            }
            done[root as usize] = true;
            stack.push((root, deps_of(root), 0));
            while let Some((v, deps, k)) = stack.last_mut() {
                if let Some(&d) = deps.get(*k) {
                    *k += 1;
                    if !done[d as usize] {
                        done[d as usize] = true;
                        stack.push((d, deps_of(d), 0));
                    }
                } else {
                    order.push(*v);
                    stack.pop();
                }
            }
        }
        order
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
