//! Keyed services: several registrations of one type told apart by a
//! *key*, a marker type, so that the graph stays known from types.
//!
//! The key is part of the service's identity: `T` registered under `K` is
//! the service `Keyed<K, T>` (its `TypeId`), so selection, linking, the
//! captive, missing, cycle and duplicate checks all work per (key, type)
//! with no special case. What is registered under the key is resolved as
//! `T` (its caster and typed handle are `T`'s), and [`Keyed`] hands it over
//! wrapped.

use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::Arc;

use crate::builder::{
    ContainerBuilder, Hook, HookKind, RegExec, Registration, convert, node, pool_size,
};
use crate::erased::Erased;
use crate::error::{DependencyKind, ResolveError};
use crate::factory::{ErasedReset, FactoryFn, FactoryResult, erase, erase_try, typed_none};
use crate::inject::{Caster, Decl, Declarations, Deps, Inject};
use crate::injectable::private::Field;
use crate::key::{Key, short_name};
use crate::lifetime::Lifetime;
use crate::node::{Node, Role};

/// The service `T` registered under the key `K`, as a dependency.
///
/// `K` is a marker type (`struct Primary;`), never instantiated. Register
/// with [`ContainerBuilder::keyed`], depend on `Keyed<K, T>` (or
/// `Option<Keyed<K, T>>`), resolve with
/// [`Container::resolve_keyed`](crate::Container::resolve_keyed). Each
/// (key, type) is its own service: its own lifetime, its own singleton,
/// validated like any other (a missing key is a missing dependency whose
/// "did you mean" lists the keys registered for `T`).
///
/// ```
/// use std::sync::Arc;
/// use tenure::{Container, Keyed};
///
/// struct Primary;
/// struct Replica;
/// struct Db { url: &'static str }
/// struct Reports { db: Keyed<Replica, Db> }
///
/// let c = Container::builder()
///     .keyed::<Primary>().singleton(|| Db { url: "db://primary" })
///     .keyed::<Replica>().singleton(|| Db { url: "db://replica" })
///     .singleton(|db: Keyed<Replica, Db>| Reports { db })
///     .build()?;
/// assert_eq!(c.resolve::<Reports>()?.db.url, "db://replica");
/// assert_eq!(c.resolve_keyed::<Primary, Db>()?.url, "db://primary");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Keyed<K: 'static, T: ?Sized + 'static> {
    value: Arc<T>,
    _key: PhantomData<fn() -> K>,
}

impl<K: 'static, T: ?Sized + 'static> Keyed<K, T> {
    /// Wraps an instance (as the container does when it injects one).
    pub fn new(value: Arc<T>) -> Self {
        Keyed {
            value,
            _key: PhantomData,
        }
    }

    /// The instance.
    pub fn into_inner(self) -> Arc<T> {
        self.value
    }

    /// The instance, borrowed as its `Arc`.
    pub fn arc(&self) -> &Arc<T> {
        &self.value
    }
}

impl<K: 'static, T: ?Sized + 'static> Deref for Keyed<K, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<K: 'static, T: ?Sized + 'static> Clone for Keyed<K, T> {
    fn clone(&self) -> Self {
        Keyed::new(self.value.clone())
    }
}

impl<K: 'static, T: ?Sized + fmt::Debug + 'static> fmt::Debug for Keyed<K, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyed")
            .field("key", &std::any::type_name::<K>())
            .field("value", &&*self.value)
            .finish()
    }
}

/// The identity of `T` registered under `K`: a type nobody outside this
/// module can name, so that no other dependency form (`Arc<Keyed<K, T>>`,
/// `Lazy<Keyed<K, T>>`) can reach the service, which is resolved as `T`.
struct KeyedService<K, T: ?Sized>(PhantomData<fn(K) -> Box<T>>);

/// The service key of `T` registered under `K`, named as the dependency
/// that takes it, `Keyed<K, T>`.
pub(crate) fn key_of<K: 'static, T: ?Sized + 'static>() -> Key {
    Key {
        id: std::any::TypeId::of::<KeyedService<K, T>>(),
        name: std::any::type_name::<Keyed<K, T>>(),
    }
}

