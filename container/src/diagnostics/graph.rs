//! [`Diagram`]: a [`Description`] drawn as a graph (Graphviz DOT, Mermaid),
//! optionally restricted to what one service reaches, with the problems of
//! a failed build drawn on it.

use std::any::TypeId;

use crate::error::{BuildError, DependencyKind, Problem};
use crate::lifetime::Lifetime;
use crate::node::{Node, Role};
use crate::validate::reach::reachable;

use super::describe::{Dependency, DependencyTarget, Description, pretty};

/// A [`Description`] to draw: every service a node, shaped and coloured by
/// its lifetime, every dependency an edge labelled with its kind
/// (required, optional, collection, lazy, factory). Render it with
/// [`to_dot`](Diagram::to_dot) (Graphviz: `dot -Tsvg graph.dot`) or
/// [`to_mermaid`](Diagram::to_mermaid) (GitHub renders it in Markdown).
///
/// A dependency that is not registered is a dashed placeholder node.
/// [`with_problems`](Diagram::with_problems) draws a failed build's
/// problems on it: the edges of a captive path red, of a cycle orange, of
/// a denied lint's path purple, missing dependencies red, and every
/// problem's first line as a note.
///
/// ```
/// use std::sync::Arc;
/// use tenure::Container;
///
/// struct Session;
/// struct Repo { _s: Arc<Session> }
/// struct Helper { _r: Arc<Repo> }
///
/// let mut b = Container::builder();
/// b.scoped(|| Session)
///     .transient(|_s: Arc<Session>| Repo { _s })
///     .singleton(|_r: Arc<Repo>| Helper { _r });
/// let err = b.build().unwrap_err();
/// let dot = b.describe().graph().with_problems(&err).to_dot();
/// assert!(dot.starts_with("digraph tenure {"));
/// assert!(dot.contains("color=\"#dc3545\"")); // the captive path, in red
/// let mermaid = b.describe().graph().reachable_from::<Repo>().to_mermaid();
/// assert!(mermaid.contains("Repo") && !mermaid.contains("Helper"));
/// ```
#[derive(Clone, Debug)]
pub struct Diagram<'d> {
    desc: &'d Description,
    problems: Vec<Problem>,
    /// The rows to draw (`None`: all).
    keep: Option<Vec<bool>>,
    notes: Vec<String>,
}

/// What a highlighted edge is part of.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Mark {
    Captive,
    Cycle,
    Missing,
    Lint,
}

impl Mark {
    pub(super) fn color(self) -> &'static str {
        match self {
            Mark::Captive | Mark::Missing => "#dc3545",
            Mark::Cycle => "#fd7e14",
            Mark::Lint => "#6f42c1",
        }
    }
}

/// How a node is drawn.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Class {
    Singleton,
    Scoped,
    Pooled,
    Transient,
    /// A binding or element whose implementation is not registered.
    Unbound,
    /// A placeholder for a dependency that is not registered.
    Missing,
}

impl Class {
    pub(super) fn name(self) -> &'static str {
        match self {
            Class::Singleton => "singleton",
            Class::Scoped => "scoped",
            Class::Pooled => "pooled",
            Class::Transient => "transient",
            Class::Unbound => "unbound",
            Class::Missing => "missing",
        }
    }
}

pub(super) struct SceneNode {
    pub(super) id: String,
    pub(super) name: String,
    /// The second line: the lifetime and notes.
    pub(super) detail: String,
    pub(super) tooltip: String,
    pub(super) class: Class,
    pub(super) problem: bool,
    pub(super) root: bool,
}

