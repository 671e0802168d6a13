//! Code generation: the `Injectable` impl and, for a non-generic struct,
//! the constant that runs its compile-time captive check.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{DeriveInput, Ident, Member, Path, Type};

use crate::ast::{Field, Input};
use crate::attr::{Lifetime, Source};
use crate::ctxt::Ctxt;
use crate::valid::{self, CHUNK};

pub fn derive(node: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let input = Input::from_syn(&cx, node);
    if let Some(input) = &input {
        valid::check(&cx, input);
    }
    match (cx.check(), input) {
        (Ok(()), Some(input)) => expand(&input),
        (Err(err), input) => fallback(node, input.as_ref().map(krate), err),
        (Ok(()), None) => unreachable!("tenure-derive bug: no model and no error"),
    }
}

/// The path of the runtime crate: `::tenure`, or `crate = path`.
fn krate(input: &Input<'_>) -> Path {
    match input.attrs.krates.first() {
        Some((_, path)) => path.clone(),
        None => syn::parse_quote!(::tenure),
    }
}

/// On error: the errors, plus an impl that compiles so that the user's
/// other uses of the type (`add::<T>()`) do not add errors of their own.
/// It is never run: the crate does not compile.
fn fallback(node: &DeriveInput, krate: Option<Path>, err: syn::Error) -> TokenStream {
    let krate = krate.unwrap_or_else(|| syn::parse_quote!(::tenure));
    let ident = &node.ident;
    let (impl_generics, ty_generics, where_clause) = node.generics.split_for_impl();
    let errors = err.to_compile_error();
    if node.generics.lifetimes().next().is_some() {
        // A stub would add errors of its own: services are `'static`.
        return errors;
    }
    quote! {
        #errors
        #[automatically_derived]
        impl #impl_generics #krate::Injectable for #ident #ty_generics #where_clause {
            const LIFETIME: #krate::Lifetime = #krate::Lifetime::Transient;
            const NAME: &'static str = "";
            const PIN: #krate::__private::Pin = #krate::__private::Pin::NONE;
            const CHECK: () = ();
            fn register(_: &mut #krate::ContainerBuilder, _: #krate::Lifetime) {
                ::core::unreachable!("tenure: #[derive(Injectable)] failed to compile")
            }
            fn provide(_: &mut #krate::ContainerBuilder) {}
        }
    }
}

