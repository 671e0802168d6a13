//! Checks of the model that the parser cannot make alone. Every problem is
//! recorded; none stops the others from being found.

use syn::{GenericParam, Ident};

use crate::ast::{Field, Input};
use crate::attr::Source;
use crate::ctxt::Ctxt;

/// Dependencies per tuple: `Inject` is implemented for tuples up to 12.
pub const CHUNK: usize = 12;

pub fn check(cx: &Ctxt, input: &Input<'_>) {
    let name = &input.original.ident;
    let attrs = &input.attrs;

    match attrs.lifetimes.as_slice() {
        [] => {
            let msg = format!(
                "missing lifetime: `{name}` needs `#[injectable(singleton)]`, \
                 `#[injectable(scoped)]`, `#[injectable(pooled)]` or `#[injectable(transient)]`"
            );
            match &attrs.attr {
                Some(attr) => cx.error_spanned_by(attr, msg),
                None => cx.error_spanned_by(name, msg),
            }
        }
        [(first, _), rest @ ..] => {
            for (_, ident) in rest {
                cx.error_spanned_by(
                    ident,
                    format!(
                        "two lifetimes: `{name}` is already `{}`; a service has exactly one lifetime",
                        first.name(),
                    ),
                );
            }
        }
    }

    for (key, types) in [("provides", &attrs.provides), ("collect", &attrs.collects)] {
        for ty in types {
            if !matches!(ty, syn::Type::TraitObject(_)) {
                let written = crate::expand::type_name(ty);
                cx.error_spanned_by(
                    ty,
                    format!(
                        "`{key} = {written}`: expected a trait object, as in `{key} = dyn Trait`; \
                         `{key}` makes the service available as `Arc<dyn Trait>`"
                    ),
                );
            }
        }
    }

    for key in attrs.request_bound.iter().skip(1) {
        cx.error_spanned_by(key, "`request_bound` is given twice");
    }
    if let (Some(key), [(crate::attr::Lifetime::Singleton, _), ..]) =
        (attrs.request_bound.first(), attrs.lifetimes.as_slice())
    {
        cx.error_spanned_by(
            key,
            format!(
                "`{name}` is a singleton: it lives as long as the container, so it cannot be \
                 request-bound. Make it `scoped` (or `transient`), or remove `request_bound`"
            ),
        );
    }

    for (kind, hooks) in [("on_start", &attrs.on_start), ("on_stop", &attrs.on_stop)] {
        for (key, _) in hooks.iter().skip(1) {
            cx.error_spanned_by(key, format!("`{kind}` is given twice"));
        }
        if let (Some((key, _)), [(lifetime, _), ..]) = (hooks.first(), attrs.lifetimes.as_slice())
            && *lifetime != crate::attr::Lifetime::Singleton
        {
            cx.error_spanned_by(
                key,
                format!(
                    "`{name}` is {}: only singletons have a lifecycle (started once by \
                     `Container::start`, stopped once by `shutdown`). Make it a `singleton`, or \
                     move `{kind}` to the singleton that owns the work",
                    lifetime.name()
                ),
            );
        }
    }

    for c in attrs.constructors.iter().skip(1) {
        cx.error_spanned_by(
            &c.key,
            "only one `constructor` or `try_constructor` per struct",
        );
    }
    for (key, _) in attrs.krates.iter().skip(1) {
        cx.error_spanned_by(key, "`crate` is given twice");
    }

    for param in &input.original.generics.params {
        if let GenericParam::Lifetime(l) = param {
            cx.error_spanned_by(
                l,
                "a service is `'static`, so it cannot have lifetime parameters: hold `Arc<T>` \
                 instead of `&T`",
            );
        }
    }

    for field in &input.fields {
        if let (Some(c), Some(attr)) = (attrs.constructors.first(), &field.attrs.attr) {
            cx.error_spanned_by(
                attr,
                format!(
                    "`#[inject(..)]` has no effect with `{}`: the constructor's arguments are the \
                     dependencies",
                    c.key
                ),
            );
        }
        if let Some(key) = &field.attrs.checked_at_build {
            checked_at_build(cx, input, field, key);
        }
        for (key, _) in field.attrs.keys.iter().skip(1) {
            cx.error_spanned_by(key, "`key` is given twice: a field is one keyed service");
        }
        if let (Some((key, _)), Some(source)) =
            (field.attrs.keys.first(), field.attrs.sources.first())
        {
            let source = match source {
                Source::Default(k) | Source::With(k, _) => k,
            };
            cx.error_spanned_by(
                key,
                format!(
                    "`key` names the service to inject, but the field is not injected \
                     (`{source}`); remove one of them"
                ),
            );
        }
        for source in field.attrs.sources.iter().skip(1) {
            let key = match source {
                Source::Default(k) | Source::With(k, _) => k,
            };
            cx.error_spanned_by(
                key,
                "a field takes one of `#[inject(default)]` or `#[inject(with = path)]`, not both",
            );
        }
    }

    let injected = input.injected().count();
    if attrs.constructors.is_empty() && injected > CHUNK * CHUNK {
        cx.error_spanned_by(
            name,
            format!(
                "`{name}` has {injected} injected fields; at most {} are supported. Group some \
                 into a derived struct of their own",
                CHUNK * CHUNK
            ),
        );
    }
}

/// `#[inject(checked_at_build)]` silences the warning that the compile-time
/// check cannot see through a type parameter; where there is no such
/// warning it would do nothing, which is an error (a key that cannot apply
/// is never a silent no-op).
fn checked_at_build(cx: &Ctxt, input: &Input<'_>, field: &Field<'_>, key: &Ident) {
    let name = &input.original.ident;
    let ty = crate::expand::type_name(field.ty);
    let why = if let Some((k, _)) = field.attrs.keys.first() {
        format!(
            "the field is keyed (`{k} = ..`): which service is registered under a key is decided \
             at registration, so `build()` checks it and the derive does not"
        )
    } else if let Some(source) = field.attrs.sources.first() {
        let source = match source {
            Source::Default(k) | Source::With(k, _) => k,
        };
        format!("the field is not injected (`{source}`)")
    } else if !input.attrs.constructors.is_empty() {
        // Reported already: no `#[inject(..)]` with a constructor.
        return;
    } else if !input.checks_fields() {
        format!(
            "`{name}` is scoped, and a scoped service may hold every cached lifetime, so there is \
             no compile-time captive check to miss"
        )
    } else if input.unseen_params(field).len() != 1 {
        // A field holds at most one type parameter itself (`Arc<S>`); one
        // that names one parameter and holds another type (`Arc<Vec<S>>`,
        // `Factory<S>`) gets a warning from the expansion, where the
        // compiler can tell.
        let names = if input.unseen_params(field).is_empty() {
            "names none"
        } else {
            "names several, so it holds none of them itself"
        };
        format!(
            "the derive warns only about a field that holds a type parameter without an \
             `Injectable` bound (`Arc<S>`, `Option<Arc<S>>`, `Vec<Arc<S>>` or `Lazy<S>`), and \
             `{ty}` {names}"
        )
    } else {
        return;
    };
    cx.error_spanned_by(
        key,
        format!("`checked_at_build` has nothing to silence: {why}"),
    );
}
