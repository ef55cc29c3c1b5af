//! The account type: `Kinabase<T = Client>`, one accessor per collection, generic over the
//! runtime's `Connection` so that the same bindings serve the blocking and the async client.

use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::{doc_attrs, escape_md};
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
                ::kinabase_runtime::Connection::handle::<#module::#marker>(&self.client)
            }
        }
    });
    quote! {
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

            #(#methods)*
        }
    }
}
