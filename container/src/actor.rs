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
//! The current actor is found in one thread-local, set while a synchronous
//! creation runs and while an async creation is polled (restored between
//! polls, as a task-local is), so that a sync factory called inside an
//! async creation, or an async one inside a sync `block_on`, still knows
//! whose chain it extends.

use std::cell::{Cell, RefCell};
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
    ancestors: Option<Ancestors>,
}

/// The ids of an actor's ancestors, outermost first. A thin pointer, so that
/// an [`Actor`] is two words and is returned in registers.
type Ancestors = Arc<Vec<u64>>;

/// Whether `id` is in an ancestor list.
fn among(ancestors: &Option<Ancestors>, id: u64) -> bool {
    ancestors.as_deref().is_some_and(|a| a.contains(&id))
}

// This thread's state, one scalar per `const` thread-local, each read or
// written with a single load or store (a struct written in pieces and read
// back whole at once would wait for its stores to retire): the id of the
// actor whose code runs now (0: none), whether it has ancestors (kept in
// `ANCESTORS`), and the last actor id given out on this thread.
thread_local! {
    static CURRENT: Cell<u64> = const { Cell::new(0) };
    static FORKED: Cell<bool> = const { Cell::new(false) };
    static LAST_ID: Cell<u64> = const { Cell::new(0) };
    /// The ancestors of the current actor, when it was forked by a handle.
    static ANCESTORS: RefCell<Option<Ancestors>> = const { RefCell::new(None) };
}

/// A fresh actor id: the thread's token in the high half, a per-thread
/// counter in the low half (never 0).
fn fresh_id() -> u64 {
    static NEXT_THREAD: AtomicU32 = AtomicU32::new(1);
    let last = LAST_ID.get();
    let (thread, n) = match last {
        0 => (NEXT_THREAD.fetch_add(1, Ordering::Relaxed), 0u32),
        _ => ((last >> 32) as u32, last as u32),
    };
    let n = match n.wrapping_add(1) {
        0 => 1,
        n => n,
    };
    let id = (u64::from(thread) << 32) | u64::from(n);
    LAST_ID.set(id);
    id
}

impl Actor {
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// The actor whose chain the calling code extends, if any: the one whose
    /// synchronous creation runs on this thread, or whose async creation is
    /// being polled.
    pub(crate) fn current() -> Option<Actor> {
        let current = CURRENT.get();
        if current == 0 {
            return None;
        }
        Some(Actor {
            id: current,
            ancestors: if FORKED.get() {
                ANCESTORS.with_borrow(Clone::clone)
            } else {
                None
            },
        })
    }

    /// The current actor, or a new root actor if there is none (`true`:
    /// new, so the caller must [`enter`](Actor::enter) it while it creates).
    #[inline]
    pub(crate) fn current_or_new() -> (Actor, bool) {
        let current = CURRENT.get();
        if current != 0 {
            if !FORKED.get() {
                return (
                    Actor {
                        id: current,
                        ancestors: None,
                    },
                    false,
                );
            }
            return (Actor::current().unwrap_or_else(|| unreachable!()), false);
        }
        let id = fresh_id();
        (
            Actor {
                id,
                ancestors: None,
            },
            true,
        )
    }

    /// A child of the current actor (or a root actor), for a resolution
    /// started by a handle. Fails with `Reentrant` past [`MAX_DEPTH`]
    /// nested handle resolutions.
    pub(crate) fn fork() -> Result<Actor, ResolveError> {
        let Some(parent) = Actor::current() else {
            return Ok(Actor::current_or_new().0);
        };
        let depth = parent.ancestors.as_deref().map_or(0, Vec::len);
        if depth >= MAX_DEPTH {
            return Err(ResolveError::new(ResolveErrorKind::Reentrant));
        }
        let ancestors: Ancestors = Arc::new(
            parent
                .ancestors
                .as_deref()
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .copied()
                .chain([parent.id])
                .collect(),
        );
        let id = fresh_id();
        Ok(Actor {
            id,
            ancestors: Some(ancestors),
        })
    }

    /// Whether `owner` is this actor or one of its ancestors.
    fn is_self_or_ancestor(&self, owner: u64) -> bool {
        owner == self.id || among(&self.ancestors, owner)
    }

    /// Makes this the current actor of the thread until the guard drops.
    #[inline]
    pub(crate) fn enter(&self) -> Entered {
        let before = (
            CURRENT.replace(self.id),
            FORKED.replace(self.ancestors.is_some()),
        );
        let ancestors = if self.ancestors.is_some() || before.1 {
            Some(ANCESTORS.replace(self.ancestors.clone()))
        } else {
            None
        };
        Entered { before, ancestors }
    }

    /// Polls `fut` with this as the current actor of the thread (and the
    /// previous one restored after each poll), as a task-local would, with
    /// the same thread state the sync path reads. The future is pinned by
    /// the caller, so it is not moved into another future.
    #[cfg(feature = "tokio")]
    pub(crate) fn polling<'f, F: std::future::Future>(
        &'f self,
        mut fut: std::pin::Pin<&'f mut F>,
    ) -> impl std::future::Future<Output = F::Output> + 'f {
        std::future::poll_fn(move |cx| {
            let _entered = self.enter();
            fut.as_mut().poll(cx)
        })
    }
}

/// Restores the thread's previous actor (see [`Actor::enter`]).
pub(crate) struct Entered {
    before: (u64, bool),
    /// The previous ancestors, when either actor had some.
    ancestors: Option<Option<Ancestors>>,
}

impl Drop for Entered {
    #[inline]
    fn drop(&mut self) {
        CURRENT.set(self.before.0);
        FORKED.set(self.before.1);
        if let Some(before) = self.ancestors.take() {
            ANCESTORS.set(before);
        }
    }
}

/// An actor waiting for a slot, and the slot's owner (0: nobody).
struct Wait {
    actor: u64,
    ancestors: Option<Ancestors>,
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
