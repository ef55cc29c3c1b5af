//! Model → tokens. Makes no decisions: every name and type was chosen in `lower`.
//!
//! Standard and runtime items are named short (`Option`, `Date`) unless a type of the
//! module shadows them (`CollectionModel::shadowed`, decided in `lower`); then, and for
//! everything else the output names, full paths (`::std::option::Option`,
//! `::kinabase_runtime::...`). User text only ever appears inside doc-string and string
//! literals.

use proc_macro2::TokenStream;
use quote::quote;

mod account;
mod docs;
mod types;

pub(crate) use docs::doc_attrs;
use docs::{code_text, field_doc, inner_doc, short_doc, update_doc};
pub use docs::{escape_md, text_block};
use types::{Std, field_type};

use crate::model::{ChoiceModel, CollectionModel, FieldModel, Model, ValueType};

/// What to emit besides the collection modules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmitOptions {
    /// Emit the account type wrapping `kinabase_runtime::Client` (needs the runtime's
    /// `http` feature).
    pub account_type: bool,
}

impl Default for EmitOptions {
    fn default() -> Self {
        EmitOptions { account_type: true }
    }
}

/// Which root items [`root`] emits besides the account type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootItems {
    /// Only the account type (the modules are rendered separately, inline).
    AccountOnly,
    /// The account type and `pub mod x;` declarations (module tree).
    Declarations,
    /// The account type and every module inline.
    Inline,
}

/// The root items: the account type and, as asked, the modules.
pub fn root(model: &Model, options: EmitOptions, items: RootItems) -> TokenStream {
    let account = options.account_type.then(|| account::account_type(model));
    let modules = model
        .collections
        .iter()
        .filter(|_| items != RootItems::AccountOnly)
        .map(|c| match items {
            RootItems::Declarations => {
                let module = c.module.ident();
                let doc = module_line(c);
                quote! {
                    #doc
                    #[allow(dead_code, clippy::all)]
                    pub mod #module;
                }
            }
            _ => inline_module(c),
        });
    quote! {
        #account
        #(#modules)*
    }
}

fn module_line(c: &CollectionModel) -> TokenStream {
    doc_attrs(&format!(
        "The {} collection: see [`{}::{}`].",
        escape_md(&c.name),
        c.module.source(),
        c.marker.source()
    ))
}

/// One collection as an inline `pub mod x { ... }` item.
pub fn inline_module(c: &CollectionModel) -> TokenStream {
    let module = c.module.ident();
    let doc = module_line(c);
    let body = collection(c);
    quote! {
        #doc
        #[allow(dead_code, clippy::all)]
        pub mod #module {
            #body
        }
    }
}

