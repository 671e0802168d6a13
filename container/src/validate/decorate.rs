//! Decorators, linked: each decorator becomes a plan entry of its own (a
//! transient with a [`Role::Decorator`](crate::Role::Decorator) node, whose
//! edges are the decorator's declared dependencies and whose instance is
//! the decorator with those dependencies fetched), and the decorated
//! service's entry becomes "create the service as registered, then apply
//! each decorator, in registration order", with one edge to each
//! decorator entry after its own. The graph checks (captive, missing,
//! cycle) and the async analysis see them like any other edge, so a path
//! through a decorator shows it, with its site; the runtime needs nothing
//! new.

use std::any::{Any, TypeId};
use std::sync::Arc;

use crate::decorate::{Application, Apply, Decorator};
use crate::erased::{BoxFuture, Erased};
use crate::error::{DependencyKind, Problem, ResolveError};
use crate::factory::{ErasedAsyncFactory, ErasedFactory, call, sync_factory, typed_none};
use crate::inject::{Decl, Deps, Edge, Target};
use crate::key::IdMap;
use crate::lifetime::Lifetime;
use crate::node::{Node, Role};
use crate::plan::{Exec, Service, suggest};

use super::link::{Linked, NO_TARGET, knock_on, missing};

/// What the linking of a decorator's declarations needs to look up.
pub(super) struct Lookup<'a> {
    pub(super) index: &'a IdMap<TypeId, u32>,
    pub(super) collection_index: &'a IdMap<TypeId, u32>,
    pub(super) unplaced: &'a IdMap<TypeId, usize>,
    pub(super) wrappers: &'a [(&'static str, Node)],
    pub(super) nodes: &'a [Node],
}

/// Applies `decorators` to the linked plan entries (see the module docs).
pub(super) fn decorate(
    decorators: &[Decorator],
    look: &Lookup<'_>,
    linked: &mut Linked,
    problems: &mut Vec<Problem>,
) {
    // The decorated keys, in the order of their first decorator.
    let mut keys: Vec<TypeId> = Vec::new();
    for d in decorators {
        if !keys.contains(&d.key.id) {
            keys.push(d.key.id);
        }
    }
    for id in keys {
        let of: Vec<&Decorator> = decorators.iter().filter(|d| d.key.id == id).collect();
        let Some(&i) = look.index.get(&id) else {
            for d in &of {
                if !knock_on(problems, look.unplaced, id, d.node) {
                    problems.push(Problem::Missing {
                        requester: d.node,
                        dependency: d.key.name,
                        kind: DependencyKind::Required,
                        did_you_mean: suggest(d.key.name, look.nodes.iter().copied()),
                    });
                }
            }
            continue;
        };
        if let Some(reason) = refusal(linked, i, &of) {
            for d in &of {
                problems.push(Problem::Misconfigured {
                    node: d.node,
                    reason: reason.clone(),
                });
            }
            continue;
        }
        // One entry per decorator.
        let mut entries = Vec::with_capacity(of.len());
        for d in &of {
            let edges = link_decls(&d.decls, d.node, look, &mut linked.edges, problems);
            let id = linked.services.len() as u32;
            linked.services.push(Service {
                id,
                node: d.node,
                lifetime: Lifetime::Transient,
                exec: Exec::Factory(d.prepare.clone()),
                slot: 0,
                edges,
                caster: Arc::new(()),
                typer: typed_none,
                needs_async: false,
                disposer: None,
                pool: None,
            });
            entries.push(id);
        }
        wrap(i, &of, &entries, linked);
    }
}

/// Why the service cannot be decorated by `of`, if it cannot.
fn refusal(linked: &Linked, i: u32, of: &[&Decorator]) -> Option<String> {
    let svc = &linked.services[i as usize];
    let name = of[0].key.name;
    match svc.exec {
        Exec::Supplied => Some(format!(
            "`{name}` is a scope value, supplied by the code that opens the scope: it has no \
             factory to decorate. Decorate the value before `Scope::provide`, or register a \
             scoped service that wraps it"
        )),
        Exec::Forward(NO_TARGET) => None, // its missing target is reported
        _ if of.iter().any(|d| (*svc.caster).type_id() != d.caster) => Some(format!(
            "the service registered for `{name}` is not resolved as `{name}`; decorate the \
             type it is registered as"
        )),
        Exec::Forward(_) => None,
        _ if svc.node.role == Role::Binding => None,
        // Returning `Arc<T>` stores the service boxed (`Arc<Arc<T>>`),
        // which the bindings and elements that serve it could not convert.
        _ if of.iter().any(|d| !d.own) && forwarded_to(linked, i) => Some(format!(
            "the decorator returns `Arc<{name}>`, but bindings or collection elements serve \
             `{name}` as its own type: return the decorated `{name}` itself (returning \
             `Arc<..>` is for decorating a `dyn Trait`)"
        )),
        _ => None,
    }
}

