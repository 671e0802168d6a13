//! [`Inject`]: the types a factory can take as arguments, and [`Deps`], the
//! narrow interface through which a factory's arguments are fetched.
//!
//! This module is the boundary between registration and the runtime: a
//! factory is erased at registration into `Fn(&mut Deps) -> ..`, and the
//! runtime serves its dependencies through the [`Source`] trait, so nothing
//! here (or earlier) names a runtime type.

use std::any::Any;
use std::sync::{Arc, Weak};

use crate::erased::{Erased, TypedCell};
use crate::error::{DependencyKind, ResolveError, ResolveErrorKind};
use crate::key::Key;
use crate::node::Node;
use crate::slot::Slot;

/// One declared dependency: what a factory argument asks for.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Decl {
    pub(crate) key: Key,
    pub(crate) kind: DependencyKind,
}

/// The dependencies a factory declares, collected from its argument types
/// before it ever runs. Filled by [`Inject::declare`]; opaque to users.
#[derive(Debug, Default)]
pub struct Declarations(pub(crate) Vec<Decl>);

impl Declarations {
    pub(crate) fn push<T: ?Sized + 'static>(&mut self, kind: DependencyKind) {
        self.0.push(Decl {
            key: Key::of::<T>(),
            kind,
        });
    }
}

/// Where a declared edge leads in the frozen plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    Service(u32),
    Collection(u32),
    /// An optional dependency that is not registered (or a `ScopeFactory`).
    Absent,
}

/// One dependency of a service in the frozen plan.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Edge {
    pub(crate) kind: DependencyKind,
    pub(crate) target: Target,
    /// For a required or optional dependency on a singleton that has a
    /// typed handle: the index of that handle, so that fetching an existing
    /// singleton is one type check and one reference count increment, with
    /// no call into the runtime. [`Edge::NO_TYPED`] otherwise.
    pub(crate) typed: u32,
    /// For a required or optional dependency on a scoped or pooled
    /// service: its slot in a scope's table, so that fetching an instance
    /// the scope already has needs no call into the runtime either.
    /// [`Edge::NO_TYPED`] otherwise.
    pub(crate) scoped: u32,
    /// Whether creating the dependency may await (an async factory, an
    /// async pool, on its way), so that the async driver resolves it ahead
    /// of the factory call. Set with the plan.
    pub(crate) ahead: bool,
}

impl Edge {
    pub(crate) const NO_TYPED: u32 = u32::MAX;

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

/// Turns an [`Erased`] into the `Arc<T>` a caller asked for: a downcast for
/// a service's own type, a downcast then an unsizing coercion for a binding.
pub(crate) struct Caster<T: ?Sized>(pub(crate) Box<dyn Fn(Erased) -> Option<Arc<T>> + Send + Sync>);

impl<T: Send + Sync + 'static> Caster<T> {
    pub(crate) fn own() -> Self {
        Caster(Box::new(|e: Erased| e.downcast::<T>().ok()))
    }
}

/// A resolved dependency, as the runtime hands it over.
pub(crate) enum Got<'a> {
    /// The typed handle of a singleton: a `&Arc<T>` as `Any`.
    Typed(&'a (dyn Any + Send + Sync)),
    /// An instance and the [`Caster`] of the service it was resolved as (a
    /// `&Caster<T>` as `Any`).
    Erased(Erased, &'a (dyn Any + Send + Sync)),
}

/// Converts a resolved dependency into the `Arc<T>` it was declared as.
///
/// The declaration and the service registered for it share the key `T`, so
/// the conversion cannot fail; a failure is a bug in tenure.
#[inline(always)]
pub(crate) fn cast<T: ?Sized + 'static>(got: Got<'_>) -> Arc<T> {
    match got {
        Got::Typed(t) => cast_typed(t),
        Got::Erased(e, caster) => cast_erased(e, caster),
    }
}

/// [`cast`] of a singleton's typed handle.
#[inline(always)]
pub(crate) fn cast_typed<T: ?Sized + 'static>(t: &(dyn Any + Send + Sync)) -> Arc<T> {
    match t.downcast_ref::<Arc<T>>() {
        Some(arc) => arc.clone(),
        None => cast_failed(),
    }
}

/// [`cast`] of an instance through its service's caster.
#[inline(always)]
pub(crate) fn cast_erased<T: ?Sized + 'static>(
    e: Erased,
    caster: &(dyn Any + Send + Sync),
) -> Arc<T> {
    match caster.downcast_ref::<Caster<T>>().and_then(|c| (c.0)(e)) {
        Some(arc) => arc,
        None => cast_failed(),
    }
}

#[cold]
#[inline(never)]
fn cast_failed() -> ! {
    panic!("tenure bug: a service resolved as a type it was not registered as")
}

