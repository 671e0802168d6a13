//! Names for messages: which registered names look like one that is not
//! registered ("did you mean"), and which type names are a wrapper around
//! the type that was meant (`Arc<T>`, `Result<T, E>`, `Vec<Arc<T>>`, ...).
//!
//! Pure functions over type names. [`similar`] is linear in the number of
//! candidates: a length and letter-set test rejects most names in a few
//! instructions, and the edit distance of the rest is computed only inside
//! the band of the largest distance still accepted.

use crate::Lifetime;
use crate::key::short_name;

/// At most this many "did you mean" suggestions. A generic type registered
/// with many parameters (`Repo<A>`, `Repo<B>`, ...) shares its short name
/// with every instantiation: without a cap the message listed all of them,
/// and the duplicate check made the error path quadratic (1.7 ms for one
/// missing dependency among 1,000 `Svc<N>`, 10x the valid build).
pub(crate) const MAX_SUGGESTIONS: usize = 5;

/// The items whose names look like `wanted`, best first, at most
/// [`MAX_SUGGESTIONS`], equal items once. An item named exactly `wanted` is
/// not a suggestion.
///
/// Names are compared by their short names (`app::db::UserRepo<u8>` ->
/// `UserRepo`), ignoring ASCII case, by distance: the same short name
/// (another module, another instantiation) first, then a short name within
/// a few typos (optimal string alignment: insertions, deletions,
/// substitutions and swaps of neighbours; at most a third of the length),
/// and a short name that contains the other (`UserRepo` for
/// `UserRepository`), ranked by how many letters it adds. Ties keep the
/// candidates' order.
pub(crate) fn similar<T: PartialEq>(
    wanted: &str,
    items: impl IntoIterator<Item = T>,
    name: impl Fn(&T) -> &str,
) -> Vec<T> {
    let w = short_name(wanted).as_bytes();
    if w.is_empty() {
        return Vec::new();
    }
    let max_edit = w.len().max(3) / 3;
    let w_letters = letters(w);
    let mut band = Band::new(w.len());
    let mut best: Vec<(usize, T)> = Vec::with_capacity(MAX_SUGGESTIONS + 1);
    for item in items {
        let full = name(&item);
        if full == wanted {
            continue;
        }
        let s = short_name(full).as_bytes();
        // Once five are found, only a closer name can still enter.
        let limit = match best.get(MAX_SUGGESTIONS - 1) {
            Some((worst, _)) => worst - 1,
            None => usize::MAX,
        };
        let Some(d) = distance(w, s, max_edit.min(limit), limit, w_letters, &mut band) else {
            continue;
        };
        let at = best.partition_point(|(e, _)| *e <= d);
        if at == MAX_SUGGESTIONS || best.iter().any(|(_, x)| *x == item) {
            continue;
        }
        best.insert(at, (d, item));
        best.truncate(MAX_SUGGESTIONS);
        if best.len() == MAX_SUGGESTIONS && best[MAX_SUGGESTIONS - 1].0 == 0 {
            break; // nothing later can rank higher
        }
    }
    best.into_iter().map(|(_, x)| x).collect()
}

/// How far `s` is from `w` (short names), if close enough to suggest: at
/// most `max_edit` edits, or a containment that adds at most `limit`
/// letters.
fn distance(
    w: &[u8],
    s: &[u8],
    max_edit: usize,
    limit: usize,
    w_letters: u64,
    band: &mut Band,
) -> Option<usize> {
    if w.eq_ignore_ascii_case(s) {
        return Some(0);
    }
    let (short, long) = if w.len() <= s.len() { (w, s) } else { (s, w) };
    let added = long.len() - short.len();
    let s_letters = letters(s);
    let (short_letters, long_letters) = if w.len() <= s.len() {
        (w_letters, s_letters)
    } else {
        (s_letters, w_letters)
    };
    let substantial = short.len() >= 4 || (short.len() == 3 && 2 * short.len() >= long.len());
    if substantial
        && added <= limit
        && short_letters & !long_letters == 0
        && contains_ignore_case(long, short)
    {
        return Some(added);
    }
    // Each edit adds or removes at most two letters from the set of letters
    // present, and at least `added` edits are insertions.
    let differ = (w_letters ^ s_letters).count_ones() as usize;
    if added > max_edit || differ.div_ceil(2) > max_edit {
        return None;
    }
    // Not when most of the name would change (`A` is not a typo of `B`).
    band.osa(s, w, max_edit).filter(|&d| 2 * d < long.len())
}

