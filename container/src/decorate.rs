//! Decorators: [`ContainerBuilder::decorate`] wraps a registered service (or
//! a trait binding) in another of the same type, with dependencies of its
//! own, without knowing how or where the service was registered.
//!
//! A decorator is recorded here by the key it decorates, in registration
//! order; the validator links it (its declarations are checked like a
//! factory's, with a [`Role::Decorator`] node on every path through it) and
//! makes the decorated service's plan entry "create the service, then apply
//! each decorator". Nothing in the runtime knows about decorators.

use std::any::{Any, TypeId};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::builder::{ContainerBuilder, convert, node};
use crate::erased::{BoxFuture, Erased, Typed};
use crate::error::ResolveError;
use crate::factory::{ErasedFactory, Typer, sync_factory};
use crate::inject::{Caster, Decl, Declarations, Deps, Inject};
use crate::key::Key;
use crate::keyed::{KeyedBuilder, key_of};
use crate::node::{Node, Role};

/// What a decorator returns, for the service type `T` it decorates: `T`
/// itself (for a service registered with a factory or `instance`), or an
/// `Arc<T>` (for a `dyn Trait`, bound with `bind` or `bind_instance`:
/// return `Arc::new(Wrapper { .. })` from a closure annotated
/// `-> Arc<dyn Trait>`).
///
/// Sealed: implemented for `T` and for `Arc<T>` only.
pub trait Decorated<T: ?Sized>: sealed::Output<T> + Send + 'static {
    /// Whether the value can stand in for a service registered as its own
    /// (sized) type; `Arc<T>` can only stand in for a binding.
    #[doc(hidden)]
    const OWN: bool;

    /// Erases the value, as the service it decorates is stored: `own` for
    /// a service registered as its own type (`Arc<T>`), otherwise (a
    /// decorated binding) as an `Arc<Arc<T>>`.
    #[doc(hidden)]
    fn into_erased(self, own: bool) -> Erased;
}

mod sealed {
    /// Seals [`Decorated`](super::Decorated).
    pub trait Output<T: ?Sized> {}
    /// Seals [`DecoratorFn`](super::DecoratorFn).
    pub trait Sealed<M> {}
}

impl<T: Send + Sync + 'static> sealed::Output<T> for T {}

impl<T: Send + Sync + 'static> Decorated<T> for T {
    const OWN: bool = true;

    fn into_erased(self, own: bool) -> Erased {
        if own {
            Arc::new(self)
        } else {
            Arc::new(Arc::new(self) as Arc<T>)
        }
    }
}

impl<T: ?Sized + Send + Sync + 'static> sealed::Output<T> for Arc<T> {}

impl<T: ?Sized + Send + Sync + 'static> Decorated<T> for Arc<T> {
    const OWN: bool = false;

    fn into_erased(self, _own: bool) -> Erased {
        Arc::new(self)
    }
}

/// A decorator, applied once per instance of the service it decorates
/// (once per singleton, once per scope for a scoped service): a closure or
/// function whose first argument is the inner instance, `Arc<T>`, and whose
/// other arguments (0 to 12, each [`Inject`]) are its own dependencies,
/// returning the decorated instance ([`Decorated`]: `T`, or `Arc<T>` for a
/// `dyn Trait` binding).
///
/// The marker `M` keeps the impls for different arities apart; you never
/// name it. Sealed: implemented for every such `Fn`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a tenure decorator",
    label = "expected a closure or fn `Fn(Arc<T>, A1, .., An) -> T`",
    note = "a decorator takes the inner instance `Arc<T>` first, then its own dependencies \
            (`Arc<U>`, `Option<Arc<U>>`, `Vec<Arc<U>>`, `Lazy<U>`, `Factory<U>`, `ScopeFactory`), \
            and returns `T` (or `Arc<T>` for a `dyn Trait` binding); annotate closure arguments \
            with their types"
)]
pub trait DecoratorFn<M>: sealed::Sealed<M> + Send + Sync + 'static {
    /// The decorated service type.
    type Target: ?Sized + Send + Sync + 'static;
    /// What the decorator returns: a [`Decorated`] value (for
    /// [`decorate`](crate::ContainerBuilder::decorate)), or a future of one
    /// (for `decorate_async`).
    type Output: Send + 'static;

    /// Declares the decorator's own dependencies, from its argument types.
    #[doc(hidden)]
    fn declare(decls: &mut Declarations);

    /// Fetches the decorator's own dependencies; the returned closure
    /// applies it to the inner instance.
    #[doc(hidden)]
    fn prepare(
        this: &Arc<Self>,
        deps: &mut Deps<'_>,
    ) -> Result<Prepared<Self::Target, Self::Output>, ResolveError>;
}

