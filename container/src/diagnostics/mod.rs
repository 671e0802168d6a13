//! Seeing the wiring: [`Description`] (a table of the services), [`Diagram`]
//! (Graphviz DOT and Mermaid), lints ([`Lint`], [`Warning`]) and their
//! settings, and [`LeakReport`] (instances that outlived their scope).
//!
//! Nothing here is on a resolution path: a description is made from the
//! registrations (a builder's, or those a container was built from), the
//! lints run inside `build()`, and the leak report reads the instance
//! census that [`track_instances`](ContainerBuilder::track_instances) keeps.

mod describe;
mod graph;
mod leaks;
mod render;

pub use describe::{Dependency, DependencyTarget, Description, MadeBy, ServiceRow};
pub use graph::Diagram;
pub use leaks::{LeakReport, LeakRow};

use std::panic::Location;

use crate::builder::ContainerBuilder;
use crate::container::Container;
use crate::error::BuildError;
use crate::key::Key;
use crate::lint::{Level, Lint, Warning};

impl ContainerBuilder {
    /// Describes the registrations in effect, one row per service, whether
    /// or not they would build: dependencies are linked by type, and what
    /// is not registered is shown missing. See [`Description`].
    pub fn describe(&self) -> Description {
        Description::of(self)
    }

    /// Sets what `lint` does when it fires: [`Level::Warn`] (the default),
    /// [`Level::Deny`] (a problem: `build()` fails), or
    /// [`Level::Allow`] with the reason (an empty reason is a `T0006`
    /// problem). The last setting for a lint wins.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tenure::{Container, Level, Lint};
    ///
    /// struct Tx;
    /// struct Audit { _tx: Arc<Tx> }
    ///
    /// let mut b = Container::builder();
    /// b.transient(|| Tx)
    ///     .dispose_with::<Tx, _, _, std::io::Error>(|_| async { Ok(()) })
    ///     .singleton(|_tx: Arc<Tx>| Audit { _tx });
    /// b.lint(Lint::HeldDisposableTransient, Level::Deny);
    /// assert_eq!(b.build().unwrap_err().problems()[0].code(), "L0001");
    /// b.lint(
    ///     Lint::HeldDisposableTransient,
    ///     Level::Allow { reason: "the audit transaction lives as long as the process" },
    /// );
    /// assert!(b.build()?.warnings().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn lint(&mut self, lint: Lint, level: Level) -> &mut Self {
        self.settings
            .lints
            .levels
            .push((lint, level, Location::caller()));
        self
    }

    /// Marks the registered service `T` *request-bound*: it carries one
    /// request's state, so nothing that outlives a scope may keep it, not
    /// even through a transient, a [`Lazy`](crate::Lazy) or a
    /// [`Factory`](crate::Factory). A singleton or pooled service that could
    /// is lint [`RequestBoundHeld`](Lint::RequestBoundHeld) (`L0003`). `T`
    /// must be registered, and not as a singleton (`T0006` otherwise).
    /// `#[injectable(scoped, request_bound)]` marks a derived service.
    ///
    /// ```
    /// use tenure::{Container, Factory, Lint};
    ///
    /// struct RequestContext;
    /// struct TokenProvider { _contexts: Factory<RequestContext> }
    ///
    /// let c = Container::builder()
    ///     .scoped(|| RequestContext)
    ///     .request_bound::<RequestContext>()
    ///     .singleton(|_contexts: Factory<RequestContext>| TokenProvider { _contexts })
    ///     .build()?;
    /// assert_eq!(c.warnings()[0].lint(), Lint::RequestBoundHeld);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn request_bound<T: ?Sized + 'static>(&mut self) -> &mut Self {
        self.settings
            .lints
            .request_bound
            .push((Key::of::<T>(), Location::caller()));
        self
    }

    /// Declares `T` a *root*: application code resolves it (a request
    /// handler, a background job), so it is used even though nothing
    /// depends on it. Once a root is declared, lint [`Unused`](Lint::Unused)
    /// (`L0002`) reports every registration no root reaches. `T` may be a
    /// service, a `dyn Trait` binding or a collection; it must be
    /// registered (`T0006` otherwise). A subject-only build
    /// ([`build_for`](Self::build_for)) ignores roots: its graph is what the
    /// subject reaches.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tenure::{Container, Lint};
    ///
    /// struct Pool;
    /// struct Api { _pool: Arc<Pool> }
    /// struct OldReport;
    ///
    /// let c = Container::builder()
    ///     .singleton(|| Pool)
    ///     .scoped(|_pool: Arc<Pool>| Api { _pool })
    ///     .singleton(|| OldReport)
    ///     .root::<Api>()
    ///     .build()?;
    /// let unused: Vec<_> = c.warnings().iter().map(|w| w.path()[0].short_name()).collect();
    /// assert_eq!(unused, ["OldReport"]);
    /// assert_eq!(c.warnings()[0].lint(), Lint::Unused);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn root<T: ?Sized + 'static>(&mut self) -> &mut Self {
        self.settings
            .lints
            .roots
            .push((Key::of::<T>(), Location::caller()));
        self
    }

    /// [`build`](Self::build), also returning the lints that fired at
    /// [`Level::Warn`] (the same as [`Container::warnings`]). Denied lints
    /// are problems of the [`BuildError`].
    pub fn build_with_warnings(&self) -> Result<(Container, Vec<Warning>), BuildError> {
        let c = self.build()?;
        let warnings = c.warnings().to_vec();
        Ok((c, warnings))
    }
}

impl Container {
    /// Describes the services this container was built from, one row per
    /// service. See [`Description`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tenure::Container;
    ///
    /// struct Pool;
    /// struct Session { _pool: Arc<Pool> }
    ///
    /// let c = Container::builder()
    ///     .singleton(|| Pool)
    ///     .scoped(|_pool: Arc<Pool>| Session { _pool })
    ///     .build()?;
    /// let table = c.describe().to_string();
    /// assert!(table.starts_with("2 services, in registration order:"));
    /// assert!(table.contains("scoped     Session  -         Arc<Pool>"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn describe(&self) -> Description {
        Description::of(&self.shared.source)
    }

    /// The lints that fired at [`Level::Warn`] when this container was
    /// built, in a stable order (by lint, then registration order). See
    /// [`Lint`].
    pub fn warnings(&self) -> &[Warning] {
        &self.shared.plan.warnings
    }
}