/// Whether a binding or collection element serves service `i` (directly,
/// or as a test kernel's tracked binding: a factory of its one target).
fn forwarded_to(linked: &Linked, i: u32) -> bool {
    linked.services.iter().any(|s| match s.exec {
        Exec::Forward(t) => t == i,
        _ if matches!(s.node.role, Role::Binding | Role::Element) => matches!(
            linked.edges.get(s.edges.start as usize),
            Some(Edge { target: Target::Service(t), .. }) if *t == i
        ),
        _ => false,
    })
}

/// Makes service `i` create its instance as registered, then apply the
/// decorator entries `entries`, in order.
fn wrap(i: u32, of: &[&Decorator], entries: &[u32], linked: &mut Linked) {
    let k = entries.len();
    let svc = &linked.services[i as usize];
    // A binding (or a test kernel's tracked binding: a factory that
    // returns its target's instance) serves its target's lifetime.
    let target_lifetime = match svc.exec {
        Exec::Forward(NO_TARGET) => return,
        Exec::Forward(t) => Some(linked.services[t as usize].lifetime),
        _ if svc.node.role == Role::Binding => match linked.edges.get(svc.edges.start as usize) {
            Some(Edge {
                target: Target::Service(t),
                ..
            }) => Some(linked.services[*t as usize].lifetime),
            _ => Some(svc.lifetime),
        },
        _ => None,
    };
    let svc = &mut linked.services[i as usize];
    // Its own edges first (copied, so that its range stays contiguous),
    // then one to each decorator entry.
    let first = linked.edges.len() as u32;
    match svc.exec {
        Exec::Forward(t) => linked.edges.push(edge(t)),
        _ => {
            let own = svc.edges.start as usize..svc.edges.end as usize;
            linked.edges.extend_from_within(own);
        }
    }
    linked.edges.extend(entries.iter().map(|&e| edge(e)));
    svc.edges = first..linked.edges.len() as u32;

    let base = match &svc.exec {
        Exec::Factory(f) => Base::Sync(f.clone()),
        Exec::AsyncFactory(f) => Base::Async(f.clone()),
        Exec::Instance(v) => Base::Instance(v.clone()),
        Exec::Forward(_) => Base::Target,
        Exec::Supplied => unreachable!("refused above"),
    };
    // A decorated binding, or a service decorated into an `Arc<T>` (a
    // trait object registered with `bind_instance`), is stored boxed: as an
    // `Arc<Arc<T>>`, its inner instance converted through its own caster.
    let boxed_storage = target_lifetime.is_some() || of.iter().any(|d| !d.own);
    let binding = boxed_storage.then(|| {
        let boxed = of[0].boxed;
        let convert = (boxed.rewrap, svc.caster.clone());
        svc.caster = (boxed.caster)();
        svc.typer = boxed.typer;
        convert
    });
    // A decorated binding is a service of its own, with its
    // implementation's lifetime.
    if let Some(l) = target_lifetime {
        svc.lifetime = match l {
            Lifetime::Pooled => Lifetime::Scoped,
            l => l,
        };
        svc.slot = match svc.lifetime {
            Lifetime::Singleton => {
                linked.singleton_slots += 1;
                linked.singleton_slots - 1
            }
            Lifetime::Scoped | Lifetime::Pooled => {
                linked.scoped_slots += 1;
                linked.scoped_slots - 1
            }
            Lifetime::Transient => 0,
        };
    }
    let compose = Compose {
        k,
        own: binding.is_none(),
        binding,
        stored: svc.caster.clone(),
    };
    let is_async = matches!(base, Base::Async(_)) || of.iter().any(|d| d.is_async);
    svc.exec = if is_async {
        compose.in_async(base)
    } else {
        compose.in_sync(base)
    };
}

/// How a decorated service's inner instance is made.
enum Base {
    Sync(Arc<ErasedFactory>),
    Async(Arc<ErasedAsyncFactory>),
    Instance(Erased),
    /// A binding's target, its first edge.
    Target,
}

