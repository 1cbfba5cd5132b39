//! View models of pages and API responses. Personal data is masked here, once:
//! the public view types hold only masked ID numbers.

use std::collections::BTreeMap;

use askama::Template;
use xinjiao_core::records::fields::RecordKind;
use xinjiao_core::records::ids::mask_middle;
use xinjiao_core::records::personal::PersonalDataRules;
use xinjiao_store::{Page, RecordRow, Subject};

/// Percent-encodes a query-string value.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Masks an identity document number for public output (`4405**********0014`).
pub fn mask_id(s: &str) -> String {
    mask_middle(s, 4, 4)
}

/// Masks the ID-card, mobile and bank-card numbers inside a public text.
pub fn mask_text(s: &str) -> String {
    PersonalDataRules::embedded().mask_text(s).into_owned()
}

/// A subject as the public sees it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SubjectView {
    pub key: String,
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub name: String,
    pub uscc: Option<String>,
    /// Masked document number of a natural person.
    pub id_doc_no_masked: Option<String>,
    pub legal_rep: Option<String>,
    pub n_licenses: i64,
    pub n_penalties: i64,
}

impl From<&Subject> for SubjectView {
    fn from(s: &Subject) -> Self {
        SubjectView {
            key: s.key.clone(),
            kind: s.kind.as_str(),
            kind_label: s.kind.label(),
            name: mask_text(&s.name),
            uscc: s.uscc.clone(),
            id_doc_no_masked: s.id_doc_no.as_deref().map(mask_id),
            legal_rep: s.legal_rep.as_deref().map(mask_text),
            n_licenses: s.n_licenses,
            n_penalties: s.n_penalties,
        }
    }
}

impl SubjectView {
    /// The code shown next to the name: the USCC or the masked document number.
    pub fn code_display(&self) -> String {
        self.uscc.clone().or_else(|| self.id_doc_no_masked.clone()).unwrap_or_default()
    }
}

/// A record in a list.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RecordRowView {
    pub id: i64,
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub subject_key: String,
    pub subject_name: String,
    pub authority_code: String,
    pub authority_name: String,
    pub decision_no: String,
    pub decision_date: String,
    pub summary: String,
    pub version: i64,
}

impl From<&RecordRow> for RecordRowView {
    fn from(r: &RecordRow) -> Self {
        RecordRowView {
            id: r.id,
            kind: r.kind.as_str(),
            kind_label: r.kind.label(),
            subject_key: r.subject_key.clone(),
            subject_name: mask_text(&r.subject_name),
            authority_code: r.authority_code.clone(),
            authority_name: mask_text(&r.authority_name),
            decision_no: mask_text(&r.decision_no),
            decision_date: r.decision_date.to_string(),
            summary: mask_text(&r.summary),
            version: r.version,
        }
    }
}

/// A field of a record: code, Chinese name, value (masked where personal).
#[derive(Debug, Clone, serde::Serialize)]
pub struct FieldView {
    pub code: &'static str,
    pub name: &'static str,
    pub value: String,
    /// Whether the value as stored holds personal data (the field is personal,
    /// or a number was found in its text): masked unless revealed.
    pub personal: bool,
}

/// The fields of a record in the standard's order; personal data masked
/// (whole personal fields, numbers inside any other text) unless `reveal`.
pub fn field_views(kind: RecordKind, fields: &BTreeMap<String, String>, reveal: bool) -> Vec<FieldView> {
    let rules = PersonalDataRules::embedded();
    kind.fields()
        .iter()
        .filter_map(|def| {
            let v = fields.get(def.code)?;
            let masked = rules.mask_field(def, v);
            let personal = masked != v.as_str();
            let value = if reveal { v.clone() } else { masked.into_owned() };
            Some(FieldView { code: def.code, name: def.plain_name(), value, personal })
        })
        .collect()
}

/// Public field values keyed by code (masked), for the API.
/// The same map the transparency log commits to (`transparency::entry::public_fields`).
pub fn public_field_map(kind: RecordKind, fields: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    xinjiao_core::transparency::entry::public_fields(kind, fields)
}

/// Links to the previous and next page of a list.
#[derive(Debug, Clone)]
pub struct Pager {
    pub page: u32,
    pub n_pages: u32,
    pub total: u64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// `base` is the URL with its other query parameters, ending in `?` or `&`.
    pub fn new<T>(page: &Page<T>, base: &str) -> Pager {
        let n_pages = page.n_pages();
        Pager {
            page: page.page,
            n_pages,
            total: page.total,
            prev: (page.page > 1).then(|| format!("{base}page={}", page.page - 1)),
            next: (page.page < n_pages).then(|| format!("{base}page={}", page.page + 1)),
        }
    }
}

/// Whether a record is inside its disclosure window on `day` (what the
/// portal and the public API show).
pub fn is_public_on(row: &xinjiao_store::RecordRow, day: xinjiao_core::Date) -> bool {
    row.published_on.is_some() && row.decision_date <= day && row.public_until.is_none_or(|until| until > day)
}

/// The error page.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub title: &'a str,
    pub detail: &'a str,
    pub banner: crate::kernel::state::Banner,
    pub user: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(mask_id("440524188001010014"), "4405**********0014");
        assert_eq!(urlencode("顺达 a&b"), "%E9%A1%BA%E8%BE%BE%20a%26b");
    }
}
