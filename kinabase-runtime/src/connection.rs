//! What generated account types are generic over: a blocking or an async client, each
//! handing out its own kind of typed collection handle for the same generated types.

use crate::record::Collection;
use crate::verify::ExpectedSchema;

/// A client that generated bindings can use: [`Client`](crate::Client) (blocking) or,
/// with the `async` feature, [`AsyncClient`](crate::AsyncClient). The generated account
/// type `Kinabase<T = Client>` is generic over it, so one generated module serves both.
pub trait Connection: Clone {
    /// The typed handle of collection `C`: [`CollectionHandle`](crate::CollectionHandle)
    /// or [`AsyncCollectionHandle`](crate::AsyncCollectionHandle).
    type Handle<C: Collection>;

    /// What [`verify`](Self::verify) returns: `Result<SchemaReport>`, or a future of it.
    type Verified<'a>
    where
        Self: 'a;

    /// The typed handle of a generated collection.
    fn handle<C: Collection>(&self) -> Self::Handle<C>;

    /// Reads the live collections listing once (plus its pages) and reports every
    /// difference from the schema the bindings were generated from.
    fn verify<'a>(&'a self, expected: &'static ExpectedSchema) -> Self::Verified<'a>;
}

#[cfg(feature = "http")]
impl Connection for crate::Client {
    type Handle<C: Collection> = crate::CollectionHandle<C>;

    type Verified<'a> = crate::Result<crate::SchemaReport>;

    fn handle<C: Collection>(&self) -> crate::CollectionHandle<C> {
        self.collection::<C>()
    }

    fn verify<'a>(&'a self, expected: &'static ExpectedSchema) -> Self::Verified<'a> {
        self.verify_schema(expected)
    }
}

#[cfg(feature = "async")]
impl Connection for crate::AsyncClient {
    type Handle<C: Collection> = crate::AsyncCollectionHandle<C>;

    type Verified<'a> = std::pin::Pin<
        Box<dyn std::future::Future<Output = crate::Result<crate::SchemaReport>> + Send + 'a>,
    >;

    fn handle<C: Collection>(&self) -> crate::AsyncCollectionHandle<C> {
        self.collection::<C>()
    }

    fn verify<'a>(&'a self, expected: &'static ExpectedSchema) -> Self::Verified<'a> {
        Box::pin(self.verify_schema(expected))
    }
}
