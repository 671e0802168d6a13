//! [`TestKernel`]: production wiring with explicit, tracked overrides.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::builder::{ContainerBuilder, Hook, Mode, RegExec, Registration};
use crate::container::Container;
use crate::decorate::{Decorated, Decorator, DecoratorFn};
use crate::error::{BuildError, DependencyKind};
use crate::factory::{ErasedAsyncFactory, ErasedFactory, sync_factory};
use crate::inject::{Decl, Deps};
use crate::module::Module;
use crate::node::Node;
use crate::testing::Defaults;

/// The application's wiring, with a test's overrides on top, still
/// validated like production.
///
/// - [`replace`](TestKernel::replace) swaps registrations for fakes; each
///   one must replace something ([`ReplacesNothing`](crate::Problem::ReplacesNothing)
///   otherwise), and [`replace_or_add`](TestKernel::replace_or_add) may also
///   add. An override is a full registration: its dependencies are
///   injected, and [`build`](TestKernel::build) runs every check of
///   [`ContainerBuilder::build`] on the overridden graph, so a fake with
///   the wrong lifetime cannot hide a captive dependency.
/// - [`unused_overrides`](TestKernel::unused_overrides) /
///   [`assert_all_overrides_used`](TestKernel::assert_all_overrides_used)
///   name the overrides nothing ever resolved: a stale override is a test
///   that no longer tests what it claims.
/// - [`defaults`](TestKernel::defaults) and
///   [`fill_in`](TestKernel::fill_in) provide what the test does not care
///   about (not tracked).
/// - [`build_for`](TestKernel::build_for) builds only what one subject needs.
///
/// Overrides apply after the base and after every fill-in (even one
/// declared later), in the order they were declared.
///
/// ```
/// use std::sync::Arc;
/// use tenure::ContainerBuilder;
/// use tenure::testing::TestKernel;
///
/// trait Clock: Send + Sync { fn now(&self) -> u64; }
/// struct SystemClock;
/// impl Clock for SystemClock { fn now(&self) -> u64 { 1_700_000_000 } }
/// struct FixedClock(u64);
/// impl Clock for FixedClock { fn now(&self) -> u64 { self.0 } }
/// struct Greeter { clock: Arc<dyn Clock> }
///
/// fn base() -> ContainerBuilder {
///     let mut b = ContainerBuilder::new();
///     b.singleton(|| SystemClock)
///         .bind::<dyn Clock, SystemClock>(|c| c)
///         .transient(|clock: Arc<dyn Clock>| Greeter { clock });
///     b
/// }
///
/// let mut kernel = TestKernel::new(base());
/// kernel.replace(|b| { b.bind_instance::<dyn Clock>(Arc::new(FixedClock(42))); });
/// let c = kernel.build()?;
/// assert_eq!(c.resolve::<Greeter>()?.clock.now(), 42);
/// kernel.assert_all_overrides_used();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Clones and usage flags
///
/// Every container built from one kernel shares its usage flags: an
/// override counts as used if any of them resolved it. A clone of a kernel
/// starts with fresh flags, so a suite can prepare a kernel once and clone
/// it per test.
pub struct TestKernel {
    base: ContainerBuilder,
    fill_ins: Vec<Arc<Registration>>,
    overrides: Vec<Override>,
    /// Disposers and pool resets registered along with overrides.
    hooks: Vec<Hook>,
    /// Decorators added by the test (see [`decorate`](TestKernel::decorate)).
    decorators: Vec<Decorator>,
}

struct Override {
    reg: Arc<Registration>,
    used: Arc<AtomicBool>,
}

impl TestKernel {
    /// A kernel over `base`, usually the application's production wiring
    /// (a cheap clone of a builder prepared once per suite).
    pub fn new(base: ContainerBuilder) -> Self {
        TestKernel {
            base,
            fill_ins: Vec::new(),
            overrides: Vec::new(),
            hooks: Vec::new(),
            decorators: Vec::new(),
        }
    }

    /// A kernel over a builder that includes `module`.
    pub fn from_module(module: impl Module) -> Self {
        let mut base = ContainerBuilder::new();
        base.include(module);
        Self::new(base)
    }

