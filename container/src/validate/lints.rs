//! Phase 5: the lints ([`Lint`]) and their settings. Each lint that fires
//! is a [`Warning`], or a [`Problem::Denied`] where its level is `Deny`;
//! settings that cannot apply (an `allow` without a reason, a root or a
//! request-bound mark on a type that is not registered) are `T0006`
//! problems.
//!
//! Cost: nothing unless there is something to look for. `L0001` walks
//! from each singleton and pooled service only when some transient has an
//! async disposer, `L0003` only when a service is marked request-bound,
//! `L0002` only when a root is declared.

use std::any::TypeId;
use std::panic::Location;
use std::sync::Arc;

use crate::builder::Registration;
use crate::error::{DependencyKind, Problem};
use crate::inject::{Edge, Target};
use crate::key::short_name;
use crate::lifetime::Lifetime;
use crate::lint::{Level, Lint, LintSettings, Warning};
use crate::node::{Node, Role};
use crate::plan::{Exec, Service};

use super::graph::{Graph, Walk};
use super::link::NO_TARGET;
use super::reach::reachable;
use super::select::Selection;

/// What the lint phase reads.
pub(super) struct Input<'a> {
    pub(super) regs: &'a [Arc<Registration>],
    pub(super) decorators: &'a [crate::decorate::Decorator],
    pub(super) sel: &'a Selection<'a>,
    pub(super) services: &'a [Service],
    pub(super) edges: &'a [Edge],
    pub(super) graph: &'a Graph,
    pub(super) settings: &'a LintSettings,
}

/// Runs every lint that is not allowed; returns the warnings, and adds the
/// denied ones (and misconfigured settings) to `problems`.
pub(super) fn lints(input: &Input<'_>, problems: &mut Vec<Problem>) -> Vec<Warning> {
    let settings = input.settings;
    settings_problems(input, problems);
    let mut fired = Vec::new();
    if settings.on(Lint::HeldDisposableTransient) || settings.on(Lint::RequestBoundHeld) {
        held(input, &mut fired);
    }
    if settings.on(Lint::Unused) && !settings.roots.is_empty() {
        unused(input, &mut fired);
    }
    // By lint, then in the order found (registration order of holders).
    fired.sort_by_key(|w| w.lint.code());
    let mut warnings = Vec::new();
    for w in fired {
        match settings.level(w.lint) {
            Level::Allow { .. } => {}
            Level::Warn => warnings.push(w),
            Level::Deny => problems.push(Problem::Denied { warning: w }),
        }
    }
    warnings
}

fn setting(name: &'static str, site: &'static Location<'static>) -> Node {
    Node {
        name,
        role: Role::Setting,
        site,
    }
}

/// Settings that cannot apply are problems, never silent no-ops.
fn settings_problems(input: &Input<'_>, problems: &mut Vec<Problem>) {
    let s = input.settings;
    for &(lint, level, site) in &s.levels {
        if let Level::Allow { reason } = level
            && reason.trim().is_empty()
        {
            problems.push(Problem::Misconfigured {
                node: setting(lint.name(), site),
                reason: format!(
                    "allowing a lint needs a reason: `Level::Allow {{ reason: \"..\" }}`, saying \
                     why {} does not apply to this application",
                    lint.code()
                ),
            });
        }
    }
    let sel = input.sel;
    for &(key, site) in &s.request_bound {
        let reason = match sel.index.get(&key.id) {
            None => "it is not registered as a service; register it, or remove the \
                     `request_bound` mark"
                .to_owned(),
            Some(&i) => match (
                &input.services[i as usize].exec,
                input.services[i as usize].lifetime,
            ) {
                (Exec::Forward(_), _) => format!(
                    "`{}` is a binding; mark the implementation it is bound to",
                    short_name(key.name)
                ),
                (_, Lifetime::Singleton) => format!(
                    "`{}` is a singleton: it lives as long as the container, so it cannot be \
                     request-bound. Make it scoped (or transient), or remove the mark",
                    short_name(key.name)
                ),
                _ => continue,
            },
        };
        problems.push(Problem::Misconfigured {
            node: setting(key.name, site),
            reason,
        });
    }
    for &(key, site) in &s.roots {
        if !sel.index.contains_key(&key.id) && !sel.collection_index.contains_key(&key.id) {
            problems.push(Problem::Misconfigured {
                node: setting(key.name, site),
                reason: "it is declared a root (`builder.root::<T>()`) but is not registered; \
                         register it, or remove the root"
                    .to_owned(),
            });
        }
    }
}

