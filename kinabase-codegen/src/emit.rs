//! Model → tokens. Makes no decisions: every name and type was chosen in `lower`.
//!
//! Everything the output names is fully qualified (`::std::option::Option`,
//! `::kinabase_runtime::...`), so that a collection called `Option`, `Result`, `String`
//! or `Vec` cannot shadow it. User text only ever appears inside doc-string literals.

use proc_macro2::TokenStream;
use quote::quote;

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

/// The root items: the account type and, when `inline`, every module's body.
pub fn root(model: &Model, options: EmitOptions, inline: bool) -> TokenStream {
    let account = options.account_type.then(|| account_type(model));
    let modules = model.collections.iter().map(|c| {
        let module = c.module.ident();
        let doc = doc_attrs(&format!(
            "The {} collection: see [`{}::{}`].",
            escape_md(&c.name),
            c.module.source(),
            c.marker.source()
        ));
        if inline {
            let body = collection(c);
            quote! {
                #doc
                #[allow(dead_code, clippy::all)]
                pub mod #module {
                    #body
                }
            }
        } else {
            quote! {
                #doc
                #[allow(dead_code, clippy::all)]
                pub mod #module;
            }
        }
    });
    quote! {
        #account
        #(#modules)*
    }
}

fn account_type(model: &Model) -> TokenStream {
    let title = match &model.account {
        Some(a) => format!("Typed access to the Kinabase account {}.", escape_md(a)),
        None => "Typed access to a Kinabase account.".to_string(),
    };
    let title = doc_attrs(&title);
    let methods = model.collections.iter().map(|c| {
        let accessor = c.accessor.ident();
        let module = c.module.ident();
        let marker = c.marker.ident();
        let doc = doc_attrs(&format!(
            "The {} collection (`{}`).",
            escape_md(&c.name),
            c.slug.replace('`', "'")
        ));
        quote! {
            #doc
            pub fn #accessor(&self) -> ::kinabase_runtime::CollectionHandle<#module::#marker> {
                self.client.collection::<#module::#marker>()
            }
        }
    });
    quote! {
        #title
        #[derive(Debug, Clone)]
        #[allow(dead_code)]
        pub struct Kinabase {
            client: ::kinabase_runtime::Client,
        }

        #[allow(dead_code)]
        impl Kinabase {
            /// Wraps a runtime client.
            pub fn new(client: ::kinabase_runtime::Client) -> Self {
                Kinabase { client }
            }

            /// The runtime client, for untyped calls.
            pub fn client(&self) -> &::kinabase_runtime::Client {
                &self.client
            }

            #(#methods)*
        }
    }
}

