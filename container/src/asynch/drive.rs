//! The async driver of the resolution core: one future per resolution,
//! with the creations in progress on an explicit stack of frames.

use crate::erased::{BoxFuture, Erased};
use crate::error::ResolveError;
use crate::factory::ErasedAsyncFactory;
use crate::inject::{Deps, Got, HandleSeed, Source, Target};
use crate::lifetime::Lifetime;
use crate::plan::{Exec, Route, Service};
use crate::pool::Rent;
use crate::resolve::{Ctx, Fill, Step};

impl<'a> Ctx<'a> {
    /// Looks service `idx` up until it is a hit (`Ok`) or this resolution
    /// must create it (`Err`: the claim), awaiting other actors' creations.
    async fn claim_async(self, idx: u32) -> Result<Result<Got<'a>, Fill<'a>>, ResolveError> {
        loop {
            match self.lookup(idx)? {
                Step::Hit(got) => return Ok(Ok(got)),
                Step::Busy(slot, actor) => slot
                    .wait_async(&actor)
                    .await
                    .map_err(|e| e.within(self.service(idx).node))?,
                Step::Fill(fill) => return Ok(Err(fill)),
            }
        }
    }

    /// Resolves service `idx` (which needs something awaited) along its
    /// [`Route`](crate::plan::Route) when it has one: the cached services
    /// whose creation awaits are obtained first, each once everything it
    /// needs exists (no frame, no stack), then the service itself is
    /// built by the sync path, which finds them. Without a route (a
    /// transient async factory in its graph), during a warm-up (whose memo
    /// the driver keeps), or from the root when a step is scoped or
    /// pooled, the driver's frames do it ([`drive`](Ctx::drive)).
    ///
    /// The sync path never waits here for a creation that awaits: every
    /// cached service it meets whose creation may await is a step, and
    /// exists; the others are never claimed across an `.await`.
    pub(super) async fn routed(self, idx: u32) -> Result<Got<'a>, ResolveError> {
        let route = match self.root.plan.route(idx) {
            Some(r) if self.memo.is_none() && (self.scope.is_some() || !r.scoped) => r,
            _ => return self.drive(idx).await,
        };
        let in_root = self.for_singleton();
        for step in route.steps.iter() {
            let cx = if step.in_singleton { in_root } else { self };
            if cx.exists(step.svc) {
                continue;
            }
            if let Err(e) = cx.obtain(step.svc).await {
                return Err(self.failed_above(route, step.svc, e));
            }
        }
        self.get(idx)
    }

    /// A step of a route failed: its error goes up the services between
    /// the root and the step, innermost first, each adding itself to the
    /// path (as the driver's frames would have, had each been one).
    #[cold]
    fn failed_above(self, route: &Route, step: u32, e: ResolveError) -> ResolveError {
        let above: Vec<u32> = route.above(step).collect();
        // Each is looked up in its parent's context: the root's below the
        // first singleton from the root.
        let first_singleton = above
            .iter()
            .rposition(|&v| self.service(v).lifetime == Lifetime::Singleton);
        above.iter().enumerate().fold(e, |e, (i, &v)| {
            let at = match first_singleton {
                Some(f) if i < f => self.for_singleton(),
                _ => self,
            };
            at.failed(v, self.service(v), e)
        })
    }

    /// Obtains cached service `t`, a step of a route (everything its
    /// creation awaits exists already): a hit, a wait for the actor
    /// creating it, or its creation here without a frame: its factory
    /// called, its future (if async) awaited with the claim held, so that
    /// a dropped future releases the slot empty.
    ///
    /// The same steps as the frameless creation in [`drive`](Ctx::drive)'s
    /// loop, written out in both: through shared async helpers (a claim,
    /// then a creation) the async request took 14,753 instructions instead
    /// of 13,807 (their futures nested in the caller's and moved with
    /// `memcpy`).
    async fn obtain(self, t: u32) -> Result<(), ResolveError> {
        let fill = match self.lookup(t)? {
            Step::Hit(_) => return Ok(()),
            Step::Fill(fill) => fill,
            // Boxed: waiting is rare (see `drive`).
            Step::Busy(..) => match Box::pin(self.claim_async(t)).await? {
                Ok(_) => return Ok(()),
                Err(fill) => fill,
            },
        };
        let svc = fill.svc;
        // A pooled service rents first, with the claim held, as a frame
        // does: an idle instance, or a permit to create one.
        let mut rent = match svc.pool {
            Some(p) => Some(match self.rent_or_wait(svc, p) {
                Ok(rent) => rent,
                Err(wait) => wait.await,
            }),
            None => None,
        };
        if let Some(v) = rent.as_mut().and_then(Rent::take_idle) {
            self.complete(fill, v, rent, false);
            return Ok(());
        }
        // An async factory's future, awaited here with the claim held:
        // dropped at this await, the claim goes with the future and the
        // slot is released empty (and a permit taken goes back).
        let made = match self.start_now(svc) {
            Ok(Now::Await(fut)) => {
                let made = fut.await;
                self.awaited(svc, made)
            }
            Ok(Now::Made(v)) => Ok(v),
            Err(e) => Err(e),
        };
        self.finish_now(fill, made, rent).map(drop)
    }

    /// Rents from pool `p` for `svc` at once when an instance or a permit
    /// is free; else the wait for one (fair: Tokio hands released permits
    /// to queued waiters), boxed, for the caller to await. Boxed and
    /// returned rather than awaited here: waiting is rare, and an `async`
    /// helper's future would sit in every request's future (+91
    /// instructions per async request, moving it).
    fn rent_or_wait(self, svc: &'a Service, p: u32) -> Result<Rent<'a>, BoxFuture<'a, Rent<'a>>> {
        let pool = &self.root.pools[p as usize];
        pool.try_rent().map_err(|_| {
            Box::pin(async move { crate::trace::pool_wait(&self, &svc.node, pool.rent()).await })
                as _
        })
    }

    /// The async driver: creates service `idx` and what it needs, depth
    /// first, on an explicit stack of [`Frame`]s, in one future. Only real
    /// waits are awaited (another actor's creation, a pool, an async
    /// factory's future); everything else is a synchronous step.
    /// Dependencies whose creation awaits something are resolved ahead of
    /// their dependent's factory call (into one arena shared by the
    /// frames); the rest are fetched by the factory itself, synchronously.
    ///
    /// Dropping the future drops the frames: every claim is released
    /// empty (the next resolution creates again), every pool permit given
    /// back, every factory future dropped.
    pub(super) async fn drive(self, idx: u32) -> Result<Got<'a>, ResolveError> {
        let mut stack: Vec<Frame<'a>> = Vec::with_capacity(8);
        // Room for a typical request's dependencies resolved ahead.
        let mut arena: Vec<Ahead> = Vec::with_capacity(8);
        // A service to obtain for the top frame (or the caller), and in
        // which context.
        let mut wanted = Some((idx, self));
        loop {
            let (t, value) = if let Some((t, cx)) = wanted.take() {
                // Obtain `t`: a hit, a synchronous creation, or a claim
                // (after waiting for other actors) and a new frame.
                let got = match cx.without_await(t) {
                    Some(now) => now,
                    None => {
                        // The lookup first: the waiting future only when
                        // another actor creates the instance.
                        let claimed = match cx.lookup(t) {
                            Ok(Step::Hit(got)) => Ok(Ok(got)),
                            Ok(Step::Fill(fill)) => Ok(Err(fill)),
                            // Boxed: waiting is rare, and the waiting
                            // future would make every request's larger.
                            Ok(Step::Busy(..)) => Box::pin(cx.claim_async(t)).await,
                            Err(e) => Err(e),
                        };
                        match claimed {
                            Ok(Ok(got)) => Ok(got),
                            // Everything it would await exists already (the
                            // scope's async services, created for an earlier
                            // dependent): created here, without a frame.
                            Ok(Err(fill)) if cx.ready_now(fill.svc) => {
                                let made = match cx.start_now(fill.svc) {
                                    // An async factory's future, awaited
                                    // here with the claim held: dropped at
                                    // this await, the claim goes with the
                                    // future and the slot is released
                                    // empty, as a frame's would be.
                                    Ok(Now::Await(fut)) => {
                                        let made = fut.await;
                                        cx.awaited(fill.svc, made)
                                    }
                                    Ok(Now::Made(v)) => Ok(v),
                                    Err(e) => Err(e),
                                };
                                cx.finish_now(fill, made, None)
                            }
                            Ok(Err(fill)) => {
                                stack.push(Frame::new(cx, fill));
                                continue;
                            }
                            Err(e) => Err(e),
                        }
                    }
                };
                match got {
                    Ok(got) => (t, cx.erased_or_got(t, got, stack.is_empty())),
                    Err(e) => return Err(unwind(&mut stack, e)),
                }
            } else {
                let Some(top) = stack.last_mut() else {
                    unreachable!("tenure bug: the async driver ran out of frames");
                };
                let progress = match top.step(&mut arena) {
                    Ok(Progress::Rent(p)) => {
                        let rent = match top.at.rent_or_wait(top.svc(), p) {
                            Ok(rent) => rent,
                            Err(wait) => wait.await,
                        };
                        top.rented(rent)
                    }
                    Ok(Progress::Await(fut)) => {
                        // Awaited first: nothing else is held across it.
                        let made = fut.await;
                        top.at
                            .awaited(top.svc(), made)
                            .map(|v| Progress::Done(v, top.rent.take(), true))
                    }
                    other => other,
                };
                match progress {
                    Ok(Progress::Need(t, cx)) => {
                        wanted = Some((t, cx));
                        continue;
                    }
                    Ok(Progress::Done(value, rent, created)) => {
                        let Some(frame) = stack.pop() else {
                            unreachable!("tenure bug: the async driver lost its frame");
                        };
                        arena.truncate(frame.base as usize);
                        let at = frame.at;
                        let t = frame.fill.idx;
                        let svc = frame.fill.svc;
                        let value = at.complete(frame.fill, value, rent, created);
                        (
                            t,
                            at.erased_or_got(t, Got::Erased(value, &*svc.caster), stack.is_empty()),
                        )
                    }
                    Ok(_) => continue,
                    Err(e) => return Err(unwind(&mut stack, e)),
                }
            };
            // Hand the instance to the frame below, or to the caller.
            match stack.last_mut() {
                None => {
                    return Ok(match value {
                        Value::Got(got) => got,
                        Value::Erased(e) => Got::Erased(e, &*self.service(t).caster),
                    });
                }
                Some(parent) => parent.accept(&mut arena, value.into_erased(self, t)),
            }
        }
    }

    /// Starts creating service `svc`, whose dependencies all exist (see
    /// [`ready_now`](Ctx::ready_now) and [`obtain`](Ctx::obtain)), without
    /// a frame: a synchronous factory is called as the sync path does
    /// (without an actor to enter: the driver's is current; a pooled
    /// service's permit is the caller's, which `ready_now` leaves to a
    /// frame); an async factory is called for its future.
    #[inline]
    fn start_now(self, svc: &'a Service) -> Result<Now, ResolveError> {
        let at = self.building(svc);
        match &svc.exec {
            Exec::AsyncFactory(f) => start_async(at, svc, &**f, &mut []).map(Now::Await),
            _ => at.construct(svc).map(Now::Made),
        }
    }

    /// What an async factory of `svc` made, once awaited (with or without a
    /// frame): a new instance is counted, in the context it was built in.
    #[inline]
    fn awaited(
        self,
        svc: &'a Service,
        made: Result<Erased, ResolveError>,
    ) -> Result<Erased, ResolveError> {
        made.inspect(|v| self.building(svc).count(svc, v))
    }

    /// Ends a creation started by [`start_now`](Ctx::start_now): stores the
    /// instance (finishing its pool rent, if any) or records the failure,
    /// as a frame's end does. Inlined: a call would take the rent (and the
    /// claim) through memory (189 more instructions per async request).
    #[inline(always)]
    fn finish_now(
        self,
        fill: Fill<'a>,
        made: Result<Erased, ResolveError>,
        rent: Option<Rent<'a>>,
    ) -> Result<Got<'a>, ResolveError> {
        let (idx, svc) = (fill.idx, fill.svc);
        match made {
            Ok(v) => Ok(Got::Erased(
                self.complete(fill, v, rent, true),
                &*svc.caster,
            )),
            Err(e) => Err(self.failed(idx, svc, e)),
        }
    }

    /// Whether `svc` can be created now without a frame: a factory (sync,
    /// or async with only its own future to await), no pool, and every
    /// dependency the driver would resolve ahead exists already.
    fn ready_now(&self, svc: &Service) -> bool {
        if !matches!(svc.exec, Exec::Factory(_) | Exec::AsyncFactory(_)) || svc.pool.is_some() {
            return false;
        }
        let cx = self.building(svc);
        let plan = &self.root.plan;
        plan.edges_of(svc).iter().all(|e| {
            !e.ahead
                || match e.target {
                    Target::Service(t) => cx.exists(t),
                    Target::Collection(c) => {
                        plan.collections[c as usize].iter().all(|&i| cx.exists(i))
                    }
                    Target::Absent => true,
                }
        })
    }

    /// A delivered instance: as the caller's [`Got`] when nothing is left
    /// below it, erased for a dependent frame otherwise.
    fn erased_or_got(self, idx: u32, got: Got<'a>, last: bool) -> Value<'a> {
        if last {
            Value::Got(got)
        } else {
            Value::Erased(self.erased(idx, got))
        }
    }
}

