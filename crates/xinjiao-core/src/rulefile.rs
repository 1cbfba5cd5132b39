//! Reading the `[working_days]` table that several rule files share.

/// The values of `keys` in the `[working_days]` table of a rule file, each an
/// integer from 1 to 60, in the order asked; or a Chinese message naming the
/// first problem.
pub fn working_days<const N: usize>(text: &str, keys: [&str; N]) -> Result<[u32; N], String> {
    let t: toml::Table = text.parse().map_err(|e| format!("不是有效的 TOML：{e}"))?;
    let days = t.get("working_days").and_then(toml::Value::as_table).ok_or("缺少 [working_days]")?;
    let mut out = [0; N];
    for (slot, k) in out.iter_mut().zip(keys) {
        *slot = days
            .get(k)
            .and_then(toml::Value::as_integer)
            .and_then(|v| u32::try_from(v).ok())
            .filter(|v| (1..=60).contains(v))
            .ok_or_else(|| format!("working_days.{k} 应为 1 到 60 之间的整数"))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_in_order_or_the_first_problem() {
        assert_eq!(super::working_days("[working_days]\na = 3\nb = 10\n", ["b", "a"]), Ok([10, 3]));
        assert!(super::working_days("[working_days]\na = 0\n", ["a"]).unwrap_err().contains("working_days.a"));
        assert!(super::working_days("x = 1", ["a"]).unwrap_err().contains("[working_days]"));
        assert!(super::working_days("[", ["a"]).is_err());
    }
}
