//! Who is resolving: actors, and deadlock detection between them.
//!
//! An *actor* is one chain of nested creations: a top-level resolution that
//! has to create something, or a resolution started by a handle (`Lazy`,
//! `Factory`) inside a factory, which forks a child actor of the actor that
//! runs the factory. Creating a cached instance claims its slot for the
//! actor until the factory is done (see [`slot`](crate::slot)); every other
//! actor that needs the slot waits, sync (blocking) or async (awaiting).
//!
//! A wait can never complete if the slot's owner is the waiter itself or
//! one of its ancestors (a factory asking, through a handle, for what it is
//! creating), or if the owner, through the waits of its own descendants,
//! waits for the waiter (task 1 creates `A` and waits for `B`; task 2
//! creates `B` and, through `Lazy<A>`, waits for `A`). Before waiting, an
//! actor checks both and fails with
//! [`Reentrant`](crate::ResolveErrorKind::Reentrant) instead of hanging:
//! the same rule for threads and Tokio tasks, sync and async resolution.
//!
//! Cost: an actor is made only when something is created (a hit needs none),
//! from a per-thread counter (no shared atomic); the global wait registry is
//! locked only when an actor has to wait, or when a slot someone waits for
//! changes hands.
//!
//! The current actor is found in a thread-local (set while a synchronous
//! creation runs) and, with the `tokio` feature, a task-local (set while an
//! async creation is polled), so that a sync factory called inside an async
//! creation, or an async one inside a sync `block_on`, still knows whose
//! chain it extends.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use parking_lot::Mutex;

use crate::error::{ResolveError, ResolveErrorKind};

/// How deeply resolutions started by handles may nest before they are
/// taken for a service that creates itself through a handle (a transient
/// taking `Factory<Self>` and calling it in its factory), which would
/// otherwise recurse until the stack overflows.
pub(crate) const MAX_DEPTH: usize = 64;

/// One chain of nested creations, with the chains it was forked from.
///
/// Small (24 bytes) and cheap to clone: a root actor (a top-level
/// resolution) has no ancestors; a fork shares its ancestor list.
#[derive(Clone, Debug)]
pub(crate) struct Actor {
    id: u64,
    /// The ids of its ancestors, outermost first.
    ancestors: Option<Arc<[u64]>>,
}

/// Whether `id` is in an ancestor list.
fn among(ancestors: &Option<Arc<[u64]>>, id: u64) -> bool {
    ancestors.as_deref().is_some_and(|a| a.contains(&id))
}

thread_local! {
    /// The actor of the synchronous creation running on this thread.
    static CURRENT: RefCell<Option<Actor>> = const { RefCell::new(None) };
}

#[cfg(feature = "tokio")]
tokio::task_local! {
    /// The actor of the async creation being polled.
    static TASK: Actor;
}

/// A fresh actor id: the thread's token in the high half, a per-thread
/// counter in the low half (never 0).
fn fresh_id() -> u64 {
    static NEXT_THREAD: AtomicU32 = AtomicU32::new(1);
    thread_local! {
        static IDS: std::cell::Cell<(u32, u32)> = const { std::cell::Cell::new((0, 0)) };
    }
    IDS.with(|c| {
        let (mut thread, n) = c.get();
        if thread == 0 {
            thread = NEXT_THREAD.fetch_add(1, Ordering::Relaxed);
        }
        let n = n.wrapping_add(1);
        c.set((thread, n));
        (u64::from(thread) << 32) | u64::from(n)
    })
}

impl Actor {
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// The actor whose chain the calling code extends, if any.
    pub(crate) fn current() -> Option<Actor> {
        if let Some(a) = CURRENT.with(|c| c.borrow().clone()) {
            return Some(a);
        }
        #[cfg(feature = "tokio")]
        if let Ok(a) = TASK.try_with(Actor::clone) {
            return Some(a);
        }
        None
    }

    /// The current actor, or a new root actor if there is none (`true`:
    /// new, so the caller must [`enter`](Actor::enter) it while it creates).
    pub(crate) fn current_or_new() -> (Actor, bool) {
        match Actor::current() {
            Some(a) => (a, false),
            None => (
                Actor {
                    id: fresh_id(),
                    ancestors: None,
                },
                true,
            ),
        }
    }