macro_rules! impl_decorator_fn {
    ($($A:ident),*) => {
        impl<F, T, R, $($A,)*> sealed::Sealed<(fn(Arc<T>) -> R, $($A,)*)> for F
        where
            F: Fn(Arc<T>, $($A),*) -> R + Send + Sync + 'static,
            T: ?Sized + Send + Sync + 'static,
            R: Send + 'static,
            $($A: Inject + Send,)*
        {}

        impl<F, T, R, $($A,)*> DecoratorFn<(fn(Arc<T>) -> R, $($A,)*)> for F
        where
            F: Fn(Arc<T>, $($A),*) -> R + Send + Sync + 'static,
            T: ?Sized + Send + Sync + 'static,
            R: Send + 'static,
            $($A: Inject + Send,)*
        {
            type Target = T;
            type Output = R;

            #[allow(unused_variables)]
            fn declare(decls: &mut Declarations) {
                $($A::declare(decls);)*
            }

            #[allow(unused_variables, non_snake_case)]
            fn prepare(
                this: &Arc<Self>,
                deps: &mut Deps<'_>,
            ) -> Result<Prepared<T, R>, ResolveError> {
                $(let $A = $A::fetch(deps)?;)*
                let this = Arc::clone(this);
                Ok(Box::new(move |inner| this(inner, $($A),*)))
            }
        }
    };
}

crate::macros::all_tuples!(impl_decorator_fn);

/// One decorator application, its own dependencies fetched: takes the inner
/// instance (erased, with the `&Caster<T>` that converts it) and whether the
/// service is stored as its own type, returns the decorated instance (or,
/// for an async decorator, the future of it).
pub(crate) enum Apply {
    Sync(SyncApply),
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    Async(AsyncApply),
}

type SyncApply = Box<dyn FnOnce(Erased, &(dyn Any + Send + Sync), bool) -> Erased + Send>;
type AsyncApply =
    Box<dyn FnOnce(Erased, &(dyn Any + Send + Sync), bool) -> BoxFuture<'static, Erased> + Send>;

/// A decorator with its own dependencies fetched, applied to the inner
/// instance by the call. Used by [`DecoratorFn`]; you never name it.
pub type Prepared<T, O> = Box<dyn FnOnce(Arc<T>) -> O + Send>;

/// The instance of a decorator's plan entry: its application, taken once by
/// the decorated service's factory.
pub(crate) struct Application(pub(crate) Mutex<Option<Apply>>);

/// A decorator, as recorded by the builder.
#[derive(Clone)]
pub(crate) struct Decorator {
    /// The service (or binding) it decorates.
    pub(crate) key: Key,
    /// Its node on paths: [`Role::Decorator`], its own site.
    pub(crate) node: Node,
    pub(crate) decls: Vec<Decl>,
    /// `TypeId::of::<Caster<T>>()`: the validator checks that the service
    /// is resolved as `T`, so the conversion at run time cannot fail.
    pub(crate) caster: TypeId,
    /// Whether it returns `T` (it can decorate a service registered as its
    /// own type) rather than `Arc<T>` (only a binding).
    pub(crate) own: bool,
    /// Whether it is async (`decorate_async`).
    pub(crate) is_async: bool,
    /// Fetches its dependencies; returns an [`Application`], erased.
    pub(crate) prepare: Arc<ErasedFactory>,
    /// How a decorated binding of `T` is stored: an `Arc<Arc<T>>`.
    pub(crate) boxed: Boxed,
}

