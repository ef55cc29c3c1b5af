//! What generated account types are generic over: a blocking or an async client, each
//! handing out its own kind of typed collection handle for the same generated types.

use crate::record::Collection;

/// A client that generated bindings can use: [`Client`](crate::Client) (blocking) or,
/// with the `async` feature, [`AsyncClient`](crate::AsyncClient). The generated account
/// type `Kinabase<T = Client>` is generic over it, so one generated module serves both.
pub trait Connection: Clone {
    /// The typed handle of collection `C`: [`CollectionHandle`](crate::CollectionHandle)
    /// or [`AsyncCollectionHandle`](crate::AsyncCollectionHandle).
    type Handle<C: Collection>;

    /// The typed handle of a generated collection.
    fn handle<C: Collection>(&self) -> Self::Handle<C>;
}

#[cfg(feature = "http")]
impl Connection for crate::Client {
    type Handle<C: Collection> = crate::CollectionHandle<C>;

    fn handle<C: Collection>(&self) -> crate::CollectionHandle<C> {
        self.collection::<C>()
    }
}

#[cfg(feature = "async")]
impl Connection for crate::AsyncClient {
    type Handle<C: Collection> = crate::AsyncCollectionHandle<C>;

    fn handle<C: Collection>(&self) -> crate::AsyncCollectionHandle<C> {
        self.collection::<C>()
    }
}
