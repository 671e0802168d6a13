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
    /// Each service's [`Route`], worked out the first time it is resolved
    /// asynchronously.
    pub(crate) routes: Routes,
}

/// The creations that resolving one service asynchronously awaits, in an
/// order they can run in: the cached services (singletons, scoped) in its
/// construction graph whose creation may await, each after everything it
/// needs. Once they exist, the rest of the graph (transients, and services
/// with nothing async to await) is built by the sync path, with nothing
/// left to await and no frame per service.
///
/// A pooled service is a step like a scoped one (renting may wait; the
/// rented instance is the scope's until it ends). A service has no route
/// (`None` in [`Plan::route`]) when a transient with an async factory is
/// in that graph: made for one dependent, it cannot be made before it.
/// The async driver's frames serve those.
#[cfg_attr(not(feature = "tokio"), allow(dead_code))]
pub(crate) struct Route {
    pub(crate) steps: Box<[RouteStep]>,
    /// Every service the walk entered, with the one it was entered from
    /// (`u32::MAX` for the root), sorted by service: the first path to
    /// each, root first, which a failing step is reported through.
    above: Box<[(u32, u32)]>,
    /// Whether a step is a scoped or pooled service (resolved from the
    /// root, the route does not apply: the driver reports the scoped-from-root error
    /// where it meets it).
    pub(crate) scoped: bool,
}

#[cfg_attr(not(feature = "tokio"), allow(dead_code))]
impl Route {
    /// The services between the root and step `svc`, innermost first
    /// (the one that needs `svc`, then the one that needs it, up to the
    /// root): the frames the async driver would have had above it.
    pub(crate) fn above(&self, svc: u32) -> impl Iterator<Item = u32> + '_ {
        let parent = move |v: u32| {
            self.above
                .binary_search_by_key(&v, |&(s, _)| s)
                .ok()
                .map(|i| self.above[i].1)
                .filter(|&p| p != u32::MAX)
        };
        std::iter::successors(parent(svc), move |&v| parent(v))
    }
}

/// One creation of a [`Route`].
#[cfg_attr(not(feature = "tokio"), allow(dead_code))]
pub(crate) struct RouteStep {
    pub(crate) svc: u32,
    /// Whether a service above it is a singleton: the step is then looked
    /// up in the root's context (a singleton's graph never sees a scope).
    pub(crate) in_singleton: bool,
}

/// Every service's [`Route`], each worked out on first use (one table,
/// allocated on the first async resolution that needs one).
#[derive(Default)]
pub(crate) struct Routes(std::sync::OnceLock<Box<[std::sync::OnceLock<Option<Route>>]>>);

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

    /// The [`Route`] of service `root`, if it has one.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn route(&self, root: u32) -> Option<&Route> {
        let all = self.routes.0.get_or_init(|| {
            (0..self.services.len())
                .map(|_| std::sync::OnceLock::new())
                .collect()
        });
        all.get(root as usize)?
            .get_or_init(|| self.route_of(root))
            .as_ref()
    }

    /// Works out the [`Route`] of `root`: a depth-first walk of the
    /// dependencies whose creation may await (the edges the async driver
    /// resolves ahead), in declaration order, each service once; a cached
    /// service is a step when everything below it is. Iterative.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    fn route_of(&self, root: u32) -> Option<Route> {
        enum Visit {
            /// A service, and the one it is entered from.
            Enter(u32, u32),
            Leave(u32),
        }
        let mut above = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![Visit::Enter(root, u32::MAX)];
        // The services entered and not yet left, each with whether it or
        // one above it is a singleton.
        let mut path: Vec<(u32, bool)> = Vec::new();
        let mut steps = Vec::new();
        let mut scoped = false;
        while let Some(visit) = stack.pop() {
            let (v, from) = match visit {
                Visit::Leave(v) => {
                    path.pop();
                    let svc = &self.services[v as usize];
                    if svc.lifetime != Lifetime::Transient {
                        let in_singleton = path.last().is_some_and(|&(_, s)| s);
                        scoped |= svc.lifetime != Lifetime::Singleton && !in_singleton;
                        steps.push(RouteStep {
                            svc: v,
                            in_singleton,
                        });
                    }
                    continue;
                }
                Visit::Enter(v, from) => (v, from),
            };
            let svc = &self.services[v as usize];
            if !svc.needs_async || !seen.insert(v) {
                continue;
            }
            match &svc.exec {
                Exec::AsyncFactory(_) if svc.lifetime == Lifetime::Transient => return None,
                Exec::Factory(_) | Exec::AsyncFactory(_) | Exec::Forward(_) => {}
                // Never awaits (a ready value, a scope value).
                Exec::Instance(_) | Exec::Supplied => continue,
            }
            above.push((v, from));
            let singleton =
                svc.lifetime == Lifetime::Singleton || path.last().is_some_and(|&(_, s)| s);
            path.push((v, singleton));
            stack.push(Visit::Leave(v));
            // What it needs, pushed last first: the first dependency is
            // visited first.
            let enter = |t: u32| Visit::Enter(t, v);
            match svc.exec {
                Exec::Forward(t) => stack.push(enter(t)),
                _ => {
                    for e in self.edges_of(svc).iter().rev().filter(|e| e.ahead) {
                        match e.target {
                            Target::Service(t) => stack.push(enter(t)),
                            Target::Collection(c) => stack.extend(
                                self.collections[c as usize].iter().rev().map(|&i| enter(i)),
                            ),
                            Target::Absent => {}
                        }
                    }
                }
            }
        }
        above.sort_unstable();
        Some(Route {
            steps: steps.into_boxed_slice(),
            above: above.into_boxed_slice(),
            scoped,
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
