//! The organisation (组织与职责): divisions, departments and the authority
//! codes each may use, declarations, the responsibility table, documents,
//! and [`OrganisationStore`].

use jiff::Timestamp;
use xinjiao_core::Date;
use xinjiao_core::records::fields::RecordKind;
use xinjiao_core::reporting::period::Month;

use crate::*;

/// An administrative division (the city or a county-level division).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Division {
    /// The administrative division code, e.g. `441600`.
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub sort: i64,
    /// Decision-authority codes every department of the division may submit under.
    pub authority_codes: Vec<String>,
}

/// What a department is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepartmentKind {
    /// 科室: a section of a bureau.
    Section,
    /// 直属单位: a directly affiliated unit.
    Unit,
    /// 县区交通运输局: a county-level bureau, reporting as one department.
    Bureau,
}

impl DepartmentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DepartmentKind::Section => "section",
            DepartmentKind::Unit => "unit",
            DepartmentKind::Bureau => "bureau",
        }
    }
    pub fn parse(s: &str) -> Option<DepartmentKind> {
        match s {
            "section" => Some(DepartmentKind::Section),
            "unit" => Some(DepartmentKind::Unit),
            "bureau" => Some(DepartmentKind::Bureau),
            _ => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            DepartmentKind::Section => "科室",
            DepartmentKind::Unit => "直属单位",
            DepartmentKind::Bureau => "县区局",
        }
    }
}

/// A department as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    pub id: i64,
    /// Stable short code used in files and URLs, e.g. `HY-ZCFG`.
    pub code: String,
    pub division_code: String,
    pub name: String,
    pub kind: DepartmentKind,
    pub sort: i64,
    /// A reviewer approves each record before it is public.
    pub review_required: bool,
    /// Decision-authority codes it may submit under, besides its division's.
    pub authority_codes: Vec<String>,
}

/// The decision-authority codes the clerks of department `id` may submit
/// records under: the department's own and its division's.
pub fn allowed_authority_codes(departments: &[Department], divisions: &[Division], id: i64) -> Vec<String> {
    let Some(d) = departments.iter().find(|d| d.id == id) else { return vec![] };
    let mut out = d.authority_codes.clone();
    if let Some(div) = divisions.iter().find(|v| v.code == d.division_code) {
        out.extend(div.authority_codes.iter().cloned());
    }
    out
}

/// Codes as stored: separated by single spaces.
pub fn join_codes(codes: &[String]) -> String {
    codes.join(" ")
}

/// The stored form of [`join_codes`] back as a list.
pub fn split_codes(stored: &str) -> Vec<String> {
    stored.split(' ').filter(|c| !c.is_empty()).map(String::from).collect()
}

/// A department to create or update (matched by code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDepartment {
    pub code: String,
    pub division_code: String,
    pub name: String,
    pub kind: DepartmentKind,
    pub sort: i64,
    pub authority_codes: Vec<String>,
}

/// A department's declaration of how many decisions of a kind it made in a month (应报送数).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    pub department_id: i64,
    pub month: Month,
    pub kind: RecordKind,
    pub due: i64,
    pub declared_at: Timestamp,
    pub declared_by: String,
}

/// A row of the responsibility table (责任表).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Responsibility {
    /// Category of credit information, e.g. `行政处罚“双公示”信息`.
    pub category: String,
    pub department_id: i64,
    /// The named responsible person.
    pub person: String,
    /// Their post, e.g. `科长` or `信息报送员`.
    pub post: String,
}

/// What a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// 政策文件
    Policy,
    /// 信用工作动态
    News,
    /// 信用承诺
    Commitment,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 3] = [DocumentKind::Policy, DocumentKind::News, DocumentKind::Commitment];
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Policy => "policy",
            DocumentKind::News => "news",
            DocumentKind::Commitment => "commitment",
        }
    }
    pub fn parse(s: &str) -> Option<DocumentKind> {
        DocumentKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            DocumentKind::Policy => "政策文件",
            DocumentKind::News => "信用工作动态",
            DocumentKind::Commitment => "信用承诺",
        }
    }
}

