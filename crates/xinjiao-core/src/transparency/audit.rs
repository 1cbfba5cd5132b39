//! Auditing another installation's log from its tiles alone (`xinjiao log
//! audit`, the monitoring page): rebuild the tree from the entry tiles,
//! check every entry, every hash tile and the checkpoint's root, and compare
//! with what was seen last time. The network is the caller's: this takes a
//! function that fetches a path under `/log/`.

use super::checkpoint::Checkpoint;
use super::entry::{LogEntry, hex, unhex};
use super::tiles::{TILE_WIDTH, TileError, TileId, root_from_tiles, tiles_for};
use super::tree::{Hash, Tree, leaf_hash};

/// The first line of an audit state file.
pub const STATE_VERSION: &str = "xinjiao-audit-state/1";
/// The most leaves an audit handles (a bound on memory: 32 bytes each).
pub const MAX_AUDIT_LEAVES: u64 = 1 << 26;

/// What an auditor remembers of a log: its origin, the size and root it
/// last verified, and every leaf hash up to that size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditState {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    pub leaves: Vec<Hash>,
}

/// What an audit found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// A tile is missing or not of its length.
    Tile(String),
    /// Leaf `n`'s entry does not parse as an entry.
    MalformedEntry(u64),
    /// Leaf `n`'s entry does not hash to the installation's own level-0
    /// hash, or to the hash seen for it before: the entry was rewritten.
    RewrittenEntry(u64),
    /// A hash tile above level 0 disagrees with the entries.
    HashTile(String),
    /// The entries' tree does not have the checkpoint's root.
    RootMismatch,
    /// The log is smaller than when last seen.
    Shrunk { old: u64, new: u64 },
    /// The first `size` leaves no longer have the root seen before.
    Fork { size: u64 },
    /// The checkpoint is another log's.
    OriginChanged { old: String, new: String },
    /// The log is larger than an audit handles.
    TooLarge(u64),
}

impl Finding {
    /// A stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Finding::Tile(_) => "audit.tile",
            Finding::MalformedEntry(_) => "audit.malformed_entry",
            Finding::RewrittenEntry(_) => "audit.rewritten_entry",
            Finding::HashTile(_) => "audit.hash_tile",
            Finding::RootMismatch => "audit.root_mismatch",
            Finding::Shrunk { .. } => "audit.shrunk",
            Finding::Fork { .. } => "audit.fork",
            Finding::OriginChanged { .. } => "audit.origin_changed",
            Finding::TooLarge(_) => "audit.too_large",
        }
    }

    /// In Chinese.
    pub fn message(&self) -> String {
        match self {
            Finding::Tile(p) => format!("瓦片 {p} 缺失或长度不对"),
            Finding::MalformedEntry(i) => format!("第 {i} 号条目格式错误"),
            Finding::RewrittenEntry(i) => format!("第 {i} 号条目被改写：与平台自己的哈希或上次审计时看到的不一致"),
            Finding::HashTile(p) => format!("哈希瓦片 {p} 与条目算出的不一致"),
            Finding::RootMismatch => "由条目重算的根哈希与签名检查点不一致".into(),
            Finding::Shrunk { old, new } => format!("日志变短了：上次 {old} 条，现在 {new} 条（分叉或回滚）"),
            Finding::Fork { size } => format!("日志分叉：前 {size} 条的根哈希与上次审计时不同"),
            Finding::OriginChanged { old, new } => format!("检查点来源由 {old} 变为 {new}"),
            Finding::TooLarge(n) => format!("日志有 {n} 条，超过审计上限 {MAX_AUDIT_LEAVES}"),
        }
    }
}

