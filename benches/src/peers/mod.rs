//! The peer containers, each in every scenario it can express.

mod dill_impl;
mod ferrunix_impl;
mod froodi_impl;
mod more_di;
mod shaku_impl;

use crate::Runner;

/// Runs every scenario with every peer.
pub fn run(r: &mut impl Runner) {
    more_di::run(r);
    froodi_impl::run(r);
    shaku_impl::run(r);
    ferrunix_impl::run(r);
    dill_impl::run(r);
    for id in ["more-di", "froodi", "shaku", "ferrunix", "dill"] {
        r.na(
            "s8_build_1k",
            id,
            "not measured: would need its own 1k/10k generated registrations",
        );
    }
    r.na(
        "s9_async_request",
        "more-di",
        "no async factories (its `async` feature only makes it thread-safe)",
    );
    r.na(
        "s9_async_request",
        "froodi",
        "has async factories (feature `async`, `async_registry!`); not written in the time available",
    );
    r.na("s9_async_request", "shaku", "no async providers");
    r.na(
        "s9_async_request",
        "ferrunix",
        "async needs its `tokio` feature, which replaces the sync API measured here",
    );
    r.na("s9_async_request", "dill", "no async factories");
}
