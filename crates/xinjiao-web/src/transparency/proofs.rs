//! Proof bundles: a leaf of the log with its inclusion proof against a
//! signed checkpoint (`docs/transparency.md`), for a record's leaves and a
//! report's.

use xinjiao_core::transparency::bundle::Bundle;
use xinjiao_core::transparency::entry::LogEvent;
use xinjiao_import::proof::BundleFile;
use xinjiao_store::transparency::{LogLeaf, inclusion_proof, record_object};
use xinjiao_store::{Store, StoreError};

use crate::kernel::signing::issue_checkpoint;
use crate::kernel::state::AppState;

/// A record's proof bundle and the leaves of its history.
pub struct RecordProof {
    pub file: BundleFile,
    pub history: Vec<LogLeaf>,
}

/// Whether a leaf's content may be handed to anyone: the record's current
/// version while the record is public, and the ends of records (the day and
/// the masked reason). Earlier versions and records no longer public are
/// proven without their content (see docs/transparency.md).
fn discloses(leaf: &LogLeaf, detail: Option<&xinjiao_store::RecordDetail>, today: xinjiao_core::Date) -> bool {
    let ending = matches!(LogEvent::parse(&leaf.event), Some(LogEvent::RecordWithdrawn | LogEvent::RecordRepaired));
    ending
        || detail.is_some_and(|d| {
            crate::kernel::views::is_public_on(&d.row, today) && leaf.object == record_object(d.row.id, d.row.version)
        })
}

/// The proof bundle of a record's leaf (the newest, or `leaf`), against a
/// checkpoint covering it. `None` if the record was never logged or `leaf`
/// is not one of its leaves.
pub fn record_proof(
    st: &AppState,
    store: &dyn Store,
    record_id: i64,
    leaf: Option<u64>,
) -> Result<Option<RecordProof>, StoreError> {
    let history = store.record_leaves(record_id)?;
    let chosen = match leaf {
        Some(i) => history.iter().find(|l| l.index == i),
        None => history.last(),
    };
    let Some(chosen) = chosen.cloned() else { return Ok(None) };
    let detail = store.record(record_id)?;
    let show = discloses(&chosen, detail.as_ref(), st.today());
    let file = leaf_bundle(st, store, &chosen, show, Some(record_id))?;
    Ok(Some(RecordProof { file, history }))
}

/// The proof bundle of `leaf` against the newest checkpoint (issued now if
/// none covers it), with its salt and content if `show`.
pub fn leaf_bundle(
    st: &AppState,
    store: &dyn Store,
    leaf: &LogLeaf,
    show: bool,
    record_id: Option<i64>,
) -> Result<BundleFile, StoreError> {
    // The newest checkpoint, issued now if the log has grown since.
    let cp = issue_checkpoint(st, store)?;
    let inclusion = inclusion_proof(store, leaf.index, cp.size)?;
    let bundle = Bundle {
        leaf_index: leaf.index,
        tree_size: cp.size,
        entry: leaf.entry.clone(),
        salt: if show { leaf.salt.clone() } else { vec![] },
        content: show.then(|| leaf.content.clone()),
        inclusion,
        checkpoint: cp.note,
    };
    Ok(BundleFile::new(&bundle, record_id, &st.signer.verifier().to_vkey()))
}
