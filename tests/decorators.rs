//! Decorators (`ContainerBuilder::decorate`): one decorated instance per
//! singleton / scope, registration order, modules, trait bindings, async,
//! validation through the decorator (captive, missing, cycle, decorating
//! nothing) with the decorator's node and site on the path, test kernels,
//! subject-only builds, the derive, and `describe()`.
//!
//! Registration lines are taken with `line!()` just before each
//! registration, so the assertions follow the file when it is edited.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{Calls, site};
use parking_lot::Mutex;
use tenure::testing::TestKernel;
use tenure::{
    Container, ContainerBuilder, DependencyKind, Injectable, Lifetime, Module, Node, Problem,
    ResolveErrorKind, Role,
};

const F: &str = file!();

fn problems(b: &ContainerBuilder) -> Vec<Problem> {
    b.build().unwrap_err().into_problems()
}

fn short(n: &Node) -> String {
    format!("{:?} {}", n.role(), n.short_name())
}

/// A service that records the layers wrapped around it.
#[derive(Debug)]
struct Text {
    layers: Vec<&'static str>,
}

fn wrap(inner: &Text, layer: &'static str) -> Text {
    let mut layers = inner.layers.clone();
    layers.push(layer);
    Text { layers }
}

#[test]
fn a_decorated_singleton_is_one_instance_and_its_factory_runs_once() {
    let (made, decorated) = (Calls::new(), Calls::new());
    let (m, d) = (made.clone(), decorated.clone());
    let c = Container::builder()
        .singleton(move || {
            m.hit();
            Text {
                layers: vec!["base"],
            }
        })
        .decorate(move |inner: Arc<Text>| {
            d.hit();
            wrap(&inner, "logged")
        })
        .build()
        .unwrap();
    let first = c.resolve::<Text>().unwrap();
    assert_eq!(first.layers, ["base", "logged"]);
    let from_threads: Vec<Arc<Text>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| c.resolve::<Text>().unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for t in &from_threads {
        assert!(Arc::ptr_eq(&first, t));
    }
    assert_eq!(made.get(), 1);
    assert_eq!(decorated.get(), 1);
}

#[test]
fn decorators_apply_in_registration_order_before_or_after_the_service() {
    let c = Container::builder()
        .decorate(|inner: Arc<Text>| wrap(&inner, "first"))
        .singleton(|| Text {
            layers: vec!["base"],
        })
        .decorate(|inner: Arc<Text>| wrap(&inner, "second"))
        .decorate(|inner: Arc<Text>| wrap(&inner, "third"))
        .build()
        .unwrap();
    assert_eq!(
        c.resolve::<Text>().unwrap().layers,
        ["base", "first", "second", "third"]
    );
}

#[derive(Default)]
struct Metrics {
    calls: AtomicUsize,
}

struct Observability;

impl Module for Observability {
    fn register(&self, b: &mut ContainerBuilder) {
        b.singleton(Metrics::default)
            .decorate(|inner: Arc<Text>, metrics: Arc<Metrics>| {
                metrics.calls.fetch_add(1, Ordering::SeqCst);
                wrap(&inner, "metrics")
            });
    }
}

#[test]
fn a_module_decorates_a_service_registered_elsewhere_with_its_own_dependencies() {
    let c = Container::builder()
        .singleton(|| Text {
            layers: vec!["base"],
        })
        .include(Observability)
        .build()
        .unwrap();
    assert_eq!(c.resolve::<Text>().unwrap().layers, ["base", "metrics"]);
    c.resolve::<Text>().unwrap();
    assert_eq!(
        c.resolve::<Metrics>().unwrap().calls.load(Ordering::SeqCst),
        1
    );
}

#[test]
fn a_decorated_scoped_service_is_one_instance_per_scope() {
    let decorated = Calls::new();
    let d = decorated.clone();
    let c = Container::builder()
        .scoped(|| Text {
            layers: vec!["base"],
        })
        .decorate(move |inner: Arc<Text>| {
            d.hit();
            wrap(&inner, "scoped")
        })
        .build()
        .unwrap();
    let (a, b) = (c.scope(), c.scope());
    let a1 = a.resolve::<Text>().unwrap();
    assert!(Arc::ptr_eq(&a1, &a.resolve::<Text>().unwrap()));
    let b1 = b.resolve::<Text>().unwrap();
    assert!(!Arc::ptr_eq(&a1, &b1));
    assert_eq!(b1.layers, ["base", "scoped"]);
    assert_eq!(decorated.get(), 2);
}

