//! The services of a generated graph: marker types `S<0>` .. `S<15>` whose
//! dependencies are chosen at run time, trait bindings `dyn Bk<k>` and the
//! collection `Vec<Arc<dyn P>>` (see the parent module's docs).

use std::any::Any;
use std::cell::RefCell;
use std::sync::Arc;

use tenure::{
    BuildError, Container, ContainerBuilder, Declarations, DependencyKind, Deps, Factory, Inject,
    Lazy, Lifetime, Node, ResolveError, Role, Scope,
};

/// How a service depends on another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Req,
    Opt,
    Lazy,
    Fac,
    /// `Vec<Arc<dyn P>>`: every element.
    Coll,
}

impl Kind {
    /// Keeps the dependency alive (captive checks).
    pub fn holds(self) -> bool {
        self != Kind::Fac
    }
    /// Needs the dependency built first (cycle checks).
    pub fn constructs(self) -> bool {
        matches!(self, Kind::Req | Kind::Opt | Kind::Coll)
    }
    pub fn of(k: DependencyKind) -> Kind {
        match k {
            DependencyKind::Required => Kind::Req,
            DependencyKind::Optional => Kind::Opt,
            DependencyKind::Lazy => Kind::Lazy,
            DependencyKind::Factory => Kind::Fac,
            DependencyKind::Collection => Kind::Coll,
            other => panic!("not generated: {other:?}"),
        }
    }
}

/// What a dependency points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum To {
    /// The service `S<j>`.
    Svc(usize),
    /// The binding `dyn Bk<k>`.
    Bind(usize),
    /// The collection `dyn P` (always with [`Kind::Coll`]).
    Coll,
}

/// Binding keys `dyn Bk<0>` .. `dyn Bk<BINDINGS - 1>`.
pub const BINDINGS: usize = 3;

#[derive(Clone, Debug)]
pub struct Graph {
    /// `S<i>` for `i < n` is registered with `life[i]`.
    pub life: Vec<Lifetime>,
    pub deps: Vec<Vec<(To, Kind)>>,
    /// `binds[k] = Some(t)`: `dyn Bk<k>` is bound to `S<t>` (maybe unregistered).
    pub binds: Vec<Option<usize>>,
    /// The elements of `dyn P`, in registration order: each is `S<t>`.
    pub elems: Vec<usize>,
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
}

// ---------------------------------------------------------------------------
// The types.

pub trait P: Send + Sync {}
pub trait Bk<const K: usize>: Send + Sync {}

pub struct S<const N: usize> {
    held: Vec<Held>,
}
impl<const N: usize> P for S<N> {}
impl<const K: usize, const N: usize> Bk<K> for S<N> {}

thread_local! {
    static CURRENT: RefCell<Vec<Vec<(To, Kind)>>> = const { RefCell::new(Vec::new()) };
}

fn current_deps(i: usize) -> Vec<(To, Kind)> {
    CURRENT.with(|c| c.borrow()[i].clone())
}

/// What an instance keeps of one dependency: the addresses of the `Arc`s it
/// got (none for handles and absent options), and the value itself (so that
/// it stays alive).
struct Held {
    addrs: Vec<usize>,
    _keep: Box<dyn Any + Send + Sync>,
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

/// Same for the binding keys.
macro_rules! with_binding {
    ($i:expr, $K:ident => $body:expr) => {
        match $i {
            0 => {
                const $K: usize = 0;
                $body
            }
            1 => {
                const $K: usize = 1;
                $body
            }
            2 => {
                const $K: usize = 2;
                $body
            }
            k => unreachable!("binding {k} outside the pool"),
        }
    };
}

fn declare_one<T: ?Sized + Send + Sync + 'static>(kind: Kind, d: &mut Declarations) {
    match kind {
        Kind::Req => <Arc<T> as Inject>::declare(d),
        Kind::Opt => <Option<Arc<T>> as Inject>::declare(d),
        Kind::Lazy => <Lazy<T> as Inject>::declare(d),
        Kind::Fac => <Factory<T> as Inject>::declare(d),
        Kind::Coll => <Vec<Arc<T>> as Inject>::declare(d),
    }
}

fn fetch_one<T: ?Sized + Send + Sync + 'static>(
    kind: Kind,
    d: &mut Deps<'_>,
) -> Result<Held, ResolveError> {
    fn held<V: Send + Sync + 'static>(addrs: Vec<usize>, v: V) -> Held {
        Held {
            addrs,
            _keep: Box::new(v),
        }
    }
    Ok(match kind {
        Kind::Req => {
            let a = <Arc<T> as Inject>::fetch(d)?;
            held(vec![addr(&a)], a)
        }
        Kind::Opt => {
            let a = <Option<Arc<T>> as Inject>::fetch(d)?;
            held(a.iter().map(addr).collect(), a)
        }
        Kind::Lazy => held(Vec::new(), <Lazy<T> as Inject>::fetch(d)?),
        Kind::Fac => held(Vec::new(), <Factory<T> as Inject>::fetch(d)?),
        Kind::Coll => {
            let all = <Vec<Arc<T>> as Inject>::fetch(d)?;
            held(all.iter().map(addr).collect(), all)
        }
    })
}

