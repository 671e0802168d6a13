//! [`Injectable`]: types that wire themselves, usually through
//! `#[derive(Injectable)]`, and [`ContainerBuilder::add`].

use crate::{ContainerBuilder, Lifetime};

/// A service that knows its own lifetime, its dependencies and how to build
/// itself from them. Implement it with `#[derive(Injectable)]` (feature
/// `derive`, on by default), then register it with
/// [`ContainerBuilder::add`].
///
/// The derive reads the dependencies from the field types (or from a
/// constructor's argument types) and registers a factory through the same
/// path as a hand-written closure: [`ContainerBuilder::register`]. `build()`
/// therefore validates a derived service exactly like any other.
///
/// ```
/// use std::sync::Arc;
/// use tenure::{Container, Injectable};
///
/// #[derive(Injectable)]
/// #[injectable(singleton)]
/// struct Pool;
///
/// #[derive(Injectable)]
/// #[injectable(scoped)]
/// struct Session { pool: Arc<Pool> }
///
/// let c = Container::builder().add::<Pool>().add::<Session>().build()?;
/// let scope = c.scope();
/// let session = scope.resolve::<Session>()?;
/// assert!(Arc::ptr_eq(&session.pool, &c.resolve::<Pool>()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # The attributes
///
/// On the struct, `#[injectable(..)]`:
///
/// | key | meaning |
/// |---|---|
/// | `singleton`, `scoped`, `pooled` or `transient` | the lifetime: exactly one, required (it is the one decision the derive cannot guess) |
/// | `pooled = N` | pooled, at most `N` instances in the pool (plain `pooled`: [`ContainerBuilder::DEFAULT_POOL_SIZE`]) |
/// | `provides = dyn Trait` | also resolvable as `Arc<dyn Trait>`, the same instance; repeatable |
/// | `collect = dyn Trait` | also an element of `Vec<Arc<dyn Trait>>`, in registration order; repeatable |
/// | `constructor = path` | built by `path(dep, ..) -> Self`, whose arguments are the dependencies, instead of field by field |
/// | `try_constructor = path` | the same, with `path(dep, ..) -> Result<Self, E>`; an `Err` reaches `resolve` as the error's source |
/// | `async_dispose` | the type implements [`AsyncDispose`](crate::AsyncDispose) (feature `tokio`), registered as its async disposer |
/// | `on_start = path`, `on_stop = path` | a singleton's start and stop hooks (feature `tokio`; see `ContainerBuilder::on_start`): `path(Arc<Self>)` returns a future of `Result<(), E>`; on another lifetime, a compile error |
/// | `request_bound` | the service carries one request's state: marked with [`request_bound`](ContainerBuilder::request_bound), so a singleton or pooled service that could keep it is lint `L0003`; not on a singleton |
/// | `crate = path` | where `tenure` is, when it is renamed or re-exported |
///
/// A `path` may also be written as a string: `constructor = "Self::new"`.
///
/// On a field, `#[inject(..)]` (not allowed with a constructor):
///
/// | key | meaning |
/// |---|---|
/// | none | injected; the field is `Arc<T>` (`T` may be `dyn Trait`), `Option<Arc<T>>`, `Vec<Arc<T>>`, [`Lazy<T>`](crate::Lazy), [`Factory<T>`](crate::Factory) or [`ScopeFactory`](crate::ScopeFactory) |
/// | `default` | not injected: `Default::default()` |
/// | `with = path` | not injected: `path()` |
/// | `key = K` | injected: the service registered under the key `K` ([`keyed`](ContainerBuilder::keyed)); the field is `Arc<T>` or `Option<Arc<T>>` (a field of type [`Keyed<K, T>`](crate::Keyed) needs no attribute) |
/// | `checked_at_build` | injected; it holds a type parameter that the compile-time captive check cannot see through, and that is accepted: no warning, `build()` checks it (see below) |
///
/// A generic struct keeps its own bounds, and the derive adds
/// `S: Send + Sync + 'static` for each type parameter `S` that an injected
/// field names (every injectable form needs that much). Lifetime parameters
/// are an error: a service is `'static`.
///
/// A field type that cannot be injected is one error, at the field, with
/// the hint to use `default` or `with`.
///
/// # When the compile-time captive check applies
///
/// Each derived type carries its declared lifetime and, as a hidden
/// constant, the shortest cached lifetime it keeps alive (itself when it is
/// cached; the shortest of its fields when it is transient). From those,
/// the derive checks each injected field that is `Arc<T>`,
/// `Option<Arc<T>>`, `Vec<Arc<T>>` or `Lazy<T>` of an `Injectable` `T`: a
/// field that keeps alive a service shorter-lived than its holder may hold,
/// directly or through any chain of derived transients, is a compile error
/// at that field, with the path and the fix. Exactly when:
///
/// - **A non-generic struct** is checked where it is defined: `cargo check`
///   and `cargo build` fail at the field.
/// - **A generic struct** is checked where [`add`](ContainerBuilder::add)
///   names its type parameters (`add::<Cache<Session>>()`): `cargo build`
///   fails at the field; `cargo check` does not evaluate it. A field that
///   holds a type parameter itself (`Arc<S>`, `Option<Arc<S>>`,
///   `Vec<Arc<S>>`, `Lazy<S>`) is seen through only if `S` is bounded
///   `Injectable` in the struct (`S: Injectable` in the parameter list or
///   the where clause): on stable Rust a generic impl cannot ask whether an
///   unbounded `S` is `Injectable`. Otherwise, in a singleton, pooled or
///   transient struct (a scoped one may hold every cached lifetime), the
///   derive warns at the field, naming `S`; `#[inject(checked_at_build)]`
///   on the field accepts it and silences the warning. The warning is a
///   `deprecated` lint (the only warning a derive can emit on stable Rust),
///   reading "use of deprecated associated constant
///   `..CaptiveCheck..::BLIND_SPOT`" followed by the message. The derive
///   recognises the bound by its name: a bound through another trait
///   (`S: MyService` with `trait MyService: Injectable`) lets the check
///   see `S` but still gets the warning; write `S: Injectable` as well.
/// - **Not at compile time**: `Arc<dyn Trait>` (the implementation is
///   chosen at registration), types registered with closures, a
///   constructor's arguments (a constructor struct pins only itself),
///   `Lazy<T>` of a transient `T` (following it would loop on the cycles
///   `Lazy` is there to break), keyed fields (what is registered under a
///   key, and with which lifetime, is decided at registration), and
///   lifetimes changed by
///   [`add_as`](ContainerBuilder::add_as).
///
/// `build()` checks every registration in any case, with the same rules.
///
/// ```compile_fail
/// use std::sync::Arc;
/// use tenure::Injectable;
///
/// #[derive(Injectable)]
/// #[injectable(scoped)]
/// struct Session;
///
/// #[derive(Injectable)]
/// #[injectable(singleton)]
/// struct Helper { session: Arc<Session> } // error here: captive dependency
/// ```
///
/// A generic struct, and what `build()` catches when the compiler cannot:
///
/// ```
/// use std::sync::Arc;
/// use tenure::{Container, Injectable, Problem};
///
/// #[derive(Injectable)]
/// #[injectable(scoped)]
/// struct Session;
///
/// #[derive(Injectable)]
/// #[injectable(singleton)]
/// struct Config;
///
/// // Checked at `add::<Cache<..>>()`: `add::<Cache<Session>>()` would not
/// // compile.
/// #[derive(Injectable)]
/// #[injectable(singleton)]
/// struct Cache<S: Injectable> { source: Arc<S> }
///
/// // Left to `build()`: no compile-time check, no warning.
/// #[derive(Injectable)]
/// #[injectable(singleton)]
/// struct Loose<S> {
///     #[inject(checked_at_build)]
///     source: Arc<S>,
/// }
///
/// let c = Container::builder().add::<Config>().add::<Cache<Config>>().build()?;
/// # let _ = &c.resolve::<Cache<Config>>()?.source;
/// let err = Container::builder()
///     .add::<Session>()
///     .add::<Loose<Session>>()
///     .build()
///     .unwrap_err();
/// assert!(matches!(err.problems(), [Problem::Captive { .. }]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Without `checked_at_build`, `Loose` warns (denied here):
///
/// ```compile_fail
/// #![deny(deprecated)]
/// use std::sync::Arc;
/// use tenure::Injectable;
///
/// #[derive(Injectable)]
/// #[injectable(singleton)]
/// struct Loose<S> { source: Arc<S> }
/// ```
///
/// The hidden items are the derive's interface to tenure; they are not
/// meant to be written by hand and may change in any release.
pub trait Injectable: Sized + Send + Sync + 'static {
    /// The lifetime declared by `#[injectable(singleton | scoped | pooled | transient)]`.
    const LIFETIME: Lifetime;

    /// The type's name, as written in the struct, for messages.
    #[doc(hidden)]
    const NAME: &'static str;

    /// The shortest cached lifetime an instance keeps alive while it is
    /// held, as far as the types tell: itself when it is cached, the
    /// shortest of its dependencies when it is transient.
    #[doc(hidden)]
    const PIN: private::Pin;

    /// The compile-time captive check of the fields. Evaluating it panics
    /// (a compile error) on a captive dependency the types reveal.
    #[doc(hidden)]
    const CHECK: ();

    /// Registers the factory with `lifetime`.
    #[doc(hidden)]
    #[track_caller]
    fn register(builder: &mut ContainerBuilder, lifetime: Lifetime);

    /// Registers the `provides` bindings and `collect` elements, the
    /// `async_dispose` disposer and the `request_bound` mark.
    #[doc(hidden)]
    #[track_caller]
    fn provide(builder: &mut ContainerBuilder);
}

