//! [`BuildError`] (the graph is wrong) and [`ResolveError`] (a resolution failed).

use std::error::Error as StdError;
use std::fmt;
use std::panic::Location;

use crate::Lifetime;
use crate::node::{Node, Role, write_path, write_sites};

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

/// One problem found by [`ContainerBuilder::build`](crate::ContainerBuilder::build).
///
/// Every problem has a stable [`code`](Problem::code) and a
/// [`Display`](fmt::Display) that names the path, each node's lifetime and
/// registration site, and a way to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// `T0001`: a service holds, directly or through transients, a service
    /// that lives shorter than itself. `path[0]` is the holder, the last node
    /// the captive service, the nodes between are transparent (transients,
    /// bindings, collection elements).
    Captive {
        /// From the holder to the captive service.
        path: Vec<Node>,
    },
    /// `T0002`: a dependency that is not registered. Also a decorator
    /// ([`decorate`](crate::ContainerBuilder::decorate)) of a type that is
    /// not registered: it "decorates nothing", its `requester` is the
    /// decorator ([`Role::Decorator`]) and its `dependency` the decorated
    /// type.
    Missing {
        /// The registration that declares the dependency.
        requester: Node,
        /// The type name of the missing service.
        dependency: &'static str,
        /// How it is depended on.
        kind: DependencyKind,
        /// Registered services that look like what was meant, best first
        /// (a registration of `Arc<T>` or `Result<T, E>` for a missing `T`
        /// first of all).
        did_you_mean: Vec<String>,
    },
    /// `T0003`: services that depend on each other in a circle. The first
    /// node is repeated at the end.
    Cycle {
        /// The cycle, `A -> B -> A`.
        path: Vec<Node>,
    },
    /// `T0004`: the same service registered twice without `replacing`.
    Duplicate {
        /// The first registration.
        first: Node,
        /// The second registration.
        second: Node,
    },
    /// `T0005`: a registration inside
    /// [`replacing`](crate::ContainerBuilder::replacing) replaces nothing.
    ReplacesNothing {
        /// The replacing registration.
        replacement: Node,
        /// The registrations that need it (depend on it, bind to it, hook
        /// into it), in registration order. Since it is not registered,
        /// they would each be a missing dependency; those knock-on problems
        /// are reported here, under their cause, rather than on their own.
        needed_by: Vec<Node>,
    },
    /// `T0006`: a registration or hook that cannot work as configured (a
    /// service registered as `Arc<T>` or `Result<T, E>` where `T` was meant,
    /// a disposer for an unregistered type, a reset hook on a service that
    /// is not pooled, a pool of size 0, ...).
    Misconfigured {
        /// The registration or hook.
        node: Node,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// A lint whose level is [`Deny`](crate::Level::Deny) fired; its code
    /// is the lint's (`L0001`, ...). See [`Lint`](crate::Lint).
    Denied {
        /// The lint, its path and advice.
        warning: crate::lint::Warning,
    },
    /// `T0007`: the subject of a subject-only build
    /// ([`build_for`](crate::ContainerBuilder::build_for)) is not registered.
    SubjectNotRegistered {
        /// The type name of the subject.
        subject: &'static str,
        /// Where `build_for` was called.
        requested_at: &'static Location<'static>,
        /// Registered services that look like what was meant, best first.
        did_you_mean: Vec<String>,
    },
}

