//! The rules officials change, as loaded at start (the embedded files under
//! `rules/` and the calendar years stored in the database).

use std::sync::Arc;

/// Rules that officials change, as loaded at start: the working-day calendar
/// (embedded years plus those loaded into the database) and publication deadlines.
pub struct Rules {
    pub calendar: xinjiao_core::calendar::Calendar,
    pub publication: xinjiao_core::reporting::publication::PublicationRules,
    /// Working-day deadlines of credit repair (`rules/repair.toml`).
    pub repairs: xinjiao_core::lifecycle::repairs::RepairRules,
    /// Working-day deadlines of objections (`rules/objections.toml`).
    pub objections: xinjiao_core::lifecycle::objections::ObjectionRules,
    /// How long penalties are published (`rules/disclosure.toml`); the
    /// store computes windows with the same rules ([`Store::window_rules`]).
    pub disclosure: xinjiao_core::lifecycle::disclosure::DisclosureRules,
    /// Credit evaluation schemes (`rules/evaluation/`).
    pub schemes: Vec<xinjiao_core::evaluation::scheme::Scheme>,
    /// Shares by grade and deadlines of inspections (`rules/inspection.toml`).
    pub inspection: xinjiao_core::inspection::rules::InspectionRules,
    /// Warning rules, the daily run's catch-up and the outbox's retries (`rules/warnings.toml`).
    pub warnings: xinjiao_core::monitoring::rules::WarningRules,
}

impl Rules {
    /// The last day of "due soon" from `today`: `rules/warnings.toml`'s
    /// `soon_working_days` later (the start page, the dashboard and the
    /// reminders all remind of what falls due by then).
    pub fn soon(&self, today: xinjiao_core::Date) -> xinjiao_core::Date {
        self.calendar.add_working_days(today, self.warnings.soon_working_days).value
    }

    /// Shared, replaceable rules for [`AppState`].
    pub fn shared(self) -> Arc<std::sync::RwLock<Rules>> {
        Arc::new(std::sync::RwLock::new(self))
    }

    /// The rules embedded in the binary.
    pub fn embedded() -> Rules {
        Rules {
            calendar: xinjiao_core::calendar::Calendar::embedded(),
            publication: xinjiao_core::reporting::publication::PublicationRules::embedded(),
            disclosure: xinjiao_core::lifecycle::disclosure::DisclosureRules::embedded(),
            objections: xinjiao_core::lifecycle::objections::ObjectionRules::embedded(),
            repairs: xinjiao_core::lifecycle::repairs::RepairRules::embedded(),
            schemes: xinjiao_core::evaluation::scheme::Scheme::embedded(),
            inspection: xinjiao_core::inspection::rules::InspectionRules::embedded(),
            warnings: xinjiao_core::monitoring::rules::WarningRules::embedded(),
        }
    }
}
