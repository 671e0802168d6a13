//! [`Description`]: the wiring as the container sees it, one row per
//! service, from the registrations in effect.

use std::any::TypeId;
use std::fmt;
use std::sync::Arc;

use crate::builder::{ContainerBuilder, HookKind, RegExec, Registration};
use crate::error::DependencyKind;
use crate::lifetime::Lifetime;
use crate::node::{Node, Role};
use crate::validate::select::select;

/// The wiring of a [`ContainerBuilder`] or a [`Container`](crate::Container),
/// one [`ServiceRow`] per service, in registration order: its lifetime,
/// type, what it provides (bindings, collection elements), its
/// dependencies with their kinds and what each resolves to, and its
/// registration site.
///
/// Made by [`ContainerBuilder::describe`] (whether or not the graph is
/// valid: dependencies are linked by type, and what is missing is shown
/// missing) and [`Container::describe`](crate::Container::describe). Its
/// [`Display`](fmt::Display) is a table for people; [`rows`](Self::rows) are
/// for tools; [`graph`](Self::graph) draws it (Graphviz DOT, Mermaid).
///
/// ```
/// use std::sync::Arc;
/// use tenure::{Container, DependencyKind, DependencyTarget};
///
/// struct Config;
/// struct Pool { _cfg: Arc<Config> }
/// struct Session { _pool: Arc<Pool> }
///
/// let mut b = Container::builder();
/// b.singleton(|| Config)
///     .singleton(|_cfg: Arc<Config>| Pool { _cfg })
///     .scoped(|_pool: Arc<Pool>| Session { _pool });
/// let d = b.describe();
/// let session = d.get::<Session>().unwrap();
/// assert_eq!(session.service.lifetime(), Some(tenure::Lifetime::Scoped));
/// let pool = &session.dependencies[0];
/// assert_eq!(pool.kind, DependencyKind::Required);
/// assert!(matches!(pool.target, DependencyTarget::Service(1))); // row 1: Pool
/// println!("{d}");
/// // 3 services, in registration order:
/// // lifetime   service  provides  dependencies  notes  registered at
/// // ---------  -------  --------  ------------  -----  --------------------
/// // singleton  Config   -         -             -      src/main.rs:9:3
/// // singleton  Pool     -         Arc<Config>   -      src/main.rs:10:6
/// // scoped     Session  -         Arc<Pool>     -      src/main.rs:11:6
/// ```
#[derive(Clone)]
pub struct Description {
    pub(crate) rows: Vec<ServiceRow>,
    /// The registrations described (for reachability).
    pub(crate) regs: Arc<Vec<Arc<Registration>>>,
    /// The decorators, in registration order (for reachability).
    pub(crate) decorators: Vec<crate::decorate::Decorator>,
    /// Per row, the index in `regs` of its registration.
    pub(crate) row_reg: Vec<usize>,
    /// Every type that resolves to a row (its own type, and the bindings
    /// it provides), with that row.
    pub(crate) types: Vec<(TypeId, usize)>,
}

/// One service of a [`Description`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServiceRow {
    /// The service: its type, lifetime ([`Node::lifetime`]) and
    /// registration site. For a binding or collection element whose
    /// implementation is not registered (a failed build), that binding.
    pub service: Node,
    /// How its instances are made.
    pub made_by: MadeBy,
    /// The bindings (`Arc<dyn Trait>`) and collection elements
    /// (`Vec<Arc<dyn Trait>>`) that serve its instances, in registration
    /// order, with their sites ([`Role::Binding`] or [`Role::Element`]).
    pub provides: Vec<Node>,
    /// Its dependencies, in the order its factory declares them.
    pub dependencies: Vec<Dependency>,
    /// For a pooled service, the pool's size.
    pub pool_size: Option<usize>,
    /// Whether it has an async disposer.
    pub async_disposer: bool,
    /// Whether a pooled service has an `on_return` reset hook.
    pub on_return: bool,
    /// Whether it is marked request-bound
    /// ([`ContainerBuilder::request_bound`]).
    pub request_bound: bool,
    /// Whether it is a declared root ([`ContainerBuilder::root`]).
    pub root: bool,
    /// Its decorators ([`ContainerBuilder::decorate`]), and those of the
    /// bindings it provides, in the order they apply, each a
    /// [`Role::Decorator`] node with its site. Their own dependencies are
    /// listed after the factory's in [`dependencies`](Self::dependencies).
    pub decorators: Vec<Node>,
    /// Whether it has a start hook ([`ContainerBuilder::on_start`]).
    pub on_start: bool,
    /// Whether it has a stop hook ([`ContainerBuilder::on_stop`]).
    pub on_stop: bool,
}

