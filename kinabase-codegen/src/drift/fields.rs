//! Field-level drift: a field's surface before and after, explained in schema terms.

use super::{Change, Severity, field_change, short};
use crate::lower::toml_key;
use crate::model::{ChoiceModel, CollectionModel, FieldModel, ValueType};
use crate::schema::{CollectionSchema, FieldSchema};

pub(super) fn new_field(
    c: &CollectionSchema,
    f: &FieldSchema,
    m: &FieldModel,
    module: &str,
) -> Change {
    let ty = short(&m.type_text("", module));
    if m.required && m.writable {
        field_change(
            Severity::Breaking,
            c,
            f,
            format!(
                "new required field (wire key {:?}, type {}): `Create::new` takes a new argument `{}: {ty}`",
                f.key,
                f.ty,
                m.name.source()
            ),
        )
    } else {
        field_change(
            Severity::Additive,
            c,
            f,
            format!(
                "new field (wire key {:?}, type {}): `{}: Option<{ty}>`",
                f.key,
                f.ty,
                m.name.source()
            ),
        )
    }
}

/// How a field appears in `Create` and `Update`.
pub(super) fn roles(m: &FieldModel) -> &'static str {
    match (m.writable, m.required) {
        (false, _) => "read-only (not in Create or Update)",
        (true, true) => "required (an argument of Create::new, Assign in Update)",
        (true, false) => "optional (Option in Create, Patch in Update)",
    }
}

pub(super) fn compare_field(
    c: &CollectionSchema,
    (of, ofm): (&FieldSchema, &FieldModel),
    (nf, nfm): (&FieldSchema, &FieldModel),
    (om, nm): (&CollectionModel, &CollectionModel),
    out: &mut Vec<Change>,
) {
    let mut schema = Vec::new();
    if of.name != nf.name {
        schema.push(format!("display name {:?} → {:?}", of.name, nf.name));
    }
    if of.key != nf.key {
        schema.push(format!("wire key {:?} → {:?}", of.key, nf.key));
    }
    if of.ty != nf.ty {
        schema.push(format!("type {} → {}", of.ty, nf.ty));
    }
    if of.required != nf.required {
        schema.push(format!("required {} → {}", of.required, nf.required));
    }
    if of.read_only != nf.read_only {
        schema.push(format!("read-only {} → {}", of.read_only, nf.read_only));
    }
    if of.primary != nf.primary {
        schema.push(format!("primary {} → {}", of.primary, nf.primary));
    }
    if of.target != nf.target {
        schema.push(format!("link target {:?} → {:?}", of.target, nf.target));
    }
    if of.multiple != nf.multiple {
        schema.push(format!("multiple {} → {}", of.multiple, nf.multiple));
    }
    if of.description != nf.description {
        schema.push("description changed".to_string());
    }
    if of.options != nf.options {
        schema.push("options changed".to_string());
    }
    let explained = if schema.is_empty() {
        "unchanged in the schema".to_string()
    } else {
        schema.join(", ")
    };
    let mut surface = false;
    if ofm.name != nfm.name {
        surface = true;
        let mut ch = field_change(
            Severity::Breaking,
            c,
            nf,
            format!(
                "{explained}: Rust name `{}` → `{}`",
                ofm.name.source(),
                nfm.name.source()
            ),
        );
        ch.overlay_hint = Some(format!(
            "[collections.{}.fields.{}]\nrename = {:?}",
            toml_key(&c.slug),
            toml_key(nf.id.as_deref().unwrap_or(&nf.key)),
            ofm.name.text
        ));
        out.push(ch);
    }
    let (ot, nt) = (
        ofm.type_text("", &om.module.text),
        nfm.type_text("", &nm.module.text),
    );
    if ot != nt {
        surface = true;
        out.push(field_change(
            Severity::Breaking,
            c,
            nf,
            format!(
                "{explained}: `{}` changes type from `Option<{}>` to `Option<{}>`",
                nfm.name.source(),
                short(&ot),
                short(&nt)
            ),
        ));
    }
    let (or, nr) = (roles(ofm), roles(nfm));
    if or != nr {
        surface = true;
        let severity = if !ofm.writable && nfm.writable && !nfm.required {
            Severity::Additive
        } else {
            Severity::Breaking
        };
        out.push(field_change(
            severity,
            c,
            nf,
            format!("{explained}: was {or}, now {nr}"),
        ));
    }
    if let (Some(oe), Some(ne)) = (choice_of(ofm, om), choice_of(nfm, nm)) {
        let removed: Vec<String> = oe
            .variants
            .iter()
            .filter(|v| !ne.variants.contains(v))
            .map(|(v, l)| format!("`{}` ({l:?})", v.source()))
            .collect();
        let added: Vec<String> = ne
            .variants
            .iter()
            .filter(|v| !oe.variants.contains(v))
            .map(|(v, l)| format!("`{}::{}` ({l:?})", ne.name.source(), v.source()))
            .collect();
        if oe.name != ne.name || !removed.is_empty() {
            surface = true;
            let what = if oe.name != ne.name {
                format!("enum `{}` → `{}`", oe.name.source(), ne.name.source())
            } else {
                format!(
                    "variant(s) removed from `{}`: {}",
                    ne.name.source(),
                    removed.join(", ")
                )
            };
            out.push(field_change(
                Severity::Breaking,
                c,
                nf,
                format!("{explained}: {what}"),
            ));
        }
        if !added.is_empty() {
            surface = true;
            out.push(field_change(
                Severity::NewOption,
                c,
                nf,
                format!(
                    "option(s) added: {}. Code keeps compiling, except a `match` on `{}` without a `_` or `Unknown(_)` arm, which must handle the new variant(s)",
                    added.join(", "),
                    ne.name.source()
                ),
            ));
        }
    }
    if ofm.constant != nfm.constant && ofm.name == nfm.name {
        surface = true;
        out.push(field_change(
            Severity::Breaking,
            c,
            nf,
            format!(
                "{explained}: constant `keys::{}` → `keys::{}`",
                ofm.constant.source(),
                nfm.constant.source()
            ),
        ));
    }
    if !surface && !schema.is_empty() {
        out.push(field_change(
            Severity::Compatible,
            c,
            nf,
            format!(
                "{explained}; the generated code keeps `{}: Option<{}>`",
                nfm.name.source(),
                short(&nt)
            ),
        ));
    }
}

pub(super) fn choice_of<'m>(f: &FieldModel, m: &'m CollectionModel) -> Option<&'m ChoiceModel> {
    match &f.ty {
        ValueType::Choice(name) => m.choices.iter().find(|c| &c.name == name),
        _ => None,
    }
}
