//! # tenure
//!
//! A dependency-injection container with lifetime scopes that refuses to
//! build a graph in which a long-lived service holds a shorter-lived one.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

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
mod plan;
mod resolve;
mod scope;
mod slot;
mod validate;

pub use builder::ContainerBuilder;
pub use container::{Container, WarmUpError};
pub use error::{BuildError, DependencyKind, Problem, ResolveError, ResolveErrorKind};
pub use factory::{FactoryFn, FactoryResult};
pub use handles::{Factory, Lazy, ScopeFactory};
pub use inject::{Declarations, Deps, Inject};
pub use lifetime::Lifetime;
pub use node::{Node, Role};
pub use scope::Scope;
