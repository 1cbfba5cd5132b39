//! The transparency log on the web (issue 16): signed checkpoints issued
//! by the platform's key, the log served as C2SP tlog-tiles
//! (`/log/checkpoint`, `/log/tile/...`), the verifier key, the public page
//! `/log`, and proof bundles per record (`/records/{id}/proof.json`,
//! `GET /api/v1/records/{id}/proof`). The store appends; this signs and
//! serves.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use xinjiao_core::transparency::tiles::{TILE_HEIGHT, TILE_WIDTH, TileId};

pub use crate::kernel::signing::issue_checkpoint;
use xinjiao_store::StoreError;

pub use proofs::{RecordProof, leaf_bundle, record_proof};

use crate::kernel::error::{ApiError, PageError};
use crate::kernel::state::AppState;

pub mod audit;
mod page;
pub mod peers;
pub mod proofs;
pub mod reports;
pub mod verify;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/log", get(page::log_page))
        .route("/log/checkpoint", get(checkpoint))
        .route("/log/key", get(verifier_key))
        .route("/log/keys", get(key_history))
        .route("/log/tile/{*rest}", get(tile))
        .route("/log/format.md", get(format_doc))
        .route("/records/{id}/proof.json", get(download_bundle))
        .merge(verify::routes())
        .merge(peers::routes())
}

pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/records/{id}/proof", get(api_proof))
        .route("/log/consistency", get(api_consistency))
        .merge(verify::api_routes())
}

fn text(body: String, cache: &'static str) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8"), (header::CACHE_CONTROL, cache)], body).into_response()
}

/// `GET /log/checkpoint`: the newest signed checkpoint (issued now if the
/// log has grown since the last one).
async fn checkpoint(State(st): State<AppState>) -> Result<Response, PageError> {
    let s = st.clone();
    let c = st.db(move |store| issue_checkpoint(&s, store)).await?;
    Ok(text(c.note, "no-cache"))
}