/// The conversions of a decorated binding of `T`, whose instance is stored
/// as an `Arc<Arc<T>>` (an `Arc<dyn Trait>` cannot be erased as itself).
#[derive(Clone, Copy)]
pub(crate) struct Boxed {
    /// A `Caster<T>` for the stored form.
    pub(crate) caster: fn() -> Arc<dyn Any + Send + Sync>,
    /// The typed handle of the stored form.
    pub(crate) typer: Typer,
    /// Converts the binding's target through the binding's own caster,
    /// into the stored form.
    pub(crate) rewrap: fn(Erased, &(dyn Any + Send + Sync)) -> Erased,
}

fn boxed_caster<T: ?Sized + Send + Sync + 'static>() -> Arc<dyn Any + Send + Sync> {
    Arc::new(Caster::<T>(Box::new(|e: Erased| {
        e.downcast::<Arc<T>>().ok().map(|a| Arc::clone(&*a))
    })))
}

fn boxed_typer<T: ?Sized + Send + Sync + 'static>(e: &Erased) -> Option<Typed> {
    e.clone()
        .downcast::<Arc<T>>()
        .ok()
        .map(|a| Box::new(Arc::clone(&*a)) as Typed)
}

fn rewrap<T: ?Sized + Send + Sync + 'static>(
    e: Erased,
    caster: &(dyn Any + Send + Sync),
) -> Erased {
    Arc::new(convert::<T>(e, caster))
}

