//! [`ContainerBuilder`]: registrations, collected before anything is built.

use std::any::{Any, TypeId};
use std::fmt;
use std::panic::Location;
use std::sync::Arc;

use crate::erased::{Erased, ErrorHook};
use crate::factory::{
    ErasedAsyncFactory, ErasedDisposer, ErasedFactory, ErasedReset, FactoryFn, FactoryResult,
    Typer, erase, erase_try, typed_none, typed_own,
};
use crate::inject::{Caster, Decl, Declarations};
use crate::key::Key;
use crate::lifetime::Lifetime;
use crate::node::{Node, Role};

/// Whether a registration adds a service or replaces one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum Mode {
    /// A second registration of the same service is a duplicate.
    #[default]
    Add,
    /// Replaces an earlier registration; replacing nothing is a problem.
    Replace,
    /// Replaces an earlier registration if there is one, adds otherwise.
    ReplaceOrAdd,
}

#[derive(Clone)]
pub(crate) enum RegExec {
    Factory(Arc<ErasedFactory>),
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    AsyncFactory(Arc<ErasedAsyncFactory>),
    Instance(Erased),
    /// A binding or collection element served by the registration of `Key`.
    Forward(Key),
    /// A scoped value with no factory: supplied by the code that opens the
    /// scope.
    Supplied,
}

/// One registration, as recorded by the builder (never executed by it).
#[derive(Clone)]
pub(crate) struct Registration {
    pub(crate) key: Key,
    pub(crate) node: Node,
    pub(crate) lifetime: Lifetime,
    pub(crate) decls: Vec<Decl>,
    pub(crate) exec: RegExec,
    pub(crate) caster: Arc<dyn Any + Send + Sync>,
    /// Makes the typed handle of a created singleton.
    pub(crate) typer: Typer,
    /// An element of the collection `key` (many per key) rather than a
    /// service (one per key).
    pub(crate) element: bool,
    pub(crate) mode: Mode,
    /// The pool size, for pooled services.
    pub(crate) pool_max: Option<usize>,
}

/// Something attached to a registered service by type: an async disposer or
/// a pool reset hook.
#[derive(Clone)]
pub(crate) enum HookKind {
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    Disposer(Arc<ErasedDisposer>),
    Reset(Arc<ErasedReset>),
    /// A start hook, run by `Container::start` (see `asynch/lifecycle.rs`).
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    Start(Arc<ErasedDisposer>),
    /// A stop hook, run by `Container::shutdown` for a started service.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    Stop(Arc<ErasedDisposer>),
}

#[derive(Clone)]
pub(crate) struct Hook {
    pub(crate) key: Key,
    pub(crate) node: Node,
    pub(crate) kind: HookKind,
    /// `TypeId::of::<Caster<T>>()` for the `T` the hook converts to: the
    /// validator checks that the service's caster is that type, so the
    /// conversion at run time cannot fail.
    pub(crate) caster: TypeId,
}

/// Removes the start and stop hooks of the service with key id `id` (see
/// `ContainerBuilder::without_lifecycle`).
#[cfg_attr(not(feature = "tokio"), allow(dead_code))]
pub(crate) fn remove_lifecycle(hooks: &mut Vec<Hook>, id: TypeId) {
    hooks.retain(|h| h.key.id != id || !matches!(h.kind, HookKind::Start(_) | HookKind::Stop(_)));
}

/// Container-wide settings.
#[derive(Clone)]
pub(crate) struct Settings {
    pub(crate) on_undisposed: Option<Arc<dyn Fn(usize) + Send + Sync>>,
    pub(crate) on_dispose_error: Option<ErrorHook>,
    pub(crate) track_instances: bool,
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) dispose_timeout: std::time::Duration,
    /// Lint levels, request-bound services, roots.
    pub(crate) lints: crate::lint::LintSettings,
    /// How long one start or stop hook may run.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) lifecycle_timeout: std::time::Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            on_undisposed: None,
            on_dispose_error: None,
            track_instances: false,
            dispose_timeout: std::time::Duration::from_secs(30),
            lints: Default::default(),
            lifecycle_timeout: std::time::Duration::from_secs(30),
        }
    }
}