pub(super) struct SceneEdge {
    pub(super) from: String,
    pub(super) to: String,
    pub(super) kind: DependencyKind,
    /// The type asked for, when it is not the target's (a `dyn Trait`).
    pub(super) via: Option<String>,
    pub(super) mark: Option<(Mark, &'static str)>,
}

impl SceneEdge {
    pub(super) fn label(&self) -> String {
        let kind = match self.kind {
            DependencyKind::Required => "required",
            DependencyKind::Optional => "optional",
            DependencyKind::Collection => "collection",
            DependencyKind::Lazy => "lazy",
            DependencyKind::Factory => "factory",
            _ => "scopes",
        };
        let mut label = match &self.via {
            Some(via) => format!("{kind} as {via}"),
            None => kind.to_owned(),
        };
        if let Some((_, code)) = self.mark {
            label.push_str(&format!(" [{code}]"));
        }
        label
    }
}

/// What the renderers draw.
pub(super) struct Scene {
    pub(super) nodes: Vec<SceneNode>,
    pub(super) edges: Vec<SceneEdge>,
    pub(super) notes: Vec<String>,
}

impl Description {
    /// This description as a [`Diagram`], to render as DOT or Mermaid.
    pub fn graph(&self) -> Diagram<'_> {
        Diagram {
            desc: self,
            problems: Vec::new(),
            keep: None,
            notes: Vec::new(),
        }
    }
}

impl<'d> Diagram<'d> {
    /// Draws the problems of `err` (from `build()` of the same builder):
    /// captive paths red, cycles orange, denied lints purple, missing
    /// dependencies red and dashed, the services a problem names outlined,
    /// and each problem's first line as a note.
    pub fn with_problems(mut self, err: &BuildError) -> Self {
        self.problems.extend(err.problems().iter().cloned());
        self
    }