struct Session;
struct Repo;

#[test]
fn a_singletons_decorator_holding_a_scoped_service_is_captive_through_the_decorator() {
    let mut b = Container::builder();
    let l_session = line!() + 1;
    b.scoped(|| Session);
    let l_repo = line!() + 1;
    b.singleton(|| Repo);
    let l_decorator = line!() + 1;
    b.decorate(|inner: Arc<Repo>, _s: Arc<Session>| -> Repo {
        let _ = inner;
        Repo
    });
    let problems = problems(&b);
    assert_eq!(problems.len(), 1, "{problems:?}");
    let Problem::Captive { path } = &problems[0] else {
        panic!("expected captive, got {}", problems[0]);
    };
    let shown: Vec<String> = path.iter().map(short).collect();
    assert_eq!(
        shown,
        [
            "Service(Singleton) Repo",
            "Decorator Repo",
            "Service(Scoped) Session"
        ]
    );
    assert_eq!(path[1].role(), Role::Decorator);
    assert_eq!(path[1].site().line(), l_decorator);
    assert_eq!(path[0].site().line(), l_repo);
    assert_eq!(path[2].site().line(), l_session);
    let msg = problems[0].to_string();
    assert!(msg.contains("decorator of `decorators::Repo`"), "{msg}");
    assert!(msg.contains(&site(F, l_decorator)), "{msg}");
}

#[test]
fn a_decorators_missing_dependency_names_the_decorator_and_its_site() {
    let mut b = Container::builder();
    b.singleton(|| Repo);
    let l_decorator = line!() + 1;
    b.decorate(|inner: Arc<Repo>, _m: Arc<Metrics>| -> Repo {
        let _ = inner;
        Repo
    });
    let problems = problems(&b);
    assert_eq!(problems.len(), 1, "{problems:?}");
    let Problem::Missing {
        requester,
        dependency,
        kind,
        ..
    } = &problems[0]
    else {
        panic!("expected missing, got {}", problems[0]);
    };
    assert_eq!(requester.role(), Role::Decorator);
    assert_eq!(requester.type_name(), std::any::type_name::<Repo>());
    assert_eq!(requester.site().line(), l_decorator);
    assert_eq!(*dependency, std::any::type_name::<Metrics>());
    assert_eq!(*kind, DependencyKind::Required);
    assert_eq!(problems[0].code(), "T0002");
}

#[test]
fn decorating_nothing_is_a_missing_problem_at_the_decorators_site() {
    let mut b = Container::builder();
    let l_decorator = line!() + 1;
    b.decorate(|inner: Arc<Repo>| -> Repo {
        let _ = inner;
        Repo
    });
    let problems = problems(&b);
    assert_eq!(problems.len(), 1, "{problems:?}");
    let Problem::Missing {
        requester,
        dependency,
        ..
    } = &problems[0]
    else {
        panic!("expected missing, got {}", problems[0]);
    };
    assert_eq!(requester.role(), Role::Decorator);
    assert_eq!(*dependency, std::any::type_name::<Repo>());
    let msg = problems[0].to_string();
    assert!(
        msg.contains(&format!(
            "decorator of `decorators::Repo` at {F}:{l_decorator}:"
        )),
        "{msg}"
    );
    assert!(msg.contains("decorates nothing"), "{msg}");
}

