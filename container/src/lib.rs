//! # tenure
//!
//! A dependency-injection container with lifetime scopes that refuses to
//! build a graph in which a long-lived service holds a shorter-lived one.
//!
//! That bug, the *captive dependency*, is the expensive one: a singleton
//! helper holds a transient repository that holds the current request's
//! database session, so one request's session serves every request at once.
//! tenure learns the whole graph from the argument types of your factories,
//! without running them, and [`ContainerBuilder::build`] rejects every
//! problem at once, with the full path and the `file:line` of each
//! registration on it.
//!
//! ```
//! use std::sync::Arc;
//! use tenure::{Container, Problem};
//!
//! struct Config { url: String }
//! struct Pool { url: String }
//! struct Session { pool: Arc<Pool> }
//! struct UserRepo { session: Arc<Session> }
//! struct Helper { repo: Arc<UserRepo> }
//!
//! let mut builder = Container::builder();
//! builder
//!     .singleton(|| Config { url: "postgres://localhost/app".into() }) // arguments are dependencies
//!     .singleton(|cfg: Arc<Config>| Pool { url: cfg.url.clone() })
//!     .scoped(|pool: Arc<Pool>| Session { pool })                // one per scope
//!     .transient(|session: Arc<Session>| UserRepo { session }); // new on every resolve
//!
//! // The container: resolve singletons from it, open a scope per request.
//! let container = builder.build()?;
//! let scope = container.scope();
//! let repo = scope.resolve::<UserRepo>()?;
//! assert!(Arc::ptr_eq(&repo.session, &scope.resolve::<Session>()?));
//! drop(scope); // the session is dropped here
//!
//! // A singleton that holds the session through a transient never builds.
//! builder.singleton(|repo: Arc<UserRepo>| Helper { repo });
//! let err = builder.build().unwrap_err();
//! assert!(matches!(err.problems()[0], Problem::Captive { .. }));
//! let path: Vec<_> = err.problems()[0].path().iter().map(|n| n.to_string()).collect();
//! assert!(path[0].starts_with("singleton `") && path[0].ends_with("Helper`"));
//! assert!(path[1].starts_with("transient `") && path[2].starts_with("scoped `"));
//! println!("{err}"); // every problem, its path, each registration's file:line, a fix
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Lifetimes and the captive rule
//!
//! | [`Lifetime`] | one instance per | may hold (directly or through transients) |
//! |---|---|---|
//! | `Singleton` | container | singletons |
//! | `Scoped` | [`Scope`] | singletons, scoped, pooled |
//! | `Pooled` | scope, rented from a bounded pool | singletons |
//! | `Transient` | resolution | *transparent*: lives as long as its holder |
//!
//! A transient pins the shortest lifetime among what it holds, so
//! `singleton -> transient -> scoped` is captive, however long the chain.
//! Collections (`Vec<Arc<dyn T>>`) pin the shortest lifetime among their
//! elements; [`Lazy<T>`] still holds `T`; [`Factory<T>`] and
//! [`ScopeFactory`] hold nothing (a factory creates `T` in a scope the
//! caller passes, so a singleton can never pull a scoped instance out of
//! the root). A scoped service resolved from the root is an error that
//! says to open a scope; it never silently becomes a singleton.
//!
//! # What a factory can take
//!
//! A factory is a closure or `fn` of 0 to 12 arguments, each an [`Inject`]
//! type: `Arc<T>` (required; `T` may be `dyn Trait`, bound with
//! [`bind`](ContainerBuilder::bind)), `Option<Arc<T>>`, `Vec<Arc<T>>`
//! (every element added with [`collect`](ContainerBuilder::collect), in
//! registration order), [`Lazy<T>`], [`Factory<T>`], [`ScopeFactory`],
//! [`Keyed<K, T>`](Keyed) (the `T` registered under the key `K`),
//! [`FactoryWith<A, T>`](FactoryWith) (creates `T` from a runtime argument).
//! Fallible factories (`try_singleton`, ...) return `Result<T, E>` with
//! `E: Into<anyhow::Error>`; the error reaches the caller of `resolve` as
//! the [`source`](std::error::Error::source) of a [`ResolveError`].
//!
//! # Recipes
//!
//! - **A trait object**: `.singleton(|| SmtpMailer).bind::<dyn Mailer, SmtpMailer>(|m| m)`.
//!   Binding one implementation under two traits gives one instance.
//! - **Plugins**: `.singleton(|| A).collect::<dyn Plugin, A>(|p| p)` for each,
//!   then take `Vec<Arc<dyn Plugin>>`.
//! - **Background work in a singleton**: take a [`ScopeFactory`] and open a
//!   scope per operation; it holds the container weakly.
//! - **A test double**: `builder.clone().replacing(|b| { b.singleton(|| FakeMailer); })`
//!   replaces a registration explicitly and still validates everything.
//! - **Wiring per crate**: implement [`Module`] and
//!   [`include`](ContainerBuilder::include) it; a module included twice
//!   registers once.
//! - **Tests**: [`testing::TestKernel`] reuses the production wiring with
//!   explicit overrides, reports overrides nothing used, and builds just
//!   what one subject needs; [`testing::assert_valid`] checks the whole
//!   production graph in one line.
//! - **Seeing the wiring**: [`ContainerBuilder::describe`] /
//!   [`Container::describe`] is a table of the services (and
//!   [`ServiceRow`]s for tools); [`Description::graph`] draws it as
//!   Graphviz DOT or Mermaid, with a failed build's problems on it.
//! - **Lints** beyond the hard errors ([`Lint`]): warnings from
//!   [`ContainerBuilder::build_with_warnings`] or [`Container::warnings`],
//!   each allowed (with a reason), warned or denied with
//!   [`ContainerBuilder::lint`].
//! - **Leaks**: [`track_instances`](ContainerBuilder::track_instances), then
//!   [`Container::leak_report`] names the scoped and transient instances
//!   that outlived their scope; [`Container::instance_report`] counts
//!   instances per service.
//! - **Two of one type** (a primary and a replica database, two HTTP
//!   clients): `.keyed::<Primary>().singleton(|| Db::primary())`, then take
//!   [`Keyed<Primary, Db>`](Keyed) (or `#[inject(key = Primary)] db: Arc<Db>`)
//!   and [`Container::resolve_keyed`]; every rule applies per (key, type).
//! - **A service made from a caller's value** (a job per user id):
//!   `.transient_with(|id: UserId, repo: Arc<Repo>| Job::new(id, repo))`,
//!   then take [`FactoryWith<UserId, Job>`](FactoryWith) and call
//!   `create(&scope, id)`; it holds nothing, like [`Factory<T>`].
//! - **A hot path** (a handler resolving the same service per request):
//!   make a [`Resolver<T>`](Resolver) once with [`Container::resolver`] and
//!   call `get()` / `get_in(&scope)`: the lookup is done once and a
//!   singleton is kept, so a hit costs what cloning an `Arc` does; every
//!   rule of `resolve` still holds.
//! - **Async services** (feature `tokio`): `singleton_async`, `scoped_async`,
//!   `pooled_async`, `resolve_async`, `warm_up_async`, `dispose`,
//!   `run_scoped` — see [`AsyncDispose`] and
//!   [`Container::run_scoped`].
//! - **Logging, metrics, retries around a service registered elsewhere**:
//!   [`decorate`](ContainerBuilder::decorate)
//!   `(|inner: Arc<T>, metrics: Arc<Metrics>| ...)` wraps every instance of
//!   `T` (or of a `dyn Trait` binding) once, in registration order, from
//!   any module; the decorator's dependencies are validated like a
//!   factory's, and the decorated instance keeps `T`'s lifetime.
//! - **Starting and stopping background work in order** (feature `tokio`):
//!   `on_start::<T>` / `on_stop::<T>` hooks on singletons; `start()` runs
//!   the start hooks in dependency order (and stops what started if one
//!   fails), `shutdown()` the stop hooks in reverse before the disposers —
//!   see `Container::start` and `cargo run --example lifecycle`.
//!
//! # Feature flags
//!
//! - `derive` (default): `#[derive(Injectable)]`.
//! - `tokio` (default): async factories, async resolution, async disposal
//!   with timeouts, pools whose async renters wait their turn, and
//!   `run_scoped`. Without it, everything synchronous (pooled services
//!   included, whose sync renters fail fast when the pool is exhausted)
//!   still works.
//! - `axum`: the module `tenure::axum`: `ScopeLayer` (one scope per
//!   request, request values supplied from the request's head, disposal
//!   awaited when the response is produced, also on error, panic and
//!   disconnect) and the `Inject<T>` and `RequestScope` extractors.
//!   Implies `tokio`.
//! - `tracing` (off by default): a `tracing` span per top-level resolution
//!   (service, lifetime, [scope id](Scope::id)) and events for creations,
//!   failures, pool waits and async disposers, under the target `tenure`.
//!   Without it, nothing of it is compiled in; with it and no subscriber, a
//!   resolution pays one relaxed atomic load.
//!
//! # How it compares
//!
//! | | tenure | hand-written wiring | more-di | shaku | .NET MS.DI |
//! |---|---|---|---|---|---|
//! | graph from factory argument types | yes | n/a | yes | yes (macros) | yes |
//! | captive through transients rejected | at `build()` | by review | at build | no scopes | opt-in, at first resolve |
//! | all problems at once, with file:line | yes | n/a | first only | compile errors | first only |
//! | scoped / pooled lifetimes | yes / yes | by hand | yes / no | no / no | yes / no |
//! | async factories and disposal | yes | by hand | async feature | no | disposal only |
//! | keyed services | type keys ([`Keyed`]), every check per (key, type) | by hand | type keys (`KeyedRef`) | no | object keys (.NET 8) |
//! | factories with runtime arguments | [`FactoryWith`], validated like transients, created in the caller's scope | closures | no | parameters fixed when the module is built | `ActivatorUtilities`, unvalidated |
//! | decorators, dependencies validated | yes (`decorate`; captive through a decorator rejected) | by hand | `decorate`, its dependencies fetched at run time (decorating nothing is silent) | no | no (Scrutor adds them) |
//! | ordered start / stop hooks | yes (dependency order, timeouts, stop what started on failure) | by hand | no | no | in the host (`IHostedService`), registration order |
//! | `unsafe` | none (`forbid`) | none | some | none | n/a |
//!
//! # FAQ
//!
//! **Why does `build()` not run any factory?** So that validation is
//! cheap, has no side effects, and reports the whole graph; use
//! [`Container::warm_up`] (or `warm_up_async`) to create the singletons at
//! startup.
//!
//! **Why `Arc<T>` everywhere?** Services are shared across threads and
//! scopes; `Arc` is what a hand-written service graph would use.
//!
//! **What if a factory panics?** Nothing is half-built: the slot stays
//! empty and unlocked, the next resolution runs the factory again, other
//! services are unaffected. A factory that resolves itself through a
//! handle gets [`ResolveErrorKind::Reentrant`] instead of a deadlock.
//!
//! # Architecture
//!
//! Data flows one way, registration -> validated plan -> resolution, and so
//! do the imports between the crate's modules: a module imports only from
//! its own layer or earlier ones (the test `tests/layers.rs` reads every
//! `crate::` path in `container/src` and enforces it).
//!
//! | layer | modules | what it holds |
//! |---|---|---|
//! | 1. base | `macros`, `key`, `lifetime`, `node`, `error`, `erased`, `suggest`, `lint`, `actor`, `slot` | service keys, lifetimes, path nodes, errors, lints and their warnings, erased instances, and the concurrency primitives every later layer builds on: actors (who is creating what; deadlock detection) and slots (a cell created exactly once) |
//! | 2. registration | `inject`, `factory`, `builder`, `decorate`, `module`, `injectable`, `keyed`, `with_args` | what a factory declares, the builder and its registrations, the boundary ([`Deps`]) through which the runtime serves a factory; keyed services and registrations with runtime arguments (their types, declarations and registration); decorators |
//! | 3. plan | `plan` | the frozen, validated plan: data only |
//! | 4. validation | `validate` | registrations in, a plan or every problem (and lint warning) out; the one place that decides which registration wins, and the one reachability walk |
//! | 5. runtime | `pool`, `owner`, `census`, `resolve`, `resolver`, `scope`, `handles`, `create_with`, `keyed_resolve`, `container`, `trace` | the one resolution core and everything it fills; scope ids and every `tracing` call |
//! | 6. async | `asynch` | the async driver of the same core, async registration and disposal, the ordered lifecycle (start and stop hooks) |
//! | 7. diagnostics | `diagnostics` | `describe()`, graph export, lint settings, the leak report |
//! | 8. testing | `testing` | test kernels, over public or narrow crate APIs |
//! | 9. integrations | `axum` | one scope per request in a web framework, over public or narrow crate APIs |
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![warn(
    clippy::significant_drop_in_scrutinee,
    clippy::significant_drop_tightening
)]