/// `GET /log/format.md`: the log's formats and how to verify, for anyone
/// writing an independent verifier (the repository's docs/transparency.md).
async fn format_doc() -> Response {
    (
        [(header::CONTENT_TYPE, "text/markdown; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../../../docs/transparency.md"),
    )
        .into_response()
}

/// `GET /log/key`: the platform's verifier key (C2SP note verifier key).
async fn verifier_key(State(st): State<AppState>) -> Response {
    text(format!("{}\n", st.signer.verifier().to_vkey()), "public, max-age=300")
}

/// `GET /log/keys`: the key's history — every rotation as a signed note
/// (`xinjiao-key-transition/1`) signed by the retiring key and its
/// successor, oldest first; empty before the first rotation.
async fn key_history(State(st): State<AppState>) -> Response {
    text(st.key_history.iter().map(|t| t.note.as_str()).collect(), "public, max-age=300")
}

/// `GET /log/tile/<L>/<N>[.p/<W>]` and `/log/tile/entries/<N>[.p/<W>]`:
/// hash tiles (the hashes of tree level 8·L, 32 bytes each) and entry
/// bundles (each entry as a big-endian 16-bit length and its bytes). A tile
/// the log cannot fill yet is 404; full tiles never change.
async fn tile(State(st): State<AppState>, Path(rest): Path<String>) -> Result<Response, PageError> {
    let (id, entries) = TileId::parse(&rest).ok_or(PageError::NotFound)?;
    let width = u64::from(id.width);
    let start = id.index.checked_mul(TILE_WIDTH).ok_or(PageError::NotFound)?;
    let end = start + width;
    let body = st
        .db(move |s| {
            if entries {
                let leaves = s.log_leaves(start, end)?;
                if leaves.len() as u64 != width {
                    return Ok(None);
                }
                let mut out = Vec::with_capacity(leaves.iter().map(|l| l.entry.len() + 2).sum());
                for l in &leaves {
                    out.extend_from_slice(&(l.entry.len() as u16).to_be_bytes());
                    out.extend_from_slice(&l.entry);
                }
                Ok(Some(out))
            } else {
                let hashes = s.log_level(u32::from(id.level) * TILE_HEIGHT, start, end)?;
                Ok((hashes.len() as u64 == width).then(|| hashes.concat()))
            }
        })
        .await?
        .ok_or(PageError::NotFound)?;
    let cache = if width == TILE_WIDTH { "public, max-age=31536000, immutable" } else { "public, max-age=60" };
    Ok(([(header::CONTENT_TYPE, "application/octet-stream"), (header::CACHE_CONTROL, cache)], body).into_response())
}

/// Which leaf of a record's history a bundle proves.
#[derive(Deserialize, Default)]
pub struct ProofQuery {
    /// A leaf index among the record's leaves; the newest if absent.
    pub leaf: Option<u64>,
}

async fn proof_of(st: &AppState, id: &str, leaf: Option<u64>) -> Result<Option<RecordProof>, StoreError> {
    let Ok(id) = id.parse::<i64>() else { return Ok(None) };
    let s = st.clone();
    st.db(move |store| record_proof(&s, store, id, leaf)).await
}

/// `GET /records/{id}/proof.json`: the bundle as a download.
async fn download_bundle(
    State(st): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ProofQuery>,
) -> Result<Response, PageError> {
    let p = proof_of(&st, &id, q.leaf).await?.ok_or(PageError::NotFound)?;
    let name = format!("attachment; filename=\"xinjiao-record-{id}-leaf-{}.proof.json\"", p.file.leaf_index);
    Ok((
        [(header::CONTENT_TYPE, "application/json".to_string()), (header::CONTENT_DISPOSITION, name)],
        p.file.to_json(),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct ConsistencyQuery {
    from: u64,
    to: Option<u64>,
}

/// `GET /api/v1/log/consistency?from=N[&to=M]`: the RFC 9162 consistency
/// proof that the tree of size `to` (the newest checkpoint's by default)
/// extends the tree of size `from`, with the stored checkpoints of both
/// sizes where there are any.
async fn api_consistency(State(st): State<AppState>, Query(q): Query<ConsistencyQuery>) -> Result<Response, ApiError> {
    use base64::Engine;
    let s = st.clone();
    let out = st
        .db(move |store| {
            let newest = issue_checkpoint(&s, store)?;
            let to = q.to.unwrap_or(newest.size);
            if q.from > to || to > newest.size {
                return Ok(None);
            }
            let proof = xinjiao_store::transparency::consistency_proof(store, q.from, to)?;
            let note = |size: u64| -> Result<Option<String>, StoreError> {
                Ok(store.checkpoint_of_size(size)?.map(|c| crate::kernel::signing::cosigned(&c.note, &s.signer)))
            };
            Ok(Some((to, proof, note(q.from)?, note(to)?)))
        })
        .await?;
    let Some((to, proof, from_note, to_note)) = out else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "log.bad_range",
            "须 0 ≤ from ≤ to ≤ 日志当前签名的条目数",
        ));
    };
    let b64 = base64::engine::general_purpose::STANDARD;
    Ok(axum::Json(serde_json::json!({
        "from": q.from, "to": to,
        "proof": proof.iter().map(|h| b64.encode(h)).collect::<Vec<_>>(),
        "from_checkpoint": from_note, "to_checkpoint": to_note,
    }))
    .into_response())
}

/// `GET /api/v1/records/{id}/proof`: the bundle's fields, plus `history`
/// (every leaf about the record: `leaf_index`, `event`, `object`, `time`).
async fn api_proof(
    State(st): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ProofQuery>,
) -> Result<Response, ApiError> {
    let p = proof_of(&st, &id, q.leaf).await?.ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "proof.not_logged", "该记录（或所指叶子）不在透明日志中")
    })?;
    let mut v = serde_json::to_value(&p.file).expect("a bundle serialises");
    v["history"] = p
        .history
        .iter()
        .map(|l| {
            serde_json::json!({"leaf_index": l.index, "event": l.event, "object": l.object,
                "time": xinjiao_core::transparency::entry::format_time(l.at)})
        })
        .collect();
    Ok(axum::Json(v).into_response())
}
