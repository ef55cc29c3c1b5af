//! The account type: `Kinabase<T = Client>`, one accessor per collection, generic over the
//! runtime's `Connection` so that the same bindings serve the blocking and the async client.

use proc_macro2::TokenStream;
use quote::quote;

use super::docs::{doc_attrs, escape_md};
use crate::model::Model;

/// The account type wrapping a `kinabase_runtime::Connection`.
pub(crate) fn account_type(model: &Model) -> TokenStream {
    let title = match &model.account {
        Some(a) => format!("Typed access to the Kinabase account {}.", escape_md(a)),
        None => "Typed access to a Kinabase account.".to_string(),
    };
    let title = doc_attrs(&format!(
        "{title}\n\n`Kinabase::new(client)` takes a blocking `Client` or, with the runtime's `async` feature, an `AsyncClient`; each accessor then returns that client's handle."
    ));
    let schema = schema_static(model);
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
            pub fn #accessor(&self) -> T::Handle<#module::#marker> {
                self.client.handle::<#module::#marker>()
            }
        }
    });
    quote! {
        // Brings `handle` and `verify` into scope without taking a name.
        #[allow(unused_imports)]
        use ::kinabase_runtime::Connection as _;

        #title
        #[derive(Debug, Clone)]
        #[allow(dead_code)]
        pub struct Kinabase<T = ::kinabase_runtime::Client> {
            client: T,
        }

        #[allow(dead_code)]
        impl<T: ::kinabase_runtime::Connection> Kinabase<T> {
            /// Wraps a runtime client (blocking or async).
            pub fn new(client: T) -> Self {
                Kinabase { client }
            }

            /// The runtime client, for untyped calls.
            pub fn client(&self) -> &T {
                &self.client
            }

            /// Reads the live collections listing once (plus its pages) and reports, field
            /// by field, how it differs from [`SCHEMA`] (breaking, compatible, additive):
            /// call it at start-up to fail fast or log. A `Result` with the blocking
            /// client, a future of one with the async client.
            pub fn verify(&self) -> T::Verified<'_> {
                self.client.verify(&SCHEMA)
            }

            #(#methods)*
        }

        #schema
    }
}

/// `SCHEMA`: what the bindings were generated from, as one JSON text of one line a field
/// (one string literal: at a thousand collections, constant expressions per field cost
/// the compiler 8.6 s and 1.2 GiB; the text costs 0.1 s).
fn schema_static(model: &Model) -> TokenStream {
    let text = schema_text(model);
    // A raw string whose delimiter the text cannot close: one `#` more than any run of
    // them after a quote.
    let hashes = "#".repeat(1 + longest_hash_run(&text));
    let literal: proc_macro2::Literal = format!("r{hashes}\"\n{text}\n\"{hashes}")
        .parse()
        .unwrap_or_else(|_| proc_macro2::Literal::string(&text));
    quote! {
        /// The schema these bindings were generated from (collections; fields with id,
        /// wire key, name, type, flags, options, link target), for [`Kinabase::verify`].
        #[allow(dead_code)]
        pub static SCHEMA: ::kinabase_runtime::ExpectedSchema =
            ::kinabase_runtime::ExpectedSchema::from_json(#literal);
    }
}

/// The JSON form `ExpectedSchema::from_json` reads: `[id, slug, name, [field, ...]]` per
/// collection, `[id, key, name, type, flags, [option, ...], target]` per field (flags from
/// `kinabase_contract::guard`), one line a field, ASCII only (other characters as `\u`
/// escapes, so no text direction control reaches the source file).
fn schema_text(model: &Model) -> String {
    use kinabase_contract::guard;
    let collections: Vec<String> = model
        .collections
        .iter()
        .map(|c| {
            let head = serde_json::json!([c.id, c.slug, c.name]).to_string();
            let fields: Vec<String> = c
                .fields
                .iter()
                .map(|f| {
                    let facts = &f.contract;
                    let flag = |on: bool, flag: u8| if on { flag } else { 0 };
                    let flags = flag(f.required, guard::REQUIRED)
                        | flag(facts.read_only, guard::READ_ONLY)
                        | flag(facts.multiple, guard::MULTIPLE)
                        | flag(f.inferred.is_some(), guard::INFERRED);
                    serde_json::json!([
                        facts.id.as_deref().unwrap_or(""),
                        f.key,
                        f.display,
                        f.type_name,
                        flags,
                        facts.options,
                        facts.target.as_deref().unwrap_or(""),
                    ])
                    .to_string()
                })
                .collect();
            let fields = if fields.is_empty() {
                String::new()
            } else {
                format!("\n{}", fields.join(",\n"))
            };
            // The head array left open for the fields.
            format!("{},[{fields}]]", head.trim_end_matches(']'))
        })
        .collect();
    ascii_json(&format!("[\n{}\n]", collections.join(",\n")))
}

/// JSON text with every non-ASCII character as a `\u` escape (surrogate pairs above the
/// basic plane). Non-ASCII characters occur only inside JSON strings, so this keeps the
/// value.
fn ascii_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// The longest run of `#` right after a `"` in `text`.
fn longest_hash_run(text: &str) -> usize {
    text.split('"')
        .skip(1)
        .map(|part| part.len() - part.trim_start_matches('#').len())
        .max()
        .unwrap_or(0)
}
