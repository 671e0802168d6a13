//! The attributes: `#[injectable(..)]` on the struct, `#[inject(..)]` on a
//! field. Parsing records what was written (with the `syn` nodes, for
//! spans), including repeated keys; [`valid`](crate::valid) judges it.

use proc_macro2::TokenTree;
use syn::meta::ParseNestedMeta;
use syn::parse::ParseStream;
use syn::{Attribute, ExprPath, Ident, LitStr, Path, Token, Type};

use crate::ctxt::Ctxt;

/// A declared lifetime.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    Singleton,
    Scoped,
    Pooled,
    Transient,
}

impl Lifetime {
    pub fn name(self) -> &'static str {
        match self {
            Lifetime::Singleton => "singleton",
            Lifetime::Scoped => "scoped",
            Lifetime::Pooled => "pooled",
            Lifetime::Transient => "transient",
        }
    }
}

/// `constructor = path` or `try_constructor = path`.
pub struct Constructor {
    pub key: Ident,
    pub path: ExprPath,
    pub fallible: bool,
}

/// `#[injectable(..)]`, every key as written.
#[derive(Default)]
pub struct Attrs {
    /// The first `#[injectable]` attribute, if any.
    pub attr: Option<Attribute>,
    pub lifetimes: Vec<(Lifetime, Ident)>,
    /// `pooled = max`: the pool size.
    pub pool_max: Option<syn::Expr>,
    pub provides: Vec<Type>,
    pub collects: Vec<Type>,
    pub constructors: Vec<Constructor>,
    pub krates: Vec<(Ident, Path)>,
    /// `async_dispose`: register the type's `AsyncDispose` implementation.
    pub async_dispose: Option<Ident>,
    /// `request_bound`: mark the service request-bound (every time given).
    pub request_bound: Vec<Ident>,
    /// `on_start = path` / `on_stop = path`: lifecycle hooks (every time
    /// given).
    pub on_start: Vec<(Ident, ExprPath)>,
    pub on_stop: Vec<(Ident, ExprPath)>,
}

/// Where a field's value comes from, when it is not injected.
pub enum Source {
    /// `#[inject(default)]`
    Default(Ident),
    /// `#[inject(with = path)]`
    With(Ident, ExprPath),
}

/// `#[inject(..)]`, every key as written.
#[derive(Default)]
pub struct FieldAttrs {
    /// The first `#[inject]` attribute, if any.
    pub attr: Option<Attribute>,
    pub sources: Vec<Source>,
    /// `checked_at_build`: the compile-time captive check cannot see
    /// through this field's type parameters, and that is accepted (no
    /// warning); `build()` checks the field.
    pub checked_at_build: Option<Ident>,
    /// `key = Type`: the field is the service registered under that key
    /// (`Keyed<Type, T>`), every occurrence as written.
    pub keys: Vec<(Ident, Type)>,
}

const STRUCT_KEYS: &str = "`singleton`, `scoped`, `pooled`, `pooled = max`, `transient`, `provides = dyn Trait`, \
                           `collect = dyn Trait`, `constructor = path`, `try_constructor = path`, \
                           `async_dispose`, `request_bound`, `on_start = path`, `on_stop = path` \
                           or `crate = path`";

const FIELD_KEYS: &str = "`default`, `with = path`, `key = Type` or `checked_at_build`";