/// The decorated service's factory: its inner instance, then `k`
/// decorators.
struct Compose {
    k: usize,
    /// Whether the service is stored as its own type.
    own: bool,
    /// For boxed storage: converts the inner instance into the stored
    /// form, through the service's (or binding's) own caster.
    binding: Option<(Rewrap, Arc<dyn Any + Send + Sync>)>,
    /// The caster of the stored form.
    stored: Arc<dyn Any + Send + Sync>,
}

type Rewrap = fn(Erased, &(dyn Any + Send + Sync)) -> Erased;

impl Compose {
    /// The inner instance in its stored form.
    fn finish(&self, inner: Erased) -> Erased {
        match &self.binding {
            Some((rewrap, caster)) => rewrap(inner, &**caster),
            None => inner,
        }
    }

    /// All synchronous.
    fn in_sync(self, base: Base) -> Exec {
        Exec::Factory(sync_factory(move |deps: &mut Deps<'_>| {
            let inner = match &base {
                Base::Sync(f) => call(&**f, deps)?,
                Base::Instance(v) => v.clone(),
                Base::Target => deps.next_erased()?,
                Base::Async(_) => unreachable!("composed async"),
            };
            let value = self.finish(inner);
            let mut value = value;
            for a in take(deps, self.k)? {
                value = match a {
                    Apply::Sync(f) => f(value, &*self.stored, self.own),
                    Apply::Async(_) => unreachable!("composed async"),
                };
            }
            Ok(value)
        }))
    }

    /// An async factory or decorator on the way: the arguments are fetched
    /// now, the rest is awaited.
    fn in_async(self, base: Base) -> Exec {
        let this = Arc::new(self);
        Exec::AsyncFactory(Arc::new(move |deps: &mut Deps<'_>| {
            let inner: Result<Erased, BoxFuture<'static, Result<Erased, ResolveError>>> =
                match &base {
                    Base::Sync(f) => Ok(call(&**f, deps)?),
                    Base::Async(f) => Err(f(deps)?),
                    Base::Instance(v) => Ok(v.clone()),
                    Base::Target => Ok(deps.next_erased()?),
                };
            let applies = take(deps, this.k)?;
            let this = this.clone();
            Ok(Box::pin(async move {
                let inner = match inner {
                    Ok(v) => v,
                    Err(fut) => fut.await?,
                };
                let mut value = this.finish(inner);
                for a in applies {
                    value = match a {
                        Apply::Sync(f) => f(value, &*this.stored, this.own),
                        Apply::Async(f) => f(value, &*this.stored, this.own).await,
                    };
                }
                Ok(value)
            }) as BoxFuture<'static, _>)
        }) as Arc<ErasedAsyncFactory>)
    }
}

/// A required edge to service `t`.
fn edge(t: u32) -> Edge {
    Edge {
        kind: DependencyKind::Required,
        target: Target::Service(t),
        typed: Edge::NO_TYPED,
        scoped: Edge::NO_TYPED,
        ahead: false,
    }
}

/// Fetches the next `k` decorator entries' applications.
fn take(deps: &mut Deps<'_>, k: usize) -> Result<Vec<Apply>, ResolveError> {
    const BUG: &str = "tenure bug: a decorator entry that did not make its application";
    (0..k)
        .map(|_| {
            let prepared = deps.next_erased()?.downcast::<Application>().expect(BUG);
            Ok(prepared.0.lock().take().expect(BUG))
        })
        .collect()
}

/// Links a decorator's declared dependencies, as `link` does a
/// registration's.
fn link_decls(
    decls: &[Decl],
    requester: Node,
    look: &Lookup<'_>,
    edges: &mut Vec<Edge>,
    problems: &mut Vec<Problem>,
) -> std::ops::Range<u32> {
    let first = edges.len() as u32;
    for d in decls {
        let target = match d.kind {
            DependencyKind::ScopeFactory => Target::Absent,
            DependencyKind::Collection => look
                .collection_index
                .get(&d.key.id)
                .map_or(Target::Absent, |&c| Target::Collection(c)),
            _ => match look.index.get(&d.key.id) {
                Some(&t) => Target::Service(t),
                None => {
                    if d.kind != DependencyKind::Optional
                        && !knock_on(problems, look.unplaced, d.key.id, requester)
                    {
                        problems.push(missing(
                            requester,
                            d.key.name,
                            d.kind,
                            look.nodes,
                            look.collection_index,
                            look.wrappers,
                            d.key.id,
                        ));
                    }
                    Target::Absent
                }
            },
        };
        edges.push(Edge {
            kind: d.kind,
            target,
            typed: Edge::NO_TYPED,
            scoped: Edge::NO_TYPED,
            ahead: false,
        });
    }
    first..edges.len() as u32
}