/// Collects registrations, then [`build`](ContainerBuilder::build)s a
/// validated [`Container`](crate::Container).
///
/// Registering never runs a factory: each factory's dependencies are read
/// from its argument types. `build` checks the whole graph first and reports
/// every problem at once (captive, missing, cycle, duplicate), each with its
/// path and the `file:line` of every registration on it.
///
/// Methods take and return `&mut Self`, so registrations chain, and a
/// [`Module`](crate::Module) can take
/// `&mut ContainerBuilder`. Cloning is cheap (registrations are shared), so
/// a test suite can build a base once and add to copies of it.
///
/// ```
/// use std::sync::Arc;
/// use tenure::Container;
///
/// trait Clock: Send + Sync { fn now(&self) -> u64; }
/// struct FixedClock;
/// impl Clock for FixedClock { fn now(&self) -> u64 { 42 } }
///
/// struct Config { url: String }
/// struct Pool { url: String }
/// struct Session { pool: Arc<Pool>, clock: Arc<dyn Clock> }
///
/// let container = Container::builder()
///     .singleton(|| Config { url: "db://local".into() })
///     .try_singleton(|cfg: Arc<Config>| -> Result<Pool, std::io::Error> {
///         Ok(Pool { url: cfg.url.clone() })
///     })
///     .singleton(|| FixedClock)
///     .bind::<dyn Clock, FixedClock>(|c| c)
///     .scoped(|pool: Arc<Pool>, clock: Arc<dyn Clock>| Session { pool, clock })
///     .build()?;
///
/// let scope = container.scope();
/// let session = scope.resolve::<Session>()?;
/// assert_eq!(session.clock.now(), 42);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct ContainerBuilder {
    /// Shared with the containers built from it (which keep it for
    /// `describe`): a build takes one reference, not one per registration;
    /// a registration after a build copies the list.
    pub(crate) regs: Arc<Vec<Arc<Registration>>>,
    pub(crate) mode: Mode,
    pub(crate) hooks: Vec<Hook>,
    pub(crate) settings: Settings,
    /// The modules included so far (see [`include`](ContainerBuilder::include)).
    pub(crate) modules: Vec<std::any::TypeId>,
    /// Decorators, in registration order (see `decorate.rs`).
    pub(crate) decorators: Vec<crate::decorate::Decorator>,
}

impl ContainerBuilder {
    /// An empty builder. Same as [`Container::builder`](crate::Container::builder).
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a singleton: one instance per container, created on first
    /// use by `factory`, whose arguments are its dependencies.
    #[track_caller]
    pub fn singleton<M, F>(&mut self, factory: F) -> &mut Self
    where
        F: FactoryFn<M>,
        F::Output: Send + Sync + 'static,
    {
        self.register(Lifetime::Singleton, factory)
    }

    /// Registers a scoped service: one instance per [`Scope`](crate::Scope).
    #[track_caller]
    pub fn scoped<M, F>(&mut self, factory: F) -> &mut Self
    where
        F: FactoryFn<M>,
        F::Output: Send + Sync + 'static,
    {
        self.register(Lifetime::Scoped, factory)
    }

    /// Registers a transient: a new instance on every resolution, owned by
    /// the caller.
    #[track_caller]
    pub fn transient<M, F>(&mut self, factory: F) -> &mut Self
    where
        F: FactoryFn<M>,
        F::Output: Send + Sync + 'static,
    {
        self.register(Lifetime::Transient, factory)
    }

    /// Registers a pooled service: one instance per scope, rented from a
    /// pool of at most `max` instances and given back when the scope ends.
    /// See [`Lifetime::Pooled`].
    ///
    /// A sync `resolve` in a scope when all `max` instances are rented fails
    /// at once with [`PoolExhausted`](crate::ResolveErrorKind::PoolExhausted) (it
    /// never blocks a thread); `resolve_async` waits its turn.
    #[track_caller]
    pub fn pooled<M, F>(&mut self, max: usize, factory: F) -> &mut Self
    where
        F: FactoryFn<M>,
        F::Output: Send + Sync + 'static,
    {
        self.push_own::<F::Output, M, F>(
            Lifetime::Pooled,
            Some(max),
            RegExec::Factory(erase(factory)),
        )
    }

