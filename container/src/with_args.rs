//! Factories with runtime arguments (assisted injection): a registration
//! whose factory takes a caller-supplied value as well as dependencies, and
//! the handle [`FactoryWith<A, T>`] that a service takes to call it.
//!
//! How the argument reaches the factory without touching the resolution
//! core: the registration is a transient service of its own (keyed by
//! `FactoryWith<A, T>`) whose instance is a *prepared call*: its
//! dependencies, resolved by the core in the caller's scope, and the
//! factory, waiting for the argument. The handle resolves a prepared call
//! and runs it with the argument. Validation is therefore a transient's:
//! missing dependencies, cycles, scoped-from-root, all with paths and sites.

use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, Weak};

use crate::builder::{ContainerBuilder, RegExec, Registration, node};
use crate::erased::{BoxFuture, Erased};
use crate::error::{DependencyKind, ResolveError, ResolveErrorKind};
use crate::factory::{ErasedFactory, factory_error, sync_factory, typed_none};
use crate::inject::{Caster, Decl, Declarations, Deps, Inject};
use crate::injectable::private::Field;
use crate::key::{Key, short_name};
use crate::lifetime::Lifetime;
use crate::node::{Node, Role};

/// Creates `T` from a caller-supplied argument `A` and `T`'s registered
/// dependencies, in a scope the caller passes. Register `T` with
/// [`ContainerBuilder::transient_with`].
///
/// Like [`Factory<T>`](crate::Factory), the handle holds nothing (only the
/// container, weakly): a singleton may take one and create a `T` per
/// operation in the operation's scope, whose scoped services `T` then gets.
/// Each call creates a new `T` (owned by the caller).
///
/// ```
/// use std::sync::Arc;
/// use tenure::{Container, FactoryWith, Scope};
///
/// struct UserId(u64);
/// struct Session; // one per scope
/// struct Job { user: u64, session: Arc<Session> }
/// struct Scheduler { jobs: FactoryWith<UserId, Job> }
///
/// let c = Container::builder()
///     .scoped(|| Session)
///     .transient_with(|id: UserId, session: Arc<Session>| Job { user: id.0, session })
///     .singleton(|jobs: FactoryWith<UserId, Job>| Scheduler { jobs })
///     .build()?;
/// let scheduler = c.resolve::<Scheduler>()?;
/// let scope = c.scope();
/// let job = scheduler.jobs.create(&scope, UserId(7))?;
/// assert_eq!(job.user, 7);
/// assert!(Arc::ptr_eq(&job.session, &scope.resolve::<Session>()?)); // the caller's scope
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct FactoryWith<A: 'static, T: 'static> {
    pub(crate) idx: u32,
    pub(crate) node: Option<Node>,
    pub(crate) root: Weak<dyn std::any::Any + Send + Sync>,
    _marker: PhantomData<fn(A) -> Arc<T>>,
}

impl<A: 'static, T: 'static> Clone for FactoryWith<A, T> {
    fn clone(&self) -> Self {
        FactoryWith {
            idx: self.idx,
            node: self.node,
            root: self.root.clone(),
            _marker: PhantomData,
        }
    }
}

impl<A: 'static, T: 'static> fmt::Debug for FactoryWith<A, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FactoryWith")
            .field("args", &std::any::type_name::<A>())
            .field("type", &std::any::type_name::<T>())
            .finish()
    }
}

/// The identity of the registration of `T` with argument `A`: a type
/// nobody outside this module can name, so that only [`FactoryWith`] can
/// reach it (its instance is a prepared call, not a `T`).
struct WithArgs<A, T>(PhantomData<fn(A) -> T>);

/// The service key of the registration of `T` with argument `A`, named as
/// its handle, `FactoryWith<A, T>`.
pub(crate) fn key_of<A: 'static, T: 'static>() -> Key {
    Key {
        id: std::any::TypeId::of::<WithArgs<A, T>>(),
        name: std::any::type_name::<FactoryWith<A, T>>(),
    }
}

impl<A: 'static, T: Send + Sync + 'static> Inject for FactoryWith<A, T> {
    fn declare(decls: &mut Declarations) {
        decls.0.push(Decl {
            key: key_of::<A, T>(),
            kind: DependencyKind::Factory,
        });
    }

    fn fetch(deps: &mut Deps<'_>) -> Result<Self, ResolveError> {
        let (idx, seed) = deps.next_handle();
        Ok(FactoryWith {
            idx: idx.expect("tenure bug: a handle's target passed validation unresolved"),
            node: seed.node,
            root: seed.root,
            _marker: PhantomData,
        })
    }
}

impl<A: 'static, T: Send + Sync + 'static> Field for FactoryWith<A, T> {
    type Dep = Self;

    #[inline]
    fn from_dep(dep: Self) -> Self {
        dep
    }
}