/// An instance on its way down the driver's stack.
enum Value<'a> {
    Got(Got<'a>),
    Erased(Erased),
}

impl<'a> Value<'a> {
    fn into_erased(self, cx: Ctx<'a>, idx: u32) -> Erased {
        match self {
            Value::Got(got) => cx.erased(idx, got),
            Value::Erased(e) => e,
        }
    }
}

/// Fails every frame on the stack, innermost first, each adding its
/// service to the error's path (and releasing its claim).
fn unwind(stack: &mut Vec<Frame<'_>>, mut e: ResolveError) -> ResolveError {
    while let Some(frame) = stack.pop() {
        let (idx, svc) = (frame.fill.idx, frame.fill.svc);
        e = frame.at.failed(idx, svc, e);
    }
    e
}

/// One creation in progress on the driver's stack.
struct Frame<'a> {
    /// The context it was looked up in (owns the result).
    at: Ctx<'a>,
    /// The claim on its slot, and what it creates.
    fill: Fill<'a>,
    /// Its pool rent, for pooled services.
    rent: Option<Rent<'a>>,
    stage: Stage,
    /// Where its dependencies resolved ahead start in the arena (a
    /// binding's target's instance, for a binding).
    base: u32,
    /// The next dependency to look at.
    edge: u32,
    /// The next element of the collection dependency being resolved.
    element: u32,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Rent from its pool, if pooled.
    Rent,
    /// Resolve ahead the dependencies whose creation awaits.
    Ahead,
    /// Call (or await) the factory.
    Call,
}