/// What a handle (`Lazy`, `Factory`, `ScopeFactory`) needs to resolve later:
/// where it was created, held weakly so that a handle never keeps its
/// container or scope alive.
pub(crate) struct HandleSeed {
    /// The container (its runtime state, as `Any`).
    pub(crate) root: Weak<dyn Any + Send + Sync>,
    /// The scope the holder was created in, if any.
    pub(crate) scope: Option<Weak<dyn Any + Send + Sync>>,
    /// Whether the holder is (part of) a singleton: transients with async
    /// disposers it creates are owned by the container.
    pub(crate) in_singleton: bool,
    /// The service the handle resolves, for messages.
    pub(crate) node: Option<Node>,
}

/// The runtime's side of [`Deps`]: resolves the dependency on one edge.
pub(crate) trait Source<'a> {
    /// Resolves the service `idx`, the target of edge `pos`.
    fn one(&mut self, pos: usize, idx: u32) -> Result<Got<'a>, ResolveError>;

    /// Resolves the service `idx`, the target of edge `pos`, as an erased
    /// instance.
    fn erased(&mut self, pos: usize, idx: u32) -> Result<Erased, ResolveError>;

    /// Resolves every element of collection `c` (edge `pos`), in
    /// registration order, handing each to `each`.
    fn many(
        &mut self,
        pos: usize,
        c: u32,
        each: &mut dyn FnMut(Got<'a>),
    ) -> Result<(), ResolveError>;

    /// The origin a handle created now resolves from, and the node of
    /// service `idx` (if any).
    fn seed(&self, idx: Option<u32>) -> HandleSeed;
}

/// The dependencies of one factory call, in declaration order. Consumed by
/// [`Inject::fetch`]; opaque to users.
pub struct Deps<'a> {
    edges: &'a [Edge],
    /// The fast paths: singletons' typed handles, the scope's slots (empty
    /// outside a scope), and every service's caster.
    fast: Fast<'a>,
    src: &'a mut dyn Source<'a>,
    pos: usize,
    /// The error of a factory that returned `None` (see
    /// `factory::ErasedFactory`).
    failure: Option<ResolveError>,
}

/// What [`Deps`] reads directly, without calling the runtime: existing
/// singletons and the current scope's existing instances.
#[derive(Clone, Copy)]
pub(crate) struct Fast<'a> {
    pub(crate) typed: &'a [TypedCell],
    pub(crate) scoped: &'a [Slot],
    pub(crate) casters: &'a [Arc<dyn Any + Send + Sync>],
}

impl std::fmt::Debug for Deps<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deps")
            .field("declared", &self.edges.len())
            .field("fetched", &self.pos)
            .finish()
    }
}

impl<'a> Deps<'a> {
    pub(crate) fn new(edges: &'a [Edge], fast: Fast<'a>, src: &'a mut dyn Source<'a>) -> Self {
        Deps {
            edges,
            fast,
            src,
            pos: 0,
            failure: None,
        }
    }

    /// A factory's outcome as an erased factory returns it: the instance,
    /// or `None` with the error kept here.
    #[inline(always)]
    pub(crate) fn settle(&mut self, made: Result<Erased, ResolveError>) -> Option<Erased> {
        match made {
            Ok(v) => Some(v),
            Err(e) => {
                self.failure = Some(e);
                None
            }
        }
    }

    /// The error a factory left when it returned `None`.
    #[cold]
    pub(crate) fn take_failure(&mut self) -> ResolveError {
        self.failure.take().unwrap_or_else(|| {
            ResolveError::new(ResolveErrorKind::Factory(anyhow::anyhow!(
                "tenure bug: a factory failed without an error"
            )))
        })
    }

    /// The next declared edge and its position. Declarations and fetches
    /// come from the same `Inject` impls, so they always pair up.
    #[inline]
    fn next(&mut self) -> (usize, Edge) {
        let i = self.pos;
        self.pos += 1;
        let edge = *self
            .edges
            .get(i)
            .expect("tenure bug: a factory fetched more dependencies than it declared");
        (i, edge)
    }