impl ContainerBuilder {
    /// Registers `T` with the lifetime its `#[injectable(..)]` attribute
    /// declares, and its `provides` bindings and `collect` elements.
    ///
    /// The registration site recorded for `build()`'s messages is the line
    /// that calls `add`.
    ///
    /// For a generic `T`, this is also where the compile-time captive check
    /// runs, through the type parameters bounded `Injectable` (see
    /// [`Injectable`], "When the compile-time captive check applies"): a
    /// captive dependency fails `cargo build` here, at the field.
    /// `cargo check` does not evaluate it; `build()` reports the same
    /// problem at run time in any case.
    #[track_caller]
    pub fn add<T: Injectable>(&mut self) -> &mut Self {
        const { T::CHECK };
        T::register(self, T::LIFETIME);
        T::provide(self);
        self
    }

    /// Registers `T` like [`add`](Self::add), but with `lifetime` instead of
    /// the declared one (a test making a singleton transient, an app that
    /// needs a scoped variant).
    ///
    /// The compile-time check uses the declared lifetime, so it cannot judge
    /// an override: `build()` validates it like any other registration.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tenure::{Container, Injectable, Lifetime};
    ///
    /// #[derive(Injectable)]
    /// #[injectable(singleton)]
    /// struct Counter;
    ///
    /// let c = Container::builder().add_as::<Counter>(Lifetime::Transient).build()?;
    /// assert!(!Arc::ptr_eq(&c.resolve::<Counter>()?, &c.resolve::<Counter>()?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn add_as<T: Injectable>(&mut self, lifetime: Lifetime) -> &mut Self {
        T::register(self, lifetime);
        T::provide(self);
        self
    }
}

