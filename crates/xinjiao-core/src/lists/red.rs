//! Candidates for a red list (守信激励) whose criterion is a streak of top
//! grades ([`Computation::GradeStreak`]): the final grade of a scheme in
//! each of its last completed cycles, no penalty in the months before the
//! day, on none of the named lists.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;

use super::definition::{Computation, ListDefinition, PartyType};
use super::overload::{Candidate, Evidence};

/// A cycle's final grades: the latest final run of the scheme for that cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CycleGrades {
    pub cycle_year: i16,
    pub run_id: i64,
    /// Subject code (USCC) → (name, grade).
    pub grades: BTreeMap<String, (String, String)>,
}

/// What a grade streak reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreakFacts {
    /// The scheme's cycles with a final run, newest first.
    pub cycles: Vec<CycleGrades>,
    /// Codes of subjects with a penalty (not withdrawn) in the look-back.
    pub penalised: BTreeSet<String>,
    /// Codes of subjects with an entry in force on a list the criterion names.
    pub listed: BTreeSet<String>,
}

/// The look-back of penalties of `list`'s streak criteria, in months (0: none).
pub fn penalty_months(list: &ListDefinition) -> u32 {
    list.criteria
        .iter()
        .filter_map(|c| match &c.computed {
            Some(Computation::GradeStreak { no_penalty_months, .. }) => Some(*no_penalty_months),
            _ => None,
        })
        .max()
        .unwrap_or(0)
}

/// The candidates of `list`'s grade-streak criteria, by code.
pub fn grade_streak_candidates(list: &ListDefinition, facts: &StreakFacts, as_of: Date) -> Vec<Candidate> {
    let mut out = Vec::new();
    for c in &list.criteria {
        let Some(Computation::GradeStreak { scheme, grades, cycles, no_penalty_months, .. }) = &c.computed else {
            continue;
        };
        let n = *cycles as usize;
        if facts.cycles.len() < n {
            continue;
        }
        let last = &facts.cycles[..n];
        for (code, (name, _)) in &last[0].grades {
            let streak = last.iter().all(|cy| cy.grades.get(code).is_some_and(|(_, g)| grades.contains(g)));
            if !streak || facts.penalised.contains(code) || facts.listed.contains(code) {
                continue;
            }
            let years: Vec<String> = last.iter().rev().map(|cy| cy.cycle_year.to_string()).collect();
            out.push(Candidate {
                list: list.code.clone(),
                criterion: c.number,
                party_type: PartyType::Enterprise,
                party: code.clone(),
                party_name: name.clone(),
                reason: format!(
                    "{scheme} {} 年度连续 {n} 个周期定级为 {}，截至 {as_of} 前 {no_penalty_months} 个月内无行政处罚，不在严重失信名单",
                    years.join("、"),
                    grades.join("或")
                ),
                evidence: last
                    .iter()
                    .map(|cy| Evidence::Grade {
                        run_id: cy.run_id,
                        scheme: scheme.clone(),
                        cycle_year: cy.cycle_year,
                        grade: cy.grades[code].1.clone(),
                    })
                    .collect(),
            });
        }
    }
    out
}