impl Problem {
    /// The stable code of this kind of problem (`"T0001"` for captive, ...).
    pub fn code(&self) -> &'static str {
        match self {
            Problem::Captive { .. } => "T0001",
            Problem::Missing { .. } => "T0002",
            Problem::Cycle { .. } => "T0003",
            Problem::Duplicate { .. } => "T0004",
            Problem::ReplacesNothing { .. } => "T0005",
            Problem::Misconfigured { .. } => "T0006",
            Problem::SubjectNotRegistered { .. } => "T0007",
            Problem::Denied { warning } => warning.code(),
        }
    }

    /// The path for captive and cycle problems and denied lints (empty for
    /// others).
    pub fn path(&self) -> &[Node] {
        match self {
            Problem::Captive { path } | Problem::Cycle { path } => path,
            Problem::Denied { warning } => warning.path(),
            _ => &[],
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const IND: &str = "   ";
        match self {
            Problem::Captive { path } => {
                let holder = &path[0];
                let captive = &path[path.len() - 1];
                write!(f, "captive dependency [T0001]: ")?;
                write_path(f, path)?;
                let (holder_kind, per) = (
                    match holder.lifetime() {
                        Some(Lifetime::Singleton) => "singleton",
                        Some(Lifetime::Pooled) => "pooled service",
                        Some(Lifetime::Scoped) => "scoped service",
                        _ => "service",
                    },
                    match captive.lifetime() {
                        Some(Lifetime::Scoped | Lifetime::Pooled) => "scope",
                        _ => "holder",
                    },
                );
                let (h, c) = (holder.short_name(), captive.short_name());
                write!(
                    f,
                    ".\n{IND}A {holder_kind} would keep one `{c}` alive for every {per} at once.\
                     \n{IND}Make `{h}` scoped or transient, or inject `Factory<{c}>` (it holds \
                     nothing) and create `{c}` in a scope the caller passes (a `ScopeFactory` \
                     opens one per operation)."
                )?;
                write_sites(f, path, IND)
            }
            Problem::Missing {
                requester,
                dependency,
                did_you_mean,
                ..
            } if requester.role == Role::Decorator && requester.name == *dependency => {
                write!(
                    f,
                    "missing dependency [T0002]: {requester} at {} decorates nothing: `{}` is not \
                     registered.",
                    requester.site, dependency
                )?;
                if !did_you_mean.is_empty() {
                    write!(f, "\n{IND}Did you mean {}?", did_you_mean.join(", or "))?;
                }
                write!(
                    f,
                    "\n{IND}Register `{}` (the decorator wraps its instances), or remove the \
                     decorator. A collection's elements are decorated through their \
                     implementation types.",
                    crate::key::short_name(dependency)
                )?;
                write_sites(f, std::slice::from_ref(requester), IND)
            }
            Problem::Missing {
                requester,
                dependency,
                kind,
                did_you_mean,
            } => {
                write!(
                    f,
                    "missing dependency [T0002]: {requester} needs `{}`, which is not registered.",
                    kind.wrap(dependency)
                )?;
                if !did_you_mean.is_empty() {
                    write!(f, "\n{IND}Did you mean {}?", did_you_mean.join(", or "))?;
                }
                if matches!(requester.role, Role::Binding | Role::Element) {
                    let what = match requester.role {
                        Role::Binding => "binding",
                        _ => "collection element",
                    };
                    write!(
                        f,
                        "\n{IND}A {what} serves a registered implementation: register `{}` itself \
                         as well (e.g. `.singleton(|| ...)` or `.instance(value)`). In a test \
                         override, register it next to the {what} inside `replace_or_add` (a \
                         builder's `replacing_or_adding`): `replace` only swaps registrations \
                         that exist.",
                        crate::key::short_name(dependency)
                    )?;
                } else if dependency.starts_with("dyn ") {
                    write!(
                        f,
                        "\n{IND}Bind an implementation with `.bind::<{dependency}, Impl>(|s| s)`, \
                         or take it as `Option<Arc<{dependency}>>` if it is optional."
                    )?;
                } else if dependency.starts_with("alloc::sync::Arc<") {
                    write!(
                        f,
                        "\n{IND}Factories return the service itself (`T`), not `Arc<T>`: \
                         the container wraps it. Depend on `Arc<T>`."
                    )?;
                } else if let Some((k, t)) = dependency
                    .strip_prefix(crate::key::KEYED_PREFIX)
                    .and_then(crate::key::split_pair)
                {
                    let dyn_ = if t.starts_with("dyn ") { "dyn " } else { "" };
                    let (k, t) = (crate::key::short_name(k), crate::key::short_name(t));
                    let t = format!("{dyn_}{t}");
                    write!(
                        f,
                        "\n{IND}Register `{t}` under the key (e.g. \
                         `.keyed::<{k}>().singleton(|| ...)`, or `.keyed::<{k}>().bind::<{t}, \
                         Impl>(|s| s)` for a trait), or take `Option<Keyed<{k}, {t}>>` if it is \
                         optional."
                    )?;
                } else if let Some((a, t)) = dependency
                    .strip_prefix(crate::key::WITH_ARGS_PREFIX)
                    .and_then(crate::key::split_pair)
                {
                    let (a, t) = (crate::key::short_name(a), crate::key::short_name(t));
                    write!(
                        f,
                        "\n{IND}Register `{t}` with its argument: \
                         `.transient_with(|args: {a}, ..| -> {t} {{ ... }})`."
                    )?;
                } else {
                    write!(
                        f,
                        "\n{IND}Register it (e.g. `.singleton(|| ...)` or `.instance(value)`), \
                         or take it as `Option<Arc<...>>` if it is optional."
                    )?;
                }
                write_sites(f, std::slice::from_ref(requester), IND)
            }
            Problem::Cycle { path } => {
                write!(f, "dependency cycle [T0003]: ")?;
                write_path(f, path)?;
                write!(
                    f,
                    ".\n{IND}None of these can be created first. Take one of the dependencies as \
                     `Lazy<T>` (resolved on first use) or `Factory<T>`, or move what they share \
                     into a service of its own."
                )?;
                write_sites(f, path, IND)
            }
            Problem::Duplicate { first, second } => {
                write!(
                    f,
                    "duplicate registration [T0004]: `{}` is registered twice.\n{IND}Remove one; \
                     to swap an implementation on purpose (e.g. in a test), register the new one \
                     inside `builder.replacing(|b| ...)`.",
                    first.name
                )?;
                write_sites(f, &[*first, *second], IND)
            }
            Problem::ReplacesNothing {
                replacement,
                needed_by,
            } => {
                write!(
                    f,
                    "replacement of an unregistered service [T0005]: {replacement} replaces \
                     nothing"
                )?;
                if needed_by.is_empty() {
                    write!(
                        f,
                        ".\n{IND}Check the type (a typo, or the production wiring changed), or \
                         register it inside `replacing_or_adding` (a test kernel's \
                         `replace_or_add`) if the test means to add it."
                    )?;
                } else {
                    write!(f, ", so it is not registered, and ")?;
                    for (i, n) in needed_by.iter().enumerate() {
                        match i {
                            0 => {}
                            _ if i + 1 == needed_by.len() => f.write_str(" and ")?,
                            _ => f.write_str(", ")?,
                        }
                        write!(f, "{n}")?;
                    }
                    write!(
                        f,
                        " need{} it (not reported separately).\n{IND}`replace` only swaps \
                         registrations that exist. To add `{}` (a fake's own type, next to the \
                         binding that points at it), register it inside `replace_or_add` (a \
                         builder's `replacing_or_adding`); otherwise check the type (a typo, or \
                         the production wiring changed).",
                        if needed_by.len() == 1 { "s" } else { "" },
                        replacement.short_name()
                    )?;
                }
                let mut nodes = vec![*replacement];
                nodes.extend(needed_by.iter().copied());
                write_sites(f, &nodes, IND)
            }
            Problem::Denied { warning } => write!(
                f,
                "{warning}\n{IND}(denied: `builder.lint(Lint::{:?}, Level::Deny)`)",
                warning.lint()
            ),
            Problem::Misconfigured { node, reason } => {
                write!(f, "misconfigured [T0006]: {node}: {reason}")?;
                write_sites(f, std::slice::from_ref(node), IND)
            }
            Problem::SubjectNotRegistered {
                subject,
                requested_at,
                did_you_mean,
            } => {
                write!(
                    f,
                    "subject not registered [T0007]: a subject-only build asks for `{subject}`, \
                     which is not registered."
                )?;
                if !did_you_mean.is_empty() {
                    write!(f, "\n{IND}Did you mean {}?", did_you_mean.join(", or "))?;
                }
                write!(
                    f,
                    "\n{IND}Register it (or include the module that does), or build for the type \
                     that is registered.\n{IND}requested at {requested_at}"
                )
            }
        }
    }
}

