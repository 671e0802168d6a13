//! Start and stop hooks ([`on_start`](crate::ContainerBuilder::on_start),
//! [`on_stop`](crate::ContainerBuilder::on_stop)), checked and collected
//! for the plan. Whether the service is registered, and resolved as the
//! hook's type, is checked with the other hooks (`link::attach_hooks`);
//! here: only singletons have a lifecycle, and one hook of each kind.

use std::any::TypeId;

use crate::builder::{Hook, HookKind};
use crate::error::Problem;
use crate::key::IdMap;
use crate::lifetime::Lifetime;
use crate::plan::{Exec, LifeHooks, Service};

pub(super) fn collect(
    hooks: &[Hook],
    index: &IdMap<TypeId, u32>,
    services: &[Service],
    problems: &mut Vec<Problem>,
) -> Vec<LifeHooks> {
    let mut out: Vec<LifeHooks> = Vec::new();
    for h in hooks {
        let (hook, kind) = match &h.kind {
            HookKind::Start(f) => (f, "start"),
            HookKind::Stop(f) => (f, "stop"),
            HookKind::Disposer(_) | HookKind::Reset(_) => continue,
        };
        let Some(&i) = index.get(&h.key.id) else {
            continue; // reported with the other hooks
        };
        let svc = &services[i as usize];
        let name = h.key.name;
        let mut refuse = |reason: String| {
            problems.push(Problem::Misconfigured {
                node: h.node,
                reason,
            })
        };
        if matches!(svc.exec, Exec::Forward(_)) {
            refuse(format!(
                "`{name}` is a binding; attach the {kind} hook to the implementation type"
            ));
            continue;
        }
        if (*svc.caster).type_id() != h.caster {
            continue; // reported with the other hooks
        }
        if svc.lifetime != Lifetime::Singleton {
            refuse(format!(
                "`{name}` is {} `{name}`: only singletons have a lifecycle (started once by \
                 `Container::start`, stopped once by `shutdown`). Register it as a singleton, \
                 or move the {kind} hook to the singleton that owns the work",
                svc.lifetime
            ));
            continue;
        }
        let at = match out.iter().position(|l| l.svc == i) {
            Some(at) => at,
            None => {
                out.push(LifeHooks {
                    svc: i,
                    start: None,
                    stop: None,
                });
                out.len() - 1
            }
        };
        let slot = match kind {
            "start" => &mut out[at].start,
            _ => &mut out[at].stop,
        };
        match slot {
            Some((first, _)) => refuse(format!(
                "`{name}` already has a {kind} hook (registered at {}); remove one of them, or \
                 do both things in one hook",
                first.site()
            )),
            None => *slot = Some((h.node, hook.clone())),
        }
    }
    out
}
