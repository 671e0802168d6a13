//! [`Inject`]: the types a factory can take as arguments.

use std::sync::Arc;

use crate::error::{DependencyKind, ResolveError};
use crate::key::Key;
use crate::plan::{Edge, Erased, Target};
use crate::resolve::{Ctx, cast};

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

/// The dependencies of one factory call, in declaration order, already
/// resolved to services of the frozen container. Consumed by
/// [`Inject::fetch`]; opaque to users.
pub struct Deps<'a> {
    pub(crate) cx: Ctx<'a>,
    edges: &'a [Edge],
    pos: usize,
    /// Values resolved ahead (by async resolution), aligned with `edges`.
    pre: &'a mut [Option<Pre>],
}

/// A dependency resolved ahead of the factory call.
#[cfg_attr(not(feature = "tokio"), allow(dead_code))]
pub(crate) enum Pre {
    One(Erased),
    Many(Vec<Erased>),
}

impl std::fmt::Debug for Deps<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deps")
            .field("remaining", &self.edges.len())
            .finish()
    }
}

impl<'a> Deps<'a> {
    pub(crate) fn new(cx: Ctx<'a>, edges: &'a [Edge], pre: &'a mut [Option<Pre>]) -> Self {
        Deps {
            cx,
            edges,
            pos: 0,
            pre,
        }
    }

    /// The next declared edge, with its value if it was resolved ahead.
    /// Declarations and fetches come from the same `Inject` impls, so they
    /// always pair up.
    pub(crate) fn next(&mut self) -> (&'a Edge, Option<Pre>) {
        let i = self.pos;
        self.pos += 1;
        let edge = self
            .edges
            .get(i)
            .expect("tenure bug: a factory fetched more dependencies than it declared");
        (edge, self.pre.get_mut(i).and_then(Option::take))
    }

    /// The next declared edge (for handles, which are never resolved ahead).
    pub(crate) fn next_edge(&mut self) -> &'a Edge {
        self.next().0
    }

    fn one<T: ?Sized + Send + Sync + 'static>(
        &mut self,
        i: u32,
        pre: Option<Pre>,
    ) -> Result<Arc<T>, ResolveError> {
        match pre {
            Some(Pre::One(e)) => Ok(cast::<T>(self.cx.service(i), e)),
            _ => self.cx.resolve_as::<T>(i),
        }
    }
}

/// A type a factory can take as an argument, and so a dependency.
///
/// The container calls [`declare`](Inject::declare) once, at registration, to
/// learn the edges of the graph from the argument types alone; it calls
/// [`fetch`](Inject::fetch) on every construction. Both are hidden: the set
/// of injectable forms is fixed by tenure, so that every edge is known to the
/// validator.
///
/// | argument | meaning | counts as holding |
/// |---|---|---|
/// | `Arc<T>` | a required service (`T` may be `dyn Trait`) | yes |
/// | `Option<Arc<T>>` | used when registered | yes |
/// | `Vec<Arc<T>>` | every element registered with [`collect`](crate::ContainerBuilder::collect) | yes |
/// | [`Lazy<T>`](crate::Lazy) | resolved on first use | yes |
/// | [`Factory<T>`](crate::Factory) | creates `T` on demand in a scope the caller passes | no |
/// | [`ScopeFactory`](crate::ScopeFactory) | opens new scopes | no |
/// | a tuple of the above | each element | as its elements |
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be injected",
    label = "not an injectable argument",
    note = "factory arguments are dependencies: take `Arc<T>`, `Option<Arc<T>>`, `Vec<Arc<T>>`, \
            `Lazy<T>`, `Factory<T>` or `ScopeFactory`"
)]
pub trait Inject: Sized + 'static {
    /// Declares the dependencies this argument stands for.
    #[doc(hidden)]
    fn declare(decls: &mut Declarations);

    /// Fetches the argument from the resolved dependencies.
    #[doc(hidden)]
    fn fetch(deps: &mut Deps<'_>) -> Result<Self, ResolveError>;
}

impl<T: ?Sized + Send + Sync + 'static> Inject for Arc<T> {
    fn declare(decls: &mut Declarations) {
        decls.push::<T>(DependencyKind::Required);
    }

    #[inline]
    fn fetch(deps: &mut Deps<'_>) -> Result<Self, ResolveError> {
        match deps.next() {
            (
                Edge {
                    target: Target::Service(i),
                    ..
                },
                pre,
            ) => deps.one::<T>(*i, pre),
            _ => unreachable!("tenure bug: a required dependency passed validation unresolved"),
        }
    }
}

impl<T: ?Sized + Send + Sync + 'static> Inject for Option<Arc<T>> {
    fn declare(decls: &mut Declarations) {
        decls.push::<T>(DependencyKind::Optional);
    }

    #[inline]
    fn fetch(deps: &mut Deps<'_>) -> Result<Self, ResolveError> {
        match deps.next() {
            (
                Edge {
                    target: Target::Service(i),
                    ..
                },
                pre,
            ) => deps.one::<T>(*i, pre).map(Some),
            _ => Ok(None),
        }
    }
}

impl<T: ?Sized + Send + Sync + 'static> Inject for Vec<Arc<T>> {
    fn declare(decls: &mut Declarations) {
        decls.push::<T>(DependencyKind::Collection);
    }

    fn fetch(deps: &mut Deps<'_>) -> Result<Self, ResolveError> {
        match deps.next() {
            (
                Edge {
                    target: Target::Collection(c),
                    ..
                },
                Some(Pre::Many(values)),
            ) => {
                let elements = &deps.cx.root.plan.collections[*c as usize];
                Ok(elements
                    .iter()
                    .zip(values)
                    .map(|(&i, e)| cast::<T>(deps.cx.service(i), e))
                    .collect())
            }
            (
                Edge {
                    target: Target::Collection(c),
                    ..
                },
                _,
            ) => deps.cx.resolve_collection::<T>(*c),
            _ => Ok(Vec::new()),
        }
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