/// How a service's instances are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MadeBy {
    /// A factory (closure or derived).
    Factory,
    /// An async factory.
    AsyncFactory,
    /// A ready value (`instance`).
    Instance,
    /// Supplied per scope by the code that opens it (`scope_value`).
    ScopeValue,
    /// A binding or collection element whose implementation is not
    /// registered.
    Unbound,
}

/// One dependency of a [`ServiceRow`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Dependency {
    /// How it is depended on.
    pub kind: DependencyKind,
    /// The type asked for (a `dyn Trait` for a binding), as
    /// `std::any::type_name` gives it.
    pub type_name: &'static str,
    /// What it resolves to.
    pub target: DependencyTarget,
}

/// What a [`Dependency`] resolves to. Row numbers index
/// [`Description::rows`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DependencyTarget {
    /// The service in that row (for a binding, its implementation).
    Service(usize),
    /// The implementations of the collection's elements, in order (empty:
    /// nothing is collected, and the `Vec` is empty).
    Collection(Vec<usize>),
    /// An optional dependency that is not registered.
    Absent,
    /// A required dependency that is not registered (the build fails).
    Missing,
    /// A [`ScopeFactory`](crate::ScopeFactory): it opens scopes of the
    /// container and resolves nothing itself.
    Scopes,
}