/// What a prepared call makes: the instance now, or a future of it.
pub(crate) enum Made<T> {
    Now(Result<T, anyhow::Error>),
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    Later(BoxFuture<'static, Result<T, anyhow::Error>>),
}

type Run<A, T> = Box<dyn FnOnce(A) -> Made<T> + Send>;

/// The instance of an argument registration: the factory with its
/// dependencies fetched, waiting for the argument. Runs once.
pub(crate) struct Prepared<A, T> {
    run: Mutex<Option<Run<A, T>>>,
}

impl<A: 'static, T: 'static> Prepared<A, T> {
    pub(crate) fn new(run: Run<A, T>) -> Self {
        Prepared {
            run: Mutex::new(Some(run)),
        }
    }

    /// Runs the call with `args`. A prepared call is resolved fresh for
    /// each creation (it is transient), so it runs exactly once.
    pub(crate) fn run(&self, args: A) -> Made<T> {
        let run = self
            .run
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .expect("tenure bug: a prepared call ran twice");
        run(args)
    }

    /// Runs a sync call; an async registration is
    /// [`AsyncRequired`](ResolveErrorKind::AsyncRequired) at `node`.
    pub(crate) fn run_sync(&self, args: A, node: Option<Node>) -> Result<Arc<T>, ResolveError> {
        match self.run(args) {
            Made::Now(r) => r.map(Arc::new).map_err(|e| within(factory_error(e), node)),
            Made::Later(_) => Err(within(
                ResolveError::new(ResolveErrorKind::AsyncRequired),
                node,
            )),
        }
    }
}

pub(crate) fn within(e: ResolveError, node: Option<Node>) -> ResolveError {
    match node {
        Some(n) => e.within(n),
        None => e,
    }
}

/// A closure or function that creates a service from a runtime argument
/// (its first parameter, `A`) and dependencies (the others, 0 to 12, each
/// [`Inject`]). Sealed; implemented for every such `Fn`. `M` is a marker
/// (the dependency types), as in [`FactoryFn`](crate::FactoryFn).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a factory with a runtime argument `{A}`",
    label = "expected a closure or fn whose first argument is the runtime argument and whose \
             others are injectable",
    note = "a factory with an argument is `Fn(A, D1, .., Dn) -> T` (n <= 12) where every `Di` is \
            injectable; annotate closure arguments with their types"
)]
pub trait ArgFactoryFn<A, M>: sealed::Sealed<A, M> + Send + Sync + 'static {
    /// What the factory returns.
    type Output;

    /// The dependencies, as one tuple.
    #[doc(hidden)]
    type Deps: Inject + Send;

    /// Calls the factory.
    #[doc(hidden)]
    fn call(&self, args: A, deps: Self::Deps) -> Self::Output;
}

mod sealed {
    /// Seals [`ArgFactoryFn`](super::ArgFactoryFn).
    pub trait Sealed<A, M> {}
}

macro_rules! impl_arg_factory_fn {
    ($($D:ident),*) => {
        impl<F, R, A, $($D,)*> sealed::Sealed<A, ($($D,)*)> for F
        where
            F: Fn(A, $($D),*) -> R + Send + Sync + 'static,
            $($D: Inject + Send,)*
        {}

        impl<F, R, A, $($D,)*> ArgFactoryFn<A, ($($D,)*)> for F
        where
            F: Fn(A, $($D),*) -> R + Send + Sync + 'static,
            $($D: Inject + Send,)*
        {
            type Output = R;
            type Deps = ($($D,)*);

            #[allow(non_snake_case)]
            #[inline]
            fn call(&self, args: A, ($($D,)*): Self::Deps) -> R {
                self(args, $($D),*)
            }
        }
    };
}

crate::macros::all_tuples!(impl_arg_factory_fn);

/// Erases an argument factory whose output `make` turns into [`Made`].
pub(crate) fn erase_with<A, T, M, F>(
    factory: F,
    make: fn(F::Output) -> Made<T>,
) -> Arc<ErasedFactory>
where
    A: 'static,
    T: Send + Sync + 'static,
    F: ArgFactoryFn<A, M>,
    F::Output: 'static,
{
    let factory = Arc::new(factory);
    sync_factory(move |deps: &mut Deps<'_>| {
        let fetched = <F::Deps as Inject>::fetch(deps)?;
        let factory = factory.clone();
        let run: Run<A, T> = Box::new(move |args: A| make(factory.call(args, fetched)));
        Ok(Arc::new(Prepared::new(run)) as Erased)
    })
}