/// The derive's runtime support, re-exported as `tenure::__private`. Not a
/// public API.
#[doc(hidden)]
pub mod private {
    use std::marker::PhantomData;
    use std::sync::Arc;

    use crate::{Injectable, Lifetime};

    /// The longest path a [`Pin`] keeps, in bytes.
    pub const PATH_CAP: usize = 512;

    /// The longest compile-time captive message, in bytes: room for a full
    /// path and the lines around it.
    pub const MESSAGE_CAP: usize = 1024;

    /// A string of at most `N` bytes built during constant evaluation (there
    /// is no `String` there). Text past its capacity is cut, ending in `...`.
    #[derive(Clone, Copy)]
    pub struct Text<const N: usize> {
        buf: [u8; N],
        len: usize,
    }

    impl<const N: usize> Text<N> {
        /// An empty text.
        pub const fn new() -> Self {
            Text {
                buf: [0; N],
                len: 0,
            }
        }

        /// `self` followed by `s`.
        pub const fn push(mut self, s: &str) -> Self {
            let b = s.as_bytes();
            let mut i = 0;
            if self.len + b.len() > N {
                // Cut on a char boundary, leaving room for "...".
                let mut end = (N - 3).saturating_sub(self.len);
                while end > 0 && end < b.len() && (b[end] & 0xC0) == 0x80 {
                    end -= 1;
                }
                while i < end && i < b.len() {
                    self.buf[self.len] = b[i];
                    self.len += 1;
                    i += 1;
                }
                while self.len < N {
                    self.buf[self.len] = b'.';
                    self.len += 1;
                }
                return self;
            }
            while i < b.len() {
                self.buf[self.len] = b[i];
                self.len += 1;
                i += 1;
            }
            self
        }

