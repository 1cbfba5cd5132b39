//! `/log`: the transparency log's public page — the key and its
//! fingerprint, the newest checkpoint, the newest leaves and checkpoints,
//! and how to verify.

use askama::Template;
use axum::extract::State;
use axum::response::Html;
use xinjiao_core::transparency::entry::{LogEvent, hex};

use crate::kernel::auth::MaybeUser;
use crate::kernel::error::PageError;
use crate::kernel::state::AppState;
use crate::kernel::time::local_time;

/// Leaves and checkpoints shown.
const SHOWN: u64 = 20;

pub struct LeafView {
    pub index: u64,
    pub time: String,
    pub event: String,
    pub object: String,
    /// The record page, while the record is public.
    pub link: Option<String>,
    pub commitment: String,
}

pub struct CheckpointView {
    pub size: u64,
    pub root: String,
    pub time: String,
}

#[derive(Template)]
#[template(path = "log.html")]
struct LogPage {
    banner: crate::kernel::state::Banner,
    user: Option<String>,
    key_name: String,
    vkey: String,
    key_id: String,
    fingerprint: String,
    size: u64,
    note: String,
    checkpoints: Vec<CheckpointView>,
    leaves: Vec<LeafView>,
    public_url: String,
    /// Retired keys: the key, when it was retired, the successor's fingerprint.
    retired: Vec<(String, String, String)>,
}

pub async fn log_page(State(st): State<AppState>, u: MaybeUser) -> Result<Html<String>, PageError> {
    let s = st.clone();
    let today = st.today();
    let (latest, checkpoints, leaves) = st
        .db(move |store| {
            let latest = crate::kernel::signing::issue_checkpoint(&s, store)?;
            let size = latest.size;
            let leaves = store.log_leaves(size.saturating_sub(SHOWN), size)?;
            let mut views = Vec::with_capacity(leaves.len());
            for l in leaves.into_iter().rev() {
                let public = match l.record_id {
                    Some(id) => store.record(id)?.is_some_and(|d| crate::kernel::views::is_public_on(&d.row, today)),
                    None => false,
                };
                let entry = xinjiao_core::transparency::entry::LogEntry::parse(&l.entry).ok();
                views.push(LeafView {
                    index: l.index,
                    time: local_time(l.at),
                    event: LogEvent::parse(&l.event).map_or(l.event.clone(), |e| e.label().to_string()),
                    link: l.record_id.filter(|_| public).map(|id| format!("/records/{id}")),
                    object: l.object,
                    commitment: entry.map(|e| hex(&e.commitment[..8])).unwrap_or_default(),
                });
            }
            Ok((latest, store.checkpoints(SHOWN as u32)?, views))
        })
        .await?;
    let verifier = st.signer.verifier();
    let vkey = verifier.to_vkey();
    let html = LogPage {
        banner: st.banner(),
        user: u.0.map(|u| u.display_name),
        key_name: verifier.name.clone(),
        key_id: hex(&verifier.key_id()),
        fingerprint: crate::kernel::signing::fingerprint(&vkey),
        vkey,
        size: latest.size,
        note: latest.note,
        checkpoints: checkpoints
            .into_iter()
            .map(|c| CheckpointView { size: c.size, root: hex(&c.root), time: local_time(c.at) })
            .collect(),
        leaves,
        public_url: st.public_url.clone(),
        retired: st
            .key_history
            .iter()
            .rev()
            .map(|t| {
                let at = t.at.parse().map_or_else(|_| t.at.clone(), local_time);
                (t.old.to_vkey(), at, crate::kernel::signing::fingerprint(&t.new.to_vkey()))
            })
            .collect(),
    }
    .render()?;
    Ok(Html(html))
}
