//! The draw, exactly as `docs/draws.md` ([`SPECIFICATION`]) specifies it, so that an
//! outsider can recompute every drawn subject and inspector from the
//! published plan, the revealed secret and the public value:
//!
//! - `population_hash` = SHA-256 of one line `<public code>\t<grade or
//!   empty>\n` per subject, sorted by public code (byte order);
//! - `commitment` = SHA-256 of the secret (lowercase hex text); `seed` =
//!   SHA-256 of `<secret>\n<public value>`;
//! - a subject's key = SHA-256 of `<seed>\n<public code>`; within each grade
//!   (no grade is its own stratum) subjects in ascending key order, the
//!   first ⌈n × share / 100⌉ drawn (integers: shares in hundredths of a
//!   percent), at most n;
//! - a drawn subject's inspectors: the eligible ones ordered by SHA-256 of
//!   `<seed>\n<public code>\n<certificate number>`, the first m; fewer than m
//!   eligible is reported, never silently short.
//!
//! All hashes are shown as lowercase hex.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

/// The specification anyone can recompute a draw by (`docs/draws.md`).
pub const SPECIFICATION: &str = include_str!("../../../../docs/draws.md");

/// The stratum of subjects without a grade, as shares and results name it.
pub const NO_GRADE: &str = "none";

/// A share in hundredths of a percent (`"2.5"` is 250; at most `"100"`, 10,000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Share(pub u32);

impl Share {
    /// A percent as written: digits with at most two decimals, 0 to 100.
    pub fn parse(text: &str) -> Option<Share> {
        let (int, frac) = text.split_once('.').unwrap_or((text, ""));
        if int.is_empty() || int.len() > 3 || frac.len() > 2 || (text.contains('.') && frac.is_empty()) {
            return None;
        }
        if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let int: u32 = int.parse().ok()?;
        let frac: u32 = format!("{frac:0<2}").parse().ok()?;
        let v = int * 100 + frac;
        (v <= 10_000).then_some(Share(v))
    }
}

impl std::fmt::Display for Share {
    /// The shortest text that parses back (`2.5`, `3`, `0.05`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (int, frac) = (self.0 / 100, self.0 % 100);
        match frac {
            0 => write!(f, "{int}"),
            x if x % 10 == 0 => write!(f, "{int}.{}", x / 10),
            x => write!(f, "{int}.{x:02}"),
        }
    }
}

/// How many of `n` subjects a share draws: ⌈n × share / 100⌉, at most n.
pub fn quota(n: usize, share: Share) -> usize {
    let k = (n as u128 * u128::from(share.0)).div_ceil(10_000);
    (k as usize).min(n)
}

/// Lowercase hex of SHA-256 of `text`.
pub fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// A subject of the frozen population: its public code and its grade in
/// the matter's scheme on the plan's day (`None`: not graded).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Member {
    pub code: String,
    pub grade: Option<String>,
}

impl Member {
    /// The stratum the member is drawn in: its grade, or [`NO_GRADE`].
    pub fn stratum(&self) -> &str {
        self.grade.as_deref().unwrap_or(NO_GRADE)
    }
}

/// The text the population hash is taken of (members sorted by code).
pub fn population_text(population: &[Member]) -> String {
    let mut sorted: Vec<&Member> = population.iter().collect();
    sorted.sort_by(|a, b| a.code.as_bytes().cmp(b.code.as_bytes()));
    let mut out = String::new();
    for m in sorted {
        out.push_str(&m.code);
        out.push('\t');
        out.push_str(m.grade.as_deref().unwrap_or(""));
        out.push('\n');
    }
    out
}

/// SHA-256 of [`population_text`].
pub fn population_hash(population: &[Member]) -> String {
    sha256_hex(&population_text(population))
}

/// The commitment to a secret (the secret as lowercase hex).
pub fn commitment(secret: &str) -> String {
    sha256_hex(secret)
}

/// The draw's seed from the revealed secret and the public value.
pub fn seed(secret: &str, public_value: &str) -> String {
    sha256_hex(&format!("{secret}\n{public_value}"))
}

/// A subject's key in the draw (compared as bytes, ascending).
pub fn subject_key(seed: &str, code: &str) -> [u8; 32] {
    Sha256::digest(format!("{seed}\n{code}").as_bytes()).into()
}

