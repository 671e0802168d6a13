//! Fill-ins: [`ContainerBuilder::defaults`] and
//! [`ContainerBuilder::bind_instance`].

use std::sync::Arc;

use crate::builder::{ContainerBuilder, RegExec, Registration, node};
use crate::erased::{Erased, Typed};
use crate::inject::Caster;
use crate::key::Key;
use crate::lifetime::Lifetime;
use crate::node::Role;

/// A tuple of types registered with their [`Default`] values by
/// [`ContainerBuilder::defaults`]: `(A,)`, `(A, B)`, ... up to 12 types.
///
/// Each type must be `Default + Send + Sync + 'static`.
pub trait Defaults {
    /// Registers `T::default()` as a singleton for every type of the tuple.
    #[doc(hidden)]
    #[track_caller]
    fn register_defaults(b: &mut ContainerBuilder);
}

macro_rules! impl_defaults {
    ($($A:ident),*) => {
        impl<$($A: Default + Send + Sync + 'static),*> Defaults for ($($A,)*) {
            #[allow(unused_variables)]
            #[track_caller]
            fn register_defaults(b: &mut ContainerBuilder) {
                $(b.singleton($A::default);)*
            }
        }
    };
}

crate::macros::all_tuples!(impl_defaults);

impl ContainerBuilder {
    /// Registers the [`Default`] value of every type in the tuple `T` as a
    /// singleton: the one-line way for a test to provide dependencies it
    /// does not care about. For another lifetime, register
    /// `A::default` as a factory: `b.scoped(A::default)`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tenure::Container;
    ///
    /// #[derive(Default)] struct Config { retries: u32 }
    /// #[derive(Default)] struct Metrics;
    /// struct Importer { cfg: Arc<Config>, _metrics: Arc<Metrics> }
    ///
    /// let c = Container::builder()
    ///     .defaults::<(Config, Metrics)>()
    ///     .singleton(|cfg: Arc<Config>, _metrics: Arc<Metrics>| Importer { cfg, _metrics })
    ///     .build()?;
    /// assert_eq!(c.resolve::<Importer>()?.cfg.retries, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn defaults<T: Defaults>(&mut self) -> &mut Self {
        T::register_defaults(self);
        self
    }

    /// Registers a ready `Arc<D>` as the singleton served for `D`, which is
    /// usually a `dyn Trait`: a fake or a null object for a trait, with no
    /// implementation type registered and no [`bind`](Self::bind) needed.
    /// The caller keeps its own clone, to inspect the fake afterwards.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use tenure::Container;
    ///
    /// trait Mailer: Send + Sync { fn send(&self, to: &str); }
    /// #[derive(Default)]
    /// struct FakeMailer { sent: Mutex<Vec<String>> }
    /// impl Mailer for FakeMailer {
    ///     fn send(&self, to: &str) { self.sent.lock().unwrap().push(to.to_owned()); }
    /// }
    ///
    /// let fake = Arc::new(FakeMailer::default());
    /// let c = Container::builder().bind_instance::<dyn Mailer>(fake.clone()).build()?;
    /// c.resolve::<dyn Mailer>()?.send("ada@example.com");
    /// assert_eq!(*fake.sent.lock().unwrap(), ["ada@example.com"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn bind_instance<D: ?Sized + Send + Sync + 'static>(&mut self, value: Arc<D>) -> &mut Self {
        let key = Key::of::<D>();
        // Erased values are `Arc<Sized>`, so the trait object travels boxed
        // in one more `Arc`, and the caster unwraps it.
        let caster = Caster::<D>(Box::new(|e: Erased| {
            e.downcast::<Arc<D>>().ok().map(|a| Arc::clone(&*a))
        }));
        let mode = self.mode;
        self.push(Registration {
            key,
            node: node(key, Role::Service(Lifetime::Singleton)),
            lifetime: Lifetime::Singleton,
            decls: Vec::new(),
            exec: RegExec::Instance(Arc::new(value)),
            caster: Arc::new(caster),
            typer: typed_boxed::<D>,
            element: false,
            mode,
            pool_max: None,
        })
    }
}

/// The typed handle of a trait object registered boxed in an `Arc`.
fn typed_boxed<D: ?Sized + Send + Sync + 'static>(e: &Erased) -> Option<Typed> {
    let inner = e.clone().downcast::<Arc<D>>().ok()?;
    Some(Box::new(Arc::clone(&*inner)))
}