impl Description {
    /// Describes the registrations in effect in `b` (as
    /// [`validate::select`](crate::validate::select) decides them), linking
    /// each declared dependency by its type.
    pub(crate) fn of(b: &ContainerBuilder) -> Description {
        let sel = select(&b.regs);
        let n = sel.active.len();
        let is_forward = |a: usize| matches!(sel.active[a].exec, RegExec::Forward(_));
        // The implementation a binding or element serves, if registered.
        let target_of = |a: usize| match &sel.active[a].exec {
            RegExec::Forward(k) => sel
                .index
                .get(&k.id)
                .map(|&t| t as usize)
                .filter(|&t| !is_forward(t)),
            _ => None,
        };
        let mut row_of = vec![usize::MAX; n];
        let mut rows = Vec::new();
        let mut row_reg = Vec::new();
        for (a, r) in sel.active.iter().enumerate() {
            if is_forward(a) && target_of(a).is_some() {
                continue;
            }
            row_of[a] = rows.len();
            row_reg.push(sel.reg_of[a]);
            rows.push(ServiceRow {
                service: r.node,
                made_by: match r.exec {
                    RegExec::Factory(_) => MadeBy::Factory,
                    RegExec::AsyncFactory(_) => MadeBy::AsyncFactory,
                    RegExec::Instance(_) => MadeBy::Instance,
                    RegExec::Supplied => MadeBy::ScopeValue,
                    RegExec::Forward(_) => MadeBy::Unbound,
                },
                provides: Vec::new(),
                dependencies: Vec::new(),
                pool_size: r.pool_max.filter(|_| r.lifetime == Lifetime::Pooled),
                async_disposer: false,
                on_return: false,
                request_bound: false,
                root: false,
                decorators: Vec::new(),
                on_start: false,
                on_stop: false,
            });
        }
        for a in 0..n {
            if let Some(t) = target_of(a) {
                row_of[a] = row_of[t];
                rows[row_of[t]].provides.push(sel.active[a].node);
            }
        }
        let dependency = |d: &crate::inject::Decl| Dependency {
            kind: d.kind,
            type_name: d.key.name,
            target: match d.kind {
                DependencyKind::ScopeFactory => DependencyTarget::Scopes,
                DependencyKind::Collection => DependencyTarget::Collection(
                    sel.collection_index
                        .get(&d.key.id)
                        .map(|&c| {
                            sel.collections[c as usize]
                                .iter()
                                .map(|&e| row_of[e as usize])
                                .collect()
                        })
                        .unwrap_or_default(),
                ),
                _ => match sel.index.get(&d.key.id) {
                    Some(&t) => DependencyTarget::Service(row_of[t as usize]),
                    None if d.kind == DependencyKind::Optional => DependencyTarget::Absent,
                    None => DependencyTarget::Missing,
                },
            },
        };
        let mut types: Vec<(TypeId, usize)> = Vec::new();
        for (a, r) in sel.active.iter().enumerate() {
            if !r.element {
                types.push((r.key.id, row_of[a]));
            }
            if target_of(a).is_some() {
                continue; // a provided binding: described in its implementation's row
            }
            let deps = match &r.exec {
                RegExec::Forward(k) => vec![Dependency {
                    kind: DependencyKind::Required,
                    type_name: k.name,
                    target: match sel.index.get(&k.id) {
                        Some(&t) => DependencyTarget::Service(row_of[t as usize]),
                        None => DependencyTarget::Missing,
                    },
                }],
                _ => r.decls.iter().map(dependency).collect(),
            };
            rows[row_of[a]].dependencies = deps;
        }
        // Decorators, on the row of what they decorate.
        for d in &b.decorators {
            if let Some(&a) = sel.index.get(&d.key.id) {
                let row = &mut rows[row_of[a as usize]];
                row.decorators.push(d.node);
                row.dependencies.extend(d.decls.iter().map(dependency));
            }
        }
        // A service's own row, not a binding's (hooks and marks name the
        // implementation).
        let own_row = |id: &TypeId| {
            let a = *sel.index.get(id)? as usize;
            (!is_forward(a)).then_some(row_of[a])
        };
        for h in &b.hooks {
            if let Some(row) = own_row(&h.key.id) {
                match h.kind {
                    HookKind::Disposer(_) => rows[row].async_disposer = true,
                    HookKind::Reset(_) => rows[row].on_return = true,
                    HookKind::Start(_) => rows[row].on_start = true,
                    HookKind::Stop(_) => rows[row].on_stop = true,
                }
            }
        }
        let lints = &b.settings.lints;
        for (key, _) in &lints.request_bound {
            if let Some(row) = own_row(&key.id) {
                rows[row].request_bound = true;
            }
        }
        for (key, _) in &lints.roots {
            if let Some(&a) = sel.index.get(&key.id) {
                rows[row_of[a as usize]].root = true;
            }
        }
        Description {
            rows,
            regs: b.regs.clone(),
            decorators: b.decorators.clone(),
            row_reg,
            types,
        }
    }

    /// One row per service, in registration order.
    pub fn rows(&self) -> &[ServiceRow] {
        &self.rows
    }

    /// The row of the service `T` resolves to: `T`'s own, or for a
    /// `dyn Trait` bound with `bind`, its implementation's.
    pub fn get<T: ?Sized + 'static>(&self) -> Option<&ServiceRow> {
        self.index_of(TypeId::of::<T>()).map(|i| &self.rows[i])
    }

    pub(crate) fn index_of(&self, id: TypeId) -> Option<usize> {
        self.types.iter().find(|(t, _)| *t == id).map(|&(_, r)| r)
    }
}