        /// The text so far.
        pub const fn as_str(&self) -> &str {
            match std::str::from_utf8(self.buf.split_at(self.len).0) {
                Ok(s) => s,
                Err(_) => "<tenure: text cut inside a character>",
            }
        }
    }

    impl<const N: usize> Default for Text<N> {
        fn default() -> Self {
            Text::new()
        }
    }

    /// What a held instance keeps alive: the shortest cached lifetime the
    /// types reveal, the service that has it, and the path to it
    /// (`transient `A` -> scoped `B``).
    #[derive(Clone, Copy)]
    pub struct Pin {
        lifetime: Option<Lifetime>,
        /// The name of the service at the end of `path`.
        captive: &'static str,
        path: Text<PATH_CAP>,
    }

    impl Pin {
        /// Keeps nothing alive, or nothing the types reveal.
        pub const NONE: Pin = Pin {
            lifetime: None,
            captive: "",
            path: Text::new(),
        };

        /// A cached service named `name`: it keeps itself alive.
        pub const fn cached(lifetime: Lifetime, name: &'static str) -> Pin {
            if lifetime.rank().is_none() {
                return Pin::NONE;
            }
            Pin {
                lifetime: Some(lifetime),
                captive: name,
                path: Text::new()
                    .push(lifetime.as_str())
                    .push(" `")
                    .push(name)
                    .push("`"),
            }
        }

        /// The shorter-lived of `self` and `other`.
        pub const fn shorter(self, other: Pin) -> Pin {
            match (rank(self.lifetime), rank(other.lifetime)) {
                (_, None) => self,
                (None, Some(_)) => other,
                (Some(a), Some(b)) => {
                    if b < a {
                        other
                    } else {
                        self
                    }
                }
            }
        }

        /// What the transient `name` pins when `self` is the shortest of
        /// its dependencies.
        pub const fn through(self, name: &str) -> Pin {
            if self.lifetime.is_none() {
                return self;
            }
            Pin {
                lifetime: self.lifetime,
                captive: self.captive,
                path: Text::new()
                    .push("transient `")
                    .push(name)
                    .push("` -> ")
                    .push(self.path.as_str()),
            }
        }
    }

    const fn rank(l: Option<Lifetime>) -> Option<u8> {
        match l {
            Some(l) => l.rank(),
            None => None,
        }
    }

    /// The compile error for the field `field` (`name: Type`) of `holder`,
    /// if what it keeps alive (`pin`) is shorter than a `lifetime` service
    /// may hold (`Lifetime::min_held_rank`: a pooled service, reused
    /// scope after scope, may hold only singletons).
    ///
    /// The fix line is the advice `build()` gives for the same problem.
    pub const fn captive(
        lifetime: Lifetime,
        pin: Pin,
        holder: &str,
        field: &str,
    ) -> Option<Text<MESSAGE_CAP>> {
        let (Some(h), Some(p), Some(pinned)) =
            (lifetime.min_held_rank(), rank(pin.lifetime), pin.lifetime)
        else {
            return None;
        };
        if p >= h {
            return None;
        }
        // Whatever a holder may not hold is scoped or pooled, and a scoped
        // service may hold both: the fix is always "scoped or transient".
        Some(
            Text::new()
                .push("captive dependency: ")
                .push(lifetime.as_str())
                .push(" `")
                .push(holder)
                .push("` field `")
                .push(field)
                .push("` keeps a ")
                .push(pinned.as_str())
                .push(" service alive\n  path: ")
                .push(lifetime.as_str())
                .push(" `")
                .push(holder)
                .push("` -> ")
                .push(pin.path.as_str())
                .push("\n  fix: make `")
                .push(holder)
                .push("` scoped or transient, or inject `Factory<")
                .push(pin.captive)
                .push(">` (it holds nothing) and create `")
                .push(pin.captive)
                .push("` in a scope the caller passes (a `ScopeFactory` opens one per operation)"),
        )
    }