/// Splits an entry bundle into `width` entries (big-endian 16-bit length,
/// then the bytes), or `None` if it is not exactly that.
pub fn split_entries(bytes: &[u8], width: usize) -> Option<Vec<&[u8]>> {
    let mut out = Vec::with_capacity(width.min(TILE_WIDTH as usize));
    let mut rest = bytes;
    while !rest.is_empty() {
        let (len, tail) = rest.split_first_chunk::<2>()?;
        let n = usize::from(u16::from_be_bytes(*len));
        if tail.len() < n || out.len() == width {
            return None;
        }
        out.push(&tail[..n]);
        rest = &tail[n..];
    }
    (out.len() == width).then_some(out)
}

fn hashes_of(bytes: &[u8], width: usize) -> Option<Vec<Hash>> {
    if bytes.len() != width * 32 {
        return None;
    }
    Some(bytes.chunks_exact(32).map(|c| c.try_into().expect("32 bytes")).collect())
}

/// Audits the log whose verified checkpoint is `cp`, fetching tiles by
/// their path (`tile/0/000`, `tile/entries/000`, …; `None` for missing),
/// against `prior` (what was seen last time). Returns the new state.
pub fn audit(
    cp: &Checkpoint,
    prior: Option<&AuditState>,
    fetch: &mut dyn FnMut(&str) -> Option<Vec<u8>>,
) -> Result<AuditState, Finding> {
    if cp.size > MAX_AUDIT_LEAVES {
        return Err(Finding::TooLarge(cp.size));
    }
    if let Some(p) = prior {
        if p.origin != cp.origin {
            return Err(Finding::OriginChanged { old: p.origin.clone(), new: cp.origin.clone() });
        }
        if cp.size < p.size {
            return Err(Finding::Shrunk { old: p.size, new: cp.size });
        }
    }
    let ids = tiles_for(cp.size);
    let mut leaves: Vec<Hash> = Vec::with_capacity(cp.size as usize);
    for id in ids.iter().filter(|t| t.level == 0) {
        let width = usize::from(id.width);
        let bundle = fetch(&id.entries_path()).ok_or_else(|| Finding::Tile(id.entries_path()))?;
        let entries = split_entries(&bundle, width).ok_or_else(|| Finding::Tile(id.entries_path()))?;
        let theirs = fetch(&id.path()).and_then(|b| hashes_of(&b, width)).ok_or_else(|| Finding::Tile(id.path()))?;
        for (k, e) in entries.into_iter().enumerate() {
            let index = id.index * TILE_WIDTH + k as u64;
            if LogEntry::parse(e).is_err() {
                return Err(Finding::MalformedEntry(index));
            }
            let h = leaf_hash(e);
            let seen = prior.and_then(|p| p.leaves.get(index as usize));
            if theirs[k] != h || seen.is_some_and(|s| *s != h) {
                return Err(Finding::RewrittenEntry(index));
            }
            leaves.push(h);
        }
    }
    let mut get = |id: TileId| -> Option<Vec<Hash>> {
        if id.level == 0 {
            let start = (id.index * TILE_WIDTH) as usize;
            return leaves.get(start..start + usize::from(id.width)).map(<[Hash]>::to_vec);
        }
        fetch(&id.path()).and_then(|b| hashes_of(&b, usize::from(id.width)))
    };
    let root = root_from_tiles(cp.size, &mut get).map_err(|e| match e {
        TileError::Missing(p) => Finding::Tile(p),
        TileError::Mismatch(p) => Finding::HashTile(p),
    })?;
    if root != cp.root {
        return Err(Finding::RootMismatch);
    }
    if let Some(p) = prior {
        let mut tree = Tree::new();
        for h in &leaves[..p.size as usize] {
            tree.push_leaf_hash(*h);
        }
        if tree.root(p.size).ok() != Some(p.root) {
            return Err(Finding::Fork { size: p.size });
        }
    }
    Ok(AuditState { origin: cp.origin.clone(), size: cp.size, root, leaves })
}

