//! Lists and measures (名单与联合奖惩): list definitions as data
//! (`rules/lists/*.toml`, [`definition`]), the vehicle limits
//! (`rules/vehicle-limits.toml`, [`limits`]), overload detections and the
//! vehicle register with the candidates they make ([`overload`]).

pub mod breaches;
pub mod definition;
pub mod entries;
pub mod limits;
pub mod measures;
pub mod overload;
pub mod red;

#[cfg(test)]
mod tests;
