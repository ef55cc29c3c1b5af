// Omitting a required field on create; a Supplier reference where a Customer is expected.
use kinabase_runtime::RecordRef;
use kinabase_typecheck::{jobs, suppliers};

fn main() {
    let _missing = jobs::Create::new("Fix boiler".to_string());

    let supplier: RecordRef<suppliers::Suppliers> = RecordRef::from_raw_id("s-1");
    let _wrong = jobs::Create::new("Fix boiler".to_string(), supplier);
}