impl ContainerBuilder {
    /// Registers `T` as created from a runtime argument `A` (the factory's
    /// first parameter, supplied by the caller) and dependencies (the other
    /// parameters): a service takes a [`FactoryWith<A, T>`] and calls
    /// [`create(&scope, args)`](FactoryWith::create).
    ///
    /// It is validated like a transient: its dependencies must be
    /// registered, must not form a cycle, and a scoped one needs the scope
    /// the caller passes. `T` itself is not resolvable without its
    /// argument: `resolve::<T>()` is an error that names the handle. One
    /// registration per (`A`, `T`); use a tuple or a struct for several
    /// values.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tenure::{Container, FactoryWith};
    ///
    /// struct Mailer;
    /// struct Invite { email: String, mailer: Arc<Mailer> }
    /// struct Inviter { invites: FactoryWith<(String, u8), Invite> }
    ///
    /// let c = Container::builder()
    ///     .singleton(|| Mailer)
    ///     .transient_with(|(email, _n): (String, u8), mailer: Arc<Mailer>| Invite { email, mailer })
    ///     .singleton(|invites: FactoryWith<(String, u8), Invite>| Inviter { invites })
    ///     .build()?;
    /// let inviter = c.resolve::<Inviter>()?;
    /// let invite = inviter.invites.create_unscoped(("ada@example.com".into(), 1))?;
    /// assert_eq!(invite.email, "ada@example.com");
    /// assert!(c.resolve::<Invite>().is_err()); // only with its argument, through the handle
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn transient_with<A, M, F>(&mut self, factory: F) -> &mut Self
    where
        A: 'static,
        F: ArgFactoryFn<A, M>,
        F::Output: Send + Sync + 'static,
    {
        let exec = erase_with::<A, F::Output, M, F>(factory, |v| Made::Now(Ok(v)));
        self.push_with::<A, F::Output, M, F>(exec)
    }

    /// The fallible form of [`transient_with`](Self::transient_with): the
    /// factory returns `Result<T, E>`; an `Err` reaches the caller of
    /// [`create`](FactoryWith::create) as
    /// [`ResolveErrorKind::Factory`](crate::ResolveErrorKind::Factory).
    #[track_caller]
    pub fn try_transient_with<A, M, F, T, E>(&mut self, factory: F) -> &mut Self
    where
        A: 'static,
        F: ArgFactoryFn<A, M, Output = Result<T, E>>,
        T: Send + Sync + 'static,
        E: Into<anyhow::Error> + 'static,
    {
        let exec = erase_with::<A, T, M, F>(factory, |r| Made::Now(r.map_err(Into::into)));
        self.push_with::<A, T, M, F>(exec)
    }

    #[track_caller]
    pub(crate) fn push_with<A: 'static, T: Send + Sync + 'static, M, F: ArgFactoryFn<A, M>>(
        &mut self,
        exec: Arc<ErasedFactory>,
    ) -> &mut Self {
        let key = key_of::<A, T>();
        let mut decls = Declarations::default();
        <F::Deps as Inject>::declare(&mut decls);
        let mode = self.mode;
        self.push(Registration {
            key,
            node: node(key, Role::Service(Lifetime::Transient)),
            lifetime: Lifetime::Transient,
            decls: decls.0,
            exec: RegExec::Factory(exec),
            caster: Arc::new(Caster::<Prepared<A, T>>::own()),
            typer: typed_none,
            element: false,
            mode,
            pool_max: None,
        })
    }
}

/// The argument type and the service type of an argument registration's
/// name, or `None` if `name` is not one.
pub(crate) fn parts(name: &str) -> Option<(&str, &str)> {
    crate::key::split_pair(name.strip_prefix(crate::key::WITH_ARGS_PREFIX)?)
}

/// "Did you mean" lines about argument registrations: for a missing
/// `FactoryWith<A, T>`, how to register it; for a `T` that is registered
/// only with an argument, the handle to use.
pub(crate) fn hints(wanted: &str, nodes: impl Iterator<Item = Node>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some((a, t)) = parts(wanted) {
        out.push(format!(
            "`transient_with(|args: {a}, ..| -> {t} {{ .. }})`: `FactoryWith<{}, {}>` needs `{}` \
             registered with `transient_with`, a factory whose first argument is `{}`",
            short_name(a),
            short_name(t),
            short_name(t),
            short_name(a)
        ));
        return out;
    }
    for n in nodes {
        if let Some((a, t)) = parts(n.name)
            && t == wanted
        {
            out.push(format!(
                "{n} (registered at {}): `{}` is created with a runtime argument; take a \
                 `FactoryWith<{}, {}>` and call `create(&scope, args)`",
                n.site,
                short_name(t),
                short_name(a),
                short_name(t)
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_prefix_is_the_type_name() {
        let name = key_of::<u8, String>().name;
        assert!(name.starts_with(crate::key::WITH_ARGS_PREFIX), "{name}");
        assert_eq!(parts(name), Some(("u8", "alloc::string::String")));
    }
}
