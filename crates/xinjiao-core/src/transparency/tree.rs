//! RFC 6962 §2.1 / RFC 9162 §2.1 Merkle trees over SHA-256: a leaf's hash is
//! `SHA-256(0x00 ‖ entry)`, an interior node's `SHA-256(0x01 ‖ left ‖ right)`;
//! the tree of `n` leaves splits at the largest power of two below `n`.
//!
//! [`Tree`] keeps every complete subtree's hash level by level (the shape a
//! log's tiles serve), so that roots and proofs of any earlier size are read
//! from stored hashes plus the few nodes of the ragged right edge. The
//! verification functions are RFC 9162's algorithms (§2.1.3.2, §2.1.4.2),
//! written against the proof alone.

use sha2::{Digest, Sha256};

/// A SHA-256 hash.
pub type Hash = [u8; 32];

/// The root of the empty tree: SHA-256 of nothing.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// `SHA-256(0x00 ‖ entry)`.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(entry);
    h.finalize().into()
}

/// `SHA-256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest power of two strictly below `n` (n ≥ 2).
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// An append-only tree: `levels[k][i]` is the hash of leaves
/// `[i·2^k, (i+1)·2^k)`, kept for every complete subtree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tree {
    levels: Vec<Vec<Hash>>,
}

/// Why a proof was not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofError {
    /// The index or size is beyond the tree, or the sizes are out of order.
    Range,
}

impl Tree {
    pub fn new() -> Tree {
        Tree::default()
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Appends a leaf by its hash; completes the subtrees it closes.
    pub fn push_leaf_hash(&mut self, h: Hash) {
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        self.levels[0].push(h);
        let mut k = 0;
        while self.levels[k].len().is_multiple_of(2) {
            let n = self.levels[k].len();
            let parent = node_hash(&self.levels[k][n - 2], &self.levels[k][n - 1]);
            if self.levels.len() == k + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[k + 1].push(parent);
            k += 1;
        }
    }

    /// The stored hashes of tree level `k` (complete subtrees of 2^k leaves).
    pub(crate) fn level_hashes(&self, k: usize) -> Option<&[Hash]> {
        self.levels.get(k).map(Vec::as_slice)
    }

    /// Appends an entry.
    pub fn push(&mut self, entry: &[u8]) {
        self.push_leaf_hash(leaf_hash(entry));
    }

    /// The stored hash of level `k`, index `i` (a complete subtree).
    fn stored(&self, k: u32, i: u64) -> Hash {
        self.levels[k as usize][i as usize]
    }

    /// The root of the tree of the first `size` leaves.
    pub fn root(&self, size: u64) -> Result<Hash, ProofError> {
        if size > self.size() {
            return Err(ProofError::Range);
        }
        Ok(root_with(size, &mut |k, i| self.stored(k, i)))
    }

    /// The inclusion proof (audit path) of leaf `index` in the tree of `size`.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        if size > self.size() {
            return Err(ProofError::Range);
        }
        inclusion_proof_with(index, size, &mut |k, i| self.stored(k, i))
    }

    /// The consistency proof between the trees of `old` and `new` leaves
    /// (RFC 6962 §2.1.2 `PROOF(m, D[n])`).
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, ProofError> {
        if new > self.size() {
            return Err(ProofError::Range);
        }
        consistency_proof_with(old, new, &mut |k, i| self.stored(k, i))
    }
}

/// Where the proof functions read a complete subtree's hash: `get(k, i)` is
/// the hash of leaves `[i·2^k, (i+1)·2^k)`. A store answers from its table of
/// level hashes; [`needed_hashes`] tells beforehand which it will be asked.
pub type HashSource<'a> = dyn FnMut(u32, u64) -> Hash + 'a;

/// The hash of leaves `[start, start + len)`: a complete subtree read from
/// `get`, or the ragged tail of a tree, computed from the complete ones.
fn range_hash(get: &mut HashSource<'_>, start: u64, len: u64) -> Hash {
    if len.is_power_of_two() && start.is_multiple_of(len) {
        let k = len.trailing_zeros();
        return get(k, start >> k);
    }
    let s = split(len);
    let left = range_hash(get, start, s);
    node_hash(&left, &range_hash(get, start + s, len - s))
}

/// The root of the tree of `size` leaves.
pub fn root_with(size: u64, get: &mut HashSource<'_>) -> Hash {
    if size == 0 { empty_root() } else { range_hash(get, 0, size) }
}

/// The inclusion proof of leaf `index` in the tree of `size` leaves.
pub fn inclusion_proof_with(index: u64, size: u64, get: &mut HashSource<'_>) -> Result<Vec<Hash>, ProofError> {
    if index >= size {
        return Err(ProofError::Range);
    }
    let mut out = Vec::new();
    // Walk down from the root, collecting the sibling of each step, then reverse.
    let (mut start, mut len, mut i) = (0u64, size, index);
    while len > 1 {
        let s = split(len);
        if i < s {
            out.push(range_hash(get, start + s, len - s));
            len = s;
        } else {
            out.push(range_hash(get, start, s));
            start += s;
            i -= s;
            len -= s;
        }
    }
    out.reverse();
    Ok(out)
}

