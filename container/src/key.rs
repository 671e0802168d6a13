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

/// The last path segment of a type name, without generics or `dyn `:
/// `dyn app::Clock` -> `Clock`, `app::Repo<u8>` -> `Repo`.
pub(crate) fn short_name(name: &str) -> &str {
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
