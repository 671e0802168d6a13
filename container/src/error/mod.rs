//! [`BuildError`] (the graph is wrong) and [`ResolveError`] (a resolution failed).

mod build;
mod resolve;

pub use build::{BuildError, Problem};
pub(crate) use resolve::write_causes;
pub use resolve::{ResolveError, ResolveErrorKind};

/// How a service depends on another, as declared by a factory argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DependencyKind {
    /// `Arc<T>`: required.
    Required,
    /// `Option<Arc<T>>`: used when registered.
    Optional,
    /// [`Lazy<T>`](crate::Lazy): resolved on first use; still held.
    Lazy,
    /// [`Factory<T>`](crate::Factory): creates `T` on demand; not held.
    Factory,
    /// `Vec<Arc<T>>`: every element registered with `collect`.
    Collection,
    /// [`ScopeFactory`](crate::ScopeFactory): opens scopes; holds nothing.
    ScopeFactory,
}

impl DependencyKind {
    pub(crate) fn wrap(self, name: &str) -> String {
        if crate::key::is_self_named(name) {
            // `Keyed<K, T>` and `FactoryWith<A, T>` are taken as themselves.
            return match self {
                DependencyKind::Optional => format!("Option<{name}>"),
                _ => name.to_owned(),
            };
        }
        match self {
            DependencyKind::Required => format!("Arc<{name}>"),
            DependencyKind::Optional => format!("Option<Arc<{name}>>"),
            DependencyKind::Lazy => format!("Lazy<{name}>"),
            DependencyKind::Factory => format!("Factory<{name}>"),
            DependencyKind::Collection => format!("Vec<Arc<{name}>>"),
            DependencyKind::ScopeFactory => "ScopeFactory".to_owned(),
        }
    }
}
