//! [`ResolveError`]: a resolution failed, and where.

use std::error::Error as StdError;
use std::fmt;

use crate::node::{Node, write_path, write_sites};

use super::DependencyKind;

/// Why a resolution failed. See [`ResolveError::kind`].
#[derive(Debug)]
#[non_exhaustive]
pub enum ResolveErrorKind {
    /// The requested type is not registered in this container.
    NotRegistered {
        /// The requested type.
        service: &'static str,
        /// The call that was meant, if the request had the wrong shape
        /// (`Arc<T>`, `Vec<Arc<dyn T>>`), then registered services that
        /// look like what was meant, best first.
        did_you_mean: Vec<String>,
    },
    /// A scoped service was requested outside a scope (from the container
    /// itself, or through a singleton).
    ScopedFromRoot,
    /// A factory returned an error; it is the [`source`](StdError::source).
    Factory(anyhow::Error),
    /// A factory resolved, through some handle, the service it is creating,
    /// or a service that another thread or task is creating while it waits
    /// for this one (a wait cycle), or handles nested deeper than 64
    /// resolutions (a service creating itself through a handle).
    Reentrant,
    /// The scope has ended: its `dispose()` has started (or, for a
    /// [`Lazy`](crate::Lazy) handle, the scope it came from was dropped). A
    /// scope that has ended serves nothing, not even instances it cached.
    ScopeEnded,
    /// The container has been shut down (`shutdown()` has started): it
    /// resolves nothing more, from the root, any scope or any handle.
    ShutDown,
    /// A scope value ([`scope_value`](crate::ContainerBuilder::scope_value))
    /// that this scope was not given: supply it with
    /// [`Scope::provide`](crate::Scope::provide) when the scope opens.
    NotSupplied,
    /// [`Scope::provide`](crate::Scope::provide) was given a type that is
    /// not declared with
    /// [`scope_value`](crate::ContainerBuilder::scope_value), or a value
    /// the scope already has.
    CannotSupply {
        /// The type supplied.
        service: &'static str,
        /// Why it was refused.
        reason: &'static str,
    },
    /// Not attempted: a service it needs failed earlier in the same
    /// warm-up, and is its cause (each service is tried once per warm-up).
    DependencyFailed {
        /// The service whose failure is the cause.
        cause: Node,
    },
    /// The [`Container`](crate::Container) a handle came from has been dropped.
    ContainerDropped,
    /// A [`Factory`](crate::Factory) was given a scope of another container.
    WrongContainer,
    /// The service needs an async factory that has not run yet: resolve it
    /// with `resolve_async().await` (or create singletons at startup with
    /// `warm_up_async().await`).
    AsyncRequired,
    /// Every instance of a pooled service is rented, and a sync resolution
    /// does not wait (`resolve_async` does).
    PoolExhausted {
        /// The pool's size.
        max: usize,
    },
    /// A transient with an async disposer was resolved from the root, where
    /// nothing would await its disposal: resolve it from a scope.
    UntrackedDisposable,
}

/// A resolution failed: the service is not registered, needs a scope, its
/// factory failed, ...
///
/// [`path`](ResolveError::path) is the chain from what was asked for down to
/// where it failed; a factory's own error is the
/// [`source`](std::error::Error::source).
pub struct ResolveError(Box<Inner>);

struct Inner {
    kind: ResolveErrorKind,
    /// The path, innermost first (built on the way out: pushing is O(1)).
    rev: Vec<Node>,
    /// The path outermost first, made on the first call to `path`.
    ordered: std::sync::OnceLock<Vec<Node>>,
}

impl ResolveError {
    pub(crate) fn new(kind: ResolveErrorKind) -> Self {
        ResolveError(Box::new(Inner {
            kind,
            rev: Vec::new(),
            ordered: std::sync::OnceLock::new(),
        }))
    }

    pub(crate) fn at(kind: ResolveErrorKind, node: Node) -> Self {
        ResolveError::new(kind).within(node)
    }

    /// Records that the failure happened while creating `node` (called on
    /// the way out, innermost first).
    pub(crate) fn within(mut self, node: Node) -> Self {
        if self.0.rev.last() != Some(&node) {
            self.0.rev.push(node);
            self.0.ordered = std::sync::OnceLock::new();
        }
        self
    }

    /// Names the service a handle-level error is about, if nothing on the
    /// path does yet.
    pub(crate) fn about(self, node: Option<Node>) -> Self {
        match node {
            Some(n) if self.0.rev.is_empty() => self.within(n),
            _ => self,
        }
    }

    /// The innermost node of the path: where it failed.
    pub(crate) fn innermost(&self) -> Option<Node> {
        self.0.rev.first().copied()
    }

    /// What went wrong.
    pub fn kind(&self) -> &ResolveErrorKind {
        &self.0.kind
    }

    /// From the requested service down to the one that failed.
    pub fn path(&self) -> &[Node] {
        self.0
            .ordered
            .get_or_init(|| self.0.rev.iter().rev().copied().collect())
    }

    /// The service that failed (the last node of the path), if known.
    pub fn service(&self) -> Option<&Node> {
        self.0.rev.first()
    }
}

/// The message (as [`Display`](fmt::Display)), then, when the path has
/// more than one node, one line per node with its registration site, then
/// one `caused by: ...` line per error in the [`source`](StdError::source)
/// chain, so `.unwrap()` and `?` out of `main` show where each service on
/// the path was registered and why a factory failed; `{:#?}` prints the
/// structure ([`kind`](ResolveError::kind) and [`path`](ResolveError::path)).
impl fmt::Debug for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            return f
                .debug_struct("ResolveError")
                .field("kind", &self.0.kind)
                .field("path", &self.path())
                .finish();
        }
        write!(f, "{self}")?;
        let path = self.path();
        if path.len() > 1 {
            write_sites(f, path, "   ")?;
        }
        write_causes(f, self, "   ")
    }
}

