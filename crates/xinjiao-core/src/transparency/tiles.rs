//! C2SP tlog-tiles: the log's Merkle tree served as tiles of 256 hashes.
//! The `n`-th tile at level `l` holds the hashes of tree level `8·l` at
//! positions `n·256 ..`; the rightmost tiles of a tree are partial
//! (`.p/<W>`, 1 to 255 hashes). Paths encode the index in 3-digit groups,
//! all but the last prefixed with `x` (`x001/x234/067`).

use super::tree::{Hash, Tree};

/// Hashes in a full tile.
pub const TILE_WIDTH: u64 = 256;
/// Tree levels a tile spans.
pub const TILE_HEIGHT: u32 = 8;

/// A tile of the tree (or, with `entries`, a bundle of entries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TileId {
    pub level: u8,
    pub index: u64,
    /// 1 to 256; below 256 the tile is partial.
    pub width: u16,
}

/// The 3-digit path elements of a tile index.
pub fn encode_index(mut n: u64) -> String {
    let mut groups = vec![format!("{:03}", n % 1000)];
    n /= 1000;
    while n > 0 {
        groups.push(format!("x{:03}", n % 1000));
        n /= 1000;
    }
    groups.reverse();
    groups.join("/")
}

impl TileId {
    fn suffix(&self) -> String {
        let n = encode_index(self.index);
        if u64::from(self.width) == TILE_WIDTH { n } else { format!("{n}.p/{}", self.width) }
    }

    /// `tile/<L>/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        format!("tile/{}/{}", self.level, self.suffix())
    }

    /// `tile/entries/<N>[.p/<W>]` (level 0 only).
    pub fn entries_path(&self) -> String {
        format!("tile/entries/{}", self.suffix())
    }

    /// Reads what follows `tile/` in a request: `<L>/<N>[.p/<W>]` or
    /// `entries/<N>[.p/<W>]` (then level 0 and `true`). Refuses leading
    /// zeros, levels above 63, widths outside 1–255 and anything else.
    pub fn parse(rest: &str) -> Option<(TileId, bool)> {
        if rest.len() > 200 {
            return None;
        }
        let decimal = |s: &str, max: u64| -> Option<u64> {
            let ok = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
            s.parse().ok().filter(|v| ok && *v <= max)
        };
        let (head, tail) = rest.split_once('/')?;
        let (level, entries) = if head == "entries" { (0, true) } else { (decimal(head, 63)? as u8, false) };
        let (index_part, width) = match tail.split_once(".p/") {
            Some((i, w)) => (i, decimal(w, TILE_WIDTH - 1).filter(|w| *w >= 1)? as u16),
            None => (tail, TILE_WIDTH as u16),
        };
        let parts: Vec<&str> = index_part.split('/').collect();
        let mut index: u64 = 0;
        for (i, p) in parts.iter().enumerate() {
            let digits = if i + 1 < parts.len() { p.strip_prefix('x')? } else { p };
            if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            index = index.checked_mul(1000)?.checked_add(digits.parse::<u64>().ok()?)?;
        }
        if parts.len() > 1 && parts[0] == "x000" {
            return None;
        }
        Some((TileId { level, index, width }, entries))
    }
}

/// Every tile a tree of `size` leaves is served as, level by level: full
/// tiles and, where the level's count is not a multiple of 256, one partial.
pub fn tiles_for(size: u64) -> Vec<TileId> {
    let mut out = Vec::new();
    let mut level = 0u8;
    let mut count = size; // hashes at tree level 8·level
    while count > 0 {
        for n in 0..count / TILE_WIDTH {
            out.push(TileId { level, index: n, width: TILE_WIDTH as u16 });
        }
        if !count.is_multiple_of(TILE_WIDTH) {
            out.push(TileId { level, index: count / TILE_WIDTH, width: (count % TILE_WIDTH) as u16 });
        }
        count /= TILE_WIDTH;
        level += 1;
    }
    out
}

impl Tree {
    /// The hashes of a tile (complete subtrees only: a tile within the tree).
    pub fn tile(&self, id: TileId) -> Option<Vec<Hash>> {
        let level = (u32::from(id.level) * TILE_HEIGHT) as usize;
        let start = (id.index * TILE_WIDTH) as usize;
        let hashes = self.level_hashes(level)?;
        hashes.get(start..start + usize::from(id.width)).map(<[Hash]>::to_vec)
    }
}

/// Why tiles did not make a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TileError {
    /// A tile was missing or of the wrong length.
    Missing(String),
    /// A tile above level 0 disagrees with the tiles below it.
    Mismatch(String),
}