/// What a frame's step asks of the driver.
enum Progress<'a> {
    /// Obtain this service, in this context, and hand it back.
    Need(u32, Ctx<'a>),
    /// Rent from pool `p` (await it), then step again.
    Rent(u32),
    /// Await the async factory's future: the instance.
    Await(BoxFuture<'static, Result<Erased, ResolveError>>),
    /// Step again.
    Again,
    /// The instance (and whether it was created, not reused from a pool).
    Done(Erased, Option<Rent<'a>>, bool),
}

impl<'a> Frame<'a> {
    fn new(at: Ctx<'a>, fill: Fill<'a>) -> Self {
        Frame {
            at,
            fill,
            rent: None,
            stage: Stage::Rent,
            base: 0,
            edge: 0,
            element: 0,
        }
    }

    /// The context its service is built in.
    fn cx(&self) -> Ctx<'a> {
        self.at.building(self.fill.svc)
    }

    fn svc(&self) -> &'a Service {
        self.fill.svc
    }

    /// Its pool rent is in: reuse an idle instance, or go on creating.
    fn rented(&mut self, mut rent: Rent<'a>) -> Result<Progress<'a>, ResolveError> {
        if let Some(v) = rent.take_idle() {
            return Ok(Progress::Done(v, Some(rent), false));
        }
        self.rent = Some(rent);
        Ok(Progress::Again)
    }

    /// Advances the creation synchronously, until it needs something from
    /// the driver (a dependency, a wait) or is done.
    fn step(&mut self, arena: &mut [Ahead]) -> Result<Progress<'a>, ResolveError> {
        loop {
            if let Some(progress) = self.advance(arena)? {
                return Ok(progress);
            }
        }
    }

    /// One stage of [`step`](Frame::step); `None`: go on.
    fn advance(&mut self, arena: &mut [Ahead]) -> Result<Option<Progress<'a>>, ResolveError> {
        let svc = self.svc();
        match self.stage {
            Stage::Rent => {
                self.stage = Stage::Ahead;
                // Its dependencies resolved ahead are pushed from here, in
                // edge order, as they arrive.
                self.base = arena.len() as u32;
                Ok(svc.pool.map(Progress::Rent))
            }
            Stage::Ahead => {
                let cx = self.cx();
                if !svc.needs_async {
                    self.stage = Stage::Call;
                    return Ok(None);
                }
                if let Exec::Forward(t) = svc.exec {
                    // The target's instance completes this frame (see
                    // `accept`).
                    return Ok(Some(Progress::Need(t, cx)));
                }
                let edges = cx.root.plan.edges_of(svc);
                while let Some(e) = edges.get(self.edge as usize) {
                    if !e.ahead {
                        self.edge += 1;
                        continue;
                    }
                    match e.target {
                        // An existing instance is left to the factory's own
                        // (synchronous) fetch.
                        Target::Service(t) if cx.exists(t) => self.edge += 1,
                        Target::Service(t) => return Ok(Some(Progress::Need(t, cx))),
                        Target::Collection(c) => {
                            let elements = &cx.root.plan.collections[c as usize];
                            match elements.get(self.element as usize) {
                                Some(&i) => return Ok(Some(Progress::Need(i, cx))),
                                None => {
                                    self.edge += 1;
                                    self.element = 0;
                                }
                            }
                        }
                        Target::Absent => self.edge += 1,
                    }
                }
                self.stage = Stage::Call;
                Ok(None)
            }
            Stage::Call => {
                let cx = self.cx();
                let pre = arena.get_mut(self.base as usize..).unwrap_or_default();
                let value = match &svc.exec {
                    Exec::Forward(_) if svc.needs_async => {
                        match pre.first_mut().and_then(|a| a.value.take()) {
                            Some(Pre::One(v)) => v,
                            _ => unreachable!(
                                "tenure bug: a binding's frame was called without its target"
                            ),
                        }
                    }
                    Exec::Factory(f) if svc.needs_async => {
                        let mut src = Prefetched { cx, pre };
                        let edges = cx.root.plan.edges_of(svc);
                        let v =
                            crate::factory::call(&**f, &mut Deps::new(edges, cx.fast(), &mut src))?;
                        cx.count(svc, &v);
                        v
                    }
                    // The arguments are fetched now; only the future lives
                    // on.
                    Exec::AsyncFactory(f) => {
                        return Ok(Some(Progress::Await(start_async(cx, svc, &**f, pre)?)));
                    }
                    _ => cx.construct(svc)?,
                };
                Ok(Some(Progress::Done(value, self.rent.take(), true)))
            }
        }
    }

    /// Takes the instance of the dependency this frame asked for.
    fn accept(&mut self, arena: &mut Vec<Ahead>, value: Erased) {
        let svc = self.svc();
        if let Exec::Forward(_) = svc.exec {
            // A binding: its target's instance is its own.
            self.stage = Stage::Call;
            arena.push(Ahead::new(0, Pre::One(value)));
            return;
        }
        let cx = self.cx();
        let edges = cx.root.plan.edges_of(svc);
        let Some(e) = edges.get(self.edge as usize) else {
            return;
        };
        let edge = self.edge;
        match e.target {
            Target::Collection(_) => {
                // The collection's elements so far are this frame's last
                // entry (its children's were truncated when they ended).
                let mine = arena.len() > self.base as usize;
                match arena.last_mut() {
                    Some(Ahead {
                        edge: at,
                        value: Some(Pre::Many(all)),
                    }) if mine && *at == edge => all.push(value),
                    _ => arena.push(Ahead::new(edge, Pre::Many(vec![value]))),
                }
                self.element += 1;
            }
            _ => {
                arena.push(Ahead::new(edge, Pre::One(value)));
                self.edge += 1;
            }
        }
    }
}

