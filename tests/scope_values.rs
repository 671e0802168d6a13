//! Scope values: a scoped service with no factory, supplied by the code
//! that opens the scope (the request's user, tenant, request id).

use std::sync::{Arc, Barrier};

use tenure::testing::TestKernel;
use tenure::{Container, Injectable, Problem, ResolveErrorKind};

struct CurrentUser {
    name: String,
}

struct Tenant(&'static str);

struct Greeting {
    user: Arc<CurrentUser>,
    tenant: Option<Arc<Tenant>>,
}

fn container() -> Container {
    Container::builder()
        .scope_value::<CurrentUser>()
        .scope_value::<Tenant>()
        .transient(|user: Arc<CurrentUser>, tenant: Option<Arc<Tenant>>| Greeting { user, tenant })
        .build()
        .unwrap()
}

#[test]
fn a_supplied_value_is_what_the_scope_resolves_and_an_optional_one_may_be_absent() {
    let c = container();
    let scope = c.scope();
    let user = Arc::new(CurrentUser { name: "ada".into() });
    scope.provide_arc(user.clone()).unwrap();
    let g = scope.resolve::<Greeting>().unwrap();
    assert!(Arc::ptr_eq(&g.user, &user));
    assert!(g.tenant.is_none(), "not supplied: absent");
    assert!(Arc::ptr_eq(&scope.resolve::<CurrentUser>().unwrap(), &user));
    // Another scope gets its own.
    let other = c.scope();
    other
        .provide(CurrentUser {
            name: "grace".into(),
        })
        .unwrap()
        .provide(Tenant("acme"))
        .unwrap();
    let g2 = other.resolve::<Greeting>().unwrap();
    assert_eq!(g2.user.name, "grace");
    assert_eq!(g2.tenant.as_ref().map(|t| t.0), Some("acme"));
}

#[tokio::test]
async fn async_resolution_sees_supplied_values() {
    let c = container();
    let scope = c.scope();
    scope.provide(CurrentUser { name: "ada".into() }).unwrap();
    assert_eq!(
        scope.resolve_async::<Greeting>().await.unwrap().user.name,
        "ada"
    );
    let err = c.scope().resolve_async::<Greeting>().await.err().unwrap();
    assert!(matches!(err.kind(), ResolveErrorKind::NotSupplied));
}

#[test]
fn a_value_not_supplied_is_an_error_that_names_it_and_says_where_values_come_from() {
    let c = container();
    let err = c.scope().resolve::<Greeting>().err().unwrap();
    assert!(matches!(err.kind(), ResolveErrorKind::NotSupplied));
    assert_eq!(err.service().map(|n| n.short_name()), Some("CurrentUser"));
    let msg = err.to_string();
    assert!(
        msg.starts_with(
            "scope value `scope_values::CurrentUser` was not supplied to this scope: the code \
             that opens the scope supplies it with `scope.provide(value)`"
        ),
        "{msg}"
    );
    assert!(
        msg.contains("transient `scope_values::Greeting` -> scoped `scope_values::CurrentUser`")
    );
    // From the root it is scoped-from-root, as for any scoped service.
    assert!(matches!(
        c.resolve::<CurrentUser>().err().unwrap().kind(),
        ResolveErrorKind::ScopedFromRoot
    ));
}

struct Unrelated;

#[test]
fn supplying_what_is_not_a_declared_scope_value_or_twice_is_refused() {
    let c = Container::builder()
        .scope_value::<CurrentUser>()
        .scoped(|| Unrelated)
        .build()
        .unwrap();
    let scope = c.scope();
    let err = scope.provide(Tenant("x")).err().unwrap();
    assert!(matches!(err.kind(), ResolveErrorKind::CannotSupply { .. }));
    assert!(
        err.to_string()
            .contains("cannot supply `scope_values::Tenant` to this scope: it is not registered; declare it with `builder.scope_value::<T>()`"),
        "{err}"
    );
    let err = scope.provide(Unrelated).err().unwrap();
    assert!(
        err.to_string().contains("not declared with `scope_value`"),
        "{err}"
    );
    scope.provide(CurrentUser { name: "a".into() }).unwrap();
    let err = scope
        .provide(CurrentUser { name: "b".into() })
        .err()
        .unwrap();
    assert!(
        err.to_string().contains("this scope already has one"),
        "{err}"
    );
    assert_eq!(scope.resolve::<CurrentUser>().unwrap().name, "a");
}

struct TokenProvider {
    _user: Arc<CurrentUser>,
}
struct Audit {
    _user: Arc<CurrentUser>,
}
struct AuditHelper {
    _audit: Arc<Audit>,
}

#[test]
fn a_singleton_holding_a_scope_value_is_captive_directly_or_through_transients() {
    let err = Container::builder()
        .scope_value::<CurrentUser>()
        .singleton(|_user: Arc<CurrentUser>| TokenProvider { _user })
        .transient(|_user: Arc<CurrentUser>| Audit { _user })
        .singleton(|_audit: Arc<Audit>| AuditHelper { _audit })
        .build()
        .unwrap_err();
    let captive: Vec<Vec<String>> = err
        .problems()
        .iter()
        .filter(|p| matches!(p, Problem::Captive { .. }))
        .map(|p| p.path().iter().map(|n| n.to_string()).collect())
        .collect();
    assert_eq!(
        captive,
        [
            vec![
                "singleton `scope_values::TokenProvider`".to_owned(),
                "scoped `scope_values::CurrentUser`".to_owned()
            ],
            vec![
                "singleton `scope_values::AuditHelper`".to_owned(),
                "transient `scope_values::Audit`".to_owned(),
                "scoped `scope_values::CurrentUser`".to_owned()
            ],
        ]
    );
    assert!(err.to_string().contains("scope_values.rs"), "sites: {err}");
}

#[derive(Injectable)]
#[injectable(scoped)]
struct Profile {
    user: Arc<CurrentUser>,
}

#[test]
fn derived_services_take_scope_values_as_fields() {
    let c = Container::builder()
        .scope_value::<CurrentUser>()
        .add::<Profile>()
        .build()
        .unwrap();
    let scope = c.scope();
    scope.provide(CurrentUser { name: "ada".into() }).unwrap();
    assert_eq!(scope.resolve::<Profile>().unwrap().user.name, "ada");
}

#[test]
fn a_test_kernel_may_replace_a_scope_value_with_a_fake_made_per_scope() {
    let mut base = Container::builder();
    base.scope_value::<CurrentUser>()
        .scoped(|user: Arc<CurrentUser>| Profile { user });
    let mut kernel = TestKernel::new(base);
    kernel.replace(|b| {
        b.scoped(|| CurrentUser {
            name: "test-user".into(),
        });
    });
    let c = kernel.build().unwrap();
    assert_eq!(
        c.scope().resolve::<Profile>().unwrap().user.name,
        "test-user"
    );
    kernel.assert_all_overrides_used();
}

#[test]
fn concurrent_scopes_each_see_only_their_own_values() {
    let c = container();
    let barrier = Arc::new(Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let (c, barrier) = (c.clone(), barrier.clone());
            std::thread::spawn(move || {
                for round in 0..200 {
                    let scope = c.scope();
                    let name = format!("user-{i}-{round}");
                    scope.provide(CurrentUser { name: name.clone() }).unwrap();
                    if round == 0 {
                        barrier.wait();
                    }
                    assert_eq!(scope.resolve::<Greeting>().unwrap().user.name, name);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}
