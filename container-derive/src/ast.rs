//! The input as a model: the struct, its attributes and its fields, each
//! keeping its `syn` node for spans.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::{
    Data, DeriveInput, Fields, Ident, Member, TraitBoundModifier, Type, TypeParamBound,
    WherePredicate,
};

use crate::attr::{self, Attrs, FieldAttrs, Lifetime};
use crate::ctxt::Ctxt;

pub struct Input<'a> {
    pub original: &'a DeriveInput,
    pub attrs: Attrs,
    pub fields: Vec<Field<'a>>,
}

pub struct Field<'a> {
    pub original: &'a syn::Field,
    pub member: Member,
    pub ty: &'a Type,
    pub attrs: FieldAttrs,
}

impl<'a> Input<'a> {
    /// The model of a struct; `None` (with the error recorded) for an enum
    /// or a union.
    pub fn from_syn(cx: &Ctxt, node: &'a DeriveInput) -> Option<Input<'a>> {
        let attrs = attr::struct_attrs(cx, &node.attrs);
        let fields = match &node.data {
            Data::Struct(data) => &data.fields,
            Data::Enum(data) => {
                cx.error_spanned_by(
                    data.enum_token,
                    "`#[derive(Injectable)]` works on structs only: the container cannot choose an \
                     enum's variant. Derive it on the struct each variant needs, or register the \
                     enum with a factory closure that picks the variant",
                );
                return None;
            }
            Data::Union(data) => {
                cx.error_spanned_by(
                    data.union_token,
                    "`#[derive(Injectable)]` works on structs only, not on unions",
                );
                return None;
            }
        };
        let fields = match fields {
            Fields::Named(f) => f.named.iter().collect::<Vec<_>>(),
            Fields::Unnamed(f) => f.unnamed.iter().collect(),
            Fields::Unit => Vec::new(),
        };
        let fields = fields
            .into_iter()
            .enumerate()
            .map(|(i, field)| Field {
                original: field,
                member: match &field.ident {
                    Some(ident) => Member::Named(ident.clone()),
                    None => Member::Unnamed(i.into()),
                },
                ty: &field.ty,
                attrs: attr::field_attrs(cx, &field.attrs),
            })
            .collect();
        Some(Input {
            original: node,
            attrs,
            fields,
        })
    }

    pub fn lifetime(&self) -> attr::Lifetime {
        self.attrs
            .lifetimes
            .first()
            .map_or(attr::Lifetime::Transient, |(l, _)| *l)
    }

    pub fn is_generic(&self) -> bool {
        !self.original.generics.params.is_empty()
    }

    /// The fields the container injects (no `#[inject(default | with)]`).
    pub fn injected(&self) -> impl Iterator<Item = &Field<'a>> {
        self.fields.iter().filter(|f| f.attrs.sources.is_empty())
    }

    /// The type parameters that an injected field's type names.
    pub fn injected_params(&self) -> impl Iterator<Item = &'a Ident> + '_ {
        self.original
            .generics
            .type_params()
            .map(|p| &p.ident)
            .filter(|p| self.injected().any(|f| mentions(f.ty, p)))
    }

    /// Whether the compile-time captive check of the fields can fail: the
    /// derive sees the dependencies (no constructor), and the struct is
    /// not scoped (a scoped service may hold every cached lifetime). A
    /// transient counts: what its fields keep alive is what its holders
    /// are checked against.
    pub fn checks_fields(&self) -> bool {
        self.attrs.constructors.is_empty() && self.lifetime() != Lifetime::Scoped
    }

    /// The type parameters that `field`'s type names and that are not
    /// bounded `Injectable` (in the parameter list or the where clause, as
    /// a bound whose path ends in `Injectable`). If the field holds one of
    /// them itself (`Arc<S>`, `Option<Arc<S>>`, `Vec<Arc<S>>`, `Lazy<S>`),
    /// the compile-time captive check cannot see through it; whether it
    /// does is a question of types, which the generated code asks the
    /// compiler (see `expand::unseen`).
    pub fn unseen_params(&self, field: &Field<'_>) -> Vec<&'a Ident> {
        self.original
            .generics
            .type_params()
            .map(|p| &p.ident)
            .filter(|p| mentions(field.ty, p))
            .filter(|p| !self.bounds(p).any(is_injectable))
            .collect()
    }

    /// Whether the type parameter `param` is `?Sized` (so possibly a
    /// `dyn Trait`, which cannot be `Injectable`).
    pub fn maybe_unsized(&self, param: &Ident) -> bool {
        self.bounds(param).any(|b| {
            matches!(b, TypeParamBound::Trait(t)
                if matches!(t.modifier, TraitBoundModifier::Maybe(_)) && t.path.is_ident("Sized"))
        })
    }

    /// The bounds of the type parameter `param`, in the parameter list and
    /// in the where clause.
    fn bounds<'s>(&'s self, param: &'s Ident) -> impl Iterator<Item = &'a TypeParamBound> + 's {
        let generics = &self.original.generics;
        let inline = generics
            .type_params()
            .filter(move |q| q.ident == *param)
            .flat_map(|q| &q.bounds);
        let in_where = generics
            .where_clause
            .iter()
            .flat_map(|w| &w.predicates)
            .filter_map(move |pred| match pred {
                WherePredicate::Type(t) if is_param(&t.bounded_ty, param) => Some(&t.bounds),
                _ => None,
            })
            .flatten();
        inline.chain(in_where)
    }
}

/// A bound `Injectable`, `tenure::Injectable` or any path ending so.
fn is_injectable(bound: &TypeParamBound) -> bool {
    matches!(bound, TypeParamBound::Trait(t)
        if t.path.segments.last().is_some_and(|s| s.ident == "Injectable"))
}

/// Whether `ty` is the type parameter `param` itself.
fn is_param(ty: &Type, param: &Ident) -> bool {
    matches!(ty, Type::Path(p) if p.qself.is_none() && p.path.is_ident(param))
}

/// Whether `ty` names `param` anywhere.
fn mentions(ty: &Type, param: &Ident) -> bool {
    fn walk(tokens: TokenStream, param: &Ident) -> bool {
        tokens.into_iter().any(|t| match t {
            TokenTree::Ident(i) => i == *param,
            TokenTree::Group(g) => walk(g.stream(), param),
            _ => false,
        })
    }
    walk(ty.to_token_stream(), param)
}