    /// Overrides: every registration made in `f` replaces the registration
    /// of the same type (service or binding). A registration that replaces
    /// nothing is a [`ReplacesNothing`](crate::Problem::ReplacesNothing)
    /// problem at `build` (a typo, or production wiring that changed under
    /// the test). The new registration keeps nothing of the old one: give
    /// it the lifetime the fake needs; `build` re-checks it.
    ///
    /// Collection elements ([`collect`](ContainerBuilder::collect)) made in
    /// `f` are added to their collection (an element has no single
    /// registration to replace); they are tracked like other overrides.
    /// Modules the base already includes are not registered again by
    /// [`include`](ContainerBuilder::include) in `f`; hooks (async
    /// disposers, pool resets) and settings made in `f` apply to the kernel's
    /// containers.
    pub fn replace(&mut self, f: impl FnOnce(&mut ContainerBuilder)) -> &mut Self {
        self.record(Mode::Replace, f)
    }

    /// Like [`replace`](TestKernel::replace), but a registration that
    /// replaces nothing is added: for a fake's own type registered next to
    /// the binding it replaces, or a recorder the subject does not know.
    pub fn replace_or_add(&mut self, f: impl FnOnce(&mut ContainerBuilder)) -> &mut Self {
        self.record(Mode::ReplaceOrAdd, f)
    }

    /// Fill-ins: registers the [`Default`] value of every type in the tuple
    /// `T` as a singleton, replacing any registration of the same type or
    /// adding one. Not tracked by
    /// [`unused_overrides`](TestKernel::unused_overrides): a fill-in says
    /// "the test does not care", not "the test uses this".
    #[track_caller]
    pub fn defaults<T: Defaults>(&mut self) -> &mut Self {
        let mut b = ContainerBuilder::new();
        b.mode = Mode::ReplaceOrAdd;
        b.defaults::<T>();
        self.fill_ins.extend(b.regs.iter().cloned());
        self
    }

