//! The JSON report of the import contract.

use serde::Serialize;

/// One broken rule in one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowDiagnostic {
    /// Spreadsheet row number: header = 1, first data row = 2.
    pub row: u64,
    /// The standard's field code, or `""` for a whole-row problem.
    pub field: String,
    pub code: String,
    pub message: String,
}

impl RowDiagnostic {
    /// A diagnostic of the core (a cell's or a row's) on spreadsheet row `row`.
    pub fn of(row: u64, d: &xinjiao_core::Diagnostic) -> RowDiagnostic {
        RowDiagnostic { row, field: d.field.into(), code: d.code.into(), message: d.message.clone() }
    }
}

/// `{"rows": N, "accepted": N, "unchanged": N, "rejected": N, "diagnostics": [...]}`,
/// plus `warnings` (problems that do not reject the row, such as personal data
/// in a free-text field) and, when a report would grow too long, the number of
/// diagnostics or warnings left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub rows: u64,
    pub accepted: u64,
    pub unchanged: u64,
    pub rejected: u64,
    /// Of the accepted rows: changes to published records that await review
    /// (the public keeps the approved version until then).
    #[serde(skip_serializing_if = "is_zero")]
    pub awaiting_review: u64,
    pub diagnostics: Vec<RowDiagnostic>,
    #[serde(skip_serializing_if = "is_zero")]
    pub diagnostics_omitted: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<RowDiagnostic>,
    #[serde(skip_serializing_if = "is_zero")]
    pub warnings_omitted: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn push_capped(
    list: &mut Vec<RowDiagnostic>,
    omitted: &mut u64,
    items: impl Iterator<Item = RowDiagnostic>,
    cap: usize,
) {
    for d in items {
        if list.len() < cap {
            list.push(d);
        } else {
            *omitted += 1;
        }
    }
}

impl ImportReport {
    /// Counts a rejected row and adds its diagnostics (none: the row is not rejected).
    pub fn reject_row(&mut self, diags: Vec<RowDiagnostic>, cap: usize) {
        if !diags.is_empty() {
            self.rejected += 1;
            self.push_diagnostics(diags.into_iter(), cap);
        }
    }
    /// Adds diagnostics, keeping at most `cap` and counting the rest.
    pub fn push_diagnostics(&mut self, items: impl Iterator<Item = RowDiagnostic>, cap: usize) {
        push_capped(&mut self.diagnostics, &mut self.diagnostics_omitted, items, cap);
    }
    /// Adds warnings, keeping at most `cap` and counting the rest.
    pub fn push_warnings(&mut self, items: impl Iterator<Item = RowDiagnostic>, cap: usize) {
        push_capped(&mut self.warnings, &mut self.warnings_omitted, items, cap);
    }
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("report serialises")
    }
    /// One-line Chinese summary.
    pub fn summary(&self) -> String {
        format!(
            "共{}行：新增或更新{}行{}，未变化{}行，拒绝{}行（{}处错误）{}",
            self.rows,
            self.accepted,
            match self.awaiting_review {
                0 => String::new(),
                n => format!("（其中{n}行为已公示记录的修改，待审核后生效）"),
            },
            self.unchanged,
            self.rejected,
            self.diagnostics.len() as u64 + self.diagnostics_omitted,
            match self.warnings.len() as u64 + self.warnings_omitted {
                0 => String::new(),
                n => format!("；{n}处提醒"),
            }
        )
    }
    /// Diagnostics of one row, in order.
    pub fn row_messages(&self, row: u64) -> Vec<&RowDiagnostic> {
        self.diagnostics.iter().filter(|d| d.row == row).collect()
    }
}