/// A type name without module paths: `alloc::sync::Arc<app::Pool>` ->
/// `Arc<Pool>`, `dyn app::Clock` -> `dyn Clock`.
pub(crate) fn pretty(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(c) = rest.chars().next() {
        if c.is_alphanumeric() || c == '_' {
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            let (word, after) = rest.split_at(end);
            match after.strip_prefix("::") {
                Some(after) => rest = after, // a module: dropped
                None => {
                    out.push_str(word);
                    rest = after;
                }
            }
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

impl ServiceRow {
    /// The lifetime column: `singleton`, `pooled (8)`, `binding`, ...
    fn lifetime_label(&self) -> String {
        match (self.service.role, self.pool_size) {
            (Role::Service(Lifetime::Pooled), Some(n)) => format!("pooled ({n})"),
            (role, _) => role.label().to_owned(),
        }
    }

    fn notes(&self) -> Vec<&'static str> {
        let mut notes = Vec::new();
        match self.made_by {
            MadeBy::AsyncFactory => notes.push("async factory"),
            MadeBy::Instance => notes.push("instance"),
            MadeBy::ScopeValue => notes.push("supplied per scope"),
            MadeBy::Unbound => notes.push("implementation not registered"),
            MadeBy::Factory => {}
        }
        if self.async_disposer {
            notes.push("async disposer");
        }
        if self.on_return {
            notes.push("on_return");
        }
        if self.request_bound {
            notes.push("request-bound");
        }
        if self.root {
            notes.push("root");
        }
        if !self.decorators.is_empty() {
            notes.push("decorated");
        }
        if self.on_start {
            notes.push("on_start");
        }
        if self.on_stop {
            notes.push("on_stop");
        }
        notes
    }
}

impl Dependency {
    /// `Arc<Pool>`, `Vec<Arc<dyn Plugin>>` (2), `Option<Arc<Audit>>`
    /// (absent), `Arc<Smtp>` (missing).
    pub(crate) fn label(&self) -> String {
        // Wrapped before it is shortened: a keyed service or an argument
        // registration is recognised by its full name.
        let ty = match self.kind.wrap(self.type_name) {
            w if crate::key::is_self_named(self.type_name) => pretty(&w),
            _ => self.kind.wrap(&pretty(self.type_name)),
        };
        match &self.target {
            DependencyTarget::Missing => format!("{ty} (missing)"),
            DependencyTarget::Absent => format!("{ty} (absent)"),
            DependencyTarget::Collection(e) => format!("{ty} ({})", e.len()),
            DependencyTarget::Service(_) | DependencyTarget::Scopes => ty,
        }
    }
}

impl fmt::Display for Description {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.rows.len();
        write!(
            f,
            "{n} service{}, in registration order:",
            if n == 1 { "" } else { "s" }
        )?;
        let dash = |v: Vec<String>| {
            if v.is_empty() {
                "-".to_owned()
            } else {
                v.join(", ")
            }
        };
        let header = [
            "lifetime",
            "service",
            "provides",
            "dependencies",
            "notes",
            "registered at",
        ];
        let cells: Vec<[String; 6]> = self
            .rows
            .iter()
            .map(|r| {
                let provides = r
                    .provides
                    .iter()
                    .map(|p| match p.role {
                        Role::Element => format!("Vec<Arc<{}>>", pretty(p.name)),
                        _ => pretty(p.name),
                    })
                    .collect();
                [
                    r.lifetime_label(),
                    pretty(r.service.name),
                    dash(provides),
                    dash(r.dependencies.iter().map(Dependency::label).collect()),
                    dash(r.notes().into_iter().map(str::to_owned).collect()),
                    r.service.site.to_string(),
                ]
            })
            .collect();
        let mut width = header.map(str::len);
        for row in &cells {
            for (w, c) in width.iter_mut().zip(row) {
                *w = (*w).max(c.chars().count());
            }
        }
        let line = |f: &mut fmt::Formatter<'_>, cols: [&str; 6]| -> fmt::Result {
            f.write_str("\n")?;
            for (i, c) in cols.iter().enumerate() {
                if i + 1 == cols.len() {
                    f.write_str(c)?;
                } else {
                    write!(f, "{c:<w$}  ", w = width[i])?;
                }
            }
            Ok(())
        };
        line(f, header)?;
        let rule = width.map(|w| "-".repeat(w));
        line(f, rule.each_ref().map(String::as_str))?;
        for row in &cells {
            line(f, row.each_ref().map(String::as_str))?;
        }
        Ok(())
    }
}

impl fmt::Debug for Description {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            f.debug_struct("Description")
                .field("rows", &self.rows)
                .finish()
        } else {
            fmt::Display::fmt(self, f)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::pretty;

    #[test]
    fn pretty_names_drop_module_paths() {
        assert_eq!(pretty("alloc::sync::Arc<app::db::Pool>"), "Arc<Pool>");
        assert_eq!(pretty("dyn app::Clock"), "dyn Clock");
        assert_eq!(
            pretty("app::Cache<app::Session, (u8, alloc::string::String)>"),
            "Cache<Session, (u8, String)>"
        );
        assert_eq!(pretty("Plain"), "Plain");
    }
}
