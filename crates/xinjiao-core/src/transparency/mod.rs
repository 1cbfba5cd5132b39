//! The transparency log (issue 16), pure: RFC 6962 / RFC 9162 Merkle tree
//! hashing, inclusion and consistency proofs and their verification
//! ([`tree`]). Storage, checkpoints and tiles come later.

pub mod tree;

#[cfg(test)]
mod tests;