    /// The pool size [`register`](Self::register) gives a
    /// [`Lifetime::Pooled`] service; use [`pooled`](Self::pooled) to choose.
    pub const DEFAULT_POOL_SIZE: usize = 16;

    /// Registers `factory` with the given lifetime (a pooled one gets
    /// [`DEFAULT_POOL_SIZE`](Self::DEFAULT_POOL_SIZE)).
    #[track_caller]
    pub fn register<M, F>(&mut self, lifetime: Lifetime, factory: F) -> &mut Self
    where
        F: FactoryFn<M>,
        F::Output: Send + Sync + 'static,
    {
        self.push_own::<F::Output, M, F>(
            lifetime,
            pool_size(lifetime),
            RegExec::Factory(erase(factory)),
        )
    }

    /// Registers a fallible singleton: `factory` returns `Result<T, E>`; an
    /// `Err` reaches the caller of `resolve` as
    /// [`ResolveErrorKind::Factory`](crate::ResolveErrorKind::Factory), with `E` as its source.
    #[track_caller]
    pub fn try_singleton<M, F>(&mut self, factory: F) -> &mut Self
    where
        F: FactoryFn<M>,
        F::Output: FactoryResult,
    {
        self.try_register(Lifetime::Singleton, factory)
    }

    /// Registers a fallible scoped service. See [`try_singleton`](Self::try_singleton).
    #[track_caller]
    pub fn try_scoped<M, F>(&mut self, factory: F) -> &mut Self
    where
        F: FactoryFn<M>,
        F::Output: FactoryResult,
    {
        self.try_register(Lifetime::Scoped, factory)
    }

    /// Registers a fallible transient. See [`try_singleton`](Self::try_singleton).
    #[track_caller]
    pub fn try_transient<M, F>(&mut self, factory: F) -> &mut Self
    where
        F: FactoryFn<M>,
        F::Output: FactoryResult,
    {
        self.try_register(Lifetime::Transient, factory)
    }

    /// Registers a fallible `factory` with the given lifetime.
    #[track_caller]
    pub fn try_register<M, F>(&mut self, lifetime: Lifetime, factory: F) -> &mut Self
    where
        F: FactoryFn<M>,
        F::Output: FactoryResult,
    {
        self.push_own::<<F::Output as FactoryResult>::Service, M, F>(
            lifetime,
            pool_size(lifetime),
            RegExec::Factory(erase_try(factory)),
        )
    }

    /// Registers a fallible pooled service. See [`pooled`](Self::pooled).
    #[track_caller]
    pub fn try_pooled<M, F>(&mut self, max: usize, factory: F) -> &mut Self
    where
        F: FactoryFn<M>,
        F::Output: FactoryResult,
    {
        self.push_own::<<F::Output as FactoryResult>::Service, M, F>(
            Lifetime::Pooled,
            Some(max),
            RegExec::Factory(erase_try(factory)),
        )
    }