// 1. base
mod actor;
mod erased;
mod error;
mod key;
mod lifetime;
mod lint;
mod macros;
mod node;
mod slot;
mod suggest;
// 2. registration
mod builder;
mod decorate;
mod factory;
mod inject;
mod injectable;
mod keyed;
mod module;
mod with_args;
// 3. plan
mod plan;
// 4. validation
mod validate;
// 5. runtime
mod census;
mod container;
mod create_with;
mod handles;
mod keyed_resolve;
mod owner;
mod pool;
mod resolve;
mod resolver;
mod scope;
mod trace;
// 6. async
#[cfg(feature = "tokio")]
mod asynch;
// 7. diagnostics
mod diagnostics;
// 8. testing
pub mod testing;
// 9. integrations
#[cfg(feature = "axum")]
pub mod axum;

#[cfg(feature = "tokio")]
pub use asynch::{
    AsyncDispose, DisposeError, DisposeFailure, DisposeFailureKind, StartError, StartErrorKind,
};

pub use builder::ContainerBuilder;
pub use census::{InstanceCount, InstanceReport};
pub use container::{Container, WarmUpError};
pub use decorate::{Decorated, DecoratorFn};
pub use diagnostics::{
    Dependency, DependencyTarget, Description, Diagram, LeakReport, LeakRow, MadeBy, ServiceRow,
};
pub use error::{BuildError, DependencyKind, Problem, ResolveError, ResolveErrorKind};
pub use factory::{FactoryFn, FactoryResult};
pub use handles::{Factory, Lazy, ScopeFactory};
pub use inject::{Declarations, Deps, Inject};
pub use injectable::Injectable;
pub use keyed::{Keyed, KeyedBuilder};
pub use lifetime::Lifetime;
pub use lint::{Level, Lint, Warning};
pub use module::Module;
pub use node::{Node, Role};
pub use pool::PoolStatus;
pub use resolver::Resolver;
pub use scope::Scope;
pub use with_args::{ArgFactoryFn, FactoryWith};

/// `#[derive(Injectable)]`: see [`Injectable`] and the README section
/// "Deriving `Injectable`". Feature `derive` (on by default).
#[cfg(feature = "derive")]
pub use tenure_derive::Injectable;

#[doc(hidden)]
pub use injectable::private as __private;
