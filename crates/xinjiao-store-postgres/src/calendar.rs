//! The PostgreSQL backend of the stored calendar years ([`xinjiao_store::CalendarStore`]).

use super::audit::insert_event;
use super::*;

impl CalendarStore for PgStore {
    fn save_calendar_year(&self, ctx: &WriteContext, year: i16, source_text: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO calendar_years (year, source_text, loaded_at, loaded_by) VALUES ($1, $2, $3::text::timestamptz, $4)
                 ON CONFLICT (year) DO UPDATE SET source_text = excluded.source_text, loaded_at = excluded.loaded_at,
                 loaded_by = excluded.loaded_by",
                &[&i64::from(year), &source_text, &ctx.at.to_string(), &ctx.actor],
            )
            .map_err(err)?;
            insert_event(tx, ctx, "calendar.loaded", None, None, &serde_json::json!({"year": year}).to_string())?;
            Ok(())
        })
    }

    fn calendar_years(&self) -> Result<Vec<(i16, String)>> {
        self.with(|c| {
            c.query("SELECT year, source_text FROM calendar_years ORDER BY year", &[])
                .map_err(err)?
                .iter()
                .map(|r| Ok((i16::try_from(r.get::<_, i64>(0)).map_err(|e| bad(e.to_string()))?, r.get(1))))
                .collect()
        })
    }
}
