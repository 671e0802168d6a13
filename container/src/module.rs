//! [`Module`]: a named, reusable piece of wiring.

use std::any::TypeId;

use crate::builder::ContainerBuilder;

/// A reusable piece of wiring: a library crate exports one (or a few), and
/// the application's composition root [`include`](ContainerBuilder::include)s
/// them.
///
/// A module may include other modules from its `register`. Including the
/// same module more than once (directly, or because two modules both include
/// it) registers it once, so a module can include what it needs without
/// knowing who else does.
///
/// ```
/// use std::sync::Arc;
/// use tenure::{Container, ContainerBuilder, Module};
///
/// struct Pool;
/// struct Accounts { pool: Arc<Pool> }
/// struct Billing { pool: Arc<Pool> }
///
/// /// The database layer, shared by every feature module.
/// struct DbModule;
/// impl Module for DbModule {
///     fn register(&self, b: &mut ContainerBuilder) {
///         b.singleton(|| Pool);
///     }
/// }
///
/// struct AccountsModule;
/// impl Module for AccountsModule {
///     fn register(&self, b: &mut ContainerBuilder) {
///         b.include(DbModule).scoped(|pool: Arc<Pool>| Accounts { pool });
///     }
/// }
///
/// struct BillingModule;
/// impl Module for BillingModule {
///     fn register(&self, b: &mut ContainerBuilder) {
///         b.include(DbModule).scoped(|pool: Arc<Pool>| Billing { pool });
///     }
/// }
///
/// // `DbModule` is included twice and registered once (no duplicate `Pool`).
/// let c = Container::builder().include(AccountsModule).include(BillingModule).build()?;
/// let scope = c.scope();
/// assert!(Arc::ptr_eq(&scope.resolve::<Accounts>()?.pool, &scope.resolve::<Billing>()?.pool));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Identity
///
/// A module is identified by its **type**. Including a second value of a
/// type already included does nothing, whatever the value's fields hold: the
/// first one wins. So:
///
/// - a module with no fields (the common case) behaves exactly as expected;
/// - configuration that varies between deployments does not belong in a
///   module's fields: register it at the composition root with
///   [`instance`](ContainerBuilder::instance) (where a second, different
///   one is a duplicate registration, reported by `build`), and let the
///   module's factories depend on it;
/// - if two configurations of one module must both be registered, make them
///   different types (e.g. a generic marker parameter, `CacheModule<Users>`
///   and `CacheModule<Sessions>`), which also gives their services different
///   types.
///
/// There is deliberately no implementation of `Module` for closures or
/// `fn(&mut ContainerBuilder)`: every function pointer (and every boxed
/// closure) has the same type, so identity by type would silently drop all
/// but the first.
pub trait Module: 'static {
    /// Adds this module's registrations (and included modules) to `b`.
    fn register(&self, b: &mut ContainerBuilder);
}

impl ContainerBuilder {
    /// Includes `module`: runs its [`register`](Module::register) unless a
    /// module of the same type has already been included in this builder
    /// (see [`Module`] for what identity means).
    ///
    /// The module is marked as included *before* it registers, so modules
    /// that include each other terminate. Registrations made by the module
    /// follow the current mode: a module included inside
    /// [`replacing`](ContainerBuilder::replacing) replaces.
    pub fn include<M: Module>(&mut self, module: M) -> &mut Self {
        self.include_ref(&module)
    }

    pub(crate) fn include_ref<M: Module>(&mut self, module: &M) -> &mut Self {
        let id = TypeId::of::<M>();
        if !self.modules.contains(&id) {
            self.modules.push(id);
            module.register(self);
        }
        self
    }

    /// Whether a module of type `M` has been included in this builder.
    pub fn includes<M: Module>(&self) -> bool {
        self.modules.contains(&TypeId::of::<M>())
    }
}