/// The key and the service type of a keyed service's name
/// (`tenure::keyed::Keyed<app::Primary, app::Db>` -> `("app::Primary",
/// "app::Db")`), or `None` if the name is not a keyed service's.
pub(crate) fn parts(name: &str) -> Option<(&str, &str)> {
    crate::key::split_pair(name.strip_prefix(crate::key::KEYED_PREFIX)?)
}

/// "Did you mean" lines for a missing keyed service `wanted`: the other
/// keys `T` is registered under, and `T` unkeyed. `None` if `wanted` is not
/// keyed or nothing of `T` is registered (the usual suggestions apply).
pub(crate) fn hints(wanted: &str, nodes: impl Iterator<Item = Node>) -> Option<Vec<String>> {
    let (_, t) = parts(wanted)?;
    let out: Vec<String> = nodes
        .filter(|n| n.role != Role::Element)
        .filter_map(|n| match parts(n.name) {
            Some((k, t2)) if t2 == t && n.name == wanted => Some(format!(
                "{n} (registered at {}): take `Keyed<{}, {}>` itself as the argument, not \
                 inside `Arc`, `Lazy` or `Factory`",
                n.site,
                short_name(k),
                short_name(t)
            )),
            Some((k, t2)) if t2 == t => Some(format!(
                "{n} (registered at {}): `{}` under the key `{}`",
                n.site,
                short_name(t),
                short_name(k)
            )),
            None if n.name == t => Some(format!(
                "{n} (registered at {}): `{}` without a key (take `Arc<{}>`)",
                n.site,
                short_name(t),
                short_name(t)
            )),
            _ => None,
        })
        .take(crate::suggest::MAX_SUGGESTIONS)
        .collect();
    (!out.is_empty()).then_some(out)
}

/// "Did you mean" lines for a missing unkeyed `wanted` that is registered
/// under keys.
pub(crate) fn unkeyed_hints(wanted: &str, nodes: impl Iterator<Item = Node>) -> Vec<String> {
    nodes
        .filter(|n| n.role != Role::Element)
        .filter_map(|n| {
            let (k, t) = parts(n.name)?;
            (t == wanted).then(|| {
                format!(
                    "{n} (registered at {}): `{}` is registered under the key `{}`; take \
                     `Keyed<{}, {}>` or call `resolve_keyed::<{}, {}>()`",
                    n.site,
                    short_name(t),
                    short_name(k),
                    short_name(k),
                    short_name(t),
                    short_name(k),
                    short_name(t)
                )
            })
        })
        .take(crate::suggest::MAX_SUGGESTIONS)
        .collect()
}

impl<K: 'static, T: ?Sized + Send + Sync + 'static> Inject for Keyed<K, T> {
    fn declare(decls: &mut Declarations) {
        decls.0.push(Decl {
            key: key_of::<K, T>(),
            kind: DependencyKind::Required,
        });
    }

    fn fetch(deps: &mut Deps<'_>) -> Result<Self, ResolveError> {
        Ok(Keyed::new(<Arc<T> as Inject>::fetch(deps)?))
    }
}

impl<K: 'static, T: ?Sized + Send + Sync + 'static> Inject for Option<Keyed<K, T>> {
    fn declare(decls: &mut Declarations) {
        decls.0.push(Decl {
            key: key_of::<K, T>(),
            kind: DependencyKind::Optional,
        });
    }

    fn fetch(deps: &mut Deps<'_>) -> Result<Self, ResolveError> {
        Ok(<Option<Arc<T>> as Inject>::fetch(deps)?.map(Keyed::new))
    }
}

/// A field type the derive injects under a key (`#[inject(key = K)]`):
/// `Arc<T>` or `Option<Arc<T>>`, taken as `Keyed<K, T>` or
/// `Option<Keyed<K, T>>`. Not a public API (re-exported for the derive).
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "field type `{Self}` cannot be injected under a key",
    label = "a keyed field is `Arc<T>` or `Option<Arc<T>>`",
    note = "`#[inject(key = K)]` injects the `T` registered with `keyed::<K>()`: declare the \
            field as `Arc<T>` (or `Option<Arc<T>>` if the key may be unregistered), or take \
            `Keyed<K, T>` without the attribute"
)]
pub trait KeyedField<K>: Sized {
    /// The field as a factory argument.
    type Dep: Inject;