/// Rebuilds the tree of `size` leaves from its level-0 tiles as `fetch`
/// gives them, checks every tile above against it, and returns the root.
pub fn root_from_tiles(size: u64, fetch: &mut dyn FnMut(TileId) -> Option<Vec<Hash>>) -> Result<Hash, TileError> {
    let mut tree = Tree::new();
    let ids = tiles_for(size);
    for id in ids.iter().filter(|t| t.level == 0) {
        let hashes =
            fetch(*id).filter(|h| h.len() == usize::from(id.width)).ok_or_else(|| TileError::Missing(id.path()))?;
        for h in hashes {
            tree.push_leaf_hash(h);
        }
    }
    for id in ids.iter().filter(|t| t.level > 0) {
        let got =
            fetch(*id).filter(|h| h.len() == usize::from(id.width)).ok_or_else(|| TileError::Missing(id.path()))?;
        if tree.tile(*id).as_ref() != Some(&got) {
            return Err(TileError::Mismatch(id.path()));
        }
    }
    tree.root(size).map_err(|_| TileError::Missing("tree".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_as_the_specification_writes_them() {
        assert_eq!(encode_index(1_234_067), "x001/x234/067");
        assert_eq!(encode_index(0), "000");
        assert_eq!(encode_index(1000), "x001/000");
        let t = TileId { level: 1, index: 1_234_067, width: 17 };
        assert_eq!(t.path(), "tile/1/x001/x234/067.p/17");
        assert_eq!(TileId::parse("1/x001/x234/067.p/17"), Some((t, false)));
        let e = TileId { level: 0, index: 5, width: 256 };
        assert_eq!(e.entries_path(), "tile/entries/005");
        assert_eq!(TileId::parse("entries/005"), Some((e, true)));
        for bad in [
            "01/000",
            "64/000",
            "0/00",
            "0/0000",
            "0/001/002",
            "0/x000/001",
            "0/000.p/0",
            "0/000.p/256",
            "0/000.p/010",
            "a/000",
            "0/x01/000",
            "",
        ] {
            assert_eq!(TileId::parse(bad), None, "{bad}");
        }
        for n in [0u64, 7, 999, 1000, 123_456_789] {
            let t = TileId { level: 3, index: n, width: 200 };
            assert_eq!(TileId::parse(t.path().strip_prefix("tile/").unwrap()), Some((t, false)));
        }
    }

    #[test]
    fn the_specification_s_example_sizes() {
        let t = tiles_for(70_000);
        let at = |l: u8| t.iter().filter(|x| x.level == l).collect::<Vec<_>>();
        assert_eq!(at(0).len(), 274);
        assert_eq!(at(0).iter().filter(|x| x.width == 256).count(), 273);
        assert_eq!(at(0).last().unwrap().width, 112);
        assert_eq!(at(1).iter().map(|x| x.width).collect::<Vec<_>>(), [256, 17]);
        assert_eq!(at(2).iter().map(|x| (x.index, x.width)).collect::<Vec<_>>(), [(0, 1)]);
        let t256 = tiles_for(256);
        assert_eq!(t256.iter().map(|x| (x.level, x.width)).collect::<Vec<_>>(), [(0, 256), (1, 1)]);
        assert!(tiles_for(0).is_empty());
    }

    #[test]
    fn a_tree_rebuilt_from_its_tiles_alone_and_a_changed_tile_found() {
        let mut tree = Tree::new();
        for i in 0..70_000u32 {
            tree.push(&i.to_be_bytes());
        }
        for size in [1u64, 255, 256, 257, 65_536, 65_537, 70_000] {
            let mut fetch = |id: TileId| tree.tile(id);
            assert_eq!(root_from_tiles(size, &mut fetch), Ok(tree.root(size).unwrap()), "size {size}");
        }
        // A level-1 tile that lies about one hash.
        let mut lying = |id: TileId| {
            let mut h = tree.tile(id)?;
            if id.level == 1 && id.width == 256 {
                h[3][0] ^= 1;
            }
            Some(h)
        };
        assert_eq!(root_from_tiles(70_000, &mut lying), Err(TileError::Mismatch("tile/1/000".into())));
        let mut missing = |id: TileId| if id.index == 7 && id.level == 0 { None } else { tree.tile(id) };
        assert_eq!(root_from_tiles(70_000, &mut missing), Err(TileError::Missing("tile/0/007".into())));
    }
}
