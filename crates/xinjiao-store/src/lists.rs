//! Lists and measures in the database ([`ListStore`]): the vehicle register
//! and overload detections (issue 15), and the facts the list criteria read
//! ([`overload_facts`]).

use xinjiao_core::lists::definition::{Computation, ListDefinition};
use xinjiao_core::lists::overload::{Detection, OverloadFacts, PenaltyFact, VehicleRow};
use xinjiao_core::monitoring::warnings::months_back;

use crate::*;

/// The storage of the lists capability.
pub trait ListStore {
    /// Creates or updates (by plate) vehicles of the register in one
    /// transaction, an event per vehicle created or changed. Returns (created,
    /// changed); identical rows change nothing.
    fn save_vehicles(&self, ctx: &WriteContext, rows: &[VehicleRow]) -> Result<(usize, usize)>;
    /// The register, by plate.
    fn vehicles(&self) -> Result<Vec<VehicleRow>>;
    /// Stores detections in one transaction, keyed by
    /// [`Detection::key`]: a known key with other driver, enterprise or
    /// penalty is updated, an identical one changes nothing. One event for
    /// the batch. Returns (created, changed).
    fn save_detections(&self, ctx: &WriteContext, rows: &[Detection]) -> Result<(usize, usize)>;
    /// Detections dated `from` to `to` inclusive, by date and id.
    fn detections_between(&self, from: Date, to: Date) -> Result<Vec<Detection>>;
    /// Penalties decided `from` to `to`, published and not withdrawn, of the
    /// enterprises of the register or of detections in those days.
    fn enterprise_penalties(&self, from: Date, to: Date) -> Result<Vec<PenaltyFact>>;
}

/// What `list`'s computed overload criteria read as of `as_of`: detections
/// and penalties in the longest look-back of its criteria, the register.
pub fn overload_facts(store: &dyn Store, list: &ListDefinition, as_of: Date) -> Result<OverloadFacts> {
    let months = list
        .criteria
        .iter()
        .filter_map(|c| match &c.computed {
            Some(Computation::Trips { months, .. })
            | Some(Computation::FleetShare { months, .. })
            | Some(Computation::DirectingPenalties { months, .. }) => Some(*months),
            _ => None,
        })
        .max();
    let Some(months) = months else { return Ok(OverloadFacts::default()) };
    let from = months_back(as_of, months);
    Ok(OverloadFacts {
        detections: store.detections_between(from, as_of)?,
        fleet: store.vehicles()?,
        penalties: store.enterprise_penalties(from, as_of)?,
    })
}