    /// The field's value from the factory argument.
    fn from_keyed(dep: Self::Dep) -> Self;
}

impl<K: 'static, T: ?Sized + Send + Sync + 'static> KeyedField<K> for Arc<T> {
    type Dep = Keyed<K, T>;

    #[inline]
    fn from_keyed(dep: Keyed<K, T>) -> Self {
        dep.into_inner()
    }
}

impl<K: 'static, T: ?Sized + Send + Sync + 'static> KeyedField<K> for Option<Arc<T>> {
    type Dep = Option<Keyed<K, T>>;

    #[inline]
    fn from_keyed(dep: Option<Keyed<K, T>>) -> Self {
        dep.map(Keyed::into_inner)
    }
}

// `Keyed<K, T>` as a derived struct's field type, without the attribute.
impl<K: 'static, T: ?Sized + Send + Sync + 'static> Field for Keyed<K, T> {
    type Dep = Self;

    #[inline]
    fn from_dep(dep: Self) -> Self {
        dep
    }
}

impl<K: 'static, T: ?Sized + Send + Sync + 'static> Field for Option<Keyed<K, T>> {
    type Dep = Self;

    #[inline]
    fn from_dep(dep: Self) -> Self {
        dep
    }
}

/// Registrations under the key `K`, from [`ContainerBuilder::keyed`]: the
/// same methods as the builder's, each registering `T` as the service
/// `Keyed<K, T>`. Every method returns the builder itself, so a chain goes
/// on unkeyed.
#[must_use = "a key on its own registers nothing: call a registration method on it"]
pub struct KeyedBuilder<'b, K: 'static> {
    pub(crate) builder: &'b mut ContainerBuilder,
    _key: PhantomData<fn() -> K>,
}

impl<K: 'static> fmt::Debug for KeyedBuilder<'_, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedBuilder")
            .field("key", &std::any::type_name::<K>())
            .finish()
    }
}

impl ContainerBuilder {
    /// Registers the next service under the key `K` (a marker type): see
    /// [`Keyed`]. `T` registered under two keys is two services; under the
    /// same key twice, a [`Duplicate`](crate::Problem::Duplicate).
    ///
    /// Replacing a keyed service (in [`replacing`](Self::replacing) or a
    /// [`TestKernel`](crate::testing::TestKernel) override) replaces that
    /// key only.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tenure::Container;
    ///
    /// trait Http: Send + Sync { fn base(&self) -> &str; }
    /// struct Client(&'static str);
    /// impl Http for Client { fn base(&self) -> &str { self.0 } }
    /// struct Billing;
    /// struct Search;
    ///
    /// let c = Container::builder()
    ///     .keyed::<Billing>().singleton(|| Client("https://billing"))
    ///     .keyed::<Billing>().bind::<dyn Http, Client>(|c| c)
    ///     .keyed::<Search>().singleton(|| Client("https://search"))
    ///     .keyed::<Search>().bind::<dyn Http, Client>(|c| c)
    ///     .build()?;
    /// assert_eq!(c.resolve_keyed::<Search, dyn Http>()?.base(), "https://search");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn keyed<K: 'static>(&mut self) -> KeyedBuilder<'_, K> {
        KeyedBuilder {
            builder: self,
            _key: PhantomData,
        }
    }
}