/// Calls async factory `f` of `svc` in `cx`: its arguments fetched now
/// (those resolved ahead from `pre`, the rest synchronously), the future
/// returned to be awaited.
#[inline]
fn start_async<'a>(
    cx: Ctx<'a>,
    svc: &'a Service,
    f: &ErasedAsyncFactory,
    pre: &mut [Ahead],
) -> Result<BoxFuture<'static, Result<Erased, ResolveError>>, ResolveError> {
    let mut src = Prefetched { cx, pre };
    let edges = cx.root.plan.edges_of(svc);
    f(&mut Deps::new(edges, cx.fast(), &mut src))
}

/// A creation started without a frame (see [`Ctx::start_now`]).
enum Now {
    /// The instance, made synchronously.
    Made(Erased),
    /// The async factory's future.
    Await(BoxFuture<'static, Result<Erased, ResolveError>>),
}

/// A dependency resolved ahead of the factory call.
enum Pre {
    One(Erased),
    Many(Vec<Erased>),
}

/// A dependency resolved ahead, in the driver's arena: the frames' entries,
/// each frame's in the order of its edges. Only what was really resolved
/// ahead is there (not a place per edge), so a frame whose dependencies
/// all exist already writes nothing.
struct Ahead {
    /// Its edge's position among the factory's dependencies.
    edge: u32,
    /// Taken by the factory's fetch.
    value: Option<Pre>,
}

impl Ahead {
    fn new(edge: u32, value: Pre) -> Self {
        Ahead {
            edge,
            value: Some(value),
        }
    }
}

/// Serves a factory's dependencies: the ones resolved ahead (async), the
/// others synchronously.
struct Prefetched<'a, 'p> {
    cx: Ctx<'a>,
    /// The frame's entries in the arena.
    pre: &'p mut [Ahead],
}

impl Prefetched<'_, '_> {
    /// The value resolved ahead for edge `pos`, if any (taken).
    fn take(&mut self, pos: usize) -> Option<Pre> {
        let a = self.pre.iter_mut().find(|a| a.edge as usize == pos)?;
        a.value.take()
    }
}

impl<'d, 'a: 'd> Source<'d> for Prefetched<'a, '_> {
    fn one(&mut self, pos: usize, idx: u32) -> Result<Got<'d>, ResolveError> {
        match self.take(pos) {
            Some(Pre::One(v)) => Ok(Got::Erased(v, &*self.cx.service(idx).caster)),
            _ => self.cx.get(idx),
        }
    }