impl ContainerBuilder {
    /// Decorates the service `T` (or the trait binding `dyn Trait`):
    /// every instance of it is passed, once, to `decorator`, together with
    /// the decorator's own dependencies, and what the decorator returns is
    /// the instance everyone gets. For logging, metrics, retries or caching
    /// around a service registered elsewhere (another module, another
    /// crate), without replacing it or knowing its concrete type.
    ///
    /// - Decorators of one service apply in registration order: the first
    ///   registered wraps the service, the next wraps that, and so on. They
    ///   may be registered before or after the service, in any module.
    /// - The decorated instance keeps the service's lifetime: one per
    ///   container for a singleton, one per scope for a scoped service; it
    ///   is what is cached, what bindings and collection elements of the
    ///   service serve, and what its disposer and reset hook receive.
    /// - The decorator's dependencies are validated at `build` like a
    ///   factory's: a decorator of a singleton that holds a scoped service
    ///   is a [`Captive`](crate::Problem::Captive) dependency, and a missing
    ///   one is [`Missing`](crate::Problem::Missing), each with a
    ///   `decorator of` node (and its `file:line`) on the path.
    /// - Decorating a type that is not registered is
    ///   [`Missing`](crate::Problem::Missing) ("decorates nothing"), naming
    ///   the decorator's site. A [`scope_value`](Self::scope_value) cannot
    ///   be decorated ([`Misconfigured`](crate::Problem::Misconfigured):
    ///   decorate it before [`Scope::provide`](crate::Scope::provide)); an
    ///   [`instance`](Self::instance) can (the decorated value is made on
    ///   first use, once).
    /// - Decorators follow the type, not a registration: a replacement
    ///   ([`replacing`](Self::replacing), a test kernel's `replace`) is
    ///   decorated like what it replaces. A collection
    ///   (`Vec<Arc<dyn Trait>>`) is decorated through each element's
    ///   implementation type, not through the trait.
    /// - `T` is the type of the decorator's first argument, `Arc<T>`
    ///   (annotate it: `|inner: Arc<dyn Mailer>, ..|`).
    /// - A sized service is decorated by a decorator returning `T`; a
    ///   `dyn Trait` (a binding, or a `bind_instance`) by one returning
    ///   `Arc<dyn Trait>` (annotate the closure's return type). Returning
    ///   `Arc<T>` for a sized `T` works too, unless bindings or collection
    ///   elements serve `T` ([`Misconfigured`](crate::Problem::Misconfigured):
    ///   return `T`). The decorated binding is then one
    ///   instance per instance of its implementation (one per container or
    ///   per scope, with the implementation's lifetime).
    /// - An async decorator: `decorate_async` (feature `tokio`). A service
    ///   made by an async factory can be decorated by either.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use tenure::Container;
    ///
    /// trait Mailer: Send + Sync { fn send(&self, to: &str) -> String; }
    /// struct Smtp;
    /// impl Mailer for Smtp { fn send(&self, to: &str) -> String { format!("smtp:{to}") } }
    ///
    /// #[derive(Default)]
    /// struct Metrics { sent: AtomicUsize }
    /// struct Counted { inner: Arc<dyn Mailer>, metrics: Arc<Metrics> }
    /// impl Mailer for Counted {
    ///     fn send(&self, to: &str) -> String {
    ///         self.metrics.sent.fetch_add(1, Ordering::Relaxed);
    ///         self.inner.send(to)
    ///     }
    /// }
    ///
    /// let c = Container::builder()
    ///     .singleton(|| Smtp)
    ///     .bind::<dyn Mailer, Smtp>(|s| s)
    ///     .singleton(Metrics::default)
    ///     // elsewhere, knowing only the trait:
    ///     .decorate(|inner: Arc<dyn Mailer>, metrics: Arc<Metrics>| -> Arc<dyn Mailer> {
    ///         Arc::new(Counted { inner, metrics })
    ///     })
    ///     .build()?;
    /// assert_eq!(c.resolve::<dyn Mailer>()?.send("ada"), "smtp:ada");
    /// assert_eq!(c.resolve::<Metrics>()?.sent.load(Ordering::Relaxed), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn decorate<M, F>(&mut self, decorator: F) -> &mut Self
    where
        F: DecoratorFn<M>,
        F::Output: Decorated<F::Target>,
    {
        let own = <F::Output as Decorated<F::Target>>::OWN;
        let key = Key::of::<F::Target>();
        self.push_decorator::<M, F>(key, decorator, own, false, |apply| {
            Apply::Sync(Box::new(move |inner, caster, own| {
                apply(convert::<F::Target>(inner, caster)).into_erased(own)
            }))
        })
    }

