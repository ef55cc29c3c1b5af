//! The demo account's collection modules, compiled without the account type and without
//! the runtime's HTTP client, for compile-fail tests. They are the very files `cargo xtask
//! demo` generates into `examples/field-service/src/kinabase/` (one source of truth; a new
//! collection in the demo account needs a line here).

#![deny(warnings)]
#![allow(missing_docs)]

#[rustfmt::skip]
#[path = "../../../examples/field-service/src/kinabase/colleagues.rs"]
pub mod colleagues;

#[rustfmt::skip]
#[path = "../../../examples/field-service/src/kinabase/customers.rs"]
pub mod customers;

#[rustfmt::skip]
#[path = "../../../examples/field-service/src/kinabase/jobs.rs"]
pub mod jobs;

#[rustfmt::skip]
#[path = "../../../examples/field-service/src/kinabase/purchase_orders.rs"]
pub mod purchase_orders;

#[rustfmt::skip]
#[path = "../../../examples/field-service/src/kinabase/sites.rs"]
pub mod sites;

#[rustfmt::skip]
#[path = "../../../examples/field-service/src/kinabase/suppliers.rs"]
pub mod suppliers;