pub fn struct_attrs(cx: &Ctxt, attrs: &[Attribute]) -> Attrs {
    let mut out = Attrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("injectable")) {
        out.attr.get_or_insert_with(|| attr.clone());
        if let Err(err) = attr.meta.require_list() {
            cx.syn_error(syn::Error::new(
                err.span(),
                "expected `#[injectable(singleton)]`, `#[injectable(scoped)]` or `#[injectable(transient)]`",
            ));
            continue;
        }
        let result = attr.parse_nested_meta(|meta| {
            let Some(key) = meta.path.get_ident().cloned() else {
                unknown(cx, &meta, "#[injectable(..)]", STRUCT_KEYS)?;
                return Ok(());
            };
            match key.to_string().as_str() {
                "singleton" => out.lifetimes.push((Lifetime::Singleton, key)),
                "scoped" => out.lifetimes.push((Lifetime::Scoped, key)),
                "transient" => out.lifetimes.push((Lifetime::Transient, key)),
                "pooled" => {
                    if meta.input.peek(Token![=]) {
                        out.pool_max = Some(meta.value()?.parse()?);
                    }
                    out.lifetimes.push((Lifetime::Pooled, key));
                }
                "provides" => out.provides.push(meta.value()?.parse()?),
                "collect" => out.collects.push(meta.value()?.parse()?),
                "async_dispose" => out.async_dispose = Some(key),
                "request_bound" => out.request_bound.push(key),
                "on_start" => out.on_start.push((key, path_value(meta.value()?)?)),
                "on_stop" => out.on_stop.push((key, path_value(meta.value()?)?)),
                "constructor" | "try_constructor" => {
                    let path = path_value(meta.value()?)?;
                    let fallible = key == "try_constructor";
                    out.constructors.push(Constructor {
                        key,
                        path,
                        fallible,
                    });
                }
                "crate" => {
                    let path = path_value(meta.value()?)?;
                    out.krates.push((key, path.path));
                }
                _ => unknown(cx, &meta, "#[injectable(..)]", STRUCT_KEYS)?,
            }
            Ok(())
        });
        if let Err(err) = result {
            cx.syn_error(err);
        }
    }
    out
}

pub fn field_attrs(cx: &Ctxt, attrs: &[Attribute]) -> FieldAttrs {
    let mut out = FieldAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("inject")) {
        out.attr.get_or_insert_with(|| attr.clone());
        if let Err(err) = attr.meta.require_list() {
            cx.syn_error(syn::Error::new(
                err.span(),
                "expected `#[inject(default)]`, `#[inject(with = path)]`, \
                 `#[inject(key = Type)]` or `#[inject(checked_at_build)]`",
            ));
            continue;
        }
        let result = attr.parse_nested_meta(|meta| {
            match meta.path.get_ident() {
                Some(key) if key == "default" => out.sources.push(Source::Default(key.clone())),
                Some(key) if key == "checked_at_build" => {
                    if out.checked_at_build.is_some() {
                        cx.error_spanned_by(key, "`checked_at_build` is given twice");
                    }
                    out.checked_at_build = Some(key.clone());
                }
                Some(key) if key == "key" => {
                    let key = key.clone();
                    out.keys.push((key, meta.value()?.parse()?));
                }
                Some(key) if key == "with" => {
                    let key = key.clone();
                    let path = path_value(meta.value()?)?;
                    out.sources.push(Source::With(key, path));
                }
                _ => unknown(cx, &meta, "#[inject(..)]", FIELD_KEYS)?,
            }
            Ok(())
        });
        if let Err(err) = result {
            cx.syn_error(err);
        }
    }
    out
}

/// `path` or `"path"` (the string form, as serde writes it).
fn path_value(input: ParseStream<'_>) -> syn::Result<ExprPath> {
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        lit.parse()
    } else {
        input.parse()
    }
}

/// Records an unknown key and skips its value, so that the keys after it
/// are still checked.
fn unknown(cx: &Ctxt, meta: &ParseNestedMeta<'_>, attr: &str, expected: &str) -> syn::Result<()> {
    let path = &meta.path;
    let name = quote::quote!(#path).to_string().replace(' ', "");
    cx.error_spanned_by(
        &meta.path,
        format!("unknown key `{name}` in `{attr}`: expected {expected}"),
    );
    let input = meta.input;
    if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
    }
    while !input.is_empty() && !input.peek(Token![,]) {
        input.parse::<TokenTree>()?;
    }
    Ok(())
}