fn expand(input: &Input<'_>) -> TokenStream {
    let krate = krate(input);
    let ident = &input.original.ident;
    let name = ident.to_string();
    let (impl_generics, ty_generics, where_clause) = input.original.generics.split_for_impl();
    let lifetime = lifetime_tokens(&krate, input.lifetime());
    let constructor = input.attrs.constructors.first();

    // No bound per field: the factory passes each injected field through
    // `<F as Field>::from_dep`, which the compiler checks where the struct
    // is defined, at the field. A field that cannot be injected is then one
    // error, there; as a bound of the impl it would be a second error at
    // every `add::<T>()`. What every injectable form needs of a type
    // parameter it names is `Send + Sync + 'static`: that much is carried
    // into the impl, so that the struct need not say it.
    let mut where_clause = where_clause
        .cloned()
        .unwrap_or_else(|| syn::parse_quote!(where));
    if input.is_generic() {
        where_clause
            .predicates
            .push(syn::parse_quote!(Self: ::core::marker::Send + ::core::marker::Sync + 'static));
    }
    if constructor.is_none() {
        for param in input.injected_params() {
            where_clause.predicates.push(syn::parse_quote!(
                #param: ::core::marker::Send + ::core::marker::Sync + 'static
            ));
        }
    }

    let (pin, register) = match constructor {
        Some(c) => {
            let path = &c.path;
            let method = if c.fallible {
                quote_spanned!(c.key.span()=> try_register)
            } else {
                quote_spanned!(c.key.span()=> register)
            };
            let pin = match input.lifetime() {
                // A transient pins what its constructor's arguments pin,
                // which the derive cannot see: left to `build()`.
                Lifetime::Transient => quote!(#krate::__private::Pin::NONE),
                _ => quote!(#krate::__private::Pin::cached(Self::LIFETIME, #name)),
            };
            let register = register_call(&krate, input, quote!(#path), c.fallible, method);
            (pin, register)
        }
        None => {
            let factory = factory_tokens(&krate, input);
            let register = register_call(&krate, input, factory, false, quote!(register));
            (pin_tokens(&krate, input, &name), register)
        }
    };
    // The captive checks, when the derive sees the dependencies.
    let has_checks = constructor.is_none() && input.injected().next().is_some();

    let provide = input
        .attrs
        .provides
        .iter()
        .map(|d| (d, quote!(bind)))
        .chain(input.attrs.collects.iter().map(|d| (d, quote!(collect))))
        .map(|(d, method)| {
            quote_spanned! {d.span()=>
                __builder.#method::<#d, Self>(
                    |service: ::std::sync::Arc<Self>| -> ::std::sync::Arc<#d> { service },
                );
            }
        });

    // `request_bound`: marked for lint L0003.
    let request_bound = input.attrs.request_bound.first().map(|key| {
        quote_spanned! {key.span()=>
            __builder.request_bound::<Self>();
        }
    });

    // `async_dispose`: the type's `AsyncDispose` impl is its disposer.
    let async_dispose = input.attrs.async_dispose.as_ref().map(|key| {
        quote_spanned! {key.span()=>
            __builder.dispose::<Self>();
        }
    });

    // `on_start = path` / `on_stop = path`: lifecycle hooks, `path(Arc<Self>)`.
    let lifecycle = [
        (input.attrs.on_start.first(), quote!(on_start)),
        (input.attrs.on_stop.first(), quote!(on_stop)),
    ]
    .into_iter()
    .filter_map(|(hook, method)| {
        let (key, path) = hook?;
        Some(quote_spanned! {key.span()=>
            __builder.#method(|__service: ::std::sync::Arc<Self>| #path(__service));
        })
    });

    // A non-generic struct is checked where it is defined (by `cargo check`
    // too), in a constant of its own; `CHECK` is then empty. A generic
    // struct is checked where `add::<T>()` names its parameters, through
    // `CHECK`, as far as its parameters are bounded `Injectable` (the
    // others get a warning, see `unseen_warnings`).
    let (check, run_check) = match (has_checks, input.is_generic()) {
        (false, _) => (quote!(()), None),
        (true, true) => {
            let stmts = check_tokens(&krate, input, &name, quote!(Self::LIFETIME));
            let check = quote! {{
                #[allow(unused_imports)]
                use #krate::__private::ProbeFallback as _;
                #stmts
            }};
            (check, None)
        }
        (true, false) => {
            let stmts = check_tokens(&krate, input, &name, quote!(LIFETIME));
            let tail = quote_spanned!(ident.span()=> CAPTIVE_DEPENDENCY_CHECK);
            let run = quote! {
                const _: () = {
                    #[allow(unused_imports)]
                    use #krate::__private::ProbeFallback as _;
                    const LIFETIME: #krate::Lifetime = #lifetime;
                    const CAPTIVE_DEPENDENCY_CHECK: () = { #stmts };
                    #tail
                };
            };
            (quote!(()), Some(run))
        }
    };
    let warnings = unseen_warnings(&krate, input);

    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::Injectable for #ident #ty_generics #where_clause {
            const LIFETIME: #krate::Lifetime = #lifetime;

            const NAME: &'static str = #name;

            const PIN: #krate::__private::Pin = {
                #[allow(unused_imports)]
                use #krate::__private::ProbeFallback as _;
                #pin
            };

            const CHECK: () = #check;

            #[track_caller]
            fn register(__builder: &mut #krate::ContainerBuilder, __lifetime: #krate::Lifetime) {
                #register
            }

            #[track_caller]
            fn provide(__builder: &mut #krate::ContainerBuilder) {
                #(#provide)*
                #async_dispose
                #request_bound
                #(#lifecycle)*
            }
        }
        #run_check
        #warnings
    }
}

/// The warnings about the compile-time captive check's blind spots (see
/// [`Input::unseen_params`]):
///
/// - a field that holds a type parameter not bounded `Injectable` gets a
///   warning that says how to let the check see it, unless it says
///   `#[inject(checked_at_build)]`;
/// - a field that says `#[inject(checked_at_build)]` but holds no such
///   parameter gets a warning that the key silences nothing.
///
/// Whether a field holds the parameter itself is a question of types
/// (`Arc<S>` behind an alias still holds `S`; `Arc<Vec<S>>` does not), so
/// the derive asks the compiler: see [`unseen`].
fn unseen_warnings(krate: &Path, input: &Input<'_>) -> Option<TokenStream> {
    if !input.checks_fields() {
        return None;
    }
    let name = input.original.ident.to_string();
    let tenure = path_name(krate);
    let warnings: Vec<TokenStream> = input
        .injected()
        // A keyed field is left to `build()` (see `probe`): nothing to warn.
        .filter(|f| f.attrs.keys.is_empty())
        .flat_map(|f| input.unseen_params(f).into_iter().map(move |p| (f, p)))
        .filter_map(|(f, param)| {
            let desc = format!("{}: {}", member_name(&f.member), type_name(f.ty));
            let (note, on_hold) = if f.attrs.checked_at_build.is_some() {
                if input.unseen_params(f).len() > 1 {
                    // `valid` reports it: no field holds two parameters.
                    return None;
                }
                let note = format!(
                    "`{name}` field `{desc}`: `#[inject(checked_at_build)]` has nothing to \
                     silence: the derive warns only about a field that holds the type parameter \
                     itself (`Arc<{param}>`, `Option<Arc<{param}>>`, `Vec<Arc<{param}>>` or \
                     `Lazy<{param}>`), and this one does not. Remove the key"
                );
                (note, false)
            } else {
                (blind_spot_note(input, &name, &tenure, &desc, param), true)
            };
            Some(unseen(krate, input, f, param, &note, on_hold))
        })
        .collect();
    (!warnings.is_empty()).then(|| quote!(#(#warnings)*))
}

/// The warning for a field `desc` of `name` that holds the type parameter
/// `param`, not bounded `Injectable`.
fn blind_spot_note(
    input: &Input<'_>,
    name: &str,
    tenure: &str,
    desc: &str,
    param: &Ident,
) -> String {
    let bound = if input.maybe_unsized(param) {
        format!("Bound it `{param}: {tenure}::Injectable` (a sized service, not a `dyn Trait`)")
    } else {
        format!("Bound it `{param}: {tenure}::Injectable`")
    };
    let what = match input.lifetime() {
        Lifetime::Transient => format!(
            "so a service holding `{name}<..>` is not checked for what `{param}` keeps alive. \
             {bound} to let that service's check see it"
        ),
        lifetime => format!(
            "so `cargo build` accepts a {} `{name}<..>` holding any `{param}`, even a scoped \
             service. {bound} to check this field at `add::<{name}<..>>()` (during \
             `cargo build`)",
            lifetime.name()
        ),
    };
    format!(
        "`{name}` field `{desc}`: the compile-time captive check cannot see through the type \
         parameter `{param}`, {what}, or mark the field `#[inject(checked_at_build)]` to leave it \
         to `build()`, which checks it in any case"
    )
}

/// A warning (`note`) at the field `f` when its type holds `param` itself
/// (`on_hold`), or when it does not (`!on_hold`).
///
/// Stable Rust has no warning API for derives, so the warning is the use of
/// a `#[deprecated]` constant whose note is the message, spanned at the
/// field (the `proc-macro-warning` crate's trick). Which constant is used is
/// decided by types: `CaptiveCheck<F, P>::BLIND_SPOT` is an inherent
/// constant when the field type `F` is `Arc<P>`, `Option<Arc<P>>`,
/// `Vec<Arc<P>>` or `Lazy<P>` (the forms `Probe` sees through), and the
/// trait constant of `Fallback` otherwise; the one named by `on_hold`
/// carries the note.
fn unseen(
    krate: &Path,
    input: &Input<'_>,
    f: &Field<'_>,
    param: &Ident,
    note: &str,
    on_hold: bool,
) -> TokenStream {
    let deprecated = quote!(#[deprecated(note = #note)]);
    let (held, fallback) = if on_hold {
        (Some(&deprecated), None)
    } else {
        (None, Some(&deprecated))
    };
    let any = quote!(?::core::marker::Sized);
    // `Lazy<P>` is well-formed only for such a `P`.
    let lazy =
        quote!(?::core::marker::Sized + ::core::marker::Send + ::core::marker::Sync + 'static);
    let forms = [
        (&any, quote!(::std::sync::Arc<P>)),
        (&any, quote!(::core::option::Option<::std::sync::Arc<P>>)),
        (&any, quote!(::std::vec::Vec<::std::sync::Arc<P>>)),
        (&lazy, quote!(#krate::Lazy<P>)),
    ];
    let (bounds, forms): (Vec<_>, Vec<_>) = forms.into_iter().unzip();
    let generics = &input.original.generics;
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    let ty = f.ty;
    // All at the field: the compiler does not report a use of a deprecated
    // item whose span comes from the derive.
    let use_it = quote_spanned!(field_span(f)=> <CaptiveCheck<#ty, #param>>::BLIND_SPOT);
    quote! {
        const _: () = {
            struct CaptiveCheck<F: ?::core::marker::Sized, P: ?::core::marker::Sized>(
                ::core::marker::PhantomData<(*const F, *const P)>,
            );
            trait Fallback {
                #fallback
                const BLIND_SPOT: () = ();
            }
            impl<F: ?::core::marker::Sized, P: ?::core::marker::Sized> Fallback
                for CaptiveCheck<F, P> {}
            #(
                impl<P: #bounds> CaptiveCheck<#forms, P>
                {
                    #held
                    const BLIND_SPOT: () = ();
                }
            )*
            #[allow(dead_code, unused_imports)]
            fn probe #impl_generics () #where_clause {
                use Fallback as _;
                let _ = #use_it;
            }
        };
    }
}

/// A path as a person writes it, without a leading `::`.
fn path_name(path: &Path) -> String {
    let s = type_name(&Type::Path(syn::TypePath {
        qself: None,
        path: path.clone(),
    }));
    s.trim_start_matches("::").to_string()
}

fn lifetime_tokens(krate: &Path, lifetime: Lifetime) -> TokenStream {
    let variant = match lifetime {
        Lifetime::Singleton => quote!(Singleton),
        Lifetime::Scoped => quote!(Scoped),
        Lifetime::Pooled => quote!(Pooled),
        Lifetime::Transient => quote!(Transient),
    };
    quote!(#krate::Lifetime::#variant)
}

/// What a field keeps alive, as far as the types tell. A keyed field keeps
/// alive whatever is registered under its key, which only `build()` knows.
fn probe(krate: &Path, f: &Field<'_>) -> TokenStream {
    let ty = f.ty;
    if f.attrs.keys.is_empty() {
        quote!(<#krate::__private::Probe<#ty>>::PIN)
    } else {
        quote!(#krate::__private::Pin::NONE)
    }
}

/// What an instance keeps alive: itself when cached; when transient, the
/// shortest of what its fields keep alive.
fn pin_tokens(krate: &Path, input: &Input<'_>, name: &str) -> TokenStream {
    if input.lifetime() != Lifetime::Transient {
        return quote!(#krate::__private::Pin::cached(Self::LIFETIME, #name));
    }
    let fields = input.injected().map(|f| probe(krate, f));
    quote! {
        #krate::__private::Pin::NONE
            #(.shorter(#fields))*
            .through(#name)
    }
}

/// One compile-time check per injected field, spanned at the field.
fn check_tokens(krate: &Path, input: &Input<'_>, name: &str, lifetime: TokenStream) -> TokenStream {
    let checks = input.injected().map(|f| {
        let pin = probe(krate, f);
        let desc = format!("{}: {}", member_name(&f.member), type_name(f.ty));
        let span = field_span(f);
        quote_spanned! {span=>
            if let ::core::option::Option::Some(msg) =
                #krate::__private::captive(#lifetime, #pin, #name, #desc)
            {
                ::core::panic!("{}", msg.as_str())
            }
        }
    });
    quote!(#(#checks)*)
}

fn field_span(f: &Field<'_>) -> Span {
    match &f.original.ident {
        Some(ident) => ident.span(),
        None => f.ty.span(),
    }
}

/// The registration of `factory` with the lifetime `add` passes; with
/// `pooled = max`, a pooled registration gets that pool size.
fn register_call(
    krate: &Path,
    input: &Input<'_>,
    factory: TokenStream,
    fallible: bool,
    method: TokenStream,
) -> TokenStream {
    let Some(max) = &input.attrs.pool_max else {
        return quote!(__builder.#method(__lifetime, #factory););
    };
    let pooled = if fallible {
        quote!(try_pooled)
    } else {
        quote!(pooled)
    };
    quote! {
        let __factory = #factory;
        if __lifetime == #krate::Lifetime::Pooled {
            __builder.#pooled(#max, __factory);
        } else {
            __builder.#method(__lifetime, __factory);
        }
    }
}

/// The factory closure: takes the injected fields as one tuple, computes
/// the others.
fn factory_tokens(krate: &Path, input: &Input<'_>) -> TokenStream {
    let injected: Vec<(&Type, Option<&Type>)> = input
        .injected()
        .map(|f| (f.ty, f.attrs.keys.first().map(|(_, k)| k)))
        .collect();
    let count = injected.len();
    let shape = shape(count);
    let mut next = injected.iter().enumerate();
    let inits = input.fields.iter().map(|f| {
        let member = &f.member;
        let value = match f.attrs.sources.first() {
            None => {
                let (i, (ty, key)) = next
                    .next()
                    .expect("tenure-derive bug: injected fields out of step");
                from_dep(krate, ty, *key, position(i, count))
            }
            Some(Source::Default(_)) => {
                quote_spanned!(f.ty.span()=> ::core::default::Default::default())
            }
            Some(Source::With(_, path)) => quote_spanned!(path.span()=> #path()),
        };
        quote!(#member: #value)
    });
    // The argument's elements are not annotated: `from_dep` gives each its
    // type.
    quote! {
        |__deps: #shape| Self { #(#inits),* }
    }
}

/// `<F as Field>::from_dep(__deps.i)` for an injected field of type `F` at
/// `path` in the argument: the one place where the compiler checks that
/// `F` can be injected.
///
/// The argument spans exactly the field's type (`__deps` at its first
/// token, the last index at its last), like `F` in `<F as Field>`: if `F`
/// cannot be injected, the compiler's two findings (the trait, and the
/// argument type it cannot work out) are one error at one span.
///
/// A keyed field (`#[inject(key = K)]`) goes through
/// `<F as KeyedField<K>>::from_keyed` instead: its argument is `Keyed<K, T>`.
fn from_dep(krate: &Path, ty: &Type, key: Option<&Type>, path: Vec<usize>) -> TokenStream {
    let mut tokens = ty.to_token_stream().into_iter();
    let first = tokens.next().map_or_else(Span::call_site, |t| t.span());
    let last = tokens.last().map_or(first, |t| t.span());
    let deps = Ident::new("__deps", first);
    let n = path.len();
    let indexes = path.into_iter().enumerate().map(|(k, i)| {
        let mut lit = Literal::usize_unsuffixed(i);
        lit.set_span(if k + 1 == n { last } else { first });
        lit
    });
    match key {
        None => quote_spanned! {first=>
            <#ty as #krate::__private::Field>::from_dep(#deps #(.#indexes)*)
        },
        Some(key) => quote_spanned! {first=>
            <#ty as #krate::__private::KeyedField<#key>>::from_keyed(#deps #(.#indexes)*)
        },
    }
}

/// The dependencies as one tuple: nested in tuples of at most 12 (the
/// largest `Inject` tuple) when there are more. Its elements are `_`.
fn shape(count: usize) -> TokenStream {
    if count <= CHUNK {
        let holes = (0..count).map(|_| quote!(_));
        return quote!((#(#holes,)*));
    }
    let chunks = (0..count)
        .collect::<Vec<_>>()
        .chunks(CHUNK)
        .map(|c| shape(c.len()))
        .collect::<Vec<_>>();
    quote!((#(#chunks,)*))
}

/// Where the `i`th of `count` dependencies is in [`shape`]'s tuple.
fn position(i: usize, count: usize) -> Vec<usize> {
    if count <= CHUNK {
        vec![i]
    } else {
        vec![i / CHUNK, i % CHUNK]
    }
}

fn member_name(m: &Member) -> String {
    match m {
        Member::Named(i) => i.to_string(),
        Member::Unnamed(i) => i.index.to_string(),
    }
}

/// A type as a person writes it: `Arc<dyn Clock>`, not `Arc < dyn Clock >`.
pub fn type_name(ty: &Type) -> String {
    let mut s = ty.to_token_stream().to_string();
    for (from, to) in [
        (" < ", "<"),
        ("< ", "<"),
        (" <", "<"),
        (" >", ">"),
        (" :: ", "::"),
        (":: ", "::"),
        (" ,", ","),
        ("& ", "&"),
        ("( ", "("),
        (" )", ")"),
        ("[ ", "["),
        (" ]", "]"),
        (" ;", ";"),
    ] {
        s = s.replace(from, to);
    }
    s
}
