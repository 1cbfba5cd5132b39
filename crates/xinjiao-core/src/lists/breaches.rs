//! Candidates for a list whose criterion counts credit commitments found
//! false or not kept ([`Computation::CommitmentBreaches`], issue 17).

use std::collections::BTreeMap;

use jiff::civil::Date;

use super::definition::{Computation, ListDefinition, PartyType};
use super::overload::{Candidate, Evidence};
use crate::commitments::State;

/// A commitment found not kept or false.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreachFact {
    pub commitment_id: i64,
    /// The party as the list names it: the USCC, or a person's ID number.
    pub party: String,
    pub party_name: String,
    pub person: bool,
    pub state: State,
    /// The day of the finding.
    pub found_on: Date,
    /// The type and matter, in Chinese.
    pub what: String,
}

/// The look-back of `list`'s commitment-breach criteria, in months (0: none).
pub fn breach_months(list: &ListDefinition) -> u32 {
    list.criteria
        .iter()
        .filter_map(|c| match &c.computed {
            Some(Computation::CommitmentBreaches { months, .. }) => Some(*months),
            Some(Computation::GradeStreak { no_penalty_months, no_commitment_breach: true, .. }) => {
                Some(*no_penalty_months)
            }
            _ => None,
        })
        .max()
        .unwrap_or(0)
}

/// The candidates of `list`'s commitment-breach criteria as of `as_of`, by
/// criterion and party: a party with enough findings of either kind within
/// the months before the day.
pub fn breach_candidates(list: &ListDefinition, facts: &[BreachFact], as_of: Date) -> Vec<Candidate> {
    let mut out = Vec::new();
    for c in &list.criteria {
        let Some(Computation::CommitmentBreaches { months, false_at_least, not_kept_at_least }) = &c.computed else {
            continue;
        };
        let from = crate::monitoring::warnings::months_back(as_of, *months);
        let mut by: BTreeMap<&str, Vec<&BreachFact>> = BTreeMap::new();
        for f in facts.iter().filter(|f| f.found_on >= from && f.found_on <= as_of && f.state.is_breach()) {
            let party_type = if f.person { PartyType::Person } else { PartyType::Enterprise };
            if c.party_type.is_none_or(|t| t == party_type) && list.party_types.contains(&party_type) {
                by.entry(&f.party).or_default().push(f);
            }
        }
        for (party, fs) in by {
            let falses = fs.iter().filter(|f| f.state == State::False).count() as u32;
            let unkept = fs.iter().filter(|f| f.state == State::NotKept).count() as u32;
            if falses < *false_at_least && unkept < *not_kept_at_least {
                continue;
            }
            out.push(Candidate {
                list: list.code.clone(),
                criterion: c.number,
                party_type: if fs[0].person { PartyType::Person } else { PartyType::Enterprise },
                party: party.to_string(),
                party_name: fs[0].party_name.clone(),
                reason: format!(
                    "{months} 个月内（{from} 至 {as_of}）信用承诺经核查认定不实 {falses} 次、未履行 {unkept} 次（标准：不实 {false_at_least} 次或未履行 {not_kept_at_least} 次以上）"
                ),
                evidence: fs
                    .iter()
                    .map(|f| Evidence::Commitment {
                        id: f.commitment_id,
                        date: f.found_on,
                        finding: f.state.as_str().to_string(),
                        what: f.what.clone(),
                    })
                    .collect(),
            });
        }
    }
    out
}
