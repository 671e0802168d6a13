//! Subject-only builds: [`ContainerBuilder::build_for`].

use std::any::TypeId;
use std::collections::HashSet;
use std::panic::Location;
use std::sync::Arc;

use crate::builder::{ContainerBuilder, Registration};
use crate::container::Container;
use crate::error::{BuildError, Problem};
use crate::node::Node;
use crate::plan::suggest;
use crate::validate::reach::reachable;
use crate::validate::select::select;

impl ContainerBuilder {
    /// Validates and builds only what `T` needs: the registrations reachable
    /// from `T` through declared dependencies (of every kind, including
    /// [`Lazy`](crate::Lazy) and [`Factory`](crate::Factory) handles),
    /// binding targets and collection elements.
    ///
    /// The subgraph goes through the same checks as [`build`](Self::build)
    /// (captive, missing, cycle, duplicate), so a unit test does not have to
    /// satisfy the whole application's configuration, but what its subject
    /// uses is held to the production rules. Replacements of nothing
    /// ([`ReplacesNothing`](crate::Problem::ReplacesNothing)) are reported
    /// wherever they are: they are bugs in the test, reachable or not.
    ///
    /// Everything else is left out of the container: resolving an unrelated
    /// type from it is [`NotRegistered`](crate::ResolveErrorKind::NotRegistered).
    /// If `T` itself is not registered (as a service, binding or collection),
    /// the error is [`SubjectNotRegistered`](crate::Problem::SubjectNotRegistered).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tenure::Container;
    ///
    /// struct Pool;
    /// struct Accounts { _pool: Arc<Pool> }
    /// struct Smtp;
    /// struct Newsletter { _smtp: Arc<Smtp> }
    ///
    /// let mut app = Container::builder();
    /// app.singleton(|| Pool)
    ///     .singleton(|_pool: Arc<Pool>| Accounts { _pool })
    ///     .singleton(|_smtp: Arc<Smtp>| Newsletter { _smtp }); // `Smtp` is not registered
    ///
    /// assert!(app.build().is_err()); // the whole graph is incomplete,
    /// let c = app.build_for::<Accounts>()?; // but `Accounts` has all it needs
    /// c.resolve::<Accounts>()?;
    /// assert!(!c.contains::<Newsletter>());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn build_for<T: ?Sized + 'static>(&self) -> Result<Container, BuildError> {
        let requested_at = Location::caller();
        let Some(keep) = reachable(&self.regs, &self.decorators, &[TypeId::of::<T>()]) else {
            let subject = std::any::type_name::<T>();
            return Err(BuildError {
                problems: vec![Problem::SubjectNotRegistered {
                    subject,
                    requested_at,
                    did_you_mean: suggest(subject, self.regs.iter().map(|r| r.node)),
                }],
            });
        };
        let mut sub = self.clone();
        sub.regs = Arc::new(
            self.regs
                .iter()
                .zip(keep)
                .filter(|(_, k)| *k)
                .map(|(r, _)| Arc::clone(r))
                .collect(),
        );
        // Hooks (disposers, pool resets) follow their services; a hook on a
        // type registered nowhere stays, to be reported like in `build`.
        let kept: HashSet<TypeId> = sub.regs.iter().map(|r| r.key.id).collect();
        let registered: HashSet<TypeId> = self.regs.iter().map(|r| r.key.id).collect();
        sub.hooks
            .retain(|h| kept.contains(&h.key.id) || !registered.contains(&h.key.id));
        // So do decorators.
        sub.decorators
            .retain(|d| kept.contains(&d.key.id) || !registered.contains(&d.key.id));
        // So do request-bound marks. Roots do not apply: the subgraph is, by
        // construction, what the subject reaches (lint L0002 is for whole
        // applications).
        let lints = &mut sub.settings.lints;
        lints
            .request_bound
            .retain(|(k, _)| kept.contains(&k.id) || !registered.contains(&k.id));
        lints.roots.clear();
        sub.build().map_err(|mut e| {
            // Suggestions and collection hints from the whole builder, not
            // only from the subgraph; other hints are kept as they are.
            for p in &mut e.problems {
                if let Problem::Missing {
                    requester,
                    dependency,
                    did_you_mean,
                    ..
                } = p
                {
                    let partial = missing_hints(&sub.regs, dependency, requester);
                    let mut hints = missing_hints(&self.regs, dependency, requester);
                    hints.extend(did_you_mean.drain(..).filter(|h| !partial.contains(h)));
                    *did_you_mean = hints;
                }
            }
            e
        })
    }
}

/// The "did you mean" lines the full build would give for a missing
/// `dependency`: drawn from the registrations in effect (as the validator
/// applies replacements), not only from the subgraph; never the requester
/// itself.
fn missing_hints(regs: &[Arc<Registration>], dependency: &str, requester: &Node) -> Vec<String> {
    let active = select(regs).active.into_iter().map(|r| r.node);
    let mut hints = suggest(dependency, active.into_iter().filter(|n| n != requester));
    if regs.iter().any(|r| r.element && r.key.name == dependency) {
        hints.push(format!(
            "`Vec<Arc<{dependency}>>` (it is registered as a collection with `collect`)"
        ));
    }
    hints
}