/// The items of one collection's module.
pub fn collection(c: &CollectionModel) -> TokenStream {
    let std = Std::for_module(&c.shadowed);
    let marker = c.marker.ident();
    let (id, slug, name) = (&c.id, &c.slug, &c.name);
    let mut module_doc = format!(
        "**{}** (slug `{}`, id `{}`).",
        escape_md(&c.name),
        code_text(&c.slug),
        code_text(&c.id)
    );
    if let Some(d) = &c.description {
        module_doc.push_str("\n\n");
        module_doc.push_str(&text_block(d));
    }
    let module_doc = inner_doc(&module_doc);
    let marker_doc = doc_attrs(&format!(
        "The {} collection, as a type: `CollectionHandle<{}>` and `RecordRef<{}>` are typed by it.",
        escape_md(&c.name),
        c.marker.source(),
        c.marker.source()
    ));

    let keys = c.fields.iter().map(|f| {
        let k = f.constant.ident();
        let key = &f.key;
        let doc = doc_attrs(&format!("Wire key of {}.", escape_md(&f.display)));
        quote! { #doc pub const #k: Key = Key::new(#key); }
    });

    // Everything per field is built once, then placed in each struct and table.
    let prepared: Vec<Prepared<'_>> = c.fields.iter().map(|f| Prepared::new(f, &std)).collect();
    let option = &std.option;
    let read_fields = prepared.iter().map(|p| {
        let (name, ty, doc) = (&p.name, &p.ty, doc_attrs(&field_doc(p.model)));
        quote! { #doc pub #name: #option<#ty>, }
    });
    // One table line per field: the visitor and serializer live once in the runtime.
    let read_table = prepared.iter().map(|p| {
        let (name, key) = (&p.name, &p.model.key);
        let lenient =
            (p.model.ty == ValueType::Number && !p.model.multiple).then(|| quote! { [lenient] });
        quote! { #key => #name #lenient }
    });
    let extra: Vec<syn::Path> = c
        .extra_derives
        .iter()
        .filter_map(|d| syn::parse_str(d).ok())
        .collect();

    let writable: Vec<&Prepared<'_>> = prepared.iter().filter(|p| p.model.writable).collect();
    // The constructor takes the primary field first, then the others by wire key.
    let mut required: Vec<&Prepared<'_>> = writable
        .iter()
        .copied()
        .filter(|p| p.model.required)
        .collect();
    required.sort_by_key(|p| !p.model.primary);
    let create_fields = writable.iter().map(|p| {
        let (name, ty, doc) = (&p.name, &p.ty, &p.short_doc);
        if p.model.required {
            quote! { #doc pub #name: #ty, }
        } else {
            quote! { #doc pub #name: #option<#ty>, }
        }
    });
    let create_table = writable.iter().map(|p| {
        let (name, key) = (&p.name, &p.model.key);
        let required = p.model.required.then(|| quote! { [required] });
        quote! { #key => #name #required }
    });
    let new_params = required.iter().map(|p| {
        let (name, ty) = (&p.name, &p.ty);
        quote! { #name: #ty }
    });
    let none = &std.none;
    let new_inits = writable.iter().map(|p| {
        let name = &p.name;
        if p.model.required {
            quote! { #name }
        } else {
            quote! { #name: #none }
        }
    });
    let new_doc = doc_attrs(&if required.is_empty() {
        "A record with no field set; set optional fields by assignment.".to_string()
    } else {
        format!(
            "A record with its required fields: {}. Set optional fields by assignment.",
            required
                .iter()
                .map(|p| escape_md(&p.model.display))
                .collect::<Vec<_>>()
                .join(", ")
        )
    });
    let default = &std.default;
    let create_default = required.is_empty().then(|| quote! { #default, });

    // Required fields can be set but not cleared: `Assign` has no `clear`.
    let update_fields = writable.iter().map(|p| {
        let (name, ty, doc) = (&p.name, &p.ty, &p.short_doc);
        let wrapper = if p.model.required {
            &std.assign
        } else {
            &std.patch
        };
        quote! { #doc pub #name: #wrapper<#ty>, }
    });
    let update_doc = doc_attrs(&update_doc(&writable));
    let update_table = writable.iter().map(|p| {
        let (name, key) = (&p.name, &p.model.key);
        quote! { #key => #name }
    });
    let ingest = crate::ingest::items(
        c,
        prepared
            .iter()
            .map(|p| (p.model, &p.name, &p.ty, &p.short_doc)),
        option,
        default,
    );
    let choices = c.choices.iter().map(|ch| choice(ch, &std));
    let imports = &std.imports;
    let many_args = (required.len() > 6 && !c.required_by_name)
        .then(|| quote! { #[allow(clippy::too_many_arguments)] });
    // Two required fields of one type are passed by name, so they cannot be swapped.
    let (new_fn, required_struct) = if c.required_by_name {
        let names: Vec<&proc_macro2::Ident> = required.iter().map(|p| &p.name).collect();
        let members = required.iter().map(|p| {
            let (name, ty, doc) = (&p.name, &p.ty, &p.short_doc);
            quote! { #doc pub #name: #ty, }
        });
        (
            quote! {
                pub fn new(required: CreateRequired) -> Self {
                    let CreateRequired { #(#names),* } = required;
                    Create { #(#new_inits),* }
                }
            },
            quote! {
                /// The required fields of a new record, given to [`Create::new`] by name:
                /// some share a type, and names cannot be swapped by mistake as positions can.
                #[derive(Debug, Clone)]
                pub struct CreateRequired {
                    #(#members)*
                }
            },
        )
    } else {
        (
            quote! {
                pub fn new(#(#new_params),*) -> Self {
                    Create { #(#new_inits),* }
                }
            },
            quote! {},
        )
    };
    quote! {
        #module_doc

        #imports

        #marker_doc
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum #marker {}

        impl ::kinabase_runtime::Collection for #marker {
            const ID: &'static str = #id;
            const SLUG: &'static str = #slug;
            const NAME: &'static str = #name;
            type Read = Fields;
            type Create = Create;
            type Update = Update;
        }

        /// Wire keys of the fields, as typed constants.
        pub mod keys {
            /// A wire key of this collection.
            pub type Key = ::kinabase_runtime::FieldKey<super::#marker>;
            #(#keys)*
        }

        /// A record's fields as read. Every field is optional: the API does not promise
        /// presence. Unknown keys are ignored; absent fields are not written back.
        #[derive(Clone, PartialEq, #default #(, #extra)*)]
        pub struct Fields {
            #(#read_fields)*
        }

        ::kinabase_runtime::record_fields!(read Fields { #(#read_table),* });

        /// A new record: `new` takes the required fields; read-only fields do not exist.
        #[derive(Clone, #create_default)]
        pub struct Create {
            #(#create_fields)*
        }

        impl Create {
            #new_doc
            #many_args
            #new_fn
        }

        ::kinabase_runtime::record_fields!(write Create { #(#create_table),* });

        #required_struct

        #update_doc
        #[derive(Clone, #default)]
        pub struct Update {
            #(#update_fields)*
        }

        ::kinabase_runtime::record_fields!(write Update { #(#update_table),* });

        #ingest


        #(#choices)*
    }
}

fn choice(ch: &ChoiceModel, std: &Std) -> TokenStream {
    let string = &std.string;
    let name = ch.name.ident();
    let doc = doc_attrs(&format!(
        "The options of {}. Labels the bindings do not know are kept in `Unknown`, exactly.",
        escape_md(&ch.field)
    ));
    let variants = ch.variants.iter().map(|(v, label)| {
        let v = v.ident();
        let doc = doc_attrs(&if label.is_empty() {
            "(the empty label)".to_string()
        } else {
            format!("`{}`", code_text(label))
        });
        quote! { #doc #v, }
    });
    let from = ch.variants.iter().map(|(v, label)| {
        let v = v.ident();
        quote! { #label => #name::#v, }
    });
    let to = ch.variants.iter().map(|(v, label)| {
        let v = v.ident();
        quote! { #name::#v => #label, }
    });
    quote! {
        #doc
        pub enum #name {
            #(#variants)*
            /// A label this version of the bindings does not know.
            Unknown(#string),
        }

        impl ::kinabase_runtime::Choice for #name {
            #[inline]
            fn from_label(label: &str) -> Self {
                match label {
                    #(#from)*
                    other => #name::Unknown(::std::string::ToString::to_string(other)),
                }
            }

            #[inline]
            fn label(&self) -> &str {
                match self {
                    #(#to)*
                    #name::Unknown(label) => label,
                }
            }
        }

        ::kinabase_runtime::impl_choice!(#name);
    }
}

/// A field's pieces, built once per collection.
pub(super) struct Prepared<'a> {
    model: &'a FieldModel,
    name: proc_macro2::Ident,
    ty: TokenStream,
    short_doc: TokenStream,
}

impl<'a> Prepared<'a> {
    fn new(model: &'a FieldModel, std: &Std) -> Prepared<'a> {
        Prepared {
            model,
            name: model.name.ident(),
            ty: field_type(model, std),
            short_doc: doc_attrs(&short_doc(model)),
        }
    }
}