impl<const N: usize> Inject for DepsOf<N> {
    fn declare(d: &mut Declarations) {
        for (to, kind) in current_deps(N) {
            match to {
                To::Svc(j) => with_index!(j, J => declare_one::<S<J>>(kind, d)),
                To::Bind(k) => with_binding!(k, K => declare_one::<dyn Bk<K>>(kind, d)),
                To::Coll => declare_one::<dyn P>(kind, d),
            }
        }
    }

    fn fetch(d: &mut Deps<'_>) -> Result<Self, ResolveError> {
        let mut held = Vec::new();
        for (to, kind) in current_deps(N) {
            held.push(match to {
                To::Svc(j) => with_index!(j, J => fetch_one::<S<J>>(kind, d))?,
                To::Bind(k) => with_binding!(k, K => fetch_one::<dyn Bk<K>>(kind, d))?,
                To::Coll => fetch_one::<dyn P>(kind, d)?,
            });
        }
        Ok(DepsOf(held))
    }
}

/// Registers everything in this order: services, bindings, elements, the
/// duplicate.
pub fn build(g: &Graph) -> (ContainerBuilder, Result<Container, BuildError>) {
    CURRENT.with(|c| *c.borrow_mut() = g.deps.clone());
    let mut b = Container::builder();
    let service = |b: &mut ContainerBuilder, i: usize, life: Lifetime| {
        with_index!(i, N => {
            b.register(life, |d: DepsOf<N>| S::<N> { held: d.0 });
        })
    };
    for (i, &life) in g.life.iter().enumerate() {
        service(&mut b, i, life);
    }
    for (k, t) in g.binds.iter().enumerate() {
        if let Some(t) = *t {
            with_binding!(k, K => with_index!(t, T => {
                b.bind::<dyn Bk<K>, S<T>>(|s| s);
            }));
        }
    }
    for &t in &g.elems {
        with_index!(t, T => {
            b.collect::<dyn P, S<T>>(|s| s);
        });
    }
    if let Some(k) = g.dup {
        service(&mut b, k, g.life[k]);
    }
    let built = b.build();
    (b, built)
}

/// What a node of a reported path is, as far as its name and role tell:
/// elements of `dyn P` are told apart only by where they lead.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Label {
    Svc(usize),
    Bind(usize),
    Elem,
}

fn generic_arg(name: &str, head: &str) -> usize {
    let start = name.rfind(head).expect(name) + head.len();
    let end = start + name[start..].find('>').expect(name);
    name[start..end].parse().expect(name)
}

pub fn label(node: &Node) -> Label {
    let name = node.type_name();
    match node.role() {
        Role::Binding => Label::Bind(generic_arg(name, "Bk<")),
        Role::Element => Label::Elem,
        _ => Label::Svc(generic_arg(name, "S<")),
    }
}

/// The `S<j>` or `Bk<k>` named by a dependency's type name.
pub fn dependency_label(name: &str) -> Label {
    if name.starts_with("dyn ") {
        Label::Bind(generic_arg(name, "Bk<"))
    } else {
        Label::Svc(generic_arg(name, "S<"))
    }
}

/// An instance, kept alive so that addresses stay unique while compared.
pub struct Got {
    _keep: Arc<dyn Any + Send + Sync>,
    pub addr: usize,
    /// Per dependency, the addresses it got.
    pub held: Vec<Vec<usize>>,
}

fn got<const N: usize>(r: Result<Arc<S<N>>, ResolveError>) -> Result<Got, ResolveError> {
    let s = r?;
    Ok(Got {
        addr: addr(&s),
        held: s.held.iter().map(|h| h.addrs.clone()).collect(),
        _keep: s,
    })
}

pub fn in_scope(scope: &Scope, i: usize) -> Result<Got, ResolveError> {
    with_index!(i, N => got::<N>(scope.resolve::<S<N>>()))
}

pub fn from_root(c: &Container, i: usize) -> Result<Got, ResolveError> {
    with_index!(i, N => got::<N>(c.resolve::<S<N>>()))
}

/// The address of `dyn Bk<k>` resolved in `scope`.
pub fn binding_in_scope(scope: &Scope, k: usize) -> Result<usize, ResolveError> {
    with_binding!(k, K => scope.resolve::<dyn Bk<K>>().map(|a| addr(&a)))
}

/// The addresses of the elements of `dyn P` resolved in `scope`.
pub fn elements_in_scope(scope: &Scope) -> Result<Vec<usize>, ResolveError> {
    Ok(scope.resolve_all::<dyn P>()?.iter().map(addr).collect())
}