    /// A child of the current actor (or a root actor), for a resolution
    /// started by a handle. Fails with `Reentrant` past [`MAX_DEPTH`]
    /// nested handle resolutions.
    pub(crate) fn fork() -> Result<Actor, ResolveError> {
        let Some(parent) = Actor::current() else {
            return Ok(Actor::current_or_new().0);
        };
        let depth = parent.ancestors.as_deref().map_or(0, <[u64]>::len);
        if depth >= MAX_DEPTH {
            return Err(ResolveError::new(ResolveErrorKind::Reentrant));
        }
        let ancestors: Arc<[u64]> = parent
            .ancestors
            .as_deref()
            .unwrap_or(&[])
            .iter()
            .copied()
            .chain([parent.id])
            .collect();
        Ok(Actor {
            id: fresh_id(),
            ancestors: Some(ancestors),
        })
    }

    /// Whether `owner` is this actor or one of its ancestors.
    fn is_self_or_ancestor(&self, owner: u64) -> bool {
        owner == self.id || among(&self.ancestors, owner)
    }

    /// Makes this the current actor of the thread until the guard drops.
    pub(crate) fn enter(self) -> Entered {
        let before = CURRENT.with(|c| c.replace(Some(self)));
        Entered(before)
    }

    /// Runs `fut` with this as the current actor of the task whenever it is
    /// polled.
    #[cfg(feature = "tokio")]
    pub(crate) fn scope<F: std::future::Future>(
        self,
        fut: F,
    ) -> impl std::future::Future<Output = F::Output> {
        TASK.scope(self, fut)
    }
}

/// Restores the thread's previous actor (see [`Actor::enter`]).
pub(crate) struct Entered(Option<Actor>);

impl Drop for Entered {
    fn drop(&mut self) {
        let before = self.0.take();
        CURRENT.with(|c| *c.borrow_mut() = before);
    }
}

/// An actor waiting for a slot, and the slot's owner (0: nobody).
struct Wait {
    actor: u64,
    ancestors: Option<Arc<[u64]>>,
    slot: usize,
    owner: u64,
}

static WAITS: Mutex<Vec<Wait>> = Mutex::new(Vec::new());

/// A registered wait, removed when dropped (however the wait ends:
/// woken, failed, or cancelled).
pub(crate) struct Waiting {
    actor: u64,
    slot: usize,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        let mut waits = WAITS.lock();
        if let Some(i) = waits
            .iter()
            .position(|w| w.actor == self.actor && w.slot == self.slot)
        {
            waits.swap_remove(i);
        }
    }
}

/// Before `me` waits for slot `slot`, owned by actor `owner`: fails with
/// `Reentrant` if the wait could never end, otherwise registers it.
pub(crate) fn start_waiting(me: &Actor, slot: usize, owner: u64) -> Result<Waiting, ResolveError> {
    if me.is_self_or_ancestor(owner) {
        return Err(ResolveError::new(ResolveErrorKind::Reentrant));
    }
    let mut waits = WAITS.lock();
    // Follow "X waits (itself or through a descendant) for a slot owned by
    // Y" from the owner; reaching `me` or an ancestor of `me` closes a
    // cycle. Bounded by the registry's size.
    let mut seen: Vec<u64> = Vec::new();
    let mut todo = vec![owner];
    while let Some(x) = todo.pop() {
        if x == 0 || seen.contains(&x) {
            continue;
        }
        if me.is_self_or_ancestor(x) {
            return Err(ResolveError::new(ResolveErrorKind::Reentrant));
        }
        seen.push(x);
        todo.extend(
            waits
                .iter()
                .filter(|w| w.actor == x || among(&w.ancestors, x))
                .map(|w| w.owner),
        );
    }
    waits.push(Wait {
        actor: me.id,
        ancestors: me.ancestors.clone(),
        slot,
        owner,
    });
    drop(waits);
    Ok(Waiting { actor: me.id, slot })
}

/// Slot `slot`, which someone waits for, changed hands (0: released).
pub(crate) fn owner_changed(slot: usize, owner: u64) {
    for w in WAITS.lock().iter_mut().filter(|w| w.slot == slot) {
        w.owner = owner;
    }
}
