//! How generated code names value types and the standard and runtime items it uses.

use proc_macro2::TokenStream;
use quote::quote;

use crate::model::{FieldModel, ValueType};

pub(super) fn value_type(ty: &ValueType, std: &Std) -> TokenStream {
    match ty {
        ValueType::Text => std.string.clone(),
        ValueType::Number => quote! { f64 },
        ValueType::Currency => std.currency.clone(),
        ValueType::Date => std.date.clone(),
        ValueType::Duration => std.duration.clone(),
        ValueType::Bool => quote! { bool },
        ValueType::Choice(name) => {
            let name = name.ident();
            quote! { #name }
        }
        ValueType::Link { module, marker } => {
            let (module, marker) = (module.ident(), marker.ident());
            let record_ref = &std.record_ref;
            quote! { #record_ref<super::#module::#marker> }
        }
        ValueType::Colleague => {
            let record_ref = &std.record_ref;
            quote! { #record_ref<::kinabase_runtime::Colleagues> }
        }
        ValueType::UntypedLink => {
            let record_ref = &std.record_ref;
            quote! { #record_ref<::kinabase_runtime::Untyped> }
        }
        ValueType::Raw => std.raw.clone(),
        ValueType::Custom(path) => path
            .parse::<TokenStream>()
            .unwrap_or_else(|_| quote! { ::kinabase_runtime::Raw }),
    }
}

pub(super) fn field_type(f: &FieldModel, std: &Std) -> TokenStream {
    let t = value_type(&f.ty, std);
    let vec = &std.vec;
    if f.multiple {
        quote! { #vec<#t> }
    } else {
        t
    }
}

/// How a module names the standard and runtime items it uses: the short name (`Option`,
/// `Date`) unless a generated type of the module shadows it, else the full path.
pub(super) struct Std {
    pub(super) option: TokenStream,
    pub(super) none: TokenStream,
    pub(super) string: TokenStream,
    pub(super) vec: TokenStream,
    pub(super) default: TokenStream,
    pub(super) assign: TokenStream,
    pub(super) patch: TokenStream,
    pub(super) currency: TokenStream,
    pub(super) date: TokenStream,
    pub(super) duration: TokenStream,
    pub(super) raw: TokenStream,
    pub(super) record_ref: TokenStream,
    /// `use ::kinabase_runtime::{...};` for the runtime names used short.
    pub(super) imports: TokenStream,
}

impl Std {
    pub(super) fn for_module(shadowed: &[String]) -> Std {
        let short = |n: &str| !shadowed.iter().any(|s| s == n);
        let pick = |n: &str, full: TokenStream| {
            if short(n) {
                let i = quote::format_ident!("{}", n);
                quote! { #i }
            } else {
                full
            }
        };
        let imported: Vec<proc_macro2::Ident> = crate::model::RUNTIME_NAMES
            .iter()
            .filter(|n| short(n))
            .map(|n| quote::format_ident!("{}", n))
            .collect();
        Std {
            option: pick("Option", quote! { ::std::option::Option }),
            none: if short("Option") && short("None") {
                quote! { None }
            } else {
                quote! { ::std::option::Option::None }
            },
            string: pick("String", quote! { ::std::string::String }),
            vec: pick("Vec", quote! { ::std::vec::Vec }),
            default: pick("Default", quote! { ::std::default::Default }),
            assign: pick("Assign", quote! { ::kinabase_runtime::Assign }),
            patch: pick("Patch", quote! { ::kinabase_runtime::Patch }),
            currency: pick("Currency", quote! { ::kinabase_runtime::Currency }),
            date: pick("Date", quote! { ::kinabase_runtime::Date }),
            duration: pick("Duration", quote! { ::kinabase_runtime::Duration }),
            raw: pick("Raw", quote! { ::kinabase_runtime::Raw }),
            record_ref: pick("RecordRef", quote! { ::kinabase_runtime::RecordRef }),
            imports: if imported.is_empty() {
                quote! {}
            } else {
                quote! { #[allow(unused_imports)] use ::kinabase_runtime::{#(#imported),*}; }
            },
        }
    }
}
