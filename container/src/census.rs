//! Instance accounting: how many instances of each service were created and
//! how many are still alive, to find leaks by comparing two snapshots.

use std::any::Any;
use std::fmt;
use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use crate::erased::Erased;
use crate::node::Node;
use crate::plan::Plan;
use crate::scope::ScopeShared;

/// Per-service weak references to every instance created, when
/// [`ContainerBuilder::track_instances`](crate::ContainerBuilder::track_instances)
/// is on.
pub(crate) struct Census {
    rows: Box<[Mutex<Row>]>,
}

#[derive(Default)]
struct Row {
    created: usize,
    /// Weak references to instances that may still be alive, each with the
    /// scope that created it.
    live: Vec<(Weak<dyn Any + Send + Sync>, Origin)>,
    /// `live.len()` after the last pruning, to prune in amortised O(1).
    pruned_at: usize,
}

/// Where an instance was created: the root (`trace::ROOT`, no scope), or a
/// scope, held weakly (a weak reference keeps the scope's allocation, not
/// the scope: its instances are dropped with it as usual).
#[derive(Clone)]
pub(crate) struct Origin {
    pub(crate) scope_id: u64,
    pub(crate) scope: Option<Weak<ScopeShared>>,
}

/// One live instance of a service, as the leak report sees it.
pub(crate) struct LiveInstance {
    pub(crate) svc: usize,
    pub(crate) origin: Origin,
}

impl Census {
    pub(crate) fn new(services: usize) -> Census {
        Census {
            rows: (0..services).map(|_| Mutex::default()).collect(),
        }
    }

    /// Out of line: only the check for a census is on every creation's
    /// path.
    #[inline(never)]
    pub(crate) fn record(&self, svc: u32, value: Erased, scope: Option<&Arc<ScopeShared>>) {
        let origin = Origin {
            scope_id: scope.map_or(crate::trace::ROOT, |s| s.id),
            scope: scope.map(Arc::downgrade),
        };
        let mut row = self.rows[svc as usize].lock();
        row.created += 1;
        row.live.push((Arc::downgrade(&value), origin));
        if row.live.len() >= 2 * row.pruned_at.max(16) {
            row.live.retain(|(w, _)| w.strong_count() > 0);
            row.pruned_at = row.live.len();
        }
    }

    /// Every instance still alive, with its service and origin, in
    /// registration order of the services.
    pub(crate) fn live(&self) -> Vec<LiveInstance> {
        let mut out = Vec::new();
        for (svc, row) in self.rows.iter().enumerate() {
            let row = row.lock();
            out.extend(
                row.live
                    .iter()
                    .filter(|(w, _)| w.strong_count() > 0)
                    .map(|(_, origin)| LiveInstance {
                        svc,
                        origin: origin.clone(),
                    }),
            );
        }
        out
    }

    pub(crate) fn snapshot(&self, plan: &Plan) -> InstanceReport {
        let rows = self
            .rows
            .iter()
            .zip(&plan.services)
            .map(|(row, svc)| {
                let row = row.lock();
                let alive = row
                    .live
                    .iter()
                    .filter(|(w, _)| w.strong_count() > 0)
                    .count();
                InstanceCount {
                    service: svc.node,
                    created: row.created,
                    alive,
                }
            })
            .filter(|r| r.created > 0)
            .collect();
        InstanceReport { rows }
    }
}

/// How many instances of one service were created, and how many are alive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstanceCount {
    /// The service.
    pub service: Node,
    /// Instances created so far.
    pub created: usize,
    /// Instances still alive (held by anyone: a scope, the container, user code).
    pub alive: usize,
}

impl InstanceCount {
    /// Instances created and since dropped.
    pub fn dropped(&self) -> usize {
        self.created - self.alive
    }
}

/// A snapshot of instance counts per service, from
/// [`Container::instance_report`](crate::Container::instance_report).
///
/// Take one before and one after a batch of requests: a service whose
/// `alive` count grew, and keeps growing, is leaking.
///
/// ```
/// use std::sync::Arc;
/// use tenure::Container;
///
/// struct Session;
/// let c = Container::builder().scoped(|| Session).track_instances().build()?;
/// let before = c.instance_report().expect("tracking is on");
/// let mut leaked = Vec::new();
/// for _ in 0..3 {
///     let scope = c.scope();
///     leaked.push(scope.resolve::<Session>()?); // kept beyond its scope: a leak
/// }
/// let after = c.instance_report().expect("tracking is on");
/// let growth = after.growth_since(&before);
/// assert_eq!(growth.len(), 1);
/// assert_eq!((growth[0].0.short_name(), growth[0].1), ("Session", 3));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InstanceReport {
    rows: Vec<InstanceCount>,
}

impl InstanceReport {
    /// One row per service that created at least one instance, in
    /// registration order.
    pub fn rows(&self) -> &[InstanceCount] {
        &self.rows
    }

    /// The counts of the service whose type is `T`.
    pub fn get<T: ?Sized + 'static>(&self) -> Option<&InstanceCount> {
        let name = std::any::type_name::<T>();
        self.rows.iter().find(|r| r.service.name == name)
    }

    /// Instances alive, all services together.
    pub fn alive(&self) -> usize {
        self.rows.iter().map(|r| r.alive).sum()
    }

    /// The services with more instances alive now than in `earlier`, with
    /// how many more, largest growth first.
    pub fn growth_since(&self, earlier: &InstanceReport) -> Vec<(Node, usize)> {
        let mut out: Vec<(Node, usize)> = self
            .rows
            .iter()
            .filter_map(|r| {
                let before = earlier
                    .rows
                    .iter()
                    .find(|e| e.service == r.service)
                    .map_or(0, |e| e.alive);
                (r.alive > before).then(|| (r.service, r.alive - before))
            })
            .collect();
        out.sort_by_key(|r| std::cmp::Reverse(r.1));
        out
    }
}

impl fmt::Display for InstanceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:>9} {:>9} {:>9}  service",
            "created", "alive", "dropped"
        )?;
        for r in &self.rows {
            writeln!(
                f,
                "{:>9} {:>9} {:>9}  {}",
                r.created,
                r.alive,
                r.dropped(),
                r.service
            )?;
        }
        Ok(())
    }
}