/// The set of (ASCII-lowercased) bytes in `s`, folded into 64 bits.
fn letters(s: &[u8]) -> u64 {
    s.iter()
        .fold(0, |m, b| m | 1 << (b.to_ascii_lowercase() & 63))
}

fn contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|win| win.eq_ignore_ascii_case(needle))
}

/// Rows of the optimal-string-alignment table against one fixed word,
/// reused from candidate to candidate (no allocation per comparison).
struct Band {
    rows: [Vec<usize>; 3],
}

impl Band {
    fn new(len: usize) -> Band {
        Band {
            rows: [vec![0; len + 1], vec![0; len + 1], vec![0; len + 1]],
        }
    }

    /// The optimal string alignment distance between `s` and `w` (the word
    /// the rows were made for), ignoring ASCII case, if at most `max`. Only
    /// the cells within `max` of the diagonal are computed; the others are
    /// larger than `max` whatever they hold.
    fn osa(&mut self, s: &[u8], w: &[u8], max: usize) -> Option<usize> {
        let n = w.len();
        if s.len().abs_diff(n) > max {
            return None; // at least that many insertions or deletions
        }
        let far = max + 1;
        let [pp, p, c] = &mut self.rows;
        for (j, x) in p.iter_mut().enumerate() {
            *x = if j <= max { j } else { far };
        }
        let same = |a: u8, b: u8| a.eq_ignore_ascii_case(&b);
        for i in 1..=s.len() {
            let lo = i.saturating_sub(max).max(1);
            let hi = (i + max).min(n);
            c[lo - 1] = if lo == 1 && i <= max { i } else { far };
            let mut row_min = c[lo - 1];
            for j in lo..=hi {
                let cost = usize::from(!same(s[i - 1], w[j - 1]));
                let mut v = (p[j] + 1).min(c[j - 1] + 1).min(p[j - 1] + cost);
                if i > 1 && j > 1 && same(s[i - 1], w[j - 2]) && same(s[i - 2], w[j - 1]) {
                    v = v.min(pp[j - 2] + 1);
                }
                c[j] = v.min(far);
                row_min = row_min.min(c[j]);
            }
            if hi < n {
                c[hi + 1] = far;
            }
            if row_min > max {
                return None;
            }
            std::mem::swap(pp, p);
            std::mem::swap(p, c);
        }
        Some(p[n]).filter(|&d| d <= max)
    }
}

/// What a type name wraps, when its outermost type is one of the shapes a
/// registration or a request gets wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wrapped<'a> {
    /// `Arc<T>`.
    Arc(&'a str),
    /// `Result<T, E>`: `T` and `E`.
    Result(&'a str, &'a str),
    /// `Vec<Arc<T>>`.
    VecOfArc(&'a str),
    /// `Option<Arc<T>>`.
    OptionOfArc(&'a str),
}

/// What `name` (as `std::any::type_name` spells it) wraps, if it is
/// `Arc<T>`, `Result<T, E>`, `Vec<Arc<T>>` or `Option<Arc<T>>`.
pub(crate) fn wrapped(name: &str) -> Option<Wrapped<'_>> {
    const ARC: &str = "alloc::sync::Arc<";
    let inside = |prefix: &str| name.strip_prefix(prefix)?.strip_suffix('>');
    if let Some(t) = inside(ARC) {
        return Some(Wrapped::Arc(t));
    }
    if let Some(t) = inside("alloc::vec::Vec<") {
        return Some(Wrapped::VecOfArc(t.strip_prefix(ARC)?.strip_suffix('>')?));
    }
    if let Some(t) = inside("core::option::Option<") {
        return Some(Wrapped::OptionOfArc(
            t.strip_prefix(ARC)?.strip_suffix('>')?,
        ));
    }
    let args = inside("core::result::Result<")?;
    // The comma between `T` and `E`, outside any brackets of `T`.
    let mut depth = 0i32;
    let comma = args.char_indices().find(|&(_, ch)| {
        match ch {
            '<' | '(' | '[' => depth += 1,
            '>' | ')' | ']' => depth -= 1,
            _ => {}
        }
        ch == ',' && depth == 0
    })?;
    Some(Wrapped::Result(
        &args[..comma.0],
        args[comma.0 + 1..].trim_start(),
    ))
}

/// How a registration makes its instance, for [`misregistered`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Made {
    /// A ready value (`instance`).
    Instance,
    /// A sync factory.
    Factory,
    /// An async factory.
    AsyncFactory,
}

