//! The one resolution core: the lookup step shared by sync and async
//! resolution, the sync driver, and what happens once an instance exists.
//!
//! Resolving service `i` is a loop over [`Ctx::lookup`]:
//!
//! - [`Step::Hit`]: the instance exists (a typed singleton handle, a cached
//!   instance);
//! - [`Step::Busy`]: another actor creates it: wait (block or await), then
//!   look up again;
//! - [`Step::Fill`]: this call creates it, holding a claim on its slot.
//!
//! Every rule lives in the lookup (scoped-from-root, ended scopes and
//! containers, re-entrancy and deadlocks through the slot claim, refusing
//! an untrackable transient before it is created, a failure memo during
//! warm-up) or in [`Ctx::complete`] (storing, ownership for disposal, typed
//! handles, instance counts). The sync driver ([`Ctx::get`]) and the async
//! one (`asynch::resolve`) differ only in how they wait and how they run
//! the factory: call it, or await it.

use std::sync::Arc;

use parking_lot::Mutex;

use crate::actor::Actor;
use crate::container::Shared;
use crate::erased::Erased;
use crate::error::{ResolveError, ResolveErrorKind};
use crate::inject::{Deps, Fast, Got, HandleSeed, Source};
use crate::lifetime::Lifetime;
use crate::node::Node;
use crate::plan::{Exec, Service};
use crate::pool::Rent;
use crate::scope::ScopeShared;
use crate::slot::{Claim, Filling, Slot};

/// Where a resolution happens: always a container, and a scope unless it is
/// a resolution from the root (or the creation of a singleton).
#[derive(Clone, Copy)]
pub(crate) struct Ctx<'a> {
    pub(crate) root: &'a Arc<Shared>,
    pub(crate) scope: Option<&'a Arc<ScopeShared>>,
    /// Creating a singleton: transients with async disposers created now
    /// are owned by the container.
    pub(crate) in_singleton: bool,
    /// During a warm-up: the services that already failed in it.
    pub(crate) memo: Option<&'a Memo>,
}