    /// Keeps only what `T` reaches, as
    /// [`build_for::<T>()`](crate::ContainerBuilder::build_for) computes
    /// it: every declared dependency (handles included), binding targets,
    /// collection elements. If `T` is not registered, nothing is drawn but
    /// a note saying so.
    pub fn reachable_from<T: ?Sized + 'static>(mut self) -> Self {
        let keep = reachable(&self.desc.regs, &self.desc.decorators, &[TypeId::of::<T>()]);
        if keep.is_none() {
            self.notes.push(format!(
                "`{}` is not registered",
                std::any::type_name::<T>()
            ));
        }
        self.keep = Some(match keep {
            Some(k) => self.desc.row_reg.iter().map(|&r| k[r]).collect(),
            None => vec![false; self.desc.rows.len()],
        });
        self
    }

    /// Graphviz DOT (`dot -Tsvg graph.dot -o graph.svg`).
    pub fn to_dot(&self) -> String {
        super::render::dot(&self.scene())
    }

    /// A Mermaid flowchart (` ```mermaid ` in Markdown).
    pub fn to_mermaid(&self) -> String {
        super::render::mermaid(&self.scene())
    }

    fn kept(&self, row: usize) -> bool {
        self.keep.as_ref().is_none_or(|k| k[row])
    }

    /// The row a path node stands for: the service itself, or the
    /// implementation behind a binding or element, or the service a
    /// decorator decorates.
    fn row_of(&self, node: &Node) -> Option<usize> {
        self.desc.rows.iter().position(|r| {
            r.service == *node || r.provides.contains(node) || r.decorators.contains(node)
        })
    }

    fn scene(&self) -> Scene {
        let rows = &self.desc.rows;
        let mut nodes = Vec::new();
        let mut edges = Vec::new();
        let mut missing: Vec<&'static str> = Vec::new();
        for (i, r) in rows.iter().enumerate().filter(|(i, _)| self.kept(*i)) {
            let class = match r.service.role {
                Role::Service(Lifetime::Singleton) => Class::Singleton,
                Role::Service(Lifetime::Scoped) => Class::Scoped,
                Role::Service(Lifetime::Pooled) => Class::Pooled,
                Role::Service(_) => Class::Transient,
                _ => Class::Unbound,
            };
            let mut detail = match r.pool_size {
                Some(n) => format!("pooled ({n})"),
                None => r.service.role.label().to_owned(),
            };
            let opens_scopes = r
                .dependencies
                .iter()
                .any(|d| d.target == DependencyTarget::Scopes);
            for (on, note) in [
                (opens_scopes, "opens scopes"),
                (r.async_disposer, "async disposer"),
                (r.request_bound, "request-bound"),
                (r.root, "root"),
                (!r.decorators.is_empty(), "decorated"),
                (r.on_start || r.on_stop, "lifecycle"),
            ] {
                if on {
                    detail.push_str(", ");
                    detail.push_str(note);
                }
            }
            nodes.push(SceneNode {
                id: format!("n{i}"),
                name: pretty(r.service.name),
                detail,
                tooltip: format!("{} (registered at {})", r.service, r.service.site),
                class,
                problem: false,
                root: r.root,
            });
            for d in &r.dependencies {
                let targets: Vec<String> = match &d.target {
                    DependencyTarget::Service(t) => vec![format!("n{t}")],
                    DependencyTarget::Collection(ts) => {
                        ts.iter().map(|t| format!("n{t}")).collect()
                    }
                    DependencyTarget::Missing => {
                        let m = match missing.iter().position(|n| *n == d.type_name) {
                            Some(m) => m,
                            None => {
                                missing.push(d.type_name);
                                missing.len() - 1
                            }
                        };
                        vec![format!("m{m}")]
                    }
                    DependencyTarget::Absent | DependencyTarget::Scopes => Vec::new(),
                };
                for to in targets {
                    if let Some(t) = to.strip_prefix('n').and_then(|t| t.parse().ok())
                        && !self.kept(t)
                    {
                        continue;
                    }
                    let via = via(d, &to, rows);
                    edges.push(SceneEdge {
                        from: format!("n{i}"),
                        to,
                        kind: d.kind,
                        via,
                        mark: None,
                    });
                }
            }
        }
        for (m, name) in missing.iter().enumerate() {
            nodes.push(SceneNode {
                id: format!("m{m}"),
                name: pretty(name),
                detail: "not registered".to_owned(),
                tooltip: format!("`{name}` is not registered"),
                class: Class::Missing,
                problem: false,
                root: false,
            });
        }
        let mut scene = Scene {
            nodes,
            edges,
            notes: self.notes.clone(),
        };
        for p in &self.problems {
            self.overlay(p, &mut scene, &missing);
        }
        scene
    }

    /// Draws one problem on the scene.
    fn overlay(&self, p: &Problem, scene: &mut Scene, missing: &[&'static str]) {
        let text = p.to_string();
        scene
            .notes
            .push(text.lines().next().unwrap_or_default().to_owned());
        let outline = |scene: &mut Scene, id: &str| {
            if let Some(n) = scene.nodes.iter_mut().find(|n| n.id == id) {
                n.problem = true;
            }
        };
        let mark = match p {
            Problem::Captive { .. } => Some(Mark::Captive),
            Problem::Cycle { .. } => Some(Mark::Cycle),
            Problem::Denied { .. } => Some(Mark::Lint),
            _ => None,
        };
        if let Some(mark) = mark {
            let mut path: Vec<usize> = p.path().iter().filter_map(|n| self.row_of(n)).collect();
            path.dedup();
            for &r in &path {
                outline(scene, &format!("n{r}"));
            }
            for w in path.windows(2) {
                let (from, to) = (format!("n{}", w[0]), format!("n{}", w[1]));
                for e in scene.edges.iter_mut() {
                    if e.from == from && e.to == to && e.mark.is_none() {
                        e.mark = Some((mark, p.code()));
                    }
                }
            }
            return;
        }
        match p {
            Problem::Missing {
                requester,
                dependency,
                ..
            } => {
                let Some(r) = self.row_of(requester) else {
                    return;
                };
                let from = format!("n{r}");
                outline(scene, &from);
                if let Some(m) = missing.iter().position(|n| n == dependency) {
                    let to = format!("m{m}");
                    outline(scene, &to);
                    for e in scene.edges.iter_mut() {
                        if e.from == from && e.to == to {
                            e.mark = Some((Mark::Missing, p.code()));
                        }
                    }
                }
            }
            Problem::Misconfigured { node, .. } | Problem::Duplicate { first: node, .. } => {
                if let Some(r) = self.row_of(node) {
                    outline(scene, &format!("n{r}"));
                }
            }
            Problem::ReplacesNothing { needed_by, .. } => {
                for n in needed_by {
                    if let Some(r) = self.row_of(n) {
                        outline(scene, &format!("n{r}"));
                    }
                }
            }
            _ => {}
        }
    }
}

/// The type an edge asks for, when it is not its target's own: the
/// `dyn Trait` of a binding or collection.
fn via(d: &Dependency, to: &str, rows: &[super::describe::ServiceRow]) -> Option<String> {
    let target = to.strip_prefix('n').and_then(|t| t.parse::<usize>().ok())?;
    (rows[target].service.name != d.type_name).then(|| pretty(d.type_name))
}