    /// Fill-in for a trait object (or any type): serves `value` for `D`,
    /// replacing any registration of `D` or adding one, e.g. a null object
    /// `kernel.fill_in::<dyn Audit>(Arc::new(NullAudit))`. Not tracked,
    /// like [`defaults`](TestKernel::defaults).
    #[track_caller]
    pub fn fill_in<D: ?Sized + Send + Sync + 'static>(&mut self, value: Arc<D>) -> &mut Self {
        let mut b = ContainerBuilder::new();
        b.mode = Mode::ReplaceOrAdd;
        b.bind_instance::<D>(value);
        self.fill_ins.extend(b.regs.iter().cloned());
        self
    }

    /// The complete builder: base, then fill-ins, then overrides wrapped to
    /// record their use. For inspection, or for
    /// [`assert_valid`](crate::testing::assert_valid).
    pub fn builder(&self) -> ContainerBuilder {
        let mut b = self.base.clone();
        let regs = Arc::make_mut(&mut b.regs);
        regs.extend(self.fill_ins.iter().cloned());
        regs.extend(
            self.overrides
                .iter()
                .map(|o| Arc::new(tracked(&o.reg, &o.used))),
        );
        b.hooks.extend(self.hooks.iter().cloned());
        b.decorators.extend(self.decorators.iter().cloned());
        b
    }

    /// Adds a decorator, applied after the base's decorators of the same
    /// service (and after those added before it), like
    /// [`ContainerBuilder::decorate`]: to observe or fake around a
    /// production service without replacing it. Validated by `build` and
    /// followed by [`build_for`](TestKernel::build_for).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tenure::ContainerBuilder;
    /// use tenure::testing::TestKernel;
    ///
    /// struct Greeting(String);
    /// let mut base = ContainerBuilder::new();
    /// base.singleton(|| Greeting("hi".into()))
    ///     .decorate(|g: Arc<Greeting>| Greeting(format!("{}!", g.0)));
    ///
    /// let mut kernel = TestKernel::new(base);
    /// kernel.decorate(|g: Arc<Greeting>| Greeting(format!("[{}]", g.0)));
    /// assert_eq!(kernel.build()?.resolve::<Greeting>()?.0, "[hi!]");
    /// kernel.without_decorators::<Greeting>();
    /// assert_eq!(kernel.build()?.resolve::<Greeting>()?.0, "hi");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn decorate<M, F>(&mut self, decorator: F) -> &mut Self
    where
        F: DecoratorFn<M>,
        F::Output: Decorated<F::Target>,
    {
        let mut b = ContainerBuilder::new();
        b.decorate(decorator);
        self.decorators.extend(b.decorators);
        self
    }

    /// Removes every decorator of `T`: the base's and the test's (for a
    /// test of the bare service).
    pub fn without_decorators<T: ?Sized + 'static>(&mut self) -> &mut Self {
        self.base.without_decorators::<T>();
        let id = std::any::TypeId::of::<T>();
        self.decorators.retain(|d| d.key.id != id);
        self
    }

    /// Removes every start and stop hook of `T`: the base's and the test's
    /// so far (production hooks that would reach a network, say). A hook
    /// the test registers afterwards, in [`replace`](TestKernel::replace),
    /// applies as usual, without clashing with the removed one.
    #[cfg(feature = "tokio")]
    pub fn without_lifecycle<T: ?Sized + 'static>(&mut self) -> &mut Self {
        self.base.without_lifecycle::<T>();
        crate::builder::remove_lifecycle(&mut self.hooks, crate::key::Key::of::<T>().id);
        self
    }

    /// Validates the whole overridden graph and builds it, like
    /// [`ContainerBuilder::build`]: every problem at once.
    pub fn build(&self) -> Result<Container, BuildError> {
        self.builder().build()
    }

    /// Validates and builds only what `T` needs, like
    /// [`ContainerBuilder::build_for`]. Overrides the subject cannot reach
    /// are left out of the container, and so are reported by
    /// [`unused_overrides`](TestKernel::unused_overrides).
    #[track_caller]
    pub fn build_for<T: ?Sized + 'static>(&self) -> Result<Container, BuildError> {
        self.builder().build_for::<T>()
    }

    /// The overrides (registrations made in [`replace`](TestKernel::replace)
    /// and [`replace_or_add`](TestKernel::replace_or_add)) that no container
    /// built from this kernel has resolved so far, in declaration order.
    ///
    /// An override counts as used once the container asked for it: its
    /// factory ran (for a singleton or scoped fake, at its first
    /// resolution), its instance was first handed out, or its binding was
    /// resolved. Resolving a fake's implementation type directly does not
    /// use a binding that points at it.
    pub fn unused_overrides(&self) -> Vec<Node> {
        self.overrides
            .iter()
            .filter(|o| !o.used.load(Ordering::Acquire))
            .map(|o| o.reg.node)
            .collect()
    }

    /// Panics unless every override has been used (see
    /// [`unused_overrides`](TestKernel::unused_overrides)); call it at the
    /// end of a test.
    ///
    /// # Panics
    ///
    /// If some override was never resolved, with a message that lists each
    /// one with its type, lifetime and `file:line`.
    #[track_caller]
    pub fn assert_all_overrides_used(&self) {
        let unused = self.unused_overrides();
        if unused.is_empty() {
            return;
        }
        let width = unused
            .iter()
            .map(|n| n.to_string().len())
            .max()
            .unwrap_or(0);
        let mut msg = format!(
            "{} of {} override{} {} never used: nothing resolved {}, so the test no longer \
             exercises what {} replace{}:",
            unused.len(),
            self.overrides.len(),
            if self.overrides.len() == 1 { "" } else { "s" },
            if unused.len() == 1 { "was" } else { "were" },
            if unused.len() == 1 { "it" } else { "them" },
            if unused.len() == 1 { "it" } else { "they" },
            if unused.len() == 1 { "s" } else { "" },
        );
        for n in &unused {
            let label = n.to_string();
            msg.push_str(&format!("\n   {label:<width$}  registered at {}", n.site()));
        }
        msg.push_str(
            "\nRemove the stale override, or check that the subject still depends on what it \
             replaces (the production wiring may have changed).",
        );
        panic!("{msg}");
    }

    /// Runs `f` on a copy of the base (so that modules it already includes
    /// are not registered again) and keeps what `f` added: registrations
    /// (as overrides), hooks, settings and included modules.
    fn record(&mut self, mode: Mode, f: impl FnOnce(&mut ContainerBuilder)) -> &mut Self {
        let mut b = self.base.clone();
        let (regs, hooks, decorators) = (b.regs.len(), b.hooks.len(), b.decorators.len());
        match mode {
            Mode::ReplaceOrAdd => b.replacing_or_adding(f),
            _ => b.replacing(f),
        };
        self.overrides.extend(
            Arc::make_mut(&mut b.regs)
                .drain(regs..)
                .map(|reg| Override {
                    reg,
                    used: Arc::new(AtomicBool::new(false)),
                }),
        );
        self.hooks.extend(b.hooks.drain(hooks..));
        self.decorators.extend(b.decorators.drain(decorators..));
        self.base.settings = b.settings;
        self.base.modules = b.modules;
        self
    }
}

