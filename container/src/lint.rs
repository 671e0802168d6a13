//! Lints: what `build()` reports beyond the hard errors ([`Lint`], [`Level`],
//! [`Warning`]), and their settings.

use std::fmt;
use std::panic::Location;

use crate::key::Key;
use crate::node::{Node, write_path, write_sites};

/// A check beyond the hard errors of `build()`: the graph works, but
/// probably not as meant. Each has a stable code, and a [`Level`] set per
/// builder with [`ContainerBuilder::lint`](crate::ContainerBuilder::lint)
/// (every lint warns by default).
///
/// | code | lint | fires when |
/// |---|---|---|
/// | `L0001` | [`HeldDisposableTransient`](Lint::HeldDisposableTransient) | a singleton or pooled service holds a transient that has an async disposer |
/// | `L0002` | [`Unused`](Lint::Unused) | a registration no declared root reaches (only once a root is declared) |
/// | `L0003` | [`RequestBoundHeld`](Lint::RequestBoundHeld) | a request-bound service can be kept by something that outlives a scope |
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Lint {
    /// `L0001`: a singleton holds, directly, through transients or through
    /// a [`Lazy`](crate::Lazy), a transient that has an async disposer.
    /// That transient is owned by the container, so its disposer runs only
    /// at [`shutdown`](crate::Container::shutdown), however short-lived it
    /// was meant to be. A pooled service holding one is worse: the scope
    /// that created the instance disposes the transient when it ends, and
    /// the pooled instance goes on using it in the next scopes.
    HeldDisposableTransient,
    /// `L0002`: a registration that nothing depends on and no root
    /// resolves: dead wiring, or a root that was not declared. Checked
    /// only when at least one root is declared
    /// ([`ContainerBuilder::root`](crate::ContainerBuilder::root)). A root
    /// reaches what it depends on by every kind of dependency (handles
    /// included), bindings their implementations, collections their
    /// elements; what a singleton resolves through a
    /// [`ScopeFactory`](crate::ScopeFactory) is invisible, so declare it a
    /// root too.
    Unused,
    /// `L0003`: a service marked request-bound
    /// ([`ContainerBuilder::request_bound`](crate::ContainerBuilder::request_bound),
    /// or `#[injectable(.., request_bound)]`) can be kept by a singleton or
    /// pooled service: a request-bound *transient* held (directly, through
    /// transients or through `Lazy`), or any request-bound service reached
    /// through a [`Factory`](crate::Factory) handle, whose instances the
    /// holder could keep in a field and use for the next request. A
    /// request-bound *scoped* service held by a singleton is a captive
    /// dependency (`T0001`) already and is not repeated here.
    RequestBoundHeld,
}

impl Lint {
    /// Every lint, in code order.
    pub const ALL: &'static [Lint] = &[
        Lint::HeldDisposableTransient,
        Lint::Unused,
        Lint::RequestBoundHeld,
    ];

    /// The stable code: `"L0001"`, ...
    pub fn code(self) -> &'static str {
        match self {
            Lint::HeldDisposableTransient => "L0001",
            Lint::Unused => "L0002",
            Lint::RequestBoundHeld => "L0003",
        }
    }

    /// Its name as written in code, for messages about its settings.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Lint::HeldDisposableTransient => "Lint::HeldDisposableTransient",
            Lint::Unused => "Lint::Unused",
            Lint::RequestBoundHeld => "Lint::RequestBoundHeld",
        }
    }

    /// What it reports, in a few words.
    pub fn title(self) -> &'static str {
        match self {
            Lint::HeldDisposableTransient => "disposable transient held by a long-lived service",
            Lint::Unused => "unused registration",
            Lint::RequestBoundHeld => "request-bound service held beyond its request",
        }
    }
}

impl fmt::Display for Lint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [{}]", self.title(), self.code())
    }
}

/// What a [`Lint`] does when it fires, set with
/// [`ContainerBuilder::lint`](crate::ContainerBuilder::lint).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Silenced. The reason is required (an empty one is a `T0006`
    /// problem): the next reader of the wiring should know why.
    Allow {
        /// Why the lint does not apply to this application.
        reason: &'static str,
    },
    /// A [`Warning`]: the build succeeds;
    /// [`Container::warnings`](crate::Container::warnings) and
    /// [`build_with_warnings`](crate::ContainerBuilder::build_with_warnings)
    /// return it. The default.
    Warn,
    /// A problem of the [`BuildError`](crate::BuildError)
    /// ([`Problem::Denied`](crate::Problem::Denied)): the build fails.
    Deny,
}

/// A lint that fired: which one, the path that shows it (each node with its
/// registration site), and what to do about it.
///
/// ```
/// use std::sync::Arc;
/// use tenure::{Container, Lint};
///
/// struct Tx;
/// struct Audit { _tx: Arc<Tx> }
///
/// let (_c, warnings) = Container::builder()
///     .transient(|| Tx)
///     .dispose_with::<Tx, _, _, std::io::Error>(|_| async { Ok(()) })
///     .singleton(|_tx: Arc<Tx>| Audit { _tx })
///     .build_with_warnings()?;
/// assert_eq!(warnings[0].lint(), Lint::HeldDisposableTransient);
/// assert_eq!(warnings[0].path()[0].short_name(), "Audit");
/// println!("{}", warnings[0]); // the path, the sites, the fix
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub(crate) lint: Lint,
    pub(crate) path: Vec<Node>,
    /// The explanation and the fix.
    pub(crate) advice: String,
}

impl Warning {
    /// The lint that fired.
    pub fn lint(&self) -> Lint {
        self.lint
    }

    /// Its code (`"L0001"`, ...).
    pub fn code(&self) -> &'static str {
        self.lint.code()
    }

    /// From the holder to what it should not hold (for
    /// [`Unused`](Lint::Unused), the unused registration alone).
    pub fn path(&self) -> &[Node] {
        &self.path
    }

    /// What it means and how to fix it (the text after the path).
    pub fn advice(&self) -> &str {
        &self.advice
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const IND: &str = "   ";
        write!(f, "{}: ", self.lint)?;
        write_path(f, &self.path)?;
        write!(f, ".\n{IND}{}", self.advice)?;
        write_sites(f, &self.path, IND)
    }
}

/// The lint settings of a builder: levels, request-bound services, roots.
#[derive(Clone, Default)]
pub(crate) struct LintSettings {
    /// Levels set with `lint`, in order (the last one for a lint wins),
    /// each with where it was set.
    pub(crate) levels: Vec<(Lint, Level, &'static Location<'static>)>,
    /// Services marked request-bound, each with where.
    pub(crate) request_bound: Vec<(Key, &'static Location<'static>)>,
    /// Declared roots, each with where.
    pub(crate) roots: Vec<(Key, &'static Location<'static>)>,
}

impl LintSettings {
    /// The level of `lint` ([`Level::Warn`] unless set).
    pub(crate) fn level(&self, lint: Lint) -> Level {
        self.levels
            .iter()
            .rev()
            .find(|(l, ..)| *l == lint)
            .map_or(Level::Warn, |(_, level, _)| *level)
    }

    /// Whether `lint` is checked at all.
    pub(crate) fn on(&self, lint: Lint) -> bool {
        !matches!(self.level(lint), Level::Allow { .. })
    }
}