/// An inspector's key for a subject.
pub fn inspector_key(seed: &str, code: &str, certificate: &str) -> [u8; 32] {
    Sha256::digest(format!("{seed}\n{code}\n{certificate}").as_bytes()).into()
}

/// Why a draw cannot be made as planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DrawError {
    /// A stratum of the population has no share in the plan.
    NoShare { stratum: String },
    /// The same public code twice in the population.
    Duplicate { code: String },
}

impl std::fmt::Display for DrawError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DrawError::NoShare { stratum } => write!(f, "计划没有等级“{stratum}”的抽查比例"),
            DrawError::Duplicate { code } => write!(f, "名录中主体“{code}”重复"),
        }
    }
}

/// The subjects drawn from `population` with `shares` (stratum → share):
/// within each stratum in ascending key order, the first [`quota`]; the
/// strata in byte order of their names. Every stratum present needs a share.
pub fn draw_subjects(
    seed: &str,
    population: &[Member],
    shares: &BTreeMap<String, Share>,
) -> Result<Vec<Member>, DrawError> {
    let mut seen = BTreeSet::new();
    let mut strata: BTreeMap<&str, Vec<([u8; 32], &Member)>> = BTreeMap::new();
    for m in population {
        if !seen.insert(m.code.as_str()) {
            return Err(DrawError::Duplicate { code: m.code.clone() });
        }
        strata.entry(m.stratum()).or_default().push((subject_key(seed, &m.code), m));
    }
    let mut out = Vec::new();
    for (stratum, mut members) in strata {
        let share = *shares.get(stratum).ok_or_else(|| DrawError::NoShare { stratum: stratum.to_string() })?;
        members.sort_by_key(|a| a.0);
        let k = quota(members.len(), share);
        out.extend(members.into_iter().take(k).map(|(_, m)| m.clone()));
    }
    Ok(out)
}

/// The inspectors for a drawn subject: `eligible` certificate numbers
/// (active, of the matter's department, not excluded for this subject)
/// ordered by [`inspector_key`], the first `m`. `Err` with the eligible
/// ones, all of them, if there are fewer than `m`.
pub fn pick_inspectors(seed: &str, code: &str, eligible: &[String], m: usize) -> Result<Vec<String>, Vec<String>> {
    let mut keyed: Vec<([u8; 32], &String)> = eligible.iter().map(|c| (inspector_key(seed, code, c), c)).collect();
    keyed.sort_by_key(|a| a.0);
    keyed.dedup_by(|a, b| a.1 == b.1);
    let picked: Vec<String> = keyed.into_iter().take(m).map(|(_, c)| c.clone()).collect();
    if picked.len() < m { Err(picked) } else { Ok(picked) }
}

/// An inspector of the roster as a draw sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterMember {
    pub certificate: String,
    pub department: String,
    pub active: bool,
}

/// The certificate numbers eligible for `subject`: active members of
/// `department` not in `excluded` (conflicts of interest with the subject).
pub fn eligible_for(roster: &[RosterMember], department: &str, excluded: &BTreeSet<String>) -> Vec<String> {
    roster
        .iter()
        .filter(|r| r.active && r.department == department && !excluded.contains(&r.certificate))
        .map(|r| r.certificate.clone())
        .collect()
}

/// A drawn subject with its inspectors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub member: Member,
    pub inspectors: Vec<String>,
    /// Fewer eligible inspectors than the plan asks (those there are are listed).
    pub short: bool,
}

/// The whole draw: subjects, then each one's inspectors from `eligible`
/// (by subject code: the eligible certificate numbers).
pub fn run(
    seed: &str,
    population: &[Member],
    shares: &BTreeMap<String, Share>,
    eligible: &dyn Fn(&str) -> Vec<String>,
    inspectors: usize,
) -> Result<Vec<Assignment>, DrawError> {
    Ok(draw_subjects(seed, population, shares)?
        .into_iter()
        .map(|member| {
            let (inspectors, short) = match pick_inspectors(seed, &member.code, &eligible(&member.code), inspectors) {
                Ok(p) => (p, false),
                Err(p) => (p, true),
            };
            Assignment { member, inspectors, short }
        })
        .collect())
}