/// `reg`, changed so that producing it sets `used`: the factory is wrapped,
/// an instance becomes a factory returning it (an instance is a singleton:
/// cached after the first call either way), and a binding or element
/// becomes a factory that depends on its target and returns the target's
/// instance (the binding's caster converts it as before). Nothing on the
/// resolution path of other services changes.
fn tracked(reg: &Registration, used: &Arc<AtomicBool>) -> Registration {
    let flag = Arc::clone(used);
    let mut decls = reg.decls.clone();
    let exec = match &reg.exec {
        RegExec::Factory(f) => {
            let f = Arc::clone(f);
            let exec: Arc<ErasedFactory> = Arc::new(move |deps: &mut Deps<'_>| {
                flag.store(true, Ordering::Release);
                f(deps)
            });
            RegExec::Factory(exec)
        }
        RegExec::AsyncFactory(f) => {
            let f = Arc::clone(f);
            let exec: Arc<ErasedAsyncFactory> = Arc::new(move |deps: &mut Deps<'_>| {
                flag.store(true, Ordering::Release);
                f(deps)
            });
            RegExec::AsyncFactory(exec)
        }
        RegExec::Instance(v) => {
            let v = Arc::clone(v);
            let exec: Arc<ErasedFactory> = Arc::new(move |_: &mut Deps<'_>| {
                flag.store(true, Ordering::Release);
                Some(Arc::clone(&v))
            });
            RegExec::Factory(exec)
        }
        // A scope value is never created by the container: supplying it
        // is the test's own act, so it counts as used once registered.
        RegExec::Supplied => {
            flag.store(true, Ordering::Release);
            RegExec::Supplied
        }
        RegExec::Forward(target) => {
            decls.push(Decl {
                key: *target,
                kind: DependencyKind::Required,
            });
            // Resolved like `Exec::Forward`: the target's instance, which
            // the binding's caster converts as before.
            let exec = sync_factory(move |deps: &mut Deps<'_>| {
                flag.store(true, Ordering::Release);
                deps.next_erased()
            });
            RegExec::Factory(exec)
        }
    };
    Registration {
        decls,
        exec,
        ..reg.clone()
    }
}

impl Clone for TestKernel {
    /// A copy with the same base, fill-ins and overrides, and fresh usage
    /// flags.
    fn clone(&self) -> Self {
        TestKernel {
            base: self.base.clone(),
            fill_ins: self.fill_ins.clone(),
            overrides: self
                .overrides
                .iter()
                .map(|o| Override {
                    reg: Arc::clone(&o.reg),
                    used: Arc::new(AtomicBool::new(false)),
                })
                .collect(),
            hooks: self.hooks.clone(),
            decorators: self.decorators.clone(),
        }
    }
}

impl From<ContainerBuilder> for TestKernel {
    fn from(base: ContainerBuilder) -> Self {
        Self::new(base)
    }
}

impl fmt::Debug for TestKernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Used<'a>(&'a Override);
        impl fmt::Debug for Used<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let used = self.0.used.load(Ordering::Acquire);
                write!(
                    f,
                    "{} ({})",
                    self.0.reg.node,
                    if used { "used" } else { "unused" }
                )
            }
        }
        f.debug_struct("TestKernel")
            .field("base", &self.base.len())
            .field("fill_ins", &self.fill_ins.len())
            .field(
                "overrides",
                &self.overrides.iter().map(Used).collect::<Vec<_>>(),
            )
            .finish()
    }
}
