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
    let account = options.account_type.then(|| account_type(model));
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
    let update_table = writable.iter().map(|p| {
        let (name, key) = (&p.name, &p.model.key);
        quote! { #key => #name }
    });
    let choices = c.choices.iter().map(|ch| choice(ch, &std));
    let imports = &std.imports;
    let many_args = (required.len() > 6).then(|| quote! { #[allow(clippy::too_many_arguments)] });
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
        #[derive(Debug, Clone, PartialEq, #default #(, #extra)*)]
        pub struct Fields {
            #(#read_fields)*
        }

        ::kinabase_runtime::record_fields!(read Fields { #(#read_table),* });

        /// A new record: required fields are arguments of `new`; read-only fields do not exist.
        #[derive(Debug, Clone, #create_default)]
        pub struct Create {
            #(#create_fields)*
        }

        impl Create {
            #new_doc
            #many_args
            pub fn new(#(#new_params),*) -> Self {
                Create { #(#new_inits),* }
            }
        }

        ::kinabase_runtime::record_fields!(write Create { #(#create_table),* });

        /// Changes to a record: each field is kept (not sent), set, or (when optional)
        /// cleared: `changes.stage.set(..)`, `changes.site.clear()`. Read-only fields do not exist.
        #[derive(Debug, Clone, #default)]
        pub struct Update {
            #(#update_fields)*
        }

        ::kinabase_runtime::record_fields!(write Update { #(#update_table),* });


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

fn value_type(ty: &ValueType, std: &Std) -> TokenStream {
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

fn field_type(f: &FieldModel, std: &Std) -> TokenStream {
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
struct Std {
    option: TokenStream,
    none: TokenStream,
    string: TokenStream,
    vec: TokenStream,
    default: TokenStream,
    assign: TokenStream,
    patch: TokenStream,
    currency: TokenStream,
    date: TokenStream,
    duration: TokenStream,
    raw: TokenStream,
    record_ref: TokenStream,
    /// `use ::kinabase_runtime::{...};` for the runtime names used short.
    imports: TokenStream,
}

impl Std {
    fn for_module(shadowed: &[String]) -> Std {
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

/// A field's pieces, built once per collection.
struct Prepared<'a> {
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

/// The one-line doc of a field in the create and update types.
fn short_doc(f: &FieldModel) -> String {
    format!(
        "**{}** (`{}`, `{}`).",
        escape_md(&f.display),
        code_text(&f.key),
        code_text(&f.type_name)
    )
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
    let lines = doc_lines(text);
    quote! { #(#[doc = #lines])* }
}

fn inner_doc(text: &str) -> TokenStream {
    let lines = doc_lines(text);
    quote! { #(#![doc = #lines])* }
}

/// Doc text as `///` lines rustc accepts: bidi controls (rejected in comments by the
/// `text_direction_codepoint_in_comment` lint) are written as `\u{202e}`, a bare CR
/// (rejected in doc comments) ends the line, and other control characters are dropped.
fn doc_lines(text: &str) -> Vec<String> {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .split('\n')
        .map(|line| {
            let mut out = String::with_capacity(line.len() + 1);
            out.push(' ');
            for c in line.chars() {
                if crate::diag::is_bidi_control(c) {
                    out.extend(c.escape_unicode());
                } else if c == '\t' || !c.is_control() {
                    out.push(c);
                }
            }
            out
        })
        .collect()
}

/// User text as a fenced `text` block: never Markdown, never a doctest. The fence is
/// longer than any backtick run inside, so the text cannot close it.
pub fn text_block(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let clean: String = text
        .replace("\r\n", "\n")
        .replace('\r', "\n")
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
