//! [`Node`]: one service as it appears in a dependency path.

use std::fmt;
use std::panic::Location;

use crate::Lifetime;

/// What kind of registration a [`Node`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Role {
    /// A service with its own factory (or ready instance) and lifetime.
    Service(Lifetime),
    /// A trait binding: `Arc<dyn Trait>` served by another registration.
    Binding,
    /// One element of a collection (`Vec<Arc<dyn Trait>>`), served by another
    /// registration.
    Element,
    /// A hook attached to a service: an async disposer or a pool reset.
    Hook,
    /// A setting of the builder about a service or a lint (a root, a
    /// request-bound mark, a lint level).
    Setting,
    /// A decorator of a service
    /// ([`decorate`](crate::ContainerBuilder::decorate)): on a path between
    /// the decorated service and the decorator's own dependencies.
    Decorator,
    /// A start or stop hook of a singleton
    /// ([`on_start`](crate::ContainerBuilder::on_start),
    /// [`on_stop`](crate::ContainerBuilder::on_stop)).
    Lifecycle,
}

impl Role {
    /// The lifetime, for a [`Role::Service`].
    pub fn lifetime(self) -> Option<Lifetime> {
        match self {
            Role::Service(l) => Some(l),
            Role::Binding
            | Role::Element
            | Role::Hook
            | Role::Setting
            | Role::Decorator
            | Role::Lifecycle => None,
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            Role::Service(l) => l.as_str(),
            Role::Binding => "binding",
            Role::Element => "element",
            Role::Hook => "hook for",
            Role::Setting => "setting",
            Role::Decorator => "decorator of",
            Role::Lifecycle => "lifecycle hook of",
        }
    }
}

/// One registration as it appears in a dependency path of a
/// [`BuildError`](crate::BuildError) or [`ResolveError`](crate::ResolveError):
/// its type, its role (lifetime) and where it was registered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Node {
    pub(crate) name: &'static str,
    pub(crate) role: Role,
    pub(crate) site: &'static Location<'static>,
}

impl Node {
    /// The full type name of the service, as `std::any::type_name` gives it.
    pub fn type_name(&self) -> &'static str {
        self.name
    }

    /// The registration's role, including its lifetime for services.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The lifetime of the service, `None` for bindings and collection elements.
    pub fn lifetime(&self) -> Option<Lifetime> {
        self.role.lifetime()
    }

    /// The `file:line:column` of the call that registered it.
    pub fn site(&self) -> &'static Location<'static> {
        self.site
    }

    /// The last path segment of the type name (`app::db::Repo` -> `Repo`).
    pub fn short_name(&self) -> &'static str {
        crate::key::short_name(self.name)
    }
}

/// `singleton `app::Helper``
impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} `{}`", self.role.label(), self.name)
    }
}

/// Writes `a -> b -> c`.
pub(crate) fn write_path(f: &mut fmt::Formatter<'_>, path: &[Node]) -> fmt::Result {
    for (i, n) in path.iter().enumerate() {
        if i > 0 {
            f.write_str(" -> ")?;
        }
        write!(f, "{n}")?;
    }
    Ok(())
}

/// Writes one `   role `name`   at file:line:col` line per distinct node.
pub(crate) fn write_sites(f: &mut fmt::Formatter<'_>, path: &[Node], indent: &str) -> fmt::Result {
    let width = path.iter().map(|n| n.to_string().len()).max().unwrap_or(0);
    let mut seen: Vec<&Node> = Vec::with_capacity(path.len());
    for n in path {
        if seen.contains(&n) {
            continue;
        }
        seen.push(n);
        let label = n.to_string();
        write!(f, "\n{indent}{label:<width$}  registered at {}", n.site)?;
    }
    Ok(())
}