/// A document to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDocument {
    pub kind: DocumentKind,
    pub title: String,
    pub body: String,
    /// 印发日期 / 发布日期: the deadline counts from it.
    pub issue_date: Date,
    pub department_id: i64,
    /// `Some(day)` publishes at once; `None` keeps a draft.
    pub published_on: Option<Date>,
}

/// A stored document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub id: i64,
    pub kind: DocumentKind,
    pub title: String,
    pub body: String,
    pub issue_date: Date,
    pub department_id: i64,
    pub published_on: Option<Date>,
    pub created_at: Timestamp,
    pub created_by: String,
}

/// Filters of document lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentFilter {
    /// Only published documents (the portal).
    pub published_only: bool,
    pub kind: Option<DocumentKind>,
    /// Only these departments (`None`: all).
    pub departments: Option<Vec<i64>>,
    /// Issue dates in this range.
    pub issued_from: Option<Date>,
    pub issued_to: Option<Date>,
}

/// The divisions and departments of a validated organisation file, ready for
/// [`crate::Store::save_organisation`] (sort order = file order).
pub fn from_file(f: &xinjiao_core::organisation::file::OrgFile) -> (Vec<Division>, Vec<NewDepartment>) {
    let divisions = f
        .divisions
        .iter()
        .enumerate()
        .map(|(i, d)| Division {
            code: d.code.clone(),
            name: d.name.clone(),
            parent_code: d.parent.clone(),
            sort: i as i64,
            authority_codes: d.authority_codes.clone(),
        })
        .collect();
    let departments = f
        .departments
        .iter()
        .enumerate()
        .map(|(i, d)| NewDepartment {
            code: d.code.clone(),
            division_code: d.division.clone(),
            name: d.name.clone(),
            kind: DepartmentKind::parse(&d.kind).unwrap_or(DepartmentKind::Section),
            sort: i as i64,
            authority_codes: d.authority_codes.clone(),
        })
        .collect();
    (divisions, departments)
}

/// The organisation: divisions and departments, monthly declarations, the responsibility table and documents.
pub trait OrganisationStore: Send + Sync {
    /// Creates or updates divisions (by code) and departments (by code).
    /// Appends an `organisation.saved` event.
    fn save_organisation(
        &self,
        ctx: &WriteContext,
        divisions: &[Division],
        departments: &[NewDepartment],
    ) -> Result<()>;

    /// Divisions in display order.
    fn divisions(&self) -> Result<Vec<Division>>;

    /// Departments in display order.
    fn departments(&self) -> Result<Vec<Department>>;

    /// Stores declarations (replacing those of the same department, month and
    /// kind), with a `declaration.saved` event for each that changed.
    fn declare(&self, ctx: &WriteContext, declarations: &[(i64, Month, RecordKind, i64)]) -> Result<()>;

    /// Declarations of months `from..=to`.
    fn declarations(&self, from: Month, to: Month) -> Result<Vec<Declaration>>;

    /// Replaces the whole responsibility table; appends a `responsibilities.saved` event.
    fn replace_responsibilities(&self, ctx: &WriteContext, rows: &[Responsibility]) -> Result<()>;

    fn responsibilities(&self) -> Result<Vec<Responsibility>>;

    /// Stores a document (published or draft); the actor and time come from `ctx`.
    fn create_document(&self, ctx: &WriteContext, doc: &NewDocument) -> Result<i64>;

    /// Publishes a draft on `on`; [`StoreError::Conflict`] if already published.
    fn publish_document(&self, ctx: &WriteContext, id: i64, on: Date) -> Result<()>;

    fn document(&self, id: i64) -> Result<Option<Document>>;

    /// Documents, newest issue date first.
    fn documents(&self, filter: &DocumentFilter, page: PageRequest) -> Result<Page<Document>>;

    /// Turns review before publication on or off for a department (event
    /// `department.review_changed`).
    fn set_review_required(&self, ctx: &WriteContext, department_id: i64, required: bool) -> Result<()>;
}