/// The consistency proof between the trees of `old` and `new` leaves.
pub fn consistency_proof_with(old: u64, new: u64, get: &mut HashSource<'_>) -> Result<Vec<Hash>, ProofError> {
    if old > new {
        return Err(ProofError::Range);
    }
    if old == 0 || old == new {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    // SUBPROOF(m, D[start..start+len], complete) as a loop down the right spine.
    let (mut start, mut len, mut m, mut complete) = (0u64, new, old, true);
    loop {
        if m == len {
            if !complete {
                out.push(range_hash(get, start, len));
            }
            break;
        }
        let k = split(len);
        if m <= k {
            out.push(range_hash(get, start + k, len - k));
            len = k;
        } else {
            out.push(range_hash(get, start, k));
            start += k;
            m -= k;
            len -= k;
            complete = false;
        }
    }
    out.reverse();
    Ok(out)
}

/// The stored hashes (level, index) that `run` reads: it is run once
/// against a recorder, so that a store can fetch them in one query and run
/// it again with the answers.
pub fn needed_hashes(run: impl FnOnce(&mut HashSource<'_>)) -> Vec<(u32, u64)> {
    let mut keys = Vec::new();
    run(&mut |k, i| {
        keys.push((k, i));
        [0; 32]
    });
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Verifies that `leaf` is leaf `index` of the tree of `size` whose root is
/// `root`, by `proof` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(leaf: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s_n == 0 {
            return false;
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    s_n == 0 && r == *root
}

/// Verifies that the tree of `new` leaves with root `new_root` extends the
/// tree of `old` leaves with root `old_root`, by `proof` (RFC 9162 §2.1.4.2).
pub fn verify_consistency(old: u64, new: u64, proof: &[Hash], old_root: &Hash, new_root: &Hash) -> bool {
    if old > new {
        return false;
    }
    if old == new {
        return proof.is_empty() && old_root == new_root;
    }
    if old == 0 {
        return proof.is_empty();
    }
    if proof.is_empty() {
        return false;
    }
    let mut path: Vec<Hash> = proof.to_vec();
    if old.is_power_of_two() {
        path.insert(0, *old_root);
    }
    let (mut f_n, mut s_n) = (old - 1, new - 1);
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if s_n == 0 {
            return false;
        }
        if f_n & 1 == 1 || f_n == s_n {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    fr == *old_root && sr == *new_root && s_n == 0
}

/// The stored hashes a store must read to append to a tree of `size`
/// leaves: for each tree level `k` whose count of complete subtrees is odd,
/// the last of them (the "frontier"), lowest level first.
pub fn frontier_keys(size: u64) -> Vec<(u32, u64)> {
    (0..64u32).filter(|k| (size >> k) & 1 == 1).map(|k| (k, (size >> k) - 1)).collect()
}

/// Appends leaves to a stored tree knowing only its frontier: each push
/// yields the rows (level, index, hash) the store inserts — the leaf's hash
/// and every subtree it completes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appender {
    size: u64,
    /// Level → hash of the unpaired last complete subtree of that level.
    frontier: Vec<Option<Hash>>,
}

impl Appender {
    /// `frontier` holds the hashes of [`frontier_keys`]`(size)`, in order.
    pub fn new(size: u64, frontier: &[Hash]) -> Result<Appender, ProofError> {
        let keys = frontier_keys(size);
        if keys.len() != frontier.len() {
            return Err(ProofError::Range);
        }
        let mut levels = vec![None; 64];
        for ((k, _), h) in keys.iter().zip(frontier) {
            levels[*k as usize] = Some(*h);
        }
        Ok(Appender { size, frontier: levels })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf hash; returns the new stored hashes.
    pub fn push(&mut self, leaf: Hash) -> Vec<(u32, u64, Hash)> {
        let n = self.size;
        let mut out = vec![(0, n, leaf)];
        let mut cur = leaf;
        let mut k = 0u32;
        while (n >> k) & 1 == 1 {
            let left = self.frontier[k as usize].take().expect("frontier holds every odd level");
            cur = node_hash(&left, &cur);
            k += 1;
            out.push((k, ((n + 1) >> k) - 1, cur));
        }
        self.frontier[k as usize] = Some(cur);
        self.size = n + 1;
        out
    }

    /// The root of the tree so far.
    pub fn root(&self) -> Hash {
        // The frontier's subtrees, highest level first, folded from the right.
        let mut acc: Option<Hash> = None;
        for h in self.frontier.iter().flatten() {
            acc = Some(match acc {
                None => *h,
                Some(right) => node_hash(h, &right),
            });
        }
        acc.unwrap_or_else(empty_root)
    }
}
