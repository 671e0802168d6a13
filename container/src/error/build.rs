//! [`BuildError`]: the graph is wrong, with every problem found.

use std::error::Error as StdError;
use std::fmt;
use std::panic::Location;

use crate::Lifetime;
use crate::node::{Node, Role, write_path, write_sites};

use super::DependencyKind;

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