impl<'b, K: 'static> KeyedBuilder<'b, K> {
    /// Registers a singleton `T` under `K`. See [`ContainerBuilder::singleton`].
    #[track_caller]
    pub fn singleton<M, F>(self, factory: F) -> &'b mut ContainerBuilder
    where
        F: FactoryFn<M>,
        F::Output: Send + Sync + 'static,
    {
        self.register(Lifetime::Singleton, factory)
    }

    /// Registers a scoped `T` under `K`. See [`ContainerBuilder::scoped`].
    #[track_caller]
    pub fn scoped<M, F>(self, factory: F) -> &'b mut ContainerBuilder
    where
        F: FactoryFn<M>,
        F::Output: Send + Sync + 'static,
    {
        self.register(Lifetime::Scoped, factory)
    }

    /// Registers a transient `T` under `K`. See [`ContainerBuilder::transient`].
    #[track_caller]
    pub fn transient<M, F>(self, factory: F) -> &'b mut ContainerBuilder
    where
        F: FactoryFn<M>,
        F::Output: Send + Sync + 'static,
    {
        self.register(Lifetime::Transient, factory)
    }

    /// Registers a pooled `T` under `K`. See [`ContainerBuilder::pooled`].
    #[track_caller]
    pub fn pooled<M, F>(self, max: usize, factory: F) -> &'b mut ContainerBuilder
    where
        F: FactoryFn<M>,
        F::Output: Send + Sync + 'static,
    {
        self.own::<F::Output, M, F>(
            Lifetime::Pooled,
            Some(max),
            RegExec::Factory(erase(factory)),
        )
    }

    /// Registers `factory` under `K` with the given lifetime. See
    /// [`ContainerBuilder::register`].
    #[track_caller]
    pub fn register<M, F>(self, lifetime: Lifetime, factory: F) -> &'b mut ContainerBuilder
    where
        F: FactoryFn<M>,
        F::Output: Send + Sync + 'static,
    {
        self.own::<F::Output, M, F>(
            lifetime,
            pool_size(lifetime),
            RegExec::Factory(erase(factory)),
        )
    }

    /// Registers a fallible singleton under `K`. See
    /// [`ContainerBuilder::try_singleton`].
    #[track_caller]
    pub fn try_singleton<M, F>(self, factory: F) -> &'b mut ContainerBuilder
    where
        F: FactoryFn<M>,
        F::Output: FactoryResult,
    {
        self.try_register(Lifetime::Singleton, factory)
    }

    /// Registers a fallible scoped service under `K`.
    #[track_caller]
    pub fn try_scoped<M, F>(self, factory: F) -> &'b mut ContainerBuilder
    where
        F: FactoryFn<M>,
        F::Output: FactoryResult,
    {
        self.try_register(Lifetime::Scoped, factory)
    }

    /// Registers a fallible transient under `K`.
    #[track_caller]
    pub fn try_transient<M, F>(self, factory: F) -> &'b mut ContainerBuilder
    where
        F: FactoryFn<M>,
        F::Output: FactoryResult,
    {
        self.try_register(Lifetime::Transient, factory)
    }

    /// Registers a fallible `factory` under `K` with the given lifetime.
    #[track_caller]
    pub fn try_register<M, F>(self, lifetime: Lifetime, factory: F) -> &'b mut ContainerBuilder
    where
        F: FactoryFn<M>,
        F::Output: FactoryResult,
    {
        self.own::<<F::Output as FactoryResult>::Service, M, F>(
            lifetime,
            pool_size(lifetime),
            RegExec::Factory(erase_try(factory)),
        )
    }

    /// Registers a ready value as the singleton `T` under `K`.
    #[track_caller]
    pub fn instance<T: Send + Sync + 'static>(self, value: T) -> &'b mut ContainerBuilder {
        let key = key_of::<K, T>();
        let mode = self.builder.mode;
        self.builder.push(Registration {
            key,
            node: node(key, Role::Service(Lifetime::Singleton)),
            lifetime: Lifetime::Singleton,
            decls: Vec::new(),
            exec: RegExec::Instance(Arc::new(value)),
            caster: Arc::new(Caster::<T>::own()),
            typer: crate::factory::typed_own::<T>,
            element: false,
            mode,
            pool_max: None,
        })
    }

    /// Binds `D` (usually `dyn Trait`) under `K` to the service `I`
    /// registered under the same key: resolving `Keyed<K, D>` resolves
    /// `Keyed<K, I>` and converts it with `upcast` (almost always `|s| s`).
    /// See [`ContainerBuilder::bind`].
    #[track_caller]
    pub fn bind<D, I>(
        self,
        upcast: impl Fn(Arc<I>) -> Arc<D> + Send + Sync + 'static,
    ) -> &'b mut ContainerBuilder
    where
        D: ?Sized + Send + Sync + 'static,
        I: Send + Sync + 'static,
    {
        let key = key_of::<K, D>();
        let caster = Caster::<D>(Box::new(move |e: Erased| {
            e.downcast::<I>().ok().map(&upcast)
        }));
        let mode = self.builder.mode;
        self.builder.push(Registration {
            key,
            node: node(key, Role::Binding),
            lifetime: Lifetime::Transient,
            decls: Vec::new(),
            exec: RegExec::Forward(key_of::<K, I>()),
            caster: Arc::new(caster),
            typer: typed_none,
            element: false,
            mode,
            pool_max: None,
        })
    }

    /// Runs `reset` on an instance of the pooled service `T` registered
    /// under `K` before it goes back to its pool. See
    /// [`ContainerBuilder::on_return`].
    #[track_caller]
    pub fn on_return<T: ?Sized + Send + Sync + 'static>(
        self,
        reset: impl Fn(&T) + Send + Sync + 'static,
    ) -> &'b mut ContainerBuilder {
        let erased: Arc<ErasedReset> =
            Arc::new(move |e: &Erased, caster: &(dyn Any + Send + Sync)| {
                reset(&*convert::<T>(e.clone(), caster))
            });
        self.push_hook::<T>(HookKind::Reset(erased))
    }

    /// Attaches a hook to `T` registered under `K`.
    #[track_caller]
    pub(crate) fn push_hook<T: ?Sized + Send + Sync + 'static>(
        self,
        kind: HookKind,
    ) -> &'b mut ContainerBuilder {
        let key = key_of::<K, T>();
        self.builder.hooks.push(Hook {
            key,
            node: node(key, Role::Hook),
            kind,
            caster: std::any::TypeId::of::<Caster<T>>(),
        });
        self.builder
    }

    /// Registers `T` (what the factory makes) under `K`.
    #[track_caller]
    pub(crate) fn own<T: Send + Sync + 'static, M, F: FactoryFn<M>>(
        self,
        lifetime: Lifetime,
        pool_max: Option<usize>,
        exec: RegExec,
    ) -> &'b mut ContainerBuilder {
        let mut decls = Declarations::default();
        F::declare(&mut decls);
        self.push_as::<T>(lifetime, pool_max, decls, exec)
    }

    /// Registers `T` under `K` with these declarations and execution.
    #[track_caller]
    pub(crate) fn push_as<T: Send + Sync + 'static>(
        self,
        lifetime: Lifetime,
        pool_max: Option<usize>,
        decls: Declarations,
        exec: RegExec,
    ) -> &'b mut ContainerBuilder {
        let key = key_of::<K, T>();
        let mode = self.builder.mode;
        let caster: Arc<dyn Any + Send + Sync> = Arc::new(Caster::<T>::own());
        self.builder.push(Registration {
            key,
            node: node(key, Role::Service(lifetime)),
            lifetime,
            decls: decls.0,
            exec,
            caster,
            typer: crate::factory::typed_own::<T>,
            element: false,
            mode,
            pool_max,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Primary;
    struct Db;

    #[test]
    fn the_name_prefix_is_the_type_name() {
        assert!(std::any::type_name::<Keyed<Primary, Db>>().starts_with(crate::key::KEYED_PREFIX));
        assert_eq!(crate::key::short_name(key_of::<Primary, Db>().name), "Db");
    }

    #[test]
    fn parts_of_a_keyed_name() {
        let name = key_of::<Primary, Db>().name;
        let (k, t) = parts(name).expect("a keyed name");
        assert!(k.ends_with("Primary"), "{k}");
        assert!(t.ends_with("Db"), "{t}");
        let nested = key_of::<Primary, Vec<(u8, u16)>>().name;
        assert_eq!(
            parts(nested).unwrap().1,
            std::any::type_name::<Vec<(u8, u16)>>()
        );
        assert!(parts("app::Db").is_none());
    }
}
