//! The services of a generated graph: marker types `S<0>` .. `S<15>` whose
//! dependencies are chosen at run time (see the parent module's docs).

use std::any::Any;
use std::cell::RefCell;
use std::sync::Arc;

use tenure::{
    BuildError, Container, ContainerBuilder, Declarations, DependencyKind, Deps, Factory, Inject,
    Lazy, Lifetime, Node, ResolveError, Scope,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Req,
    Opt,
    Lazy,
    Fac,
}

impl Kind {
    /// Keeps the dependency alive (captive checks).
    pub fn holds(self) -> bool {
        self != Kind::Fac
    }
    /// Needs the dependency built first (cycle checks).
    pub fn constructs(self) -> bool {
        matches!(self, Kind::Req | Kind::Opt)
    }
    pub fn of(k: DependencyKind) -> Kind {
        match k {
            DependencyKind::Required => Kind::Req,
            DependencyKind::Optional => Kind::Opt,
            DependencyKind::Lazy => Kind::Lazy,
            DependencyKind::Factory => Kind::Fac,
            other => panic!("not generated: {other:?}"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Graph {
    pub life: Vec<Lifetime>,
    pub deps: Vec<Vec<(usize, Kind)>>,
    /// Registers `S<k>` a second time, at the end.
    pub dup: Option<usize>,
}

impl Graph {
    pub fn n(&self) -> usize {
        self.life.len()
    }
    pub fn registered(&self, j: usize) -> bool {
        j < self.n()
    }
    pub fn rank(&self, v: usize) -> Option<u8> {
        self.life[v].rank()
    }
    /// Edges kept by `keep` whose target is registered.
    pub fn out(&self, v: usize, keep: fn(Kind) -> bool) -> impl Iterator<Item = usize> + '_ {
        self.deps[v]
            .iter()
            .filter(move |&&(j, k)| keep(k) && self.registered(j))
            .map(|&(j, _)| j)
    }
}

// ---------------------------------------------------------------------------
// The services: `S<N>` and its runtime-chosen dependencies.

thread_local! {
    static CURRENT: RefCell<Vec<Vec<(usize, Kind)>>> = const { RefCell::new(Vec::new()) };
}

fn current_deps(i: usize) -> Vec<(usize, Kind)> {
    CURRENT.with(|c| c.borrow()[i].clone())
}

/// What an instance keeps of one dependency: the address of the `Arc` for
/// `Arc`/`Option`, and the value itself (so that it stays alive).
struct Held {
    addr: Option<usize>,
    _keep: Box<dyn Any + Send + Sync>,
}

pub struct S<const N: usize> {
    held: Vec<Held>,
}

struct DepsOf<const N: usize>(Vec<Held>);

fn addr<T: ?Sized>(a: &Arc<T>) -> usize {
    Arc::as_ptr(a) as *const () as usize
}

/// Calls `$body` with `$N` bound to the constant `$i` (0..16).
macro_rules! with_index {
    ($i:expr, $N:ident => $body:expr) => {
        with_index!(@arms $i, $N, $body, [0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15])
    };
    (@arms $i:expr, $N:ident, $body:expr, [$($k:literal)*]) => {
        match $i {
            $($k => {
                const $N: usize = $k;
                $body
            })*
            i => unreachable!("index {i} outside the pool"),
        }
    };
}

fn declare_one<T: Send + Sync + 'static>(kind: Kind, d: &mut Declarations) {
    match kind {
        Kind::Req => <Arc<T> as Inject>::declare(d),
        Kind::Opt => <Option<Arc<T>> as Inject>::declare(d),
        Kind::Lazy => <Lazy<T> as Inject>::declare(d),
        Kind::Fac => <Factory<T> as Inject>::declare(d),
    }
}

fn fetch_one<T: Send + Sync + 'static>(kind: Kind, d: &mut Deps<'_>) -> Result<Held, ResolveError> {
    Ok(match kind {
        Kind::Req => {
            let a = <Arc<T> as Inject>::fetch(d)?;
            Held {
                addr: Some(addr(&a)),
                _keep: Box::new(a),
            }
        }
        Kind::Opt => {
            let a = <Option<Arc<T>> as Inject>::fetch(d)?;
            Held {
                addr: a.as_ref().map(addr),
                _keep: Box::new(a),
            }
        }
        Kind::Lazy => Held {
            addr: None,
            _keep: Box::new(<Lazy<T> as Inject>::fetch(d)?),
        },
        Kind::Fac => Held {
            addr: None,
            _keep: Box::new(<Factory<T> as Inject>::fetch(d)?),
        },
    })
}

impl<const N: usize> Inject for DepsOf<N> {
    fn declare(d: &mut Declarations) {
        for (j, kind) in current_deps(N) {
            with_index!(j, J => declare_one::<S<J>>(kind, d));
        }
    }

    fn fetch(d: &mut Deps<'_>) -> Result<Self, ResolveError> {
        let mut held = Vec::new();
        for (j, kind) in current_deps(N) {
            held.push(with_index!(j, J => fetch_one::<S<J>>(kind, d))?);
        }
        Ok(DepsOf(held))
    }
}

fn register(b: &mut ContainerBuilder, i: usize, life: Lifetime) {
    with_index!(i, N => {
        b.register(life, |d: DepsOf<N>| S::<N> { held: d.0 });
    })
}

pub fn index_of(node: &Node) -> usize {
    let name = node.type_name();
    let start = name.find("S<").expect(name) + 2;
    name[start..name.len() - 1].parse().expect(name)
}

pub fn build(g: &Graph) -> (ContainerBuilder, Result<Container, BuildError>) {
    CURRENT.with(|c| *c.borrow_mut() = g.deps.clone());
    let mut b = Container::builder();
    for (i, &life) in g.life.iter().enumerate() {
        register(&mut b, i, life);
    }
    if let Some(k) = g.dup {
        register(&mut b, k, g.life[k]);
    }
    let built = b.build();
    (b, built)
}

/// An instance, kept alive so that addresses stay unique while compared.
pub struct Got {
    _keep: Arc<dyn Any + Send + Sync>,
    pub addr: usize,
    pub held: Vec<Option<usize>>,
}

fn get<const N: usize>(r: Result<Arc<S<N>>, ResolveError>) -> Result<Got, ResolveError> {
    let s = r?;
    Ok(Got {
        addr: addr(&s),
        held: s.held.iter().map(|h| h.addr).collect(),
        _keep: s,
    })
}

pub fn in_scope(scope: &Scope, i: usize) -> Result<Got, ResolveError> {
    with_index!(i, N => get::<N>(scope.resolve::<S<N>>()))
}

pub fn from_root(c: &Container, i: usize) -> Result<Got, ResolveError> {
    with_index!(i, N => get::<N>(c.resolve::<S<N>>()))
}