/// An existing instance, borrowed (see [`Ctx::existing`]).
pub(crate) enum Existing<'a> {
    /// A singleton's typed handle: a `&Arc<T>` as `Any`.
    Typed(&'a (dyn std::any::Any + Send + Sync)),
    /// The scope's instance of a scoped (or pooled) service.
    Scoped(&'a Erased),
}

/// One step of a resolution.
pub(crate) enum Step<'a> {
    /// The instance exists.
    Hit(Got<'a>),
    /// Another actor creates it: wait with this actor, then look up again.
    Busy(&'a Slot, Actor),
    /// Create it.
    Fill(Fill<'a>),
}

/// A creation this resolution is responsible for.
pub(crate) struct Fill<'a> {
    pub(crate) idx: u32,
    pub(crate) svc: &'a Service,
    /// The claim on its slot (cached services).
    claim: Option<Filling<'a>>,
    /// The actor to make current while creating, if the claim made a new
    /// one (a top-level creation).
    pub(crate) enter: Option<Actor>,
    /// When the creation started (for tracing).
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    pub(crate) started: crate::trace::Start,
}

/// The services that failed during one warm-up, so that each is tried
/// once and its dependents report it as their cause.
#[derive(Default)]
pub(crate) struct Memo {
    failed: Mutex<Vec<(u32, Node)>>,
}

impl Memo {
    fn cause_of(&self, idx: u32) -> Option<Node> {
        self.failed
            .lock()
            .iter()
            .find(|(i, _)| *i == idx)
            .map(|(_, n)| *n)
    }

    fn record(&self, idx: u32, err: &ResolveError) {
        let cause = match err.kind() {
            ResolveErrorKind::DependencyFailed { cause } => *cause,
            _ => match err.innermost() {
                Some(n) => n,
                None => return,
            },
        };
        self.failed.lock().push((idx, cause));
    }
}

impl<'a> Ctx<'a> {
    pub(crate) fn root(root: &'a Arc<Shared>) -> Self {
        Ctx {
            root,
            scope: None,
            in_singleton: false,
            memo: None,
        }
    }

    pub(crate) fn scoped(scope: &'a Arc<ScopeShared>) -> Self {
        Ctx {
            root: &scope.root,
            scope: Some(scope),
            in_singleton: false,
            memo: None,
        }
    }

    /// The context singletons are built in: the root, never the scope that
    /// happened to ask first (a singleton must not see anything scoped).
    pub(crate) fn for_singleton(&self) -> Self {
        Ctx {
            root: self.root,
            scope: None,
            in_singleton: true,
            memo: self.memo,
        }
    }

    /// The context a service is built in: the root for singletons.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn building(&self, svc: &Service) -> Self {
        if svc.lifetime == Lifetime::Singleton {
            self.for_singleton()
        } else {
            *self
        }
    }

    #[inline]
    pub(crate) fn service(&self, idx: u32) -> &'a Service {
        &self.root.plan.services[idx as usize]
    }

    /// Whether this context still serves: its scope (if any) has not
    /// ended (`dispose` started) and its container has not been shut down.
    /// The one rule; [`check_open`](Ctx::check_open) is its error.
    #[inline(always)]
    pub(crate) fn serves(&self) -> bool {
        !self.root.is_shut_down() && self.scope.is_none_or(|s| !s.is_ended())
    }

    /// Fails if this context can resolve nothing more (see
    /// [`serves`](Ctx::serves)).
    #[inline]
    pub(crate) fn check_open(&self) -> Result<(), ResolveError> {
        if self.serves() {
            return Ok(());
        }
        Err(ResolveError::new(if self.root.is_shut_down() {
            ResolveErrorKind::ShutDown
        } else {
            ResolveErrorKind::ScopeEnded
        }))
    }

    /// [`check_open`](Ctx::check_open) for a resolution of service `idx`
    /// (whose error names it).
    #[inline]
    pub(crate) fn check_open_for(&self, idx: u32) -> Result<(), ResolveError> {
        self.check_open()
            .map_err(|e| e.within(self.service(idx).node))
    }

    /// The first step of resolving service `idx`: a hit, a wait, or a
    /// creation to run. Never blocks and never runs user code.
    #[inline(always)]
    pub(crate) fn lookup(&self, idx: u32) -> Result<Step<'a>, ResolveError> {
        let svc = self.service(idx);
        if let Some(memo) = self.memo
            && let Some(cause) = memo.cause_of(idx)
        {
            return Err(ResolveError::at(
                ResolveErrorKind::DependencyFailed { cause },
                svc.node,
            ));
        }
        let slot = match svc.lifetime {
            Lifetime::Singleton => {
                if let Some(typed) = self.root.typed[svc.slot as usize].get() {
                    return Ok(Step::Hit(Got::Typed(&**typed)));
                }
                &self.root.slots[svc.slot as usize]
            }
            Lifetime::Scoped | Lifetime::Pooled => {
                let scope = self
                    .scope
                    .ok_or_else(|| ResolveError::at(ResolveErrorKind::ScopedFromRoot, svc.node))?;
                scope.slot(svc.slot, self.root.plan.scoped_slots)
            }
            Lifetime::Transient => {
                // Refused before anything is created: nothing would await
                // its disposer.
                if svc.disposer.is_some() && self.scope.is_none() && !self.in_singleton {
                    return Err(ResolveError::at(
                        ResolveErrorKind::UntrackedDisposable,
                        svc.node,
                    ));
                }
                // Owned by the scope or container: refused once they end.
                if svc.disposer.is_some() {
                    self.check_open().map_err(|e| e.within(svc.node))?;
                }
                return Ok(Step::Fill(Fill {
                    idx,
                    svc,
                    claim: None,
                    enter: None,
                    started: crate::trace::start(),
                }));
            }
        };
        if let Some(v) = slot.get() {
            return Ok(Step::Hit(Got::Erased(v.clone(), &*svc.caster)));
        }
        if matches!(svc.exec, Exec::Supplied) {
            return Err(ResolveError::at(ResolveErrorKind::NotSupplied, svc.node));
        }
        let (actor, new) = Actor::current_or_new();
        match slot.claim(&actor) {
            Claim::Hit(v) => Ok(Step::Hit(Got::Erased(v, &*svc.caster))),
            Claim::Busy => Ok(Step::Busy(slot, actor)),
            Claim::Fill(claim) => {
                // A creation after `dispose` or `shutdown` started is refused
                // (the claim is released empty).
                self.check_open().map_err(|e| e.within(svc.node))?;
                Ok(Step::Fill(Fill {
                    idx,
                    svc,
                    claim: Some(claim),
                    enter: new.then_some(actor),
                    started: crate::trace::start(),
                }))
            }
        }
    }

    /// The instance of a hit, type-erased.
    pub(crate) fn erased(&self, idx: u32, got: Got<'a>) -> Erased {
        match got {
            Got::Erased(e, _) => e,
            Got::Typed(_) => {
                let svc = self.service(idx);
                self.root.slots[svc.slot as usize]
                    .get()
                    .expect("tenure bug: a typed singleton handle without its instance")
                    .clone()
            }
        }
    }

    /// Records a created instance: stores it, gives it to its owner for
    /// disposal, makes a singleton's typed handle, finishes a pool rent.
    /// Returns the stored instance (erased: two words, in registers).
    pub(crate) fn complete(
        &self,
        fill: Fill<'a>,
        value: Erased,
        rent: Option<Rent<'a>>,
        created: bool,
    ) -> Erased {
        let Fill {
            idx,
            svc,
            claim,
            started,
            ..
        } = fill;
        crate::trace::created(self, svc, started, created);
        if let Some(rent) = rent {
            rent.finish(created);
        }
        match claim {
            Some(claim) => {
                let stored = claim.complete(value);
                match svc.lifetime {
                    Lifetime::Singleton => self.root.singleton_created(idx, svc, &stored),
                    _ => {
                        if let Some(scope) = self.scope
                            && let Some(slots) = scope.slots()
                        {
                            scope.owned.push_slot(slots, svc.slot, idx);
                        }
                    }
                }
                stored
            }
            None => {
                // A transient with an async disposer is owned by the scope
                // that created it (or the container, inside a singleton), so
                // that its disposer is awaited with theirs.
                if svc.disposer.is_some() {
                    match self.scope {
                        Some(scope) => scope.owned.push_transient(value.clone(), idx),
                        None => self.root.owned.push_transient(value.clone(), idx),
                    }
                }
                value
            }
        }
    }

    /// A creation failed: marks it in the warm-up memo, and records where.
    pub(crate) fn failed(&self, fill_idx: u32, svc: &Service, err: ResolveError) -> ResolveError {
        let err = err.within(svc.node);
        crate::trace::failed(self, &svc.node, &err);
        if let Some(memo) = self.memo
            && svc.lifetime == Lifetime::Singleton
        {
            memo.record(fill_idx, &err);
        }
        err
    }

    /// Counts a new instance, if `track_instances` is on.
    #[inline]
    pub(crate) fn count(&self, svc: &Service, value: &Erased) {
        if let Some(census) = &self.root.census {
            // A clone, passed by value: handing the census the instance's
            // address would keep it in memory on every creation (written as
            // two words, read back as one: a store-forwarding stall that
            // was half of `construct`'s time).
            census.record(svc.id, Erased::clone(value), self.scope);
        }
    }

    /// What factories fetch directly in this context: singletons, and the
    /// scope's existing instances.
    #[inline]
    pub(crate) fn fast(&self) -> Fast<'a> {
        Fast {
            typed: &self.root.typed,
            scoped: self.scope.and_then(|s| s.slots()).unwrap_or(&[]),
            casters: &self.root.plan.casters,
        }
    }

    /// The origin of a handle created in this context.
    pub(crate) fn seed(&self, idx: Option<u32>) -> HandleSeed {
        let root: std::sync::Weak<dyn std::any::Any + Send + Sync> = Arc::downgrade(self.root) as _;
        HandleSeed {
            root,
            scope: self.scope.map(|s| {
                let w: std::sync::Weak<dyn std::any::Any + Send + Sync> = Arc::downgrade(s) as _;
                w
            }),
            in_singleton: self.in_singleton,
            node: idx.map(|i| self.service(i).node),
        }
    }

    // ----- the sync driver -----

    /// The existing instance of `svc` in this context, borrowed: a
    /// singleton's typed handle, or the scope's instance. [`hit`](Ctx::hit)
    /// and [`exists`](Ctx::exists) ask it; [`resolve_as`](Ctx::resolve_as)
    /// spells the same rule out (see there).
    #[inline(always)]
    pub(crate) fn existing(&self, svc: &Service) -> Option<Existing<'a>> {
        match svc.lifetime {
            Lifetime::Singleton => self.root.typed[svc.slot as usize]
                .get()
                .map(|t| Existing::Typed(&**t)),
            Lifetime::Scoped | Lifetime::Pooled => {
                self.scope?.cached(svc.slot).map(Existing::Scoped)
            }
            Lifetime::Transient => None,
        }
    }

    /// Whether service `idx`'s instance exists in this context, without
    /// taking a reference to it.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn exists(&self, idx: u32) -> bool {
        self.existing(self.service(idx)).is_some()
    }

    /// An existing instance of service `idx`, if there is one: the hot
    /// path of every resolution, inlined (no call, no error plumbing).
    #[inline]
    pub(crate) fn hit(&self, idx: u32) -> Option<Got<'a>> {
        let svc = self.service(idx);
        Some(match self.existing(svc)? {
            Existing::Typed(t) => Got::Typed(t),
            Existing::Scoped(v) => Got::Erased(v.clone(), &*svc.caster),
        })
    }

    /// Resolves service `idx`, creating what is missing synchronously.
    #[inline]
    pub(crate) fn get(&self, idx: u32) -> Result<Got<'a>, ResolveError> {
        match self.hit(idx) {
            Some(got) => Ok(got),
            None => self.get_slow(idx),
        }
    }

    /// [`get`](Ctx::get) past the hot path: a plain transient is built
    /// at once (it claims nothing, no owner keeps it); everything else goes
    /// through the lookup loop.
    #[inline(never)]
    fn get_slow(&self, idx: u32) -> Result<Got<'a>, ResolveError> {
        let svc = self.service(idx);
        if self.plain_transient(svc) {
            self.transient(svc).map(|v| Got::Erased(v, &*svc.caster))
        } else {
            self.get_cached(idx)
        }
    }

    /// A transient that claims nothing and that no owner keeps (no async
    /// disposer, not during a warm-up): built at once, without the lookup.
    #[inline(always)]
    fn plain_transient(&self, svc: &Service) -> bool {
        svc.lifetime == Lifetime::Transient && svc.disposer.is_none() && self.memo.is_none()
    }

    /// Builds a [plain transient](Ctx::plain_transient), inlined into its
    /// callers: its factory called right here (through an out-of-line call
    /// chain the same work took a fifth longer in a timing loop, for no
    /// more instructions).
    #[inline(always)]
    fn transient(&self, svc: &'a Service) -> Result<Erased, ResolveError> {
        let started = crate::trace::start();
        let made = match &svc.exec {
            Exec::Factory(f) => {
                let mut src = Direct { cx: self };
                let edges = self.root.plan.edges_of(svc);
                crate::factory::call(&**f, &mut Deps::new(edges, self.fast(), &mut src))
                    .inspect(|v| self.count(svc, v))
            }
            _ => self.construct(svc),
        };
        let v = made.map_err(|e| self.transient_failed(svc, e))?;
        crate::trace::created(self, svc, started, true);
        Ok(v)
    }

    #[cold]
    #[inline(never)]
    fn transient_failed(&self, svc: &Service, e: ResolveError) -> ResolveError {
        let e = e.within(svc.node);
        crate::trace::failed(self, &svc.node, &e);
        e
    }

    /// [`get_cached`](Ctx::get_cached), the instance erased.
    #[inline(never)]
    fn get_cached_erased(&self, idx: u32) -> Result<Erased, ResolveError> {
        self.get_cached(idx).map(|g| self.erased(idx, g))
    }

    /// Everything but a plain transient: the lookup loop.
    #[inline(never)]
    fn get_cached(&self, idx: u32) -> Result<Got<'a>, ResolveError> {
        loop {
            match self.lookup(idx)? {
                Step::Hit(got) => return Ok(got),
                Step::Busy(slot, actor) => slot
                    .wait_sync(&actor)
                    .map_err(|e| e.within(self.service(idx).node))?,
                Step::Fill(fill) => return self.fill_sync(fill),
            }
        }
    }

    /// Resolves service `idx` as an `Arc<T>`.
    #[inline]
    pub(crate) fn resolve_as<T: ?Sized + Send + Sync + 'static>(
        &self,
        idx: u32,
    ) -> Result<Arc<T>, ResolveError> {
        // A hit converted in place, without a `Got` in between. The rule of
        // `existing`, written out: through it (an `Existing`, then the
        // cast), three singleton hits took 8% longer in an alternated
        // timing loop, for 10 more instructions.
        let svc = self.service(idx);
        match svc.lifetime {
            Lifetime::Singleton => {
                if let Some(t) = self.root.typed[svc.slot as usize].get() {
                    return Ok(crate::inject::cast_typed::<T>(&**t));
                }
            }
            Lifetime::Scoped | Lifetime::Pooled => {
                if let Some(v) = self.scope.and_then(|s| s.cached(svc.slot)) {
                    return Ok(crate::inject::cast_erased::<T>(v.clone(), &*svc.caster));
                }
            }
            Lifetime::Transient => {}
        }
        // Past a hit, the instance comes back erased (two words, returned in
        // registers) and is converted here.
        let made = if self.plain_transient(svc) {
            self.transient(svc)
        } else {
            self.get_cached_erased(idx)
        };
        made.map(|v| crate::inject::cast_erased::<T>(v, &*svc.caster))
    }

    /// Resolves every element of collection `c`, in registration order.
    pub(crate) fn resolve_collection<T: ?Sized + Send + Sync + 'static>(
        &self,
        c: u32,
    ) -> Result<Vec<Arc<T>>, ResolveError> {
        let elements = &self.root.plan.collections[c as usize];
        let mut out = Vec::with_capacity(elements.len());
        for &i in elements.iter() {
            out.push(self.resolve_as::<T>(i)?);
        }
        Ok(out)
    }

    fn fill_sync(&self, fill: Fill<'a>) -> Result<Got<'a>, ResolveError> {
        let (idx, svc) = (fill.idx, fill.svc);
        let _entered = fill.enter.as_ref().map(Actor::enter);
        // Borrowed unless it is a singleton's: a copy of a context just
        // built would read it back before its stores retire.
        let root_cx;
        let cx = if svc.lifetime == Lifetime::Singleton {
            root_cx = self.for_singleton();
            &root_cx
        } else {
            self
        };
        let mut rent = match svc.pool {
            Some(p) => Some(
                self.root.pools[p as usize]
                    .try_rent()
                    .map_err(|e| e.within(svc.node))?,
            ),
            None => None,
        };
        let value = match rent.as_mut().and_then(Rent::take_idle) {
            Some(v) => Ok((v, false)),
            None => cx.construct(svc).map(|v| (v, true)),
        };
        match value {
            Ok((v, created)) => Ok(Got::Erased(
                self.complete(fill, v, rent, created),
                &*svc.caster,
            )),
            Err(e) => Err(self.failed(idx, svc, e)),
        }
    }

    /// Runs the service's factory (or forwards) with its dependencies
    /// resolved synchronously.
    pub(crate) fn construct(&self, svc: &'a Service) -> Result<Erased, ResolveError> {
        match &svc.exec {
            Exec::Factory(f) => {
                let mut src = Direct { cx: self };
                let value = crate::factory::call(
                    &**f,
                    &mut Deps::new(self.root.plan.edges_of(svc), self.fast(), &mut src),
                )?;
                self.count(svc, &value);
                Ok(value)
            }
            Exec::Instance(v) => Ok(v.clone()),
            Exec::Forward(target) => self.get(*target).map(|g| self.erased(*target, g)),
            Exec::AsyncFactory(_) => {
                Err(ResolveError::at(ResolveErrorKind::AsyncRequired, svc.node))
            }
            Exec::Supplied => Err(ResolveError::at(ResolveErrorKind::NotSupplied, svc.node)),
        }
    }
}

/// Serves a factory's dependencies by resolving them synchronously.
struct Direct<'c, 'a> {
    /// By reference: a copy of a context just built reads it back before
    /// its stores retire (a 16-byte load over separate smaller stores,
    /// which store forwarding cannot serve: a stall of a dozen cycles on
    /// every creation).
    cx: &'c Ctx<'a>,
}

impl<'d, 'a: 'd> Source<'d> for Direct<'_, 'a> {
    fn one(&mut self, _pos: usize, idx: u32) -> Result<Got<'d>, ResolveError> {
        self.cx.get(idx)
    }

    fn erased(&mut self, _pos: usize, idx: u32) -> Result<Erased, ResolveError> {
        self.cx.get(idx).map(|g| self.cx.erased(idx, g))
    }

    fn many(
        &mut self,
        _pos: usize,
        c: u32,
        each: &mut dyn FnMut(Got<'d>),
    ) -> Result<(), ResolveError> {
        for &i in self.cx.root.plan.collections[c as usize].iter() {
            each(self.cx.get(i)?);
        }
        Ok(())
    }

    fn seed(&self, idx: Option<u32>) -> HandleSeed {
        self.cx.seed(idx)
    }
}
