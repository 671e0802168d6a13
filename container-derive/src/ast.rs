//! The input as a model: the struct, its attributes and its fields, each
//! keeping its `syn` node for spans.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::{Data, DeriveInput, Fields, Ident, Member, Type};

use crate::attr::{self, Attrs, FieldAttrs};
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
