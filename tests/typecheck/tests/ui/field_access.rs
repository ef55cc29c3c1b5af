// Reading a misspelt field, writing a value of the wrong type, writing a read-only field,
// clearing a required field.
use kinabase_typecheck::jobs;

fn main() {
    let fields = jobs::Fields::default();
    let _title = fields.job_titel;

    let mut update = jobs::Update::default();
    update.quoted_price.set("free");

    update.reference.set("JOB-1".to_string());

    update.job_title.clear();
}
