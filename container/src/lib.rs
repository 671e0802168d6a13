//! # tenure
//!
//! A dependency-injection container with lifetime scopes that refuses to
//! build a graph in which a long-lived service holds a shorter-lived one.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "tokio")]
mod asynch;
mod builder;
mod container;
mod error;
mod factory;
mod handles;
mod inject;
mod key;
mod lifetime;
mod macros;
mod node;
mod owner;
mod plan;
mod pool;
mod resolve;
mod scope;
mod slot;
mod validate;

#[cfg(feature = "tokio")]
pub use asynch::{AsyncDispose, DisposeError, DisposeFailure, DisposeFailureKind};
pub use builder::ContainerBuilder;
pub use container::{Container, WarmUpError};
pub use error::{BuildError, DependencyKind, Problem, ResolveError, ResolveErrorKind};
pub use factory::{FactoryFn, FactoryResult};
pub use handles::{Factory, Lazy, ScopeFactory};
pub use inject::{Declarations, Deps, Inject};
pub use lifetime::Lifetime;
pub use node::{Node, Role};
pub use pool::PoolStatus;
pub use scope::Scope;
