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

/// `{"rows": N, "accepted": N, "unchanged": N, "rejected": N, "diagnostics": [...]}`
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub rows: u64,
    pub accepted: u64,
    pub unchanged: u64,
    pub rejected: u64,
    pub diagnostics: Vec<RowDiagnostic>,
}

impl ImportReport {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("report serialises")
    }
    /// One-line Chinese summary.
    pub fn summary(&self) -> String {
        format!(
            "共{}行：新增或更新{}行，未变化{}行，拒绝{}行（{}处错误）",
            self.rows,
            self.accepted,
            self.unchanged,
            self.rejected,
            self.diagnostics.len()
        )
    }
    /// Diagnostics of one row, in order.
    pub fn row_messages(&self, row: u64) -> Vec<&RowDiagnostic> {
        self.diagnostics.iter().filter(|d| d.row == row).collect()
    }
}
