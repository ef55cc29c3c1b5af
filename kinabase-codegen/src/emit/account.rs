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

/// `SCHEMA`: what the bindings were generated from, one line a field.
fn schema_static(model: &Model) -> TokenStream {
    let collections = model.collections.iter().map(|c| {
        let (id, slug, name) = (&c.id, &c.slug, &c.name);
        let fields = c.fields.iter().map(|f| {
            let facts = &f.contract;
            let id = facts.id.as_deref().unwrap_or("");
            let (key, display, ty) = (&f.key, &f.display, &f.type_name);
            let mut flags = Vec::new();
            if f.required {
                flags.push(quote! { F::REQUIRED });
            }
            if facts.read_only {
                flags.push(quote! { F::READ_ONLY });
            }
            if facts.multiple {
                flags.push(quote! { F::MULTIPLE });
            }
            if f.inferred.is_some() {
                flags.push(quote! { F::INFERRED });
            }
            let flags = if flags.is_empty() {
                quote! { 0 }
            } else {
                quote! { #(#flags)|* }
            };
            let options = &facts.options;
            let target = facts.target.as_deref().unwrap_or("");
            quote! { F::new(#id, #key, #display, #ty, #flags, &[#(#options),*], #target) }
        });
        quote! { C::new(#id, #slug, #name, &[#(#fields),*]) }
    });
    quote! {
        /// The schema these bindings were generated from (collections; fields with id,
        /// wire key, name, type, flags, options, link target), for [`Kinabase::verify`].
        #[allow(dead_code)]
        pub static SCHEMA: ::kinabase_runtime::ExpectedSchema = {
            #[allow(unused_imports)]
            use ::kinabase_runtime::{ExpectedCollection as C, ExpectedField as F};
            ::kinabase_runtime::ExpectedSchema::new(&[#(#collections),*])
        };
    }
}
