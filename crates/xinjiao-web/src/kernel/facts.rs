//! What the platform knows of a party's credit standing on a day — its
//! list entries in force and its final grades — as the measures' rules
//! take it ([`PartyFacts`]). Shared by the lists (profiles, credit checks)
//! and the credit reports.

use xinjiao_core::lists::definition::PartyType;
use xinjiao_core::lists::entries::{PublicStanding, standing};
use xinjiao_core::lists::measures::{EntryInForce, FinalGrade, PartyFacts};
use xinjiao_store::{Entry, EntryFilter, Store, StoreError, Subject};

/// Where an entry stands for the public on `today`.
pub fn standing_of(e: &Entry, today: xinjiao_core::Date) -> PublicStanding {
    standing(e.state, e.listed_on, e.shown_until, e.ended_on, today)
}

/// The facts the measures read about a subject on `today`: its own entries
/// in force (as enterprise or person) and its latest final grades.
pub fn party_facts(
    store: &dyn Store,
    subject: &Subject,
    today: xinjiao_core::Date,
) -> Result<(PartyFacts, Vec<Entry>), StoreError> {
    let entries = store.entries(&EntryFilter { subject_id: Some(subject.id), ..Default::default() }, 1000)?;
    let own_code = subject.uscc.clone().or_else(|| subject.id_doc_no.clone()).unwrap_or_default();
    let party_type = if subject.uscc.is_some() {
        PartyType::Enterprise
    } else if entries.iter().any(|e| e.party_type == PartyType::Driver) {
        PartyType::Driver
    } else {
        PartyType::Person
    };
    let in_force: Vec<EntryInForce> = entries
        .iter()
        .filter(|e| e.party == own_code && standing_of(e, today) == PublicStanding::Listed)
        .map(|e| EntryInForce {
            entry_id: e.id,
            list: e.list_code.clone(),
            criterion: e.criterion,
            listed_on: e.listed_on.unwrap_or(today),
            shown_until: e.shown_until.unwrap_or(today),
        })
        .collect();
    let mut grades: Vec<FinalGrade> = Vec::new();
    for (run, result) in store.subject_evaluations(subject.id)? {
        if run.final_from > today {
            continue;
        }
        match grades.iter_mut().find(|g| g.scheme == run.scheme) {
            Some(g) if (g.cycle_year, g.run_id) >= (run.cycle_year, run.id) => {}
            Some(g) => {
                *g = FinalGrade { scheme: run.scheme, grade: result.grade, cycle_year: run.cycle_year, run_id: run.id }
            }
            None => grades.push(FinalGrade {
                scheme: run.scheme,
                grade: result.grade,
                cycle_year: run.cycle_year,
                run_id: run.id,
            }),
        }
    }
    Ok((PartyFacts { party_type, entries: in_force, grades }, entries))
}
