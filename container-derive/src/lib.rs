//! Derive macros for [`tenure`](https://docs.rs/tenure).
//!
//! This crate is re-exported by `tenure` behind its default `derive` feature;
//! depend on `tenure`, not on this crate directly.