    /// Runs `reset` on an instance of the pooled service `T` before it goes
    /// back to its pool at the end of a scope.
    ///
    /// `reset` runs outside every lock. If it panics, the panic is caught and
    /// reported on standard error, and the instance is retired instead of
    /// going back to the pool (it may be half-reset).
    #[track_caller]
    pub fn on_return<T: ?Sized + Send + Sync + 'static>(
        &mut self,
        reset: impl Fn(&T) + Send + Sync + 'static,
    ) -> &mut Self {
        let erased: Arc<ErasedReset> =
            Arc::new(move |e: &Erased, caster: &(dyn Any + Send + Sync)| {
                reset(&*convert::<T>(e.clone(), caster))
            });
        self.push_hook::<T>(HookKind::Reset(erased))
    }

    /// Sets what happens when a [`Scope`](crate::Scope) that owns instances
    /// with async disposers is dropped without `dispose().await`: their
    /// instances are still dropped (newest first), but their disposers do not
    /// run, and `hook` is called with how many did not.
    ///
    /// By default one line goes to standard error. Every such drop is also
    /// counted in [`Container::undisposed_scopes`](crate::Container::undisposed_scopes).
    ///
    /// The hook runs inside the scope's `Drop`: a panic in it is caught and
    /// reported on standard error, never unwound through the drop.
    pub fn on_undisposed(&mut self, hook: impl Fn(usize) + Send + Sync + 'static) -> &mut Self {
        self.settings.on_undisposed = Some(Arc::new(hook));
        self
    }

    /// Sets where the failures of a disposal that nobody awaits any more
    /// go: a [`Scope::dispose`](crate::Scope::dispose),
    /// [`Container::shutdown`](crate::Container::shutdown) or [`Container::run_scoped`](crate::Container::run_scoped) whose future was
    /// dropped before it finished keeps disposing on the Tokio runtime, and
    /// its [`DisposeError`](crate::DisposeError), if any, is passed to `hook`.
    ///
    /// By default the report goes to standard error. A panic in the hook is
    /// caught and reported there too.
    pub fn on_dispose_error(
        &mut self,
        hook: impl Fn(&dyn std::error::Error) + Send + Sync + 'static,
    ) -> &mut Self {
        self.settings.on_dispose_error = Some(Arc::new(hook));
        self
    }

    /// Declares `T` as a *scope value*: a scoped service with no factory,
    /// whose instance the code that opens a scope supplies
    /// ([`Scope::provide`](crate::Scope::provide)): the request's signed-in
    /// user, its tenant, a request id.
    ///
    /// It is validated like any scoped service: factories take it as
    /// `Arc<T>` or `Option<Arc<T>>`, and a singleton holding it (directly or
    /// through transients) is a captive dependency. Resolving it in a scope
    /// that was not given one is
    /// [`NotSupplied`](crate::ResolveErrorKind::NotSupplied), naming it.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tenure::Container;
    ///
    /// struct CurrentUser { name: String }
    /// struct Greeting { user: Arc<CurrentUser> }
    ///
    /// let c = Container::builder()
    ///     .scope_value::<CurrentUser>()
    ///     .scoped(|user: Arc<CurrentUser>| Greeting { user })
    ///     .build()?;
    /// let scope = c.scope();
    /// scope.provide(CurrentUser { name: "ada".into() })?;
    /// assert_eq!(scope.resolve::<Greeting>()?.user.name, "ada");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn scope_value<T: Send + Sync + 'static>(&mut self) -> &mut Self {
        let key = Key::of::<T>();
        self.push(Registration {
            key,
            node: node(key, Role::Service(Lifetime::Scoped)),
            lifetime: Lifetime::Scoped,
            decls: Vec::new(),
            exec: RegExec::Supplied,
            caster: Arc::new(Caster::<T>::own()),
            typer: typed_own::<T>,
            element: false,
            mode: self.mode,
            pool_max: None,
        })
    }

    /// Registers a ready value as a singleton. It is dropped with the last
    /// container built from this builder, and with the builder itself.
    #[track_caller]
    pub fn instance<T: Send + Sync + 'static>(&mut self, value: T) -> &mut Self {
        self.instance_arc(Arc::new(value))
    }

    /// Registers an existing `Arc<T>` as the singleton `T` (resolving `T`
    /// returns clones of this very `Arc`).
    #[track_caller]
    pub fn instance_arc<T: Send + Sync + 'static>(&mut self, value: Arc<T>) -> &mut Self {
        let key = Key::of::<T>();
        self.push(Registration {
            key,
            node: node(key, Role::Service(Lifetime::Singleton)),
            lifetime: Lifetime::Singleton,
            decls: Vec::new(),
            exec: RegExec::Instance(value),
            caster: Arc::new(Caster::<T>::own()),
            typer: typed_own::<T>,
            element: false,
            mode: self.mode,
            pool_max: None,
        })
    }

    /// Binds `D` (usually `dyn Trait`) to the registered service `I`:
    /// resolving `Arc<D>` resolves `I` and converts it with `upcast`, which
    /// is almost always `|s| s` (the unsizing coercion).
    ///
    /// No new instance is made: `I` bound under two traits is one instance,
    /// with `I`'s lifetime.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tenure::Container;
    ///
    /// trait Read: Send + Sync {}
    /// trait Write: Send + Sync {}
    /// struct Store;
    /// impl Read for Store {}
    /// impl Write for Store {}
    ///
    /// let c = Container::builder()
    ///     .singleton(|| Store)
    ///     .bind::<dyn Read, Store>(|s| s)
    ///     .bind::<dyn Write, Store>(|s| s)
    ///     .build()?;
    /// let (r, w) = (c.resolve::<dyn Read>()?, c.resolve::<dyn Write>()?);
    /// assert!(std::ptr::addr_eq(Arc::as_ptr(&r), Arc::as_ptr(&w))); // no torn singleton
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn bind<D, I>(
        &mut self,
        upcast: impl Fn(Arc<I>) -> Arc<D> + Send + Sync + 'static,
    ) -> &mut Self
    where
        D: ?Sized + Send + Sync + 'static,
        I: Send + Sync + 'static,
    {
        self.push_forward::<D, I>(upcast, false)
    }

    /// Adds the registered service `I` to the collection of `D`, injected as
    /// `Vec<Arc<D>>` (in registration order) and resolved with
    /// [`Container::resolve_all`](crate::Container::resolve_all). `upcast` is almost always `|s| s`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tenure::Container;
    ///
    /// trait Plugin: Send + Sync { fn name(&self) -> &str; }
    /// struct A; struct B;
    /// impl Plugin for A { fn name(&self) -> &str { "a" } }
    /// impl Plugin for B { fn name(&self) -> &str { "b" } }
    /// struct Host { plugins: Vec<Arc<dyn Plugin>> }
    ///
    /// let c = Container::builder()
    ///     .singleton(|| A).collect::<dyn Plugin, A>(|p| p)
    ///     .singleton(|| B).collect::<dyn Plugin, B>(|p| p)
    ///     .singleton(|plugins: Vec<Arc<dyn Plugin>>| Host { plugins })
    ///     .build()?;
    /// let names: Vec<_> = c.resolve::<Host>()?.plugins.iter().map(|p| p.name().to_owned()).collect();
    /// assert_eq!(names, ["a", "b"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn collect<D, I>(
        &mut self,
        upcast: impl Fn(Arc<I>) -> Arc<D> + Send + Sync + 'static,
    ) -> &mut Self
    where
        D: ?Sized + Send + Sync + 'static,
        I: Send + Sync + 'static,
    {
        self.push_forward::<D, I>(upcast, true)
    }

    /// Registers, inside `f`, services that *replace* earlier registrations
    /// of the same type (the explicit form of a duplicate, for test
    /// overrides). A replacement that replaces nothing is a
    /// [`ReplacesNothing`](crate::Problem::ReplacesNothing) problem at
    /// `build`. The replacement is a full registration: its dependencies are
    /// injected and validated like any other's.
    ///
    /// ```
    /// use tenure::Container;
    ///
    /// struct Mailer(&'static str);
    /// let mut base = Container::builder();
    /// base.singleton(|| Mailer("smtp"));
    ///
    /// let test = base.clone().replacing(|b| { b.singleton(|| Mailer("fake")); }).build()?;
    /// assert_eq!(test.resolve::<Mailer>()?.0, "fake");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn replacing(&mut self, f: impl FnOnce(&mut Self)) -> &mut Self {
        self.with_mode(Mode::Replace, f)
    }

    /// Like [`replacing`](Self::replacing), but a registration inside `f`
    /// that replaces nothing is *added* instead of being a problem: for a
    /// test that means to add a service (a fake's own type, a recorder) as
    /// well as to replace some.
    ///
    /// ```
    /// use tenure::Container;
    ///
    /// struct Mailer(&'static str);
    /// struct Outbox(Vec<String>);
    /// let mut base = Container::builder();
    /// base.singleton(|| Mailer("smtp"));
    ///
    /// let test = base
    ///     .clone()
    ///     .replacing_or_adding(|b| {
    ///         b.singleton(|| Mailer("fake")); // replaces
    ///         b.singleton(|| Outbox(Vec::new())); // adds
    ///     })
    ///     .build()?;
    /// assert_eq!(test.resolve::<Mailer>()?.0, "fake");
    /// assert!(test.resolve::<Outbox>()?.0.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn replacing_or_adding(&mut self, f: impl FnOnce(&mut Self)) -> &mut Self {
        self.with_mode(Mode::ReplaceOrAdd, f)
    }

    fn with_mode(&mut self, mode: Mode, f: impl FnOnce(&mut Self)) -> &mut Self {
        let before = std::mem::replace(&mut self.mode, mode);
        f(self);
        self.mode = before;
        self
    }

    /// Counts, per service, the instances created and still alive, for
    /// [`Container::instance_report`](crate::Container::instance_report) (to find leaks by comparing two
    /// reports). Costs a weak reference and a short lock per creation.
    pub fn track_instances(&mut self) -> &mut Self {
        self.settings.track_instances = true;
        self
    }

    /// The number of registrations so far.
    pub fn len(&self) -> usize {
        self.regs.len()
    }

    /// Whether nothing is registered yet.
    pub fn is_empty(&self) -> bool {
        self.regs.is_empty()
    }

    #[track_caller]
    pub(crate) fn push_own<T: Send + Sync + 'static, M, F: FactoryFn<M>>(
        &mut self,
        lifetime: Lifetime,
        pool_max: Option<usize>,
        exec: RegExec,
    ) -> &mut Self {
        let key = Key::of::<T>();
        let mut decls = Declarations::default();
        F::declare(&mut decls);
        self.push(Registration {
            key,
            node: node(key, Role::Service(lifetime)),
            lifetime,
            decls: decls.0,
            exec,
            caster: Arc::new(Caster::<T>::own()),
            typer: typed_own::<T>,
            element: false,
            mode: self.mode,
            pool_max,
        })
    }

    #[track_caller]
    pub(crate) fn push_hook<T: ?Sized + Send + Sync + 'static>(
        &mut self,
        kind: HookKind,
    ) -> &mut Self {
        let key = Key::of::<T>();
        self.hooks.push(Hook {
            key,
            node: node(key, Role::Hook),
            kind,
            caster: TypeId::of::<Caster<T>>(),
        });
        self
    }

    #[track_caller]
    fn push_forward<D, I>(
        &mut self,
        upcast: impl Fn(Arc<I>) -> Arc<D> + Send + Sync + 'static,
        element: bool,
    ) -> &mut Self
    where
        D: ?Sized + Send + Sync + 'static,
        I: Send + Sync + 'static,
    {
        let key = Key::of::<D>();
        let caster = Caster::<D>(Box::new(move |e: Erased| {
            e.downcast::<I>().ok().map(&upcast)
        }));
        self.push(Registration {
            key,
            node: node(
                key,
                if element {
                    Role::Element
                } else {
                    Role::Binding
                },
            ),
            lifetime: Lifetime::Transient,
            decls: Vec::new(),
            exec: RegExec::Forward(Key::of::<I>()),
            caster: Arc::new(caster),
            typer: typed_none,
            element,
            mode: if element { Mode::Add } else { self.mode },
            pool_max: None,
        })
    }

    pub(crate) fn push(&mut self, reg: Registration) -> &mut Self {
        Arc::make_mut(&mut self.regs).push(Arc::new(reg));
        self
    }
}

/// Converts `e` through `caster` (a `&Caster<T>`), as resolution does. The
/// validator has checked that the caster is of that type.
pub(crate) fn convert<T: ?Sized + 'static>(e: Erased, caster: &(dyn Any + Send + Sync)) -> Arc<T> {
    const BUG: &str = "tenure bug: a hook attached to a service of another type";
    (caster.downcast_ref::<Caster<T>>().expect(BUG).0)(e).expect(BUG)
}

pub(crate) fn pool_size(lifetime: Lifetime) -> Option<usize> {
    (lifetime == Lifetime::Pooled).then_some(ContainerBuilder::DEFAULT_POOL_SIZE)
}

#[track_caller]
pub(crate) fn node(key: Key, role: Role) -> Node {
    Node {
        name: key.name,
        role,
        site: Location::caller(),
    }
}

impl fmt::Debug for ContainerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.regs.iter().map(|r| r.node.to_string()))
            .finish()
    }
}
