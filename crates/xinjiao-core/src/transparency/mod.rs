//! The transparency log (issue 16), pure: RFC 6962 / RFC 9162 Merkle tree
//! hashing, inclusion and consistency proofs and their verification
//! ([`tree`]), checkpoints in the C2SP format ([`checkpoint`]), tiles and
//! their paths, and a tree rebuilt from tiles alone ([`tiles`]). Storage and
//! serving come later.

pub mod checkpoint;
pub mod tiles;
pub mod tree;

#[cfg(test)]
mod tests;
