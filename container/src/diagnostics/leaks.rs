//! [`LeakReport`]: scoped and transient instances still alive, and which of
//! them outlived the scope that created them.

use std::fmt;

use crate::census::LiveInstance;
use crate::container::Container;
use crate::lifetime::Lifetime;
use crate::node::Node;

/// The scoped and transient instances alive now, per service, from
/// [`Container::leak_report`] (with
/// [`track_instances`](crate::ContainerBuilder::track_instances) on).
///
/// Each instance is counted where it was created: in a scope that has
/// ended (its `dispose()` started, or it was dropped), in a scope still
/// open, or by the root (a transient resolved from the container, or
/// created for a singleton). An instance alive after the scope that
/// created it ended is a **probable leak**: something that outlives the
/// scope holds it (a closure registered as an event handler, a static, a
/// singleton's collection). Singletons are not listed (they live as long
/// as the container), nor are pooled instances (they serve scope after
/// scope by design; see [`Container::pool_status`]).
///
/// ```
/// use std::sync::Arc;
/// use std::sync::Mutex;
/// use tenure::Container;
///
/// struct Context;
/// struct Bus { handlers: Mutex<Vec<Arc<Context>>> }
///
/// let c = Container::builder()
///     .singleton(|| Bus { handlers: Mutex::new(Vec::new()) })
///     .scoped(|| Context)
///     .track_instances()
///     .build()?;
/// for request in 0..3 {
///     let scope = c.scope();
///     let ctx = scope.resolve::<Context>()?;
///     if request == 0 {
///         c.resolve::<Bus>()?.handlers.lock().unwrap().push(ctx); // the leak
///     }
/// } // every scope has ended here
/// let report = c.leak_report().expect("tracking is on");
/// let leak = report.get::<Context>().unwrap();
/// assert_eq!((leak.alive, leak.from_ended_scopes), (1, 1));
/// assert!(leak.is_probable_leak());
/// println!("{report}"); // names the service, its lifetime and registration site
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeakReport {
    rows: Vec<LeakRow>,
}

/// The live scoped or transient instances of one service.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LeakRow {
    /// The service: type, lifetime, registration site.
    pub service: Node,
    /// Instances alive.
    pub alive: usize,
    /// Of those, created by a scope that has ended: probable leaks.
    pub from_ended_scopes: usize,
    /// Created by a scope still open.
    pub in_open_scopes: usize,
    /// Created by the root (resolved from the container, or for a
    /// singleton, which owns them).
    pub from_root: usize,
    /// The ids ([`Scope::id`](crate::Scope::id)) of the ended scopes the
    /// probable leaks came from, ascending, each once. They match the
    /// `scope` field of the `tracing` feature's spans and events.
    pub ended_scopes: Vec<u64>,
}

impl LeakRow {
    /// Whether some instance outlived the scope that created it.
    pub fn is_probable_leak(&self) -> bool {
        self.from_ended_scopes > 0
    }
}

impl LeakReport {
    /// One row per scoped or transient service with instances alive, in
    /// registration order.
    pub fn rows(&self) -> &[LeakRow] {
        &self.rows
    }

    /// The rows with probable leaks.
    pub fn leaks(&self) -> impl Iterator<Item = &LeakRow> {
        self.rows.iter().filter(|r| r.is_probable_leak())
    }

    /// Whether no instance outlived its scope.
    pub fn is_clean(&self) -> bool {
        self.leaks().next().is_none()
    }

    /// The row of the service whose type is `T`, if it has instances alive.
    pub fn get<T: ?Sized + 'static>(&self) -> Option<&LeakRow> {
        let name = std::any::type_name::<T>();
        self.rows.iter().find(|r| r.service.name == name)
    }
}

impl Container {
    /// The scoped and transient instances alive now, and which of them
    /// outlived the scope that created them (probable leaks): see
    /// [`LeakReport`]. `None` unless
    /// [`track_instances`](crate::ContainerBuilder::track_instances) is on.
    ///
    /// Take it after the scopes of a batch of requests have ended: what a
    /// request created should be gone with its scope.
    pub fn leak_report(&self) -> Option<LeakReport> {
        let census = self.shared.census.as_ref()?;
        let plan = &self.shared.plan;
        // Collected under the census's locks; judged after, since checking
        // a scope means holding it for a moment.
        let live = census.live();
        let mut rows: Vec<LeakRow> = Vec::new();
        for LiveInstance { svc, origin } in live {
            let s = &plan.services[svc];
            if !matches!(s.lifetime, Lifetime::Scoped | Lifetime::Transient) {
                continue;
            }
            let row = match rows.last_mut() {
                Some(r) if r.service == s.node => r,
                _ => {
                    rows.push(LeakRow {
                        service: s.node,
                        alive: 0,
                        from_ended_scopes: 0,
                        in_open_scopes: 0,
                        from_root: 0,
                        ended_scopes: Vec::new(),
                    });
                    rows.last_mut().expect("pushed")
                }
            };
            row.alive += 1;
            match &origin.scope {
                None => row.from_root += 1,
                Some(w) => {
                    let open = w.upgrade().is_some_and(|scope| !scope.is_ended());
                    if open {
                        row.in_open_scopes += 1;
                    } else {
                        row.from_ended_scopes += 1;
                        row.ended_scopes.push(origin.scope_id);
                    }
                }
            }
        }
        for r in &mut rows {
            r.ended_scopes.sort_unstable();
            r.ended_scopes.dedup();
        }
        Some(LeakReport { rows })
    }
}

impl fmt::Display for LeakReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let alive: usize = self.rows.iter().map(|r| r.alive).sum();
        let leaked: usize = self.rows.iter().map(|r| r.from_ended_scopes).sum();
        if leaked == 0 {
            write!(
                f,
                "no scoped or transient instance outlived its scope ({alive} alive, in open \
                 scopes or owned by the root)"
            )?;
        } else {
            write!(
                f,
                "{leaked} probable leak{} among {alive} scoped and transient instances alive \
                 (alive after the scope that created them ended):",
                if leaked == 1 { "" } else { "s" }
            )?;
        }
        let labels: Vec<String> = self.rows.iter().map(|r| r.service.to_string()).collect();
        let width = labels.iter().map(String::len).max().unwrap_or(0);
        for (r, label) in self.rows.iter().zip(&labels) {
            let mut parts = Vec::new();
            if r.from_ended_scopes > 0 {
                let ids: Vec<String> = r
                    .ended_scopes
                    .iter()
                    .take(5)
                    .map(|i| format!("#{i}"))
                    .collect();
                let more = if r.ended_scopes.len() > 5 { " .." } else { "" };
                parts.push(format!(
                    "{} from {} ended scope{} ({}{more})",
                    r.from_ended_scopes,
                    r.ended_scopes.len(),
                    if r.ended_scopes.len() == 1 { "" } else { "s" },
                    ids.join(" ")
                ));
            }
            if r.in_open_scopes > 0 {
                parts.push(format!("{} in open scopes", r.in_open_scopes));
            }
            if r.from_root > 0 {
                parts.push(format!("{} from the root", r.from_root));
            }
            write!(
                f,
                "\n  {} {label:<width$}  {} alive: {}  registered at {}",
                if r.is_probable_leak() { "LEAK" } else { "    " },
                r.alive,
                parts.join(", "),
                r.service.site
            )?;
        }
        if leaked > 0 {
            write!(
                f,
                "\n  A scope's instances should be gone once it ends: something that outlives \
                 it holds these (a closure kept as an event handler, a static, a singleton's \
                 collection). Hold them weakly, or remove the holder when the scope ends."
            )?;
        }
        Ok(())
    }
}