    /// Like [`decorate`](Self::decorate), with an async decorator: it
    /// returns a future of the decorated instance, awaited when the
    /// service is created. The service then needs async resolution
    /// ([`resolve_async`](crate::Scope::resolve_async)); a sync `resolve`
    /// is [`AsyncRequired`](crate::ResolveErrorKind::AsyncRequired),
    /// naming it. Feature `tokio`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tenure::Container;
    ///
    /// struct Cache { warm: bool }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let c = Container::builder()
    ///     .singleton(|| Cache { warm: false })
    ///     .decorate_async(|cold: Arc<Cache>| async move {
    ///         let _ = cold; // e.g. load the hot keys first
    ///         Cache { warm: true }
    ///     })
    ///     .build()?;
    /// assert!(c.resolve_async::<Cache>().await?.warm);
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "tokio")]
    #[track_caller]
    pub fn decorate_async<M, F>(&mut self, decorator: F) -> &mut Self
    where
        F: DecoratorFn<M>,
        F::Output: std::future::Future + Send + 'static,
        <F::Output as std::future::Future>::Output: Decorated<F::Target>,
    {
        let own = <<F::Output as std::future::Future>::Output as Decorated<F::Target>>::OWN;
        let key = Key::of::<F::Target>();
        self.push_decorator::<M, F>(key, decorator, own, true, |apply| {
            Apply::Async(Box::new(move |inner, caster, own| {
                let fut = apply(convert::<F::Target>(inner, caster));
                Box::pin(async move { fut.await.into_erased(own) })
            }))
        })
    }

    #[track_caller]
    pub(crate) fn push_decorator<M, F>(
        &mut self,
        key: Key,
        decorator: F,
        own: bool,
        is_async: bool,
        erase: fn(Prepared<F::Target, F::Output>) -> Apply,
    ) -> &mut Self
    where
        F: DecoratorFn<M>,
    {
        let mut decls = Declarations::default();
        F::declare(&mut decls);
        let f = Arc::new(decorator);
        let prepare: Arc<ErasedFactory> = sync_factory(move |deps: &mut Deps<'_>| {
            let apply = erase(F::prepare(&f, deps)?);
            Ok(Arc::new(Application(Mutex::new(Some(apply)))) as Erased)
        });
        self.decorators.push(Decorator {
            key,
            node: node(key, Role::Decorator),
            decls: decls.0,
            caster: TypeId::of::<Caster<F::Target>>(),
            own,
            is_async,
            prepare,
            boxed: Boxed {
                caster: boxed_caster::<F::Target>,
                typer: boxed_typer::<F::Target>,
                rewrap: rewrap::<F::Target>,
            },
        });
        self
    }

    /// Removes every decorator of `T` registered so far (for a test that
    /// wants the bare service; see also
    /// [`TestKernel::without_decorators`](crate::testing::TestKernel::without_decorators)).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tenure::Container;
    ///
    /// struct Greeting(String);
    /// let mut b = Container::builder();
    /// b.singleton(|| Greeting("hi".into()))
    ///     .decorate(|g: Arc<Greeting>| Greeting(format!("{}!", g.0)));
    /// assert_eq!(b.clone().build()?.resolve::<Greeting>()?.0, "hi!");
    /// assert_eq!(b.without_decorators::<Greeting>().build()?.resolve::<Greeting>()?.0, "hi");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn without_decorators<T: ?Sized + 'static>(&mut self) -> &mut Self {
        let id = TypeId::of::<T>();
        self.decorators.retain(|d| d.key.id != id);
        self
    }
}

impl<'b, K: 'static> KeyedBuilder<'b, K> {
    /// Decorates `T` registered under `K` (the service `Keyed<K, T>`),
    /// like [`ContainerBuilder::decorate`]; `T` registered under another
    /// key, or without one, is not decorated.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tenure::Container;
    ///
    /// struct Primary;
    /// struct Replica;
    /// struct Db(String);
    ///
    /// let c = Container::builder()
    ///     .keyed::<Primary>().singleton(|| Db("primary".into()))
    ///     .keyed::<Replica>().singleton(|| Db("replica".into()))
    ///     .keyed::<Primary>().decorate(|db: Arc<Db>| Db(format!("logged {}", db.0)))
    ///     .build()?;
    /// assert_eq!(c.resolve_keyed::<Primary, Db>()?.0, "logged primary");
    /// assert_eq!(c.resolve_keyed::<Replica, Db>()?.0, "replica");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn decorate<M, F>(self, decorator: F) -> &'b mut ContainerBuilder
    where
        F: DecoratorFn<M>,
        F::Output: Decorated<F::Target>,
    {
        let own = <F::Output as Decorated<F::Target>>::OWN;
        let key = key_of::<K, F::Target>();
        self.builder
            .push_decorator::<M, F>(key, decorator, own, false, |apply| {
                Apply::Sync(Box::new(move |inner, caster, own| {
                    apply(convert::<F::Target>(inner, caster)).into_erased(own)
                }))
            })
    }

    /// Removes every decorator of `T` under `K` registered so far. See
    /// [`ContainerBuilder::without_decorators`].
    pub fn without_decorators<T: ?Sized + 'static>(self) -> &'b mut ContainerBuilder {
        let id = key_of::<K, T>().id;
        self.builder.decorators.retain(|d| d.key.id != id);
        self.builder
    }
}
