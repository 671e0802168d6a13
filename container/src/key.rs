//! Service keys: a `TypeId` plus the readable type name.

use std::any::TypeId;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// Identifies a service: its `TypeId`, with the type's name kept for messages.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Key {
    pub(crate) id: TypeId,
    pub(crate) name: &'static str,
}

impl Key {
    pub(crate) fn of<T: ?Sized + 'static>() -> Key {
        Key {
            id: TypeId::of::<T>(),
            name: std::any::type_name::<T>(),
        }
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}
impl Eq for Key {}
impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id.hash(state)
    }
}

/// A hasher for `TypeId`s: a `TypeId` is already a hash, so hashing it again
/// with SipHash only costs time. Any other input is folded in FNV-style.
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }
    fn write_u128(&mut self, n: u128) {
        self.0 ^= (n as u64) ^ ((n >> 64) as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A map keyed by `TypeId`/[`Key`] that does not re-hash.
pub(crate) type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// How the name of a keyed service starts: it is named as the dependency
/// that takes it, `Keyed<K, T>` (checked against `type_name` in `keyed`).
pub(crate) const KEYED_PREFIX: &str = "tenure::keyed::Keyed<";

/// How the name of a registration with a runtime argument starts: it is
/// named as its handle, `FactoryWith<A, T>` (checked in `with_args`).
pub(crate) const WITH_ARGS_PREFIX: &str = "tenure::with_args::FactoryWith<";

/// How a [`Resolver`](crate::Resolver)'s type name starts (it names itself
/// in its errors).
pub(crate) const RESOLVER_PREFIX: &str = "tenure::resolver::Resolver<";

/// `A, B>` -> `("A", "B")` for the generic arguments of a keyed or
/// argument registration's name after its prefix, splitting at the comma
/// outside any brackets.
pub(crate) fn split_pair(rest: &str) -> Option<(&str, &str)> {
    let inner = rest.strip_suffix('>')?;
    let mut depth = 0usize;
    for (i, c) in inner.char_indices() {
        match c {
            '<' | '(' | '[' => depth += 1,
            '>' | ')' | ']' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => return Some((&inner[..i], inner[i + 1..].trim_start())),
            _ => {}
        }
    }
    None
}

/// How a dependency on the service `name` is written in a factory's
/// arguments when its kind is a plain `Arc` (or `Option<Arc>`): keyed
/// services and argument registrations are taken as themselves.
pub(crate) fn is_self_named(name: &str) -> bool {
    name.starts_with(KEYED_PREFIX)
        || name.starts_with(WITH_ARGS_PREFIX)
        || name.starts_with(RESOLVER_PREFIX)
}

/// The last path segment of a type name, without generics or `dyn `:
/// `dyn app::Clock` -> `Clock`, `app::Repo<u8>` -> `Repo`. A keyed
/// service's is its type's (`Keyed<Primary, app::Db>` -> `Db`).
pub(crate) fn short_name(name: &str) -> &str {
    let name = match name.strip_prefix(KEYED_PREFIX).and_then(split_pair) {
        Some((_, t)) => t,
        None => name,
    };
    // One scan of bytes, no substring searcher: "did you mean" calls this
    // for every registered name.
    let name = name.strip_prefix("dyn ").unwrap_or(name);
    let head = &name[..name.find('<').unwrap_or(name.len())];
    &head[head.rfind(':').map_or(0, |i| i + 1)..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names() {
        assert_eq!(short_name("dyn app::Clock"), "Clock");
        assert_eq!(
            short_name("app::db::Repo<u8, alloc::string::String>"),
            "Repo"
        );
        assert_eq!(short_name("Plain"), "Plain");
    }

    #[test]
    fn keys_compare_by_type_id() {
        assert_eq!(Key::of::<u8>(), Key::of::<u8>());
        assert_ne!(Key::of::<u8>(), Key::of::<u16>());
        let mut m: IdMap<Key, u8> = IdMap::default();
        m.insert(Key::of::<u8>(), 1);
        m.insert(Key::of::<dyn std::fmt::Debug>(), 2);
        assert_eq!(m[&Key::of::<u8>()], 1);
        assert_eq!(m[&Key::of::<dyn std::fmt::Debug>()], 2);
    }
}