    /// A field type the derive injects: the forms of [`Inject`], with a
    /// message for a field that is none of them.
    ///
    /// The factory the derive generates passes each injected field through
    /// `<F as Field>::from_dep`, which is the only place that names `F` as
    /// a dependency; the impl has no bound on `F`. So a field type that
    /// cannot be injected is one error, at the field, and no `add::<T>()`
    /// repeats it. (The factory's argument elements are left to inference:
    /// for a bad `F`, `F::Dep` stays unknown, and the compiler's finding
    /// about it is the same error at the same span, the field's type.)
    ///
    /// [`Inject`]: crate::Inject
    #[diagnostic::on_unimplemented(
        message = "field type `{Self}` cannot be injected",
        label = "not an injectable dependency",
        note = "an injected field is `Arc<T>`, `Arc<dyn Trait>`, `Option<Arc<T>>`, `Vec<Arc<dyn Trait>>`, \
                `Lazy<T>`, `Factory<T>` or `ScopeFactory`",
        note = "a field that is not a dependency takes `#[inject(default)]` (`Default::default()`) \
                or `#[inject(with = path)]` (`path()`)"
    )]
    pub trait Field: Sized {
        /// The field type as a factory argument (the field type itself).
        type Dep: crate::Inject;

        /// The field's value from the factory argument.
        fn from_dep(dep: Self::Dep) -> Self;
    }

    // Written out, not by a macro, so that the compiler's "`Field` is
    // implemented for" hints point at readable lines.
    impl<T: ?Sized + Send + Sync + 'static> Field for Arc<T> {
        type Dep = Self;

        #[inline]
        fn from_dep(dep: Self) -> Self {
            dep
        }
    }

    impl<T: ?Sized + Send + Sync + 'static> Field for Option<Arc<T>> {
        type Dep = Self;

        #[inline]
        fn from_dep(dep: Self) -> Self {
            dep
        }
    }

    impl<T: ?Sized + Send + Sync + 'static> Field for Vec<Arc<T>> {
        type Dep = Self;

        #[inline]
        fn from_dep(dep: Self) -> Self {
            dep
        }
    }

    // The handles' impls (`Lazy`, `Factory`, `ScopeFactory`) are in
    // `handles`, beside the types (a later layer).

    // A keyed field's form, beside `Keyed`.
    pub use crate::keyed::KeyedField;

    macro_rules! impl_field_tuple {
        ($($A:ident),*) => {
            #[diagnostic::do_not_recommend]
            impl<$($A: Field),*> Field for ($($A,)*) {
                type Dep = ($($A::Dep,)*);

                #[allow(non_snake_case, clippy::unused_unit)]
                #[inline]
                fn from_dep(($($A,)*): Self::Dep) -> Self {
                    ($($A::from_dep($A),)*)
                }
            }
        };
    }

    crate::macros::all_tuples!(impl_field_tuple);

    /// `Probe::<F>::PIN`: what a field of type `F` keeps alive. The inherent
    /// consts below apply when `F` holds a derived type (they take
    /// precedence over the trait const); any other field type, a
    /// `dyn Trait`, a handle that holds nothing (`Factory`, `ScopeFactory`)
    /// or a type parameter gets [`ProbeFallback::PIN`]: unknown here, left to
    /// `build()`.
    pub struct Probe<F: ?Sized>(PhantomData<F>);

    /// The fallback of [`Probe`]: reveals nothing.
    pub trait ProbeFallback {
        /// Nothing known.
        const PIN: Pin = Pin::NONE;
    }

    impl<F: ?Sized> ProbeFallback for Probe<F> {}

    impl<T: Injectable> Probe<Arc<T>> {
        /// `T`'s pin.
        pub const PIN: Pin = T::PIN;
    }

    impl<T: Injectable> Probe<Option<Arc<T>>> {
        /// `T`'s pin.
        pub const PIN: Pin = T::PIN;
    }

    impl<T: Injectable> Probe<Vec<Arc<T>>> {
        /// `T`'s pin.
        pub const PIN: Pin = T::PIN;
    }

    // `Probe<Lazy<T>>` is in `handles`, beside `Lazy` (a later layer).
}

#[cfg(test)]
mod tests {
    use super::private::{Pin, Text, captive};
    use crate::Lifetime;

