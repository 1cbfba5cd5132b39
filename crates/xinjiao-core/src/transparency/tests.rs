//! The RFC 6962 test vectors (as certificate-transparency's implementations
//! publish them), and every inclusion and consistency proof for every tree
//! size up to 300 against a naive implementation written from the RFC's
//! recursive definitions.

use super::tree::*;

fn hex(s: &str) -> Hash {
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
    }
    out
}

const LEAVES: [&[u8]; 8] = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
];

const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

fn vector_tree() -> Tree {
    let mut t = Tree::new();
    for l in LEAVES {
        t.push(l);
    }
    t
}

#[test]
fn the_rfc_6962_vectors() {
    let t = vector_tree();
    assert_eq!(t.root(0).unwrap(), hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    for (n, want) in ROOTS.iter().enumerate() {
        assert_eq!(t.root(n as u64 + 1).unwrap(), hex(want), "root of {}", n + 1);
    }
    let paths: [(u64, u64, &[&str]); 3] = [
        (0, 1, &[]),
        (
            0,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            &[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
    ];
    for (i, n, want) in paths {
        let got = t.inclusion_proof(i, n).unwrap();
        assert_eq!(got, want.iter().map(|h| hex(h)).collect::<Vec<_>>(), "path ({i}, {n})");
        assert!(verify_inclusion(&leaf_hash(LEAVES[i as usize]), i, n, &got, &t.root(n).unwrap()));
    }
    let consistency: [(u64, u64, &[&str]); 4] = [
        (1, 1, &[]),
        (
            1,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    for (m, n, want) in consistency {
        let got = t.consistency_proof(m, n).unwrap();
        assert_eq!(got, want.iter().map(|h| hex(h)).collect::<Vec<_>>(), "consistency ({m}, {n})");
        assert!(verify_consistency(m, n, &got, &t.root(m).unwrap(), &t.root(n).unwrap()));
    }
}

/// MTH from RFC 6962 §2.1, recursively over the leaf hashes (memoised by
/// first leaf and length, which name a slice of distinct leaves).
fn mth(leaves: &[Hash]) -> Hash {
    thread_local! {
        static MEMO: std::cell::RefCell<std::collections::HashMap<(Hash, usize), Hash>> = Default::default();
    }
    if leaves.len() < 2 {
        return mth_of(leaves);
    }
    let key = (leaves[0], leaves.len());
    if let Some(h) = MEMO.with(|m| m.borrow().get(&key).copied()) {
        return h;
    }
    let h = mth_of(leaves);
    MEMO.with(|m| m.borrow_mut().insert(key, h));
    h
}

fn mth_of(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = (1..).map(|e| 1usize << e).take_while(|p| *p < n).last().unwrap_or(1);
            node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

fn largest_power_below(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// PATH(m, D[n]) from RFC 6962 §2.1.1.
fn path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    let n = leaves.len();
    if n <= 1 {
        return vec![];
    }
    let k = largest_power_below(n);
    if m < k {
        let mut p = path(m, &leaves[..k]);
        p.push(mth(&leaves[k..]));
        p
    } else {
        let mut p = path(m - k, &leaves[k..]);
        p.push(mth(&leaves[..k]));
        p
    }
}

/// SUBPROOF(m, D[n], b) from RFC 6962 §2.1.2.
fn subproof(m: usize, leaves: &[Hash], complete: bool) -> Vec<Hash> {
    let n = leaves.len();
    if m == n {
        return if complete { vec![] } else { vec![mth(leaves)] };
    }
    let k = largest_power_below(n);
    if m <= k {
        let mut p = subproof(m, &leaves[..k], complete);
        p.push(mth(&leaves[k..]));
        p
    } else {
        let mut p = subproof(m - k, &leaves[k..], false);
        p.push(mth(&leaves[..k]));
        p
    }
}

#[test]
fn every_proof_up_to_300_leaves_matches_the_rfc_definitions() {
    let hashes: Vec<Hash> = (0..300u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let mut t = Tree::new();
    let mut roots = vec![empty_root()];
    for h in &hashes {
        t.push_leaf_hash(*h);
        roots.push(mth(&hashes[..t.size() as usize]));
    }
    for n in 1..=300u64 {
        let root = t.root(n).unwrap();
        assert_eq!(root, roots[n as usize], "root of {n}");
        for i in 0..n {
            let p = t.inclusion_proof(i, n).unwrap();
            assert_eq!(p, path(i as usize, &hashes[..n as usize]), "path ({i}, {n})");
            assert!(verify_inclusion(&hashes[i as usize], i, n, &p, &root), "verify ({i}, {n})");
        }
        for m in 0..=n {
            let p = t.consistency_proof(m, n).unwrap();
            let want = if m == 0 || m == n { vec![] } else { subproof(m as usize, &hashes[..n as usize], true) };
            assert_eq!(p, want, "consistency ({m}, {n})");
            assert!(verify_consistency(m, n, &p, &roots[m as usize], &root), "verify consistency ({m}, {n})");
        }
    }
}

#[test]
fn proofs_that_lie_do_not_verify() {
    let mut t = Tree::new();
    for i in 0..37u32 {
        t.push(&i.to_be_bytes());
    }
    let n = 37;
    let root = t.root(n).unwrap();
    for i in [0, 1, 16, 31, 32, 36] {
        let leaf = leaf_hash(&(i as u32).to_be_bytes());
        let p = t.inclusion_proof(i, n).unwrap();
        assert!(verify_inclusion(&leaf, i, n, &p, &root));
        assert!(!verify_inclusion(&leaf, (i + 1) % n, n, &p, &root), "another index");
        assert!(!verify_inclusion(&leaf_hash(b"x"), i, n, &p, &root), "another leaf");
        // (The size is bound by the signed checkpoint, not the path: a path
        // may verify for a neighbouring size of the same shape.)
        let mut bad = p.clone();
        bad[0][0] ^= 1;
        assert!(!verify_inclusion(&leaf, i, n, &bad, &root), "a changed hash");
        assert!(!verify_inclusion(&leaf, i, n, &p[..p.len() - 1], &root), "a shortened path");
    }
    for m in [1, 2, 5, 16, 17, 36] {
        let p = t.consistency_proof(m, n).unwrap();
        let old = t.root(m).unwrap();
        assert!(verify_consistency(m, n, &p, &old, &root));
        assert!(!verify_consistency(m, n, &p, &root, &root), "a wrong old root");
        assert!(!verify_consistency(m, n, &p, &old, &old), "a wrong new root");
        assert!(!verify_consistency(m + 1, n, &p, &old, &root) || m + 1 == n, "another old size");
        let mut bad = p.clone();
        let last = bad.len() - 1;
        bad[last][31] ^= 1;
        assert!(!verify_consistency(m, n, &bad, &old, &root), "a changed hash");
    }
    assert_eq!(t.inclusion_proof(37, 37), Err(ProofError::Range));
    assert_eq!(t.consistency_proof(5, 38), Err(ProofError::Range));
    assert_eq!(t.consistency_proof(6, 5), Err(ProofError::Range));
    assert!(!verify_consistency(5, 4, &[], &root, &root));
}

/// A store answers proofs from a table of level hashes: the hashes a proof
/// needs are named first ([`needed_hashes`]), fetched, and the proof built
/// from them alone equals the in-memory tree's.
#[test]
fn proofs_from_only_the_hashes_they_need() {
    let mut tree = Tree::new();
    let mut levels: Vec<Vec<Hash>> = vec![Vec::new()];
    for n in 1..=140u64 {
        tree.push(&n.to_be_bytes());
        levels[0].push(leaf_hash(&n.to_be_bytes()));
        let mut k = 0;
        while levels[k].len().is_multiple_of(2) && levels[k].len() / 2 > levels.get(k + 1).map_or(0, Vec::len) {
            let l = &levels[k];
            let h = node_hash(&l[l.len() - 2], &l[l.len() - 1]);
            if levels.len() == k + 1 {
                levels.push(Vec::new());
            }
            levels[k + 1].push(h);
            k += 1;
        }
    }
    let table = |keys: &[(u32, u64)]| -> std::collections::HashMap<(u32, u64), Hash> {
        keys.iter().map(|&(k, i)| ((k, i), levels[k as usize][i as usize])).collect()
    };
    for size in 1..=140u64 {
        let keys = needed_hashes(|get| {
            root_with(size, get);
        });
        let got = table(&keys);
        assert_eq!(root_with(size, &mut |k, i| got[&(k, i)]), tree.root(size).unwrap());
        for index in (0..size).step_by(7) {
            let keys = needed_hashes(|get| {
                inclusion_proof_with(index, size, get).unwrap();
            });
            assert!(keys.len() <= 2 * 64);
            let got = table(&keys);
            assert_eq!(inclusion_proof_with(index, size, &mut |k, i| got[&(k, i)]), tree.inclusion_proof(index, size));
        }
        for old in (1..=size).step_by(5) {
            let keys = needed_hashes(|get| {
                consistency_proof_with(old, size, get).unwrap();
            });
            let got = table(&keys);
            assert_eq!(consistency_proof_with(old, size, &mut |k, i| got[&(k, i)]), tree.consistency_proof(old, size));
        }
    }
}

/// Appending with only the frontier gives the same stored hashes and roots
/// as the in-memory tree, and can restart from any size.
#[test]
fn appending_from_the_frontier_alone() {
    let mut tree = Tree::new();
    let mut table: std::collections::HashMap<(u32, u64), Hash> = Default::default();
    let mut ap = Appender::new(0, &[]).unwrap();
    for n in 0..300u64 {
        if n % 37 == 0 {
            // A new transaction: read the frontier back from the table.
            let f: Vec<Hash> = frontier_keys(n).iter().map(|k| table[k]).collect();
            ap = Appender::new(n, &f).unwrap();
        }
        let leaf = leaf_hash(&n.to_be_bytes());
        tree.push_leaf_hash(leaf);
        for (k, i, h) in ap.push(leaf) {
            assert!(table.insert((k, i), h).is_none(), "each stored hash is written once");
        }
        assert_eq!(ap.root(), tree.root(n + 1).unwrap(), "size {}", n + 1);
        assert_eq!(root_with(n + 1, &mut |k, i| table[&(k, i)]), tree.root(n + 1).unwrap());
    }
    assert_eq!(Appender::new(5, &[[0; 32]]), Err(ProofError::Range));
}
