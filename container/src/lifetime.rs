//! How long a service instance lives.

use std::fmt;

/// How long an instance of a service lives, and therefore who may hold it.
///
/// | lifetime | one instance per | may be held by |
/// |---|---|---|
/// | [`Singleton`](Lifetime::Singleton) | container | anyone |
/// | [`Scoped`](Lifetime::Scoped) | [`Scope`](crate::Scope) | scoped and transient services |
/// | [`Pooled`](Lifetime::Pooled) | scope, rented from a bounded pool | scoped and transient services |
/// | [`Transient`](Lifetime::Transient) | resolution | anyone, but it lives as long as its holder |
///
/// A transient is *transparent* for lifetime checks: what it holds lives as
/// long as whoever holds the transient. A singleton that holds a transient
/// that holds a scoped service is a **captive dependency**, and
/// [`ContainerBuilder::build`](crate::ContainerBuilder::build) rejects it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Lifetime {
    /// A new instance on every resolution; owned by the caller.
    Transient,
    /// One instance per [`Scope`](crate::Scope) (per request, per unit of work).
    Scoped,
    /// One instance per [`Scope`](crate::Scope), rented from a bounded pool
    /// when first resolved in the scope and given back (after an optional
    /// reset) when the scope ends. A consumer sees it as scoped; because an
    /// instance outlives the scope that rented it and serves the next one,
    /// it may itself hold only singletons.
    Pooled,
    /// One instance per [`Container`](crate::Container), shared by every scope.
    Singleton,
}

impl Lifetime {
    /// The lowercase name used in messages: `"singleton"`, `"scoped"`,
    /// `"pooled"`, `"transient"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Lifetime::Transient => "transient",
            Lifetime::Scoped => "scoped",
            Lifetime::Pooled => "pooled",
            Lifetime::Singleton => "singleton",
        }
    }

    /// How long a cached instance lives, as a number: larger lives longer.
    /// `None` for transients, which are not cached and so are transparent.
    pub(crate) const fn rank(self) -> Option<u8> {
        match self {
            Lifetime::Transient => None,
            Lifetime::Scoped | Lifetime::Pooled => Some(1),
            Lifetime::Singleton => Some(2),
        }
    }

    /// The shortest `rank` this lifetime may hold: its own
    /// rank, except for pooled services, whose instances serve scope after
    /// scope and so may hold only singletons. `None` for transients.
    pub(crate) const fn min_held_rank(self) -> Option<u8> {
        match self {
            Lifetime::Transient => None,
            Lifetime::Scoped => Some(1),
            Lifetime::Pooled | Lifetime::Singleton => Some(2),
        }
    }

    /// Whether a service of this lifetime may keep a service of lifetime
    /// `held` alive without making it captive.
    ///
    /// Transients on either side are transparent and always allowed here; the
    /// container looks through them to what they hold.
    ///
    /// ```
    /// use tenure::Lifetime;
    /// assert!(Lifetime::Scoped.may_hold(Lifetime::Singleton));
    /// assert!(!Lifetime::Singleton.may_hold(Lifetime::Scoped));
    /// assert!(Lifetime::Singleton.may_hold(Lifetime::Transient));
    /// assert!(Lifetime::Scoped.may_hold(Lifetime::Pooled));
    /// assert!(!Lifetime::Pooled.may_hold(Lifetime::Scoped));
    /// ```
    pub const fn may_hold(self, held: Lifetime) -> bool {
        match (self.min_held_rank(), held.rank()) {
            (Some(holder), Some(held)) => held >= holder,
            _ => true,
        }
    }
}

impl fmt::Display for Lifetime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