impl AuditState {
    /// `xinjiao-audit-state/1`, `origin`, `size`, `root` (hex), then one
    /// leaf hash (hex) per line.
    pub fn to_text(&self) -> String {
        let mut s = format!("{STATE_VERSION}\norigin {}\nsize {}\nroot {}\n", self.origin, self.size, hex(&self.root));
        for h in &self.leaves {
            s.push_str(&hex(h));
            s.push('\n');
        }
        s
    }

    /// Reads a state file back; `None` if it is not exactly what
    /// [`AuditState::to_text`] writes.
    pub fn parse(text: &str) -> Option<AuditState> {
        let mut lines = text.strip_suffix('\n')?.split('\n');
        if lines.next()? != STATE_VERSION {
            return None;
        }
        let origin = lines.next()?.strip_prefix("origin ")?.to_string();
        let size: u64 = lines.next()?.strip_prefix("size ")?.parse().ok()?;
        if size > MAX_AUDIT_LEAVES {
            return None;
        }
        let root = unhex(lines.next()?.strip_prefix("root ")?)?;
        let leaves = lines.map(unhex).collect::<Option<Vec<Hash>>>()?;
        let mut tree = Tree::new();
        for h in &leaves {
            tree.push_leaf_hash(*h);
        }
        (leaves.len() as u64 == size && tree.root(size).ok() == Some(root)).then_some(AuditState {
            origin,
            size,
            root,
            leaves,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transparency::entry::{LogEvent, commitment};

    fn entry(i: u64) -> Vec<u8> {
        LogEntry {
            event: LogEvent::RecordPublished,
            object: format!("record/{}/1", i + 1),
            time: "2026-12-03T02:15:00Z".into(),
            commitment: commitment(&i.to_be_bytes(), b"{}"),
        }
        .to_bytes()
    }

    /// A log served from memory, as an installation would serve it.
    struct Served {
        entries: Vec<Vec<u8>>,
        tree: Tree,
    }

    impl Served {
        fn new(n: u64) -> Served {
            let mut s = Served { entries: vec![], tree: Tree::new() };
            for i in 0..n {
                s.push(entry(i));
            }
            s
        }
        fn push(&mut self, e: Vec<u8>) {
            self.tree.push(&e);
            self.entries.push(e);
        }
        fn checkpoint(&self) -> Checkpoint {
            let size = self.tree.size();
            Checkpoint { origin: "log.test".into(), size, root: self.tree.root(size).unwrap(), extensions: vec![] }
        }
        fn fetch(&self, path: &str) -> Option<Vec<u8>> {
            let (id, entries) = TileId::parse(path.strip_prefix("tile/")?)?;
            let start = (id.index * TILE_WIDTH) as usize;
            let end = start + usize::from(id.width);
            if entries {
                let mut out = Vec::new();
                for e in self.entries.get(start..end)? {
                    out.extend_from_slice(&(e.len() as u16).to_be_bytes());
                    out.extend_from_slice(e);
                }
                Some(out)
            } else {
                Some(self.tree.tile(id)?.concat())
            }
        }
    }

    #[test]
    fn an_honest_log_audits_and_grows_consistently() {
        let mut log = Served::new(600);
        let first = audit(&log.checkpoint(), None, &mut |p| log.fetch(p)).unwrap();
        assert_eq!(first.size, 600);
        assert_eq!(AuditState::parse(&first.to_text()), Some(first.clone()));
        for i in 600..700 {
            log.push(entry(i));
        }
        let second = audit(&log.checkpoint(), Some(&first), &mut |p| log.fetch(p)).unwrap();
        assert_eq!(second.size, 700);
        // The same size again is fine.
        audit(&log.checkpoint(), Some(&second), &mut |p| log.fetch(p)).unwrap();
    }

    #[test]
    fn rewritten_entries_forks_and_lying_tiles_are_named() {
        let log = Served::new(300);
        let seen = audit(&log.checkpoint(), None, &mut |p| log.fetch(p)).unwrap();
        // An entry changed behind the log's back: its own hashes give it away.
        let mut tampered = Served { entries: log.entries.clone(), tree: log.tree.clone() };
        tampered.entries[42] = entry(4242);
        assert_eq!(
            audit(&tampered.checkpoint(), Some(&seen), &mut |p| tampered.fetch(p)),
            Err(Finding::RewrittenEntry(42))
        );
        // The whole tree recomputed with the changed entry: only memory catches it.
        let mut rebuilt = Served::new(0);
        for (i, e) in log.entries.iter().enumerate() {
            rebuilt.push(if i == 42 { entry(4242) } else { e.clone() });
        }
        assert!(audit(&rebuilt.checkpoint(), None, &mut |p| rebuilt.fetch(p)).is_ok());
        assert_eq!(
            audit(&rebuilt.checkpoint(), Some(&seen), &mut |p| rebuilt.fetch(p)),
            Err(Finding::RewrittenEntry(42))
        );
        // A forged state with a different root for the same leaves is a fork.
        let forged = AuditState { root: [0; 32], ..seen.clone() };
        assert_eq!(audit(&log.checkpoint(), Some(&forged), &mut |p| log.fetch(p)), Err(Finding::Fork { size: 300 }));
        // Shrunk, another origin, a checkpoint that lies, a missing tile, a bad entry.
        let small = Served::new(200);
        assert_eq!(
            audit(&small.checkpoint(), Some(&seen), &mut |p| small.fetch(p)),
            Err(Finding::Shrunk { old: 300, new: 200 })
        );
        let other = Checkpoint { origin: "other.test".into(), ..log.checkpoint() };
        assert!(matches!(audit(&other, Some(&seen), &mut |p| log.fetch(p)), Err(Finding::OriginChanged { .. })));
        let lying = Checkpoint { root: [1; 32], ..log.checkpoint() };
        assert_eq!(audit(&lying, None, &mut |p| log.fetch(p)), Err(Finding::RootMismatch));
        let mut missing = |p: &str| if p == "tile/entries/001.p/44" { None } else { log.fetch(p) };
        assert_eq!(audit(&log.checkpoint(), None, &mut missing), Err(Finding::Tile("tile/entries/001.p/44".into())));
        let mut bad = Served::new(0);
        bad.push(b"not an entry".to_vec());
        assert_eq!(audit(&bad.checkpoint(), None, &mut |p| bad.fetch(p)), Err(Finding::MalformedEntry(0)));
        // A level-1 tile that lies.
        let big = Served::new(600);
        let mut lie = |p: &str| {
            let mut b = big.fetch(p)?;
            if p == "tile/1/000.p/2" {
                b[0] ^= 1;
            }
            Some(b)
        };
        assert_eq!(audit(&big.checkpoint(), None, &mut lie), Err(Finding::HashTile("tile/1/000.p/2".into())));
    }

    #[test]
    fn entry_bundles_split_exactly() {
        let b = [0u8, 2, b'a', b'b', 0, 0, 0, 1, b'c'];
        assert_eq!(split_entries(&b, 3), Some(vec![&b"ab"[..], b"", b"c"]));
        assert_eq!(split_entries(&b, 2), None);
        assert_eq!(split_entries(&b, 4), None);
        assert_eq!(split_entries(&b[..8], 3), None);
        assert_eq!(split_entries(&[0], 1), None);
        assert_eq!(split_entries(&[], 0), Some(vec![]));
    }

    #[test]
    fn state_files_refuse_what_they_do_not_write() {
        let log = Served::new(3);
        let s = audit(&log.checkpoint(), None, &mut |p| log.fetch(p)).unwrap();
        let text = s.to_text();
        for bad in [
            text.replace("size 3", "size 4"),
            text.replace(STATE_VERSION, "x"),
            text.trim_end().to_string(),
            format!("{text}00\n"),
            text.replacen(&hex(&s.leaves[0]), &hex(&[0; 32]), 1),
        ] {
            assert_eq!(AuditState::parse(&bad), None, "{bad}");
        }
    }
}
