// Reading a misspelt field, writing a value of the wrong type, writing a read-only field.
use kinabase_typecheck::jobs;

fn main() {
    let fields = jobs::Fields::default();
    let _title = fields.job_titel;

    let _update = jobs::Update::default().set_quoted_price("free");

    let _computed = jobs::Update::default().set_reference("JOB-1".to_string());
}
