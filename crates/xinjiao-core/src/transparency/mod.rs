//! The transparency log (issue 16), pure: RFC 6962 / RFC 9162 Merkle tree
//! hashing, inclusion and consistency proofs and their verification
//! ([`tree`]), checkpoints in the C2SP format ([`checkpoint`]), tiles and
//! their paths, and a tree rebuilt from tiles alone ([`tiles`]), what a leaf
//! says and the content it commits to ([`entry`]), and the offline check of
//! a proof bundle ([`bundle`]). The store appends; the web crate serves.

pub mod audit;
pub mod bundle;
pub mod checkpoint;
pub mod entry;
pub mod keys;
pub mod tiles;
pub mod tree;

#[cfg(test)]
mod tests;