/// The items of one collection's module.
pub fn collection(c: &CollectionModel) -> TokenStream {
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
        quote! { #doc pub const #k: ::kinabase_runtime::FieldKey<super::#marker> = ::kinabase_runtime::FieldKey::new(#key); }
    });

    let read_fields = c.fields.iter().map(|f| {
        let name = f.name.ident();
        let ty = field_type(f);
        let doc = doc_attrs(&field_doc(f));
        let rename = rename_attr(f);
        let lenient = (f.ty == ValueType::Number && !f.multiple).then(|| quote! { deserialize_with = "::kinabase_runtime::lenient_number", });
        quote! {
            #doc
            #[serde(default, #lenient #rename skip_serializing_if = "::std::option::Option::is_none")]
            pub #name: ::std::option::Option<#ty>,
        }
    });
    let extra: Vec<syn::Path> = c
        .extra_derives
        .iter()
        .filter_map(|d| syn::parse_str(d).ok())
        .collect();

    let writable: Vec<&FieldModel> = c.fields.iter().filter(|f| f.writable).collect();
    // The constructor takes the primary field first, then the others by wire key.
    let mut required: Vec<&FieldModel> = writable.iter().copied().filter(|f| f.required).collect();
    required.sort_by_key(|f| !f.primary);
    let create_fields = writable.iter().map(|f| {
        let name = f.name.ident();
        let ty = field_type(f);
        let doc = doc_attrs(&field_doc(f));
        let rename = rename_attr(f);
        if f.required {
            let attr = rename.map(|r| quote! { #[serde(#r)] });
            quote! { #doc #attr pub #name: #ty, }
        } else {
            quote! {
                #doc
                #[serde(#rename skip_serializing_if = "::std::option::Option::is_none")]
                pub #name: ::std::option::Option<#ty>,
            }
        }
    });
    let new_params = required.iter().map(|f| {
        let name = f.name.ident();
        let ty = field_type(f);
        quote! { #name: #ty }
    });
    let new_inits = writable.iter().map(|f| {
        let name = f.name.ident();
        if f.required {
            quote! { #name }
        } else {
            quote! { #name: ::std::option::Option::None }
        }
    });
    let new_doc = doc_attrs(&if required.is_empty() {
        "A record with no field set.".to_string()
    } else {
        format!(
            "A record with its required fields: {}.",
            required
                .iter()
                .map(|f| escape_md(&f.display))
                .collect::<Vec<_>>()
                .join(", ")
        )
    });
    let withs = writable.iter().filter(|f| !f.required).map(|f| {
        let name = f.name.ident();
        let with = f.with.ident();
        let ty = field_type(f);
        let doc = doc_attrs(&format!("Sets {}.", escape_md(&f.display)));
        quote! {
            #doc
            pub fn #with(mut self, value: #ty) -> Self {
                self.#name = ::std::option::Option::Some(value);
                self
            }
        }
    });
    let create_default = required
        .is_empty()
        .then(|| quote! { ::std::default::Default, });

    let update_fields = writable.iter().map(|f| {
        let name = f.name.ident();
        let ty = field_type(f);
        let doc = doc_attrs(&field_doc(f));
        let rename = rename_attr(f);
        quote! {
            #doc
            #[serde(#rename skip_serializing_if = "::kinabase_runtime::Patch::is_keep")]
            pub #name: ::kinabase_runtime::Patch<#ty>,
        }
    });
    let update_methods = writable.iter().map(|f| {
        let name = f.name.ident();
        let setter = f.setter.ident();
        let ty = field_type(f);
        let set_doc = doc_attrs(&format!("Sets {}.", escape_md(&f.display)));
        let clear = (!f.required).then(|| {
            let clearer = f.clearer.ident();
            let clear_doc = doc_attrs(&format!("Clears {} (sends `null`).", escape_md(&f.display)));
            quote! {
                #clear_doc
                pub fn #clearer(mut self) -> Self {
                    self.#name = ::kinabase_runtime::Patch::Clear;
                    self
                }
            }
        });
        quote! {
            #set_doc
            pub fn #setter(mut self, value: #ty) -> Self {
                self.#name = ::kinabase_runtime::Patch::Set(value);
                self
            }
            #clear
        }
    });
    let choices = c.choices.iter().map(choice);
    let many_args = (required.len() > 6).then(|| quote! { #[allow(clippy::too_many_arguments)] });

    quote! {
        #module_doc

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
            #(#keys)*
        }

        /// A record's fields as read. Every field is optional: the API does not promise presence.
        #[derive(Debug, Clone, PartialEq, ::std::default::Default, ::kinabase_runtime::reexports::serde::Deserialize, ::kinabase_runtime::reexports::serde::Serialize #(, #extra)*)]
        #[serde(crate = "::kinabase_runtime::reexports::serde")]
        pub struct Fields {
            #(#read_fields)*
        }

        /// A new record: required fields are arguments of `new`; read-only fields do not exist.
        #[derive(Debug, Clone, PartialEq, #create_default ::kinabase_runtime::reexports::serde::Serialize)]
        #[serde(crate = "::kinabase_runtime::reexports::serde")]
        pub struct Create {
            #(#create_fields)*
        }

        impl Create {
            #new_doc
            #many_args
            pub fn new(#(#new_params),*) -> Self {
                Create { #(#new_inits),* }
            }
            #(#withs)*
        }

        /// Changes to a record: each field is kept, cleared or set; only changed fields are sent.
        #[derive(Debug, Clone, PartialEq, ::std::default::Default, ::kinabase_runtime::reexports::serde::Serialize)]
        #[serde(crate = "::kinabase_runtime::reexports::serde")]
        pub struct Update {
            #(#update_fields)*
        }

        impl Update {
            #(#update_methods)*
        }

        #(#choices)*
    }
}

fn choice(ch: &ChoiceModel) -> TokenStream {
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
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum #name {
            #(#variants)*
            /// A label this version of the bindings does not know.
            Unknown(::std::string::String),
        }

        impl ::kinabase_runtime::Choice for #name {
            fn from_label(label: &str) -> Self {
                match label {
                    #(#from)*
                    other => #name::Unknown(::std::string::ToString::to_string(other)),
                }
            }

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

fn value_type(ty: &ValueType) -> TokenStream {
    match ty {
        ValueType::Text => quote! { ::std::string::String },
        ValueType::Number => quote! { f64 },
        ValueType::Currency => quote! { ::kinabase_runtime::Currency },
        ValueType::Date => quote! { ::kinabase_runtime::Date },
        ValueType::Duration => quote! { ::kinabase_runtime::Duration },
        ValueType::Bool => quote! { bool },
        ValueType::Choice(name) => {
            let name = name.ident();
            quote! { #name }
        }
        ValueType::Link { module, marker } => {
            let (module, marker) = (module.ident(), marker.ident());
            quote! { ::kinabase_runtime::RecordRef<super::#module::#marker> }
        }
        ValueType::Colleague => {
            quote! { ::kinabase_runtime::RecordRef<::kinabase_runtime::Colleagues> }
        }
        ValueType::UntypedLink => {
            quote! { ::kinabase_runtime::RecordRef<::kinabase_runtime::Untyped> }
        }
        ValueType::Raw => quote! { ::kinabase_runtime::Raw },
        ValueType::Custom(path) => path
            .parse::<TokenStream>()
            .unwrap_or_else(|_| quote! { ::kinabase_runtime::Raw }),
    }
}

fn field_type(f: &FieldModel) -> TokenStream {
    let t = value_type(&f.ty);
    if f.multiple {
        quote! { ::std::vec::Vec<#t> }
    } else {
        t
    }
}

fn rename_attr(f: &FieldModel) -> Option<TokenStream> {
    let key = &f.key;
    (f.name.text != *key).then(|| quote! { rename = #key, })
}

fn field_doc(f: &FieldModel) -> String {
    let mut marks = Vec::new();
    if f.primary {
        marks.push("primary".to_string());
    }
    if f.required {
        marks.push("required".to_string());
    }
    if !f.writable {
        marks.push("read-only".to_string());
    }
    if f.multiple {
        marks.push("multiple".to_string());
    }
    if let Some((samples, present)) = f.inferred {
        marks.push(format!(
            "inferred from {samples} sampled record(s), present in {present}"
        ));
    }
    let mut doc = format!(
        "**{}**: wire key `{}`, type `{}`",
        escape_md(&f.display),
        code_text(&f.key),
        code_text(&f.type_name)
    );
    if !marks.is_empty() {
        doc.push_str("; ");
        doc.push_str(&marks.join(", "));
    }
    doc.push('.');
    if let Some(d) = &f.description {
        doc.push_str("\n\n");
        doc.push_str(&text_block(d));
    }
    doc
}

/// One `#[doc]` attribute per line, so that the output uses `///` comments (a `*/` in
/// user text cannot end a block comment that is never opened).
fn doc_attrs(text: &str) -> TokenStream {
    let lines = text.split('\n').map(|l| format!(" {l}"));
    quote! { #(#[doc = #lines])* }
}

fn inner_doc(text: &str) -> TokenStream {
    let lines = text.split('\n').map(|l| format!(" {l}"));
    quote! { #(#![doc = #lines])* }
}

/// User text as a fenced `text` block: never Markdown, never a doctest. The fence is
/// longer than any backtick run inside, so the text cannot close it.
pub fn text_block(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let clean: String = text
        .replace('\r', "")
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect();
    format!("{fence}text\n{clean}\n{fence}")
}

/// Escapes Markdown and HTML in a display name.
pub fn escape_md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.push(' ');
            continue;
        }
        if "\\`*_[]{}()<>#+-.!|~&".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Text for inside a single-backtick code span.
fn code_text(text: &str) -> String {
    text.chars()
        .map(|c| if c == '`' || c.is_control() { '\'' } else { c })
        .collect()
}