/// `L0001` and `L0003`: what each singleton and pooled service holds
/// through transparent services (transients, bindings, elements).
fn held(input: &Input<'_>, fired: &mut Vec<Warning>) {
    let Input {
        services,
        edges,
        graph,
        settings,
        sel,
        ..
    } = *input;
    let n = services.len();
    let transparent = |v: u32| services[v as usize].lifetime.rank().is_none();
    let disposable = |v: u32| {
        let s = &services[v as usize];
        s.lifetime == Lifetime::Transient
            && s.disposer.is_some()
            && !matches!(s.exec, Exec::Forward(_))
    };
    let mut bound = vec![false; n];
    for (key, _) in &settings.request_bound {
        if let Some(&i) = sel.index.get(&key.id) {
            bound[i as usize] = true;
        }
    }
    let check_disposable =
        settings.on(Lint::HeldDisposableTransient) && (0..n as u32).any(disposable);
    let check_bound = settings.on(Lint::RequestBoundHeld) && bound.contains(&true);
    if !check_disposable && !check_bound {
        return;
    }
    // The service a (binding) entry resolves to.
    let resolved = |t: u32| match services[t as usize].exec {
        Exec::Forward(x) if x != NO_TARGET => x,
        _ => t,
    };
    let mut walk = Walk::new(n);
    for h in 0..n as u32 {
        let holder = &services[h as usize];
        if !matches!(holder.lifetime, Lifetime::Singleton | Lifetime::Pooled)
            || matches!(holder.exec, Exec::Forward(_))
        {
            continue;
        }
        let reached = walk.from(h, graph, &transparent);
        for &t in &reached {
            if check_disposable && disposable(t) {
                fired.push(disposable_warning(node_path(&walk, h, t, services), holder));
            }
            if check_bound && bound[t as usize] && transparent(t) {
                fired.push(bound_warning(node_path(&walk, h, t, services), None));
            }
        }
        if !check_bound {
            continue;
        }
        // Factory handles hold nothing, so they are not in the graph: look
        // at the declared edges of the holder and of what it holds.
        for v in std::iter::once(h).chain(reached.iter().copied().filter(|&v| transparent(v))) {
            let s = &services[v as usize];
            for e in &edges[s.edges.start as usize..s.edges.end as usize] {
                let (DependencyKind::Factory, Target::Service(t)) = (e.kind, e.target) else {
                    continue;
                };
                let target = resolved(t);
                if !bound[target as usize] {
                    continue;
                }
                let mut path = node_path(&walk, h, v, services);
                path.push(services[t as usize].node);
                if target != t {
                    path.push(services[target as usize].node);
                }
                fired.push(bound_warning(path, Some(s.node)));
            }
        }
    }
}

fn holder_kind(holder: &Node) -> &'static str {
    match holder.lifetime() {
        Some(Lifetime::Pooled) => "pooled service",
        _ => "singleton",
    }
}

fn disposable_warning(path: Vec<Node>, holder: &Service) -> Warning {
    let (h, t) = (path[0].short_name(), path[path.len() - 1].short_name());
    let advice = if holder.lifetime == Lifetime::Pooled {
        format!(
            "`{t}` has an async disposer, and belongs to the scope that created this `{h}` \
             instance: that scope disposes it when it ends, while the pooled instance goes on \
             using it in the next scopes that rent it. Make `{t}` a singleton, or take \
             `Factory<{t}>` and create one per use in a scope the caller passes."
        )
    } else {
        format!(
            "`{t}` has an async disposer, and a transient created for a singleton belongs to the \
             container: it lives as long as `{h}`, and its disposer runs only at `shutdown()`. \
             Make `{t}` scoped to dispose it per scope, or take `Factory<{t}>` and create one in \
             a scope the caller passes (disposed with that scope); if it is meant to live that \
             long, allow the lint with the reason."
        )
    };
    Warning {
        lint: Lint::HeldDisposableTransient,
        path,
        advice,
    }
}

fn bound_warning(path: Vec<Node>, through_factory_of: Option<Node>) -> Warning {
    let holder = path[0];
    let (kind, h, t) = (
        holder_kind(&holder),
        holder.short_name(),
        path[path.len() - 1].short_name(),
    );
    let advice = match through_factory_of {
        None => format!(
            "`{t}` is marked request-bound: it carries one request's state, and a {kind} keeps \
             one instance for every request at once. Make `{h}` scoped or transient, or pass \
             `{t}` to `{h}`'s methods as an argument."
        ),
        Some(v) => format!(
            "`{t}` is marked request-bound: it carries one request's state. `{}` takes \
             `Factory<{t}>`, so the {kind} `{h}` can create one for a request and keep it in a \
             field, where the next request finds it. Pass `{t}` to `{h}`'s methods as an \
             argument instead, or make `{h}` scoped.",
            v.short_name()
        ),
    };
    Warning {
        lint: Lint::RequestBoundHeld,
        path,
        advice,
    }
}

/// `L0002`: the registrations in effect that no declared root reaches.
fn unused(input: &Input<'_>, fired: &mut Vec<Warning>) {
    let roots: Vec<TypeId> = input.settings.roots.iter().map(|(k, _)| k.id).collect();
    let Some(keep) = reachable(input.regs, input.decorators, &roots) else {
        return; // no root is registered: each is a problem already
    };
    let names: Vec<String> = input
        .settings
        .roots
        .iter()
        .map(|(k, _)| format!("`{}`", short_name(k.name)))
        .collect();
    for (a, r) in input.sel.active.iter().enumerate() {
        if keep[input.sel.reg_of[a]] {
            continue;
        }
        let what = match r.node.role {
            Role::Binding => "nothing depends on this binding",
            Role::Element => "nothing takes this collection",
            _ => "nothing depends on it",
        };
        fired.push(Warning {
            lint: Lint::Unused,
            path: vec![r.node],
            advice: format!(
                "No root reaches it ({}): {what}, and it is not a root. Remove it, or declare \
                 it a root with `builder.root::<{}>()` if application code resolves it (directly, \
                 or through a `ScopeFactory`).",
                names.join(", "),
                short_name(r.key.name)
            ),
        });
    }
}

/// The path of the last walk from `h` to `t`, as nodes.
fn node_path(walk: &Walk, h: u32, t: u32, services: &[Service]) -> Vec<Node> {
    walk.path(h, t)
        .into_iter()
        .map(|v| services[v as usize].node)
        .collect()
}