/// Writes one `caused by: ...` line per error in `err`'s source chain.
pub(crate) fn write_causes(
    f: &mut fmt::Formatter<'_>,
    err: &dyn StdError,
    indent: &str,
) -> fmt::Result {
    let mut src = err.source();
    while let Some(s) = src {
        write!(f, "\n{indent}caused by: {s}")?;
        src = s.source();
    }
    Ok(())
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path();
        let last = path.last();
        let name = last.map_or("?", |n| n.name);
        let included = last.map_or_else(String::new, |n| format!(", `{}` included", n.name));
        match &self.0.kind {
            ResolveErrorKind::NotRegistered {
                service,
                did_you_mean,
            } => {
                write!(f, "`{service}` is not registered in this container")?;
                if !did_you_mean.is_empty() {
                    write!(f, "; did you mean {}?", did_you_mean.join(", or "))?;
                }
            }
            ResolveErrorKind::ScopedFromRoot => write!(
                f,
                "scoped `{name}` can only be resolved inside a scope: open one with \
                 `container.scope()` and resolve from the scope"
            )?,
            ResolveErrorKind::Factory(_) => write!(
                f,
                "the factory of {} failed",
                last.map_or_else(|| "?".to_owned(), |n| n.to_string())
            )?,
            ResolveErrorKind::Reentrant => write!(
                f,
                "re-entrant resolution: `{name}` was asked for, through a handle, while its own \
                 creation waits for the asking factory (on this thread or another), which would \
                 deadlock; take the dependency as `Lazy<T>` and use it after construction"
            )?,
            ResolveErrorKind::ScopeEnded => write!(
                f,
                "the scope has ended (its `dispose()` started, or it was dropped), so it \
                 serves nothing more{included}; resolve from a live scope (open one per \
                 request or unit of work)"
            )?,
            ResolveErrorKind::ShutDown => write!(
                f,
                "the container has been shut down (`shutdown()` started), so it resolves \
                 nothing more{included}; resolve before shutting down, or build a new \
                 container"
            )?,
            ResolveErrorKind::NotSupplied => write!(
                f,
                "scope value `{name}` was not supplied to this scope: the code that opens the \
                 scope supplies it with `scope.provide(value)` (with the axum layer, through \
                 its `provide` closures) before anything that needs it is resolved"
            )?,
            ResolveErrorKind::CannotSupply { service, reason } => {
                write!(f, "cannot supply `{service}` to this scope: {reason}")?
            }
            ResolveErrorKind::DependencyFailed { cause } => write!(
                f,
                "`{name}` was not created: it needs {cause}, which failed earlier in this \
                 warm-up (see that failure) [{} registered at {}]",
                cause.name, cause.site
            )?,
            ResolveErrorKind::ContainerDropped => match last {
                Some(n) => write!(
                    f,
                    "the container a handle to `{}` came from has been dropped; keep a \
                     `Container` handle alive while its services run",
                    n.name
                )?,
                None => write!(
                    f,
                    "the container this `ScopeFactory` came from has been dropped; keep a \
                     `Container` handle alive while its services run"
                )?,
            },
            ResolveErrorKind::AsyncRequired => {
                let life = last.and_then(|n| n.lifetime());
                write!(
                    f,
                    "{} has an async factory and ",
                    last.map_or_else(|| "the service".to_owned(), |n| n.to_string())
                )?;
                if life == Some(crate::lifetime::Lifetime::Singleton) {
                    write!(
                        f,
                        "has not been created yet, so a sync `resolve` cannot provide it: \
                         resolve with `resolve_async().await`, or create the singletons at \
                         startup with `container.warm_up_async().await`"
                    )?
                } else {
                    write!(
                        f,
                        "is created per {}, so a sync `resolve` cannot provide it: resolve with \
                         `resolve_async().await` (e.g. inside `run_scoped`)",
                        if life == Some(crate::lifetime::Lifetime::Transient) {
                            "resolution"
                        } else {
                            "scope"
                        }
                    )?
                }
            }
            ResolveErrorKind::PoolExhausted { max } => write!(
                f,
                "all {max} instances of pooled `{name}` are rented; a sync `resolve` does not \
                 wait: use `resolve_async().await` to wait for one, or raise the pool size"
            )?,
            ResolveErrorKind::UntrackedDisposable => write!(
                f,
                "transient `{name}` has an async disposer, and nothing would await it from the \
                 root: resolve it from a scope, which disposes it with `dispose().await`"
            )?,
            ResolveErrorKind::WrongContainer => write!(
                f,
                "`{}` was given a scope of another container; pass a scope of the \
                 container that created the handle",
                DependencyKind::Factory.wrap(name)
            )?,
        }
        if path.len() > 1 {
            f.write_str(" (while resolving ")?;
            write_path(f, path)?;
            f.write_str(")")?;
        }
        if let Some(n) = last {
            write!(f, " [{} registered at {}]", n.name, n.site)?;
        }
        Ok(())
    }
}

impl StdError for ResolveError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match &self.0.kind {
            ResolveErrorKind::Factory(e) => Some(e.as_ref()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BuildError;

    fn assert_send_sync<T: Send + Sync + 'static>() {}

    #[test]
    fn errors_are_send_sync() {
        assert_send_sync::<BuildError>();
        assert_send_sync::<ResolveError>();
        assert_eq!(
            std::mem::size_of::<ResolveError>(),
            std::mem::size_of::<usize>()
        );
    }
}