/// If a registration of `name` registers `Arc<T>` or `Result<T, E>` where
/// `T` was meant (a factory that returns an `Arc`, a fallible factory
/// registered without `try_`, `.instance(Arc::new(x))`): `T`, and what
/// happened and how to fix it.
pub(crate) fn misregistered(
    name: &'static str,
    lifetime: Lifetime,
    made: Made,
) -> Option<(&'static str, String)> {
    let instance = made == Made::Instance;
    match wrapped(name)? {
        Wrapped::Arc(t) => {
            let short = short_name(t);
            let (cause, fix) = if instance {
                (
                    "`.instance(Arc::new(..))` registers".to_owned(),
                    "Pass the value itself to `.instance(value)`".to_owned(),
                )
            } else {
                (
                    format!("the factory returns `Arc<{short}>`, so this registers"),
                    format!(
                        "Return `{short}` itself from the factory (the container puts it in an `Arc`)"
                    ),
                )
            };
            let keep = if t.starts_with("dyn ") {
                format!("`.bind_instance::<{t}>(arc)`")
            } else {
                "`.instance_arc(arc)`".to_owned()
            };
            Some((
                t,
                format!(
                    "{cause} `Arc<{t}>`, not `{t}` (which stays unregistered). {fix}; to \
                     register an `Arc` that already exists as `{short}`, use {keep}."
                ),
            ))
        }
        Wrapped::Result(t, e) if instance => Some((
            t,
            format!(
                "`.instance(..)` was given a `Result`, so this registers `Result<{t}, {e}>`, \
                 not `{t}`. Handle the error before registering, and pass the value: \
                 `.instance(value?)`."
            ),
        )),
        Wrapped::Result(t, e) => {
            let asynch = if made == Made::AsyncFactory {
                "_async"
            } else {
                ""
            };
            Some((
                t,
                format!(
                    "the factory returns `Result<{t}, {e}>` and was registered without `try_`, \
                     so this registers the `Result`, not `{t}`, and an `Err` would be served as \
                     a value. Register it with `try_{lifetime}{asynch}` (which registers `{t}`, \
                     and turns an `Err` into a failed resolution with the error as its source)."
                ),
            ))
        }
        Wrapped::VecOfArc(_) | Wrapped::OptionOfArc(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(wanted: &str, registered: &[&'static str]) -> Vec<&'static str> {
        similar(wanted, registered.iter().copied(), |n| n)
    }

    #[test]
    fn same_short_name_typos_and_containment_rank_best_first() {
        let registered = [
            "app::Mailer",
            "app::db::UserRepo",
            "app::db::UserRepos",
            "other::UserRepository",
            "app::Config",
        ];
        assert_eq!(
            names("app::UserRepository", &registered),
            [
                "other::UserRepository",
                "app::db::UserRepos",
                "app::db::UserRepo"
            ]
        );
        assert_eq!(names("app::userrepo", &registered)[0], "app::db::UserRepo");
        assert_eq!(names("app::Confg", &registered), ["app::Config"]);
        // A swap of neighbours is one edit.
        assert_eq!(names("app::Cofnig", &registered), ["app::Config"]);
        assert_eq!(names("app::Clock", &registered), Vec::<&str>::new());
        // `dyn` and generics are not part of the short name.
        assert_eq!(
            names("dyn app::Mailer", &["app::SmtpMailer", "app::Mailer<u8>"]),
            ["app::Mailer<u8>", "app::SmtpMailer"]
        );
    }

    #[test]
    fn short_names_need_more_than_one_letter_in_common() {
        assert!(names("app::A", &["app::B", "app::AB", "app::C"]).is_empty());
        assert!(names("app::Db", &["app::DbSession"]).is_empty());
        assert_eq!(
            names("app::Pool", &["app::ConnectionPool"]),
            ["app::ConnectionPool"]
        );
    }

    #[test]
    fn at_most_five_and_the_exact_name_is_never_suggested() {
        let registered: Vec<&'static str> = (0..1000)
            .map(|i| &*Box::leak(format!("app::Svc<{i}>").into_boxed_str()))
            .collect();
        let got = names("app::Svc<999999>", &registered);
        assert_eq!(
            got,
            [
                "app::Svc<0>",
                "app::Svc<1>",
                "app::Svc<2>",
                "app::Svc<3>",
                "app::Svc<4>"
            ]
        );
        assert!(names("app::Svc<3>", &["app::Svc<3>"]).is_empty());
        assert_eq!(
            names("app::Svc", &["a::Svc", "a::Svc", "b::Svc"]),
            ["a::Svc", "b::Svc"]
        );
    }

    /// The plain dynamic program, every cell, as the oracle for the banded one.
    fn osa_full(a: &[u8], b: &[u8]) -> usize {
        let (n, m) = (a.len(), b.len());
        let mut d = vec![vec![0usize; m + 1]; n + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = i;
        }
        for (j, x) in d[0].iter_mut().enumerate() {
            *x = j;
        }
        for i in 1..=n {
            for j in 1..=m {
                let cost = usize::from(!a[i - 1].eq_ignore_ascii_case(&b[j - 1]));
                let mut v = (d[i - 1][j] + 1)
                    .min(d[i][j - 1] + 1)
                    .min(d[i - 1][j - 1] + cost);
                if i > 1
                    && j > 1
                    && a[i - 1].eq_ignore_ascii_case(&b[j - 2])
                    && a[i - 2].eq_ignore_ascii_case(&b[j - 1])
                {
                    v = v.min(d[i - 2][j - 2] + 1);
                }
                d[i][j] = v;
            }
        }
        d[n][m]
    }

    #[test]
    fn the_banded_distance_agrees_with_the_full_table() {
        // Every pair of words over a small alphabet, up to 4 letters.
        let mut words: Vec<Vec<u8>> = vec![Vec::new()];
        let mut last = vec![Vec::new()];
        for _ in 0..4 {
            last = last
                .iter()
                .flat_map(|w: &Vec<u8>| {
                    b"abC".iter().map(move |&ch| {
                        let mut x = w.clone();
                        x.push(ch);
                        x
                    })
                })
                .collect();
            words.extend(last.iter().cloned());
        }
        for w in words.iter().filter(|w| !w.is_empty()) {
            let mut band = Band::new(w.len());
            for s in &words {
                let full = osa_full(s, w);
                for max in 0..4 {
                    let want = (full <= max).then_some(full);
                    assert_eq!(band.osa(s, w, max), want, "{s:?} {w:?} max {max}");
                }
            }
        }
    }

    #[test]
    fn wrappers_are_recognised_by_their_outermost_type() {
        assert_eq!(
            wrapped("alloc::sync::Arc<app::Pool>"),
            Some(Wrapped::Arc("app::Pool"))
        );
        assert_eq!(
            wrapped("core::result::Result<app::Pool<(u8, u16)>, alloc::string::String>"),
            Some(Wrapped::Result(
                "app::Pool<(u8, u16)>",
                "alloc::string::String"
            ))
        );
        assert_eq!(
            wrapped("alloc::vec::Vec<alloc::sync::Arc<dyn app::Plugin>>"),
            Some(Wrapped::VecOfArc("dyn app::Plugin"))
        );
        assert_eq!(
            wrapped("core::option::Option<alloc::sync::Arc<app::Pool>>"),
            Some(Wrapped::OptionOfArc("app::Pool"))
        );
        assert_eq!(wrapped("alloc::vec::Vec<u8>"), None);
        assert_eq!(wrapped("app::Arc<app::Pool>"), None);
        assert_eq!(wrapped("app::Pool"), None);
        assert_eq!(wrapped("core::result::Result<u8>"), None);
    }

    #[test]
    fn registrations_of_wrappers_name_the_call_to_use() {
        use Lifetime::*;
        let (t, why) =
            misregistered("alloc::sync::Arc<app::Pool>", Singleton, Made::Factory).unwrap();
        assert_eq!(t, "app::Pool");
        assert_eq!(
            why,
            "the factory returns `Arc<Pool>`, so this registers `Arc<app::Pool>`, not `app::Pool` \
             (which stays unregistered). Return `Pool` itself from the factory (the container \
             puts it in an `Arc`); to register an `Arc` that already exists as `Pool`, use \
             `.instance_arc(arc)`."
        );
        let (_, why) = misregistered(
            "alloc::sync::Arc<dyn app::Mailer>",
            Singleton,
            Made::Instance,
        )
        .unwrap();
        assert!(
            why.contains("`.bind_instance::<dyn app::Mailer>(arc)`"),
            "{why}"
        );
        let (t, why) = misregistered(
            "core::result::Result<app::Pool, app::Error>",
            Pooled,
            Made::AsyncFactory,
        )
        .unwrap();
        assert_eq!(t, "app::Pool");
        assert!(why.contains("`try_pooled_async`"), "{why}");
        let (_, why) =
            misregistered("core::result::Result<u8, u16>", Scoped, Made::Factory).unwrap();
        assert!(why.contains("`try_scoped`"), "{why}");
        assert_eq!(misregistered("app::Pool", Scoped, Made::Factory), None);
        assert_eq!(
            misregistered(
                "alloc::vec::Vec<alloc::sync::Arc<u8>>",
                Scoped,
                Made::Factory
            ),
            None
        );
    }
}