    fn erased(&mut self, pos: usize, idx: u32) -> Result<Erased, ResolveError> {
        match self.take(pos) {
            Some(Pre::One(v)) => Ok(v),
            _ => self.cx.get(idx).map(|g| self.cx.erased(idx, g)),
        }
    }

    fn many(
        &mut self,
        pos: usize,
        c: u32,
        each: &mut dyn FnMut(Got<'d>),
    ) -> Result<(), ResolveError> {
        let elements = &self.cx.root.plan.collections[c as usize];
        match self.take(pos) {
            Some(Pre::Many(values)) => {
                for (&i, v) in elements.iter().zip(values) {
                    each(Got::Erased(v, &*self.cx.service(i).caster));
                }
            }
            _ => {
                for &i in elements.iter() {
                    each(self.cx.get(i)?);
                }
            }
        }
        Ok(())
    }

    fn seed(&self, idx: Option<u32>) -> HandleSeed {
        self.cx.seed(idx)
    }
}
#[cfg(test)]
mod tests {
    /// A frame is moved onto and off the driver's stack once per creation:
    /// at 128 bytes or less the compiler moves it inline, above that
    /// through a `memcpy` call (measured: ~1,400 instructions of an async
    /// request of 11 creations). The tracing feature adds a start time.
    #[test]
    #[cfg(not(feature = "tracing"))]
    fn a_frame_is_moved_inline() {
        assert!(size_of::<super::Frame<'_>>() <= 128);
    }
}
