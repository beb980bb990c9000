#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
//! Derive macros for `cohort_codec::Encode` and `cohort_codec::Decode`.
//!
//! * A struct (named or tuple fields) encodes its fields in declaration order, with no framing of
//!   its own, exactly as a `struct` of the TLS presentation language.
//! * An enum must carry `#[repr(u8)]`, `#[repr(u16)]` or `#[repr(u32)]` and an explicit
//!   discriminant on every variant. It encodes as the discriminant in that width followed by the
//!   variant's fields in order, which is the `select` of the presentation language keyed by a
//!   field just before it. Decoding an undeclared discriminant fails with
//!   `CodecError::UnknownEnum`, so derive only for closed selectors; open registries with an
//!   `Unknown` arm are written by hand.
//!
//! Generated code names the codec as `::cohort_codec`.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::{format_ident, quote};
use syn::{Data, DeriveInput, Expr, Fields, Ident, parse_macro_input, spanned::Spanned};

/// Derives `cohort_codec::Encode`.
#[proc_macro_derive(Encode)]
pub fn derive_encode(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match encode_impl(&input) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// Derives `cohort_codec::Decode`.
#[proc_macro_derive(Decode)]
pub fn derive_decode(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match decode_impl(&input) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// Binding names and a destructuring pattern for a set of fields.
fn bindings(fields: &Fields) -> (Vec<Ident>, TokenStream2) {
    match fields {
        Fields::Named(named) => {
            let names: Vec<Ident> = named.named.iter().filter_map(|f| f.ident.clone()).collect();
            let pat = quote! { { #(#names),* } };
            (names, pat)
        }
        Fields::Unnamed(unnamed) => {
            let names: Vec<Ident> = (0..unnamed.unnamed.len())
                .map(|i| format_ident!("f{}", i))
                .collect();
            let pat = quote! { ( #(#names),* ) };
            (names, pat)
        }
        Fields::Unit => (Vec::new(), quote! {}),
    }
}

/// Constructor expression decoding each field in order.
fn construct(path: TokenStream2, fields: &Fields) -> TokenStream2 {
    match fields {
        Fields::Named(named) => {
            let inits = named.named.iter().map(|f| {
                let name = &f.ident;
                quote! { #name: ::cohort_codec::Decode::decode(reader)? }
            });
            quote! { #path { #(#inits),* } }
        }
        Fields::Unnamed(unnamed) => {
            let inits = unnamed
                .unnamed
                .iter()
                .map(|_| quote! { ::cohort_codec::Decode::decode(reader)? });
            quote! { #path ( #(#inits),* ) }
        }
        Fields::Unit => path,
    }
}

/// The integer type named by `#[repr(..)]`, required on derived enums.
fn enum_repr(input: &DeriveInput) -> syn::Result<Ident> {
    for attr in &input.attrs {
        if attr.path().is_ident("repr") {
            let ty: Ident = attr.parse_args()?;
            if ty == "u8" || ty == "u16" || ty == "u32" {
                return Ok(ty);
            }
            return Err(syn::Error::new(
                ty.span(),
                "codec enums need repr(u8), repr(u16) or repr(u32)",
            ));
        }
    }
    Err(syn::Error::new(
        input.ident.span(),
        "codec enums need #[repr(u8)], #[repr(u16)] or #[repr(u32)] and explicit discriminants",
    ))
}

fn discriminants(data: &syn::DataEnum) -> syn::Result<Vec<&Expr>> {
    data.variants
        .iter()
        .map(|v| {
            v.discriminant.as_ref().map(|(_, e)| e).ok_or_else(|| {
                syn::Error::new(v.span(), "codec enum variants need explicit discriminants")
            })
        })
        .collect()
}

fn encode_impl(input: &DeriveInput) -> syn::Result<TokenStream2> {
    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let (len_body, enc_body) = match &input.data {
        Data::Struct(data) => {
            let (names, pat) = bindings(&data.fields);
            let len = quote! {
                let Self #pat = self;
                0usize #( + ::cohort_codec::Encode::encoded_len(#names) )*
            };
            let enc = quote! {
                let Self #pat = self;
                #( ::cohort_codec::Encode::encode(#names, out)?; )*
                Ok(())
            };
            (len, enc)
        }
        Data::Enum(data) => {
            let repr = enum_repr(input)?;
            let discs = discriminants(data)?;
            let mut len_arms = Vec::new();
            let mut enc_arms = Vec::new();
            for (v, disc) in data.variants.iter().zip(discs) {
                let vname = &v.ident;
                let (names, pat) = bindings(&v.fields);
                len_arms.push(quote! {
                    Self::#vname #pat => {
                        ::core::mem::size_of::<#repr>()
                            #( + ::cohort_codec::Encode::encoded_len(#names) )*
                    }
                });
                enc_arms.push(quote! {
                    Self::#vname #pat => {
                        let tag: #repr = #disc;
                        ::cohort_codec::Encode::encode(&tag, out)?;
                        #( ::cohort_codec::Encode::encode(#names, out)?; )*
                    }
                });
            }
            let len = quote! { match self { #(#len_arms)* } };
            let enc = quote! { match self { #(#enc_arms)* } Ok(()) };
            (len, enc)
        }
        Data::Union(u) => {
            return Err(syn::Error::new(
                u.union_token.span,
                "unions cannot derive Encode",
            ));
        }
    };
    Ok(quote! {
        impl #impl_generics ::cohort_codec::Encode for #name #ty_generics #where_clause {
            #[inline]
            #[allow(unused_variables)]
            fn encoded_len(&self) -> usize { #len_body }
            #[allow(unused_variables)]
            fn encode(
                &self,
                out: &mut ::cohort_codec::alloc::vec::Vec<u8>,
            ) -> ::core::result::Result<(), ::cohort_codec::CodecError> {
                #enc_body
            }
        }
    })
}

fn decode_impl(input: &DeriveInput) -> syn::Result<TokenStream2> {
    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let body = match &input.data {
        Data::Struct(data) => {
            let c = construct(quote! { Self }, &data.fields);
            quote! { Ok(#c) }
        }
        Data::Enum(data) => {
            let repr = enum_repr(input)?;
            let discs = discriminants(data)?;
            let consts: Vec<Ident> = (0..data.variants.len())
                .map(|i| format_ident!("TAG_{}", i))
                .collect();
            let mut arms = Vec::new();
            let mut const_defs = Vec::new();
            for ((v, disc), cname) in data.variants.iter().zip(discs).zip(&consts) {
                let vname = &v.ident;
                let c = construct(quote! { Self::#vname }, &v.fields);
                const_defs.push(quote! { const #cname: #repr = #disc; });
                arms.push(quote! { #cname => Ok(#c), });
            }
            let what = name.to_string();
            quote! {
                #(#const_defs)*
                let tag: #repr = ::cohort_codec::Decode::decode(reader)?;
                match tag {
                    #(#arms)*
                    other => Err(::cohort_codec::CodecError::UnknownEnum {
                        what: #what,
                        value: u64::from(other),
                    }),
                }
            }
        }
        Data::Union(u) => {
            return Err(syn::Error::new(
                u.union_token.span,
                "unions cannot derive Decode",
            ));
        }
    };
    Ok(quote! {
        impl #impl_generics ::cohort_codec::Decode for #name #ty_generics #where_clause {
            #[inline]
            fn decode(
                reader: &mut ::cohort_codec::Reader<'_>,
            ) -> ::core::result::Result<Self, ::cohort_codec::CodecError> {
                #body
            }
        }
    })
}
