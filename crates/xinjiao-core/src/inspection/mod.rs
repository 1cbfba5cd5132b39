//! Graded supervision (信用分级分类监管): "双随机、一公开" draws that anyone
//! can re-run (`draw`), and the inspection rules (`rules`: shares by grade,
//! their limits, deadlines, from `rules/inspection.toml`).

pub mod draw;
pub mod results;
pub mod roster;
pub mod rules;

#[cfg(test)]
mod tests;