/// The container's graph is invalid. Returned by
/// [`ContainerBuilder::build`](crate::ContainerBuilder::build) with *every*
/// problem found, before any factory has run.
///
/// ```
/// use std::sync::Arc;
/// use tenure::Container;
///
/// struct Session;
/// struct Helper(Arc<Session>);
///
/// let err = Container::builder()
///     .scoped(|| Session)
///     .singleton(|s: Arc<Session>| Helper(s))
///     .build()
///     .unwrap_err();
/// assert_eq!(err.problems().len(), 1);
/// assert!(err.to_string().contains("captive dependency"));
/// ```
///
/// Its [`Debug`](fmt::Debug) is the same report as its
/// [`Display`](fmt::Display), so `.unwrap()`, `.expect(..)` and a `main`
/// that returns `Result<(), Box<dyn Error>>` print something readable;
/// `{:#?}` prints the structure ([`problems`](BuildError::problems)).
#[derive(Clone, PartialEq, Eq)]
pub struct BuildError {
    pub(crate) problems: Vec<Problem>,
}

impl BuildError {
    /// Every problem found, in a stable order: duplicates and replacements
    /// of nothing, wrappers registered by mistake, missing dependencies and
    /// other misconfigurations, cycles, captive dependencies, then denied
    /// lints, each in registration order. What only follows from another problem (a
    /// binding to a replacement of nothing) is reported under it.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// Consumes the error, returning its problems.
    pub fn into_problems(self) -> Vec<Problem> {
        self.problems
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "{n} problem{} in the container:",
            if n == 1 { "" } else { "s" }
        )?;
        for (i, p) in self.problems.iter().enumerate() {
            let text = p.to_string();
            write!(f, "\n{}. {}", i + 1, text)?;
        }
        Ok(())
    }
}

/// The report (as [`Display`](fmt::Display)); `{:#?}` prints the
/// structure.
impl fmt::Debug for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            f.debug_struct("BuildError")
                .field("problems", &self.problems)
                .finish()
        } else {
            fmt::Display::fmt(self, f)
        }
    }
}

impl StdError for BuildError {}

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
