//! The `Ingest` struct of a collection: its fields of the types the ingest endpoint
//! accepts, each optional, and the `Ingestible` impl that types `handle.ingest(..)`.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use crate::model::{CollectionModel, FieldModel};

/// Whether ingest accepts a field.
pub fn accepts(f: &FieldModel) -> bool {
    !f.multiple && kinabase_contract::FieldType::from(f.type_name.as_str()).is_ingestible()
}

/// The items, or nothing when no field qualifies. `fields` are the collection's fields
/// with their Rust name, value type and one-line doc, as `emit` prepared them.
pub(crate) fn items<'a>(
    c: &CollectionModel,
    fields: impl Iterator<Item = (&'a FieldModel, &'a Ident, &'a TokenStream, &'a TokenStream)>,
    option: &TokenStream,
    default: &TokenStream,
) -> TokenStream {
    let fields: Vec<_> = fields.filter(|(f, ..)| accepts(f)).collect();
    if fields.is_empty() {
        return TokenStream::new();
    }
    let marker = c.marker.ident();
    let decls = fields.iter().map(|(_, name, ty, doc)| {
        quote! { #doc pub #name: #option<#ty>, }
    });
    let table = fields.iter().map(|(f, name, ..)| {
        let key = &f.key;
        quote! { #key => #name }
    });
    quote! {
        /// Values for `POST .../ingest` at one instant (`IngestChange::new(t, ingest)`):
        /// the fields ingest accepts (number, currency, duration, aggregation, stage,
        /// select); only those set are sent.
        #[derive(Clone, #default)]
        pub struct Ingest {
            #(#decls)*
        }

        ::kinabase_runtime::record_fields!(write Ingest { #(#table),* });

        impl ::kinabase_runtime::Ingestible for #marker {
            type Ingest = Ingest;
        }
    }
}