struct A(#[allow(dead_code)] Arc<B>);
struct B;

#[test]
fn a_cycle_through_a_decorator_shows_it_on_the_path() {
    let mut b = Container::builder();
    b.singleton(|b: Arc<B>| A(b));
    b.singleton(|| B);
    let l_decorator = line!() + 1;
    b.decorate(|inner: Arc<B>, _a: Arc<A>| -> B {
        let _ = inner;
        B
    });
    let problems = problems(&b);
    assert_eq!(problems.len(), 1, "{problems:?}");
    let Problem::Cycle { path } = &problems[0] else {
        panic!("expected a cycle, got {}", problems[0]);
    };
    let shown: Vec<String> = path.iter().map(short).collect();
    assert_eq!(
        shown,
        [
            "Service(Singleton) A",
            "Service(Singleton) B",
            "Decorator B",
            "Service(Singleton) A"
        ]
    );
    assert_eq!(path[2].site().line(), l_decorator);
}

trait Mailer: Send + Sync {
    fn send(&self) -> String;
}

struct Smtp;
impl Mailer for Smtp {
    fn send(&self) -> String {
        "smtp".into()
    }
}

struct Logging {
    inner: Arc<dyn Mailer>,
    log: Arc<Mutex<Vec<String>>>,
}
impl Mailer for Logging {
    fn send(&self) -> String {
        let sent = format!("logged({})", self.inner.send());
        self.log.lock().push(sent.clone());
        sent
    }
}

struct Newsletter {
    mailer: Arc<dyn Mailer>,
}

fn mailer_wiring(lifetime: Lifetime, decorated: &Calls) -> ContainerBuilder {
    let d = decorated.clone();
    let mut b = Container::builder();
    b.register(lifetime, || Smtp)
        .bind::<dyn Mailer, Smtp>(|s| s)
        .instance(Mutex::new(Vec::<String>::new()))
        .transient(|mailer: Arc<dyn Mailer>| Newsletter { mailer })
        .decorate(
            move |inner: Arc<dyn Mailer>, log: Arc<Mutex<Vec<String>>>| -> Arc<dyn Mailer> {
                d.hit();
                Arc::new(Logging { inner, log })
            },
        );
    b
}

#[test]
fn a_trait_binding_is_decorated_once_per_instance_of_its_implementation() {
    let decorated = Calls::new();
    let c = mailer_wiring(Lifetime::Singleton, &decorated)
        .build()
        .unwrap();
    let m1 = c.resolve::<dyn Mailer>().unwrap();
    let m2 = c.resolve::<dyn Mailer>().unwrap();
    assert!(Arc::ptr_eq(&m1, &m2));
    assert_eq!(m1.send(), "logged(smtp)");
    // Dependents get the decorated instance; the implementation itself is
    // not decorated (the decorator is of the trait).
    let n = c.resolve::<Newsletter>().unwrap();
    assert!(Arc::ptr_eq(&n.mailer, &m1));
    assert_eq!(c.resolve::<Smtp>().unwrap().send(), "smtp");
    assert_eq!(decorated.get(), 1);
    assert_eq!(c.resolve::<Mutex<Vec<String>>>().unwrap().lock().len(), 1);
}

#[test]
fn a_binding_of_a_scoped_implementation_is_decorated_once_per_scope() {
    let decorated = Calls::new();
    let c = mailer_wiring(Lifetime::Scoped, &decorated).build().unwrap();
    let (a, b) = (c.scope(), c.scope());
    let a1 = a.resolve::<dyn Mailer>().unwrap();
    assert!(Arc::ptr_eq(&a1, &a.resolve::<dyn Mailer>().unwrap()));
    assert!(Arc::ptr_eq(&a1, &a.resolve::<Newsletter>().unwrap().mailer));
    assert!(!Arc::ptr_eq(&a1, &b.resolve::<dyn Mailer>().unwrap()));
    assert_eq!(decorated.get(), 2);
    // A singleton holding the decorated binding of a scoped service is
    // still captive.
    let mut bad = Container::builder();
    bad.scoped(|| Smtp)
        .bind::<dyn Mailer, Smtp>(|s| s)
        .decorate(|inner: Arc<dyn Mailer>| inner)
        .singleton(|mailer: Arc<dyn Mailer>| Newsletter { mailer });
    assert!(matches!(problems(&bad)[..], [Problem::Captive { .. }]));
}

#[test]
fn a_decorator_of_an_implementation_is_seen_through_its_bindings_and_collection() {
    trait Plugin: Send + Sync {
        fn name(&self) -> String;
    }
    struct Audit(String);
    impl Plugin for Audit {
        fn name(&self) -> String {
            self.0.clone()
        }
    }
    let c = Container::builder()
        .singleton(|| Audit("audit".into()))
        .bind::<dyn Plugin, Audit>(|a| a)
        .collect::<dyn Plugin, Audit>(|a| a)
        .decorate(|inner: Arc<Audit>| Audit(format!("{}+", inner.0)))
        .build()
        .unwrap();
    let own = c.resolve::<Audit>().unwrap();
    let bound = c.resolve::<dyn Plugin>().unwrap();
    let all = c.resolve_all::<dyn Plugin>().unwrap();
    assert_eq!(own.0, "audit+");
    assert_eq!(bound.name(), "audit+");
    assert!(std::ptr::addr_eq(Arc::as_ptr(&own), Arc::as_ptr(&bound)));
    assert!(std::ptr::addr_eq(Arc::as_ptr(&own), Arc::as_ptr(&all[0])));
}

#[test]
fn an_instance_is_decorated_once_and_a_scope_value_cannot_be() {
    let decorated = Calls::new();
    let d = decorated.clone();
    let c = Container::builder()
        .instance(Text {
            layers: vec!["value"],
        })
        .decorate(move |inner: Arc<Text>| {
            d.hit();
            wrap(&inner, "decorated")
        })
        .build()
        .unwrap();
    let t = c.resolve::<Text>().unwrap();
    assert!(Arc::ptr_eq(&t, &c.resolve::<Text>().unwrap()));
    assert_eq!(t.layers, ["value", "decorated"]);
    assert_eq!(decorated.get(), 1);

    let mut b = Container::builder();
    b.scope_value::<Session>();
    let l_decorator = line!() + 1;
    b.decorate(|inner: Arc<Session>| -> Session {
        let _ = inner;
        Session
    });
    let problems = problems(&b);
    let [Problem::Misconfigured { node, reason }] = &problems[..] else {
        panic!("expected one misconfiguration, got {problems:?}");
    };
    assert_eq!(node.role(), Role::Decorator);
    assert_eq!(node.site().line(), l_decorator);
    assert!(reason.contains("scope value"), "{reason}");
}

#[tokio::test]
async fn async_services_and_async_decorator_dependencies_are_awaited() {
    struct Conn;
    struct Pool(#[allow(dead_code)] Arc<Conn>);
    let decorated = Calls::new();
    let d = decorated.clone();
    let c = Container::builder()
        .singleton_async(|| async {
            Text {
                layers: vec!["async"],
            }
        })
        .singleton_async(|| async { Conn })
        .decorate(move |inner: Arc<Text>, _c: Arc<Conn>| {
            d.hit();
            wrap(&inner, "decorated")
        })
        .singleton(|c: Arc<Conn>| Pool(c))
        .decorate(|inner: Arc<Pool>, _t: Arc<Text>| Pool(inner.0.clone()))
        .build()
        .unwrap();
    let err = c.resolve::<Text>().unwrap_err();
    assert!(
        matches!(err.kind(), ResolveErrorKind::AsyncRequired),
        "{err}"
    );
    let t = c.resolve_async::<Text>().await.unwrap();
    assert_eq!(t.layers, ["async", "decorated"]);
    assert!(Arc::ptr_eq(&t, &c.resolve_async::<Text>().await.unwrap()));
    // A sync service whose decorator needs an async one resolves async.
    c.resolve_async::<Pool>().await.unwrap();
    assert_eq!(decorated.get(), 1);
}

#[tokio::test]
async fn a_decorated_singletons_disposer_sees_the_decorated_instance() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let c = Container::builder()
        .singleton(|| Text {
            layers: vec!["base"],
        })
        .decorate(|inner: Arc<Text>| wrap(&inner, "decorated"))
        .dispose_with(move |t: Arc<Text>| {
            let s = s.clone();
            async move {
                s.lock().push(t.layers.clone());
                anyhow::Ok(())
            }
        })
        .build()
        .unwrap();
    c.resolve::<Text>().unwrap();
    c.shutdown().await.unwrap();
    assert_eq!(*seen.lock(), [vec!["base", "decorated"]]);
}

#[test]
fn a_test_kernel_adds_and_removes_decorators() {
    let mut base = Container::builder();
    base.singleton(|| Text {
        layers: vec!["base"],
    })
    .include(Observability);
    let mut kernel = TestKernel::new(base);
    assert_eq!(
        kernel.build().unwrap().resolve::<Text>().unwrap().layers,
        ["base", "metrics"]
    );
    kernel.decorate(|inner: Arc<Text>| wrap(&inner, "test"));
    assert_eq!(
        kernel.build().unwrap().resolve::<Text>().unwrap().layers,
        ["base", "metrics", "test"]
    );
    // A decorator made inside `replace` applies too.
    kernel.replace_or_add(|b| {
        b.decorate(|inner: Arc<Text>| wrap(&inner, "replace"));
    });
    assert_eq!(
        kernel.build().unwrap().resolve::<Text>().unwrap().layers,
        ["base", "metrics", "test", "replace"]
    );
    kernel.without_decorators::<Text>();
    assert_eq!(
        kernel.build().unwrap().resolve::<Text>().unwrap().layers,
        ["base"]
    );
}

#[test]
fn a_test_kernel_decorates_an_overridden_binding() {
    let decorated = Calls::new();
    let mut kernel = TestKernel::new(mailer_wiring(Lifetime::Singleton, &decorated));
    kernel.replace_or_add(|b| {
        b.singleton(|| Smtp).bind::<dyn Mailer, Smtp>(|s| s);
    });
    let c = kernel.build().unwrap();
    let m = c.resolve::<dyn Mailer>().unwrap();
    assert!(Arc::ptr_eq(&m, &c.resolve::<dyn Mailer>().unwrap()));
    assert_eq!(m.send(), "logged(smtp)");
    kernel.assert_all_overrides_used();
}

#[derive(Debug)]
struct Subject(#[allow(dead_code)] Arc<Text>);
struct Unrelated;

#[test]
fn a_subject_only_build_follows_the_decorators_of_what_the_subject_needs() {
    let mut app = Container::builder();
    app.singleton(|t: Arc<Text>| Subject(t))
        .singleton(|| Text {
            layers: vec!["base"],
        })
        .include(Observability)
        .singleton(|| Unrelated)
        // Broken, but nothing the subject needs.
        .decorate(|inner: Arc<Unrelated>, _s: Arc<Session>| -> Unrelated {
            let _ = inner;
            Unrelated
        });
    assert!(app.build().is_err());
    let c = app.build_for::<Subject>().unwrap();
    assert_eq!(
        c.resolve::<Subject>().unwrap().0.layers,
        ["base", "metrics"]
    );
    assert!(c.contains::<Metrics>());
    assert!(!c.contains::<Unrelated>());
    let c = TestKernel::new(app).build_for::<Subject>().unwrap();
    assert_eq!(
        c.resolve::<Subject>().unwrap().0.layers,
        ["base", "metrics"]
    );
}

#[derive(Injectable)]
#[injectable(singleton)]
struct Derived {
    metrics: Arc<Metrics>,
    #[inject(default)]
    tag: String,
}

#[test]
fn a_derived_service_is_decorated() {
    let c = Container::builder()
        .singleton(Metrics::default)
        .add::<Derived>()
        .decorate(|inner: Arc<Derived>| Derived {
            metrics: inner.metrics.clone(),
            tag: format!("{}decorated", inner.tag),
        })
        .build()
        .unwrap();
    let d = c.resolve::<Derived>().unwrap();
    assert_eq!(d.tag, "decorated");
    assert!(Arc::ptr_eq(&d, &c.resolve::<Derived>().unwrap()));
}

#[test]
fn describe_lists_decorators_and_their_dependencies() {
    let mut b = Container::builder();
    b.singleton(|| Text {
        layers: vec!["base"],
    });
    let l_decorator = line!() + 1;
    b.decorate(|inner: Arc<Text>, _m: Arc<Metrics>| wrap(&inner, "m"))
        .singleton(Metrics::default);
    let desc = b.describe();
    let row = desc.get::<Text>().unwrap();
    assert_eq!(row.decorators.len(), 1);
    assert_eq!(row.decorators[0].role(), Role::Decorator);
    assert_eq!(row.decorators[0].site().line(), l_decorator);
    assert_eq!(
        row.dependencies[0].type_name,
        std::any::type_name::<Metrics>()
    );
    let shown = desc.to_string();
    assert!(shown.contains("decorated"), "{shown}");
    let mermaid = desc.graph().to_mermaid();
    assert!(mermaid.contains("Metrics"), "{mermaid}");
}

#[test]
fn a_decorated_pooled_service_is_rented_decorated_and_reset_decorated() {
    let (decorated, resets) = (Calls::new(), Arc::new(Mutex::new(Vec::new())));
    let (d, r) = (decorated.clone(), resets.clone());
    let c = Container::builder()
        .pooled(1, || Text {
            layers: vec!["pooled"],
        })
        .decorate(move |inner: Arc<Text>| {
            d.hit();
            wrap(&inner, "decorated")
        })
        .on_return(move |t: &Text| r.lock().push(t.layers.clone()))
        .build()
        .unwrap();
    let first = {
        let scope = c.scope();
        let t = scope.resolve::<Text>().unwrap();
        assert_eq!(t.layers, ["pooled", "decorated"]);
        Arc::as_ptr(&t)
    };
    let scope = c.scope();
    let again = scope.resolve::<Text>().unwrap();
    assert_eq!(Arc::as_ptr(&again), first); // the same rented instance
    assert_eq!(decorated.get(), 1);
    assert_eq!(*resets.lock(), [vec!["pooled", "decorated"]]);
}

trait Marker: Send + Sync {}
impl Marker for Repo {}

#[test]
fn a_decorator_returning_an_arc_of_a_bound_sized_service_is_refused_with_the_fix() {
    let mut b = Container::builder();
    b.singleton(|| Repo).bind::<dyn Marker, Repo>(|r| r);
    let l_decorator = line!() + 1;
    b.decorate(|inner: Arc<Repo>| -> Arc<Repo> { inner });
    let problems = problems(&b);
    let [Problem::Misconfigured { node, reason }] = &problems[..] else {
        panic!("expected one misconfiguration, got {problems:?}");
    };
    assert_eq!(node.site().line(), l_decorator);
    assert!(reason.contains("return the decorated"), "{reason}");

    // Nothing serves it through a binding: returning the `Arc` is fine.
    let c = Container::builder()
        .singleton(|| Text {
            layers: vec!["base"],
        })
        .decorate(|inner: Arc<Text>| -> Arc<Text> { Arc::new(wrap(&inner, "arc")) })
        .decorate(|inner: Arc<Text>| wrap(&inner, "own"))
        .build()
        .unwrap();
    let t = c.resolve::<Text>().unwrap();
    assert_eq!(t.layers, ["base", "arc", "own"]);
    assert!(Arc::ptr_eq(&t, &c.resolve::<Text>().unwrap()));
}

#[test]
fn a_trait_object_instance_is_decorated_in_a_test_kernel_too() {
    struct Fake;
    impl Mailer for Fake {
        fn send(&self) -> String {
            "fake".into()
        }
    }
    let decorated = Calls::new();
    let base = mailer_wiring(Lifetime::Singleton, &decorated);
    let c = base
        .clone()
        .replacing(|b| {
            b.bind_instance::<dyn Mailer>(Arc::new(Fake));
        })
        .build()
        .unwrap();
    let m = c.resolve::<dyn Mailer>().unwrap();
    assert_eq!(m.send(), "logged(fake)");
    assert!(Arc::ptr_eq(&m, &c.resolve::<Newsletter>().unwrap().mailer));

    let mut kernel = TestKernel::new(base);
    kernel.replace(|b| {
        b.bind_instance::<dyn Mailer>(Arc::new(Fake));
    });
    let c = kernel.build().unwrap();
    assert_eq!(c.resolve::<dyn Mailer>().unwrap().send(), "logged(fake)");
    kernel.assert_all_overrides_used();
}

#[tokio::test]
async fn an_async_decorator_is_awaited_once_and_makes_the_service_async() {
    let decorated = Calls::new();
    let d = decorated.clone();
    let c = Container::builder()
        .singleton(|| Text {
            layers: vec!["base"],
        })
        .decorate(|inner: Arc<Text>| wrap(&inner, "sync"))
        .decorate_async(move |inner: Arc<Text>, m: Arc<Metrics>| {
            d.hit();
            async move {
                tokio::task::yield_now().await;
                m.calls.fetch_add(1, Ordering::SeqCst);
                wrap(&inner, "async")
            }
        })
        .singleton(Metrics::default)
        .singleton(|t: Arc<Text>| Subject(t))
        .build()
        .unwrap();
    // Sync resolution names the service that needs async work.
    let err = c.resolve::<Subject>().unwrap_err();
    assert!(
        matches!(err.kind(), ResolveErrorKind::AsyncRequired),
        "{err}"
    );
    let t = c.resolve_async::<Text>().await.unwrap();
    assert_eq!(t.layers, ["base", "sync", "async"]);
    let s = c.resolve_async::<Subject>().await.unwrap();
    assert!(Arc::ptr_eq(&s.0, &t));
    assert_eq!(decorated.get(), 1);

    // A decorated binding, asynchronously, per scope.
    let c = Container::builder()
        .scoped(|| Smtp)
        .bind::<dyn Mailer, Smtp>(|s| s)
        .instance(Mutex::new(Vec::<String>::new()))
        .decorate_async(
            |inner: Arc<dyn Mailer>, log: Arc<Mutex<Vec<String>>>| async move {
                Arc::new(Logging { inner, log }) as Arc<dyn Mailer>
            },
        )
        .build()
        .unwrap();
    let scope = c.scope();
    let m = scope.resolve_async::<dyn Mailer>().await.unwrap();
    assert!(Arc::ptr_eq(
        &m,
        &scope.resolve_async::<dyn Mailer>().await.unwrap()
    ));
    assert_eq!(m.send(), "logged(smtp)");
}

#[test]
fn the_graph_export_draws_a_captive_path_through_a_decorator() {
    let mut b = Container::builder();
    b.scoped(|| Session).singleton(|| Repo).decorate(
        |inner: Arc<Repo>, _s: Arc<Session>| -> Repo {
            let _ = inner;
            Repo
        },
    );
    let err = b.build().unwrap_err();
    let desc = b.describe();
    let dot = desc.graph().with_problems(&err).to_dot();
    assert!(dot.contains("decorated"), "{dot}");
    // The decorator's dependency is an edge of the decorated service,
    // marked as the captive path.
    assert!(
        dot.lines()
            .any(|l| l.contains("->") && l.contains("T0001") && l.contains("#dc3545")),
        "{dot}"
    );
}

struct Primary;
struct Replica;

#[test]
fn a_keyed_service_is_decorated_under_its_key_only() {
    let mut b = Container::builder();
    b.keyed::<Primary>()
        .singleton(|| Text {
            layers: vec!["primary"],
        })
        .keyed::<Replica>()
        .singleton(|| Text {
            layers: vec!["replica"],
        })
        .singleton(|| Text {
            layers: vec!["plain"],
        })
        .keyed::<Primary>()
        .decorate(|inner: Arc<Text>, m: Arc<Metrics>| {
            m.calls.fetch_add(1, Ordering::SeqCst);
            wrap(&inner, "keyed")
        })
        .singleton(Metrics::default);
    let c = b.build().unwrap();
    let p = c.resolve_keyed::<Primary, Text>().unwrap();
    assert_eq!(p.layers, ["primary", "keyed"]);
    assert!(Arc::ptr_eq(
        &p,
        &c.resolve_keyed::<Primary, Text>().unwrap()
    ));
    assert_eq!(
        c.resolve_keyed::<Replica, Text>().unwrap().layers,
        ["replica"]
    );
    assert_eq!(c.resolve::<Text>().unwrap().layers, ["plain"]);
    assert_eq!(
        c.resolve::<Metrics>().unwrap().calls.load(Ordering::SeqCst),
        1
    );

    b.keyed::<Primary>().without_decorators::<Text>();
    let c = b.build().unwrap();
    assert_eq!(
        c.resolve_keyed::<Primary, Text>().unwrap().layers,
        ["primary"]
    );

    // Under a key nothing is registered with: decorates nothing.
    let mut b = Container::builder();
    b.keyed::<Primary>().singleton(|| Repo);
    let l_decorator = line!() + 1;
    b.keyed::<Replica>().decorate(|inner: Arc<Repo>| -> Repo {
        let _ = inner;
        Repo
    });
    let problems = problems(&b);
    let [Problem::Missing { requester, .. }] = &problems[..] else {
        panic!("expected one missing problem, got {problems:?}");
    };
    assert_eq!(requester.site().line(), l_decorator);
    let msg = problems[0].to_string();
    assert!(msg.contains("decorates nothing"), "{msg}");
    assert!(
        msg.contains("Keyed<decorators::Replica, decorators::Repo>"),
        "{msg}"
    );
}
