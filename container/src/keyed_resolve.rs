//! Resolving keyed services by key: [`Container::resolve_keyed`] and
//! [`Scope::resolve_keyed`] (the async forms are in `asynch`).

use std::sync::Arc;

use crate::container::Container;
use crate::error::ResolveError;
use crate::keyed::key_of;
use crate::scope::Scope;

impl Container {
    /// Resolves the service `T` registered under the key `K` (with
    /// [`keyed`](crate::ContainerBuilder::keyed)) from the root, by the
    /// rules of [`resolve`](Container::resolve).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tenure::Container;
    ///
    /// struct Primary;
    /// struct Replica;
    /// struct Db(&'static str);
    ///
    /// let c = Container::builder()
    ///     .keyed::<Primary>().singleton(|| Db("primary"))
    ///     .keyed::<Replica>().singleton(|| Db("replica"))
    ///     .build()?;
    /// let (p, r) = (c.resolve_keyed::<Primary, Db>()?, c.resolve_keyed::<Replica, Db>()?);
    /// assert_eq!((p.0, r.0), ("primary", "replica"));
    /// assert!(Arc::ptr_eq(&p, &c.resolve_keyed::<Primary, Db>()?)); // one singleton per key
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`NotRegistered`](crate::ResolveErrorKind::NotRegistered) if nothing
    /// is registered under `K` for `T`, with the keys that are; otherwise
    /// those of [`resolve`](Container::resolve).
    pub fn resolve_keyed<K: 'static, T: ?Sized + Send + Sync + 'static>(
        &self,
    ) -> Result<Arc<T>, ResolveError> {
        let idx = self.shared.plan.lookup_key(key_of::<K, T>())?;
        self.resolve_at::<T>(idx)
    }

    /// Whether `T` is registered under the key `K`.
    pub fn contains_keyed<K: 'static, T: ?Sized + 'static>(&self) -> bool {
        self.shared.plan.index.contains_key(&key_of::<K, T>().id)
    }
}

impl Scope {
    /// Resolves the service `T` registered under the key `K` in this scope,
    /// by the rules of [`resolve`](Scope::resolve).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tenure::Container;
    ///
    /// struct Tenant;
    /// struct Conn(u32);
    ///
    /// let c = Container::builder().keyed::<Tenant>().scoped(|| Conn(7)).build()?;
    /// let scope = c.scope();
    /// let a = scope.resolve_keyed::<Tenant, Conn>()?;
    /// assert!(Arc::ptr_eq(&a, &scope.resolve_keyed::<Tenant, Conn>()?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Container::resolve_keyed`].
    pub fn resolve_keyed<K: 'static, T: ?Sized + Send + Sync + 'static>(
        &self,
    ) -> Result<Arc<T>, ResolveError> {
        let idx = self.shared.root.plan.lookup_key(key_of::<K, T>())?;
        self.resolve_at::<T>(idx)
    }
}
