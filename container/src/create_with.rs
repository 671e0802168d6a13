//! [`FactoryWith::create`]: running an argument registration in the scope
//! the caller passes, through the same handle machinery as
//! [`Factory<T>`](crate::Factory) (a child actor, bounded in depth; the
//! wrong-container check).

use std::any::Any;
use std::sync::{Arc, Weak};

use crate::container::Shared;
use crate::error::{ResolveError, ResolveErrorKind};
use crate::handles::through_handle;
use crate::resolve::Ctx;
use crate::scope::Scope;
use crate::with_args::{FactoryWith, Prepared};

impl<A: 'static, T: Send + Sync + 'static> FactoryWith<A, T> {
    /// Creates a new `T` from `args` and its dependencies, resolved in
    /// `scope`: its scoped dependencies are that scope's instances.
    ///
    /// # Errors
    ///
    /// [`WrongContainer`](ResolveErrorKind::WrongContainer) if `scope` is
    /// not of this handle's container;
    /// [`Factory`](ResolveErrorKind::Factory) if a fallible factory failed;
    /// [`AsyncRequired`](ResolveErrorKind::AsyncRequired) if the factory
    /// (or a dependency) is async (use `create_async`); otherwise those of
    /// [`Scope::resolve`]. Every error names the registration.
    pub fn create(&self, scope: &Scope, args: A) -> Result<Arc<T>, ResolveError> {
        through_handle(self.node, || {
            self.check_scope(scope)?;
            let prepared = scope.ctx()?.resolve_as::<Prepared<A, T>>(self.idx)?;
            prepared.run_sync(args, self.node)
        })
    }

    /// Creates a new `T` from `args` without a scope, from the root: for a
    /// `T` whose dependencies are all singletons or transients. A scoped
    /// dependency is [`ScopedFromRoot`](ResolveErrorKind::ScopedFromRoot).
    pub fn create_unscoped(&self, args: A) -> Result<Arc<T>, ResolveError> {
        through_handle(self.node, || {
            let root = upgrade(&self.root)?;
            let cx = Ctx::root(&root);
            cx.check_open()?;
            let prepared = cx.resolve_as::<Prepared<A, T>>(self.idx)?;
            prepared.run_sync(args, self.node)
        })
    }

    pub(crate) fn check_scope(&self, scope: &Scope) -> Result<(), ResolveError> {
        if std::ptr::addr_eq(self.root.as_ptr(), Arc::as_ptr(&scope.shared.root)) {
            Ok(())
        } else {
            Err(ResolveError::new(ResolveErrorKind::WrongContainer))
        }
    }
}

pub(crate) fn upgrade(root: &Weak<dyn Any + Send + Sync>) -> Result<Arc<Shared>, ResolveError> {
    root.upgrade()
        .and_then(|r| r.downcast::<Shared>().ok())
        .ok_or_else(|| ResolveError::new(ResolveErrorKind::ContainerDropped))
}