    #[test]
    fn text_cuts_at_a_char_boundary_and_marks_the_cut() {
        let long = "é".repeat(400); // 800 bytes
        let t = Text::<512>::new().push("ab").push(&long).push("never");
        let s = t.as_str();
        assert!(s.starts_with("abé"), "{s}");
        assert!(s.ends_with("..."), "{s}");
        assert!(s.len() <= 512 && s.len() >= 509, "{}", s.len());
    }

    #[test]
    fn pin_keeps_the_shortest_and_its_path() {
        let scoped = Pin::cached(Lifetime::Scoped, "Session");
        let single = Pin::cached(Lifetime::Singleton, "Config");
        let via = Pin::NONE.shorter(single).shorter(scoped).through("Repo");
        let msg = captive(Lifetime::Singleton, via, "Helper", "repo: Arc<Repo>")
            .expect("a singleton holding a scoped service through a transient is captive");
        assert_eq!(
            msg.as_str(),
            "captive dependency: singleton `Helper` field `repo: Arc<Repo>` keeps a scoped \
             service alive\n  path: singleton `Helper` -> transient `Repo` -> scoped `Session`\n  \
             fix: make `Helper` scoped or transient, or inject `Factory<Session>` (it holds \
             nothing) and create `Session` in a scope the caller passes (a `ScopeFactory` opens \
             one per operation)"
        );
    }

    #[test]
    fn pooled_holders_and_pooled_captives_read_as_services() {
        let scoped = Pin::cached(Lifetime::Scoped, "Session");
        let msg = captive(Lifetime::Pooled, scoped, "Conn", "session: Arc<Session>")
            .expect("a pooled service may hold only singletons");
        assert_eq!(
            msg.as_str(),
            "captive dependency: pooled `Conn` field `session: Arc<Session>` keeps a scoped \
             service alive\n  path: pooled `Conn` -> scoped `Session`\n  \
             fix: make `Conn` scoped or transient, or inject `Factory<Session>` (it holds \
             nothing) and create `Session` in a scope the caller passes (a `ScopeFactory` opens \
             one per operation)"
        );
        let pooled = Pin::cached(Lifetime::Pooled, "Conn");
        let msg = captive(Lifetime::Singleton, pooled, "Cache", "conn: Arc<Conn>")
            .expect("a singleton may not hold a pooled service");
        assert!(
            msg.as_str().starts_with(
                "captive dependency: singleton `Cache` field `conn: Arc<Conn>` keeps a pooled \
                 service alive\n  path: singleton `Cache` -> pooled `Conn`\n  fix: make `Cache` \
                 scoped or transient, or inject `Factory<Conn>`"
            ),
            "{}",
            msg.as_str()
        );
    }

    #[test]
    fn a_long_path_is_cut_but_the_fix_line_stays() {
        let mut pin = Pin::cached(Lifetime::Scoped, "Session");
        for name in ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J"].repeat(8) {
            pin = pin.through(name);
        }
        let msg = captive(Lifetime::Singleton, pin, "Helper", "a: Arc<A>").expect("captive");
        let s = msg.as_str();
        assert!(
            s.contains("...\n  fix: make `Helper` scoped or transient"),
            "{s}"
        );
        assert!(
            s.ends_with("(a `ScopeFactory` opens one per operation)"),
            "{s}"
        );
    }

    #[test]
    fn allowed_holdings_are_not_captive() {
        let scoped = Pin::cached(Lifetime::Scoped, "Session");
        let single = Pin::cached(Lifetime::Singleton, "Config");
        assert!(captive(Lifetime::Scoped, scoped, "A", "s").is_none());
        assert!(captive(Lifetime::Singleton, single, "A", "c").is_none());
        assert!(captive(Lifetime::Transient, scoped, "A", "s").is_none());
        assert!(captive(Lifetime::Singleton, Pin::NONE, "A", "x").is_none());
        assert!(
            captive(
                Lifetime::Singleton,
                Pin::cached(Lifetime::Transient, "T"),
                "A",
                "t"
            )
            .is_none()
        );
        // A pooled service may hold only singletons.
        assert!(captive(Lifetime::Pooled, scoped, "A", "s").is_some());
        assert!(captive(Lifetime::Pooled, single, "A", "c").is_none());
    }
}