    /// The next dependency as an `Arc<T>`, or `None` if it is absent.
    #[inline]
    fn one<T: ?Sized + Send + Sync + 'static>(&mut self) -> Result<Option<Arc<T>>, ResolveError> {
        let (pos, edge) = self.next();
        let Target::Service(idx) = edge.target else {
            return Ok(None);
        };
        if let Some(typed) = self
            .fast
            .typed
            .get(edge.typed as usize)
            .and_then(|c| c.get())
            && let Some(arc) = typed.downcast_ref::<Arc<T>>()
        {
            return Ok(Some(arc.clone()));
        }
        if let Some(v) = self
            .fast
            .scoped
            .get(edge.scoped as usize)
            .and_then(Slot::get)
        {
            let caster = &*self.fast.casters[idx as usize];
            return Ok(Some(cast_erased::<T>(v.clone(), caster)));
        }
        match self.src.one(pos, idx) {
            Ok(got) => Ok(Some(cast::<T>(got))),
            // An optional scope value this scope was not given is absent.
            Err(e)
                if edge.kind == DependencyKind::Optional
                    && matches!(e.kind(), ResolveErrorKind::NotSupplied)
                    && e.path().len() == 1 =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// The next dependency, type-erased (for wrappers that forward it).
    pub(crate) fn next_erased(&mut self) -> Result<Erased, ResolveError> {
        let (pos, edge) = self.next();
        let Target::Service(idx) = edge.target else {
            unreachable!("tenure bug: a forwarded dependency passed validation unresolved")
        };
        self.src.erased(pos, idx)
    }

    /// The next dependency's handle seed and target index (for handles).
    pub(crate) fn next_handle(&mut self) -> (Option<u32>, HandleSeed) {
        let (_, edge) = self.next();
        let idx = match edge.target {
            Target::Service(i) => Some(i),
            _ => None,
        };
        (idx, self.src.seed(idx))
    }
}

/// A type a factory can take as an argument, and so a dependency.
///
/// The container calls [`declare`](Inject::declare) once, at registration, to
/// learn the edges of the graph from the argument types alone; it calls
/// [`fetch`](Inject::fetch) on every construction. The set of *forms* is
/// fixed by tenure (every edge must be known to the validator), but a type
/// that bundles several dependencies may implement `Inject` by delegating
/// to the implementations below: declare its parts in `declare`, and fetch
/// them *in the same order* in `fetch`. Tuples of `Inject` types already
/// work this way. [`Declarations`] and [`Deps`] are opaque: the only thing
/// to do with them is pass them on.
///
/// | argument | meaning | counts as holding |
/// |---|---|---|
/// | `Arc<T>` | a required service (`T` may be `dyn Trait`) | yes |
/// | `Option<Arc<T>>` | used when registered | yes |
/// | `Vec<Arc<T>>` | every element registered with [`collect`](crate::ContainerBuilder::collect) | yes |
/// | [`Lazy<T>`](crate::Lazy) | resolved on first use | yes |
/// | [`Factory<T>`](crate::Factory) | creates `T` on demand in a scope the caller passes | no |
/// | [`ScopeFactory`](crate::ScopeFactory) | opens new scopes | no |
/// | [`Keyed<K, T>`](crate::Keyed), `Option<Keyed<K, T>>` | the `T` registered under the key `K` | yes |
/// | [`FactoryWith<A, T>`](crate::FactoryWith) | creates `T` from a runtime argument `A` in a scope the caller passes | no |
/// | a tuple of the above | each element | as its elements |
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be injected",
    label = "not an injectable argument",
    note = "factory arguments are dependencies: take `Arc<T>`, `Option<Arc<T>>`, `Vec<Arc<T>>`, \
            `Lazy<T>`, `Factory<T>` or `ScopeFactory`"
)]
pub trait Inject: Sized + 'static {
    /// Declares the dependencies this argument stands for (called once, at
    /// registration). An implementation calls `declare` of its parts.
    fn declare(decls: &mut Declarations);

    /// Fetches the argument from the resolved dependencies (called on every
    /// construction). An implementation calls `fetch` of its parts, in the
    /// order `declare` declared them.
    fn fetch(deps: &mut Deps<'_>) -> Result<Self, ResolveError>;
}

impl<T: ?Sized + Send + Sync + 'static> Inject for Arc<T> {
    fn declare(decls: &mut Declarations) {
        decls.push::<T>(DependencyKind::Required);
    }

    #[inline]
    fn fetch(deps: &mut Deps<'_>) -> Result<Self, ResolveError> {
        deps.one::<T>()?.ok_or_else(|| {
            unreachable!("tenure bug: a required dependency passed validation unresolved")
        })
    }
}

impl<T: ?Sized + Send + Sync + 'static> Inject for Option<Arc<T>> {
    fn declare(decls: &mut Declarations) {
        decls.push::<T>(DependencyKind::Optional);
    }

    #[inline]
    fn fetch(deps: &mut Deps<'_>) -> Result<Self, ResolveError> {
        deps.one::<T>()
    }
}

impl<T: ?Sized + Send + Sync + 'static> Inject for Vec<Arc<T>> {
    fn declare(decls: &mut Declarations) {
        decls.push::<T>(DependencyKind::Collection);
    }

    fn fetch(deps: &mut Deps<'_>) -> Result<Self, ResolveError> {
        let (pos, edge) = deps.next();
        let Target::Collection(c) = edge.target else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        deps.src.many(pos, c, &mut |got| out.push(cast::<T>(got)))?;
        Ok(out)
    }
}

macro_rules! impl_inject_tuple {
    ($($A:ident),*) => {
        #[diagnostic::do_not_recommend]
        impl<$($A: Inject),*> Inject for ($($A,)*) {
            #[allow(unused_variables)]
            fn declare(decls: &mut Declarations) {
                $($A::declare(decls);)*
            }

            #[allow(unused_variables, clippy::unused_unit)]
            #[inline]
            fn fetch(deps: &mut Deps<'_>) -> Result<Self, ResolveError> {
                Ok(($($A::fetch(deps)?,)*))
            }
        }
    };
}

crate::macros::all_tuples!(impl_inject_tuple);
