//! The repair pipeline as a run saw it: how outages ended, how long each kind
//! took, how long outages waited for a crew and how busy crews were, the spare
//! stock, and the time jobs hung on faults not yet seen.

use super::Report;
use crate::sim::Fix;
use serde::Serialize;
use std::collections::BTreeMap;

/// The `repair` block of `summary.json`.
#[derive(Clone, Debug, Serialize)]
pub struct RepairSummary {
    /// Outages over by the horizon.
    pub outages: u64,
    /// Transient failures back after a reboot.
    pub rebooted: u64,
    /// Permanent faults cleared by automatic remediation, by a crew (in place or by
    /// a swap for a spare node), and by a vendor return.
    pub auto_fixed: u64,
    pub crew_fixed: u64,
    pub rma: u64,
    /// Nodes the retirement policy retired and replaced.
    pub replaced: u64,
    /// Repairs that sent a node back still faulty, and of those, automatic ones.
    pub misdiagnosed: u64,
    pub misdiagnosed_by_auto: u64,
    /// Lemon nodes the retirement policy found, and good nodes it retired by mistake.
    pub lemons_retired: u64,
    pub good_retired: u64,
    /// Mean time from failure to back in service, hours, by how the outage ended.
    pub mttr_h: BTreeMap<String, f64>,
    /// Mean wait of an outage for a crew, and the time-average number waiting.
    pub mean_wait_for_crew_h: f64,
    pub mean_waiting_for_crew: f64,
    /// Busy crew-time over crew-time.
    pub crew_utilization: f64,
    pub crews: u32,
    /// Cold spare nodes: in stock at the start, at the lowest, on time average.
    pub spares_initial: u32,
    pub spares_min: u32,
    pub spares_mean: f64,
    /// Chip-time jobs hung on faults not yet seen (part of `time_breakdown.restart`):
    /// chip-hours, and as a share of installed chip-time.
    pub detection_chip_hours: f64,
    pub detection: f64,
}

impl Report {
    pub(crate) fn repair_summary(&self) -> RepairSummary {
        let t = &self.repair;
        let mttr_h = Fix::ALL.iter().filter(|&&f| t.count(f) > 0).map(|&f| (f.label().to_string(), t.mean_hours(f))).collect();
        RepairSummary {
            outages: t.closed.iter().sum(),
            rebooted: t.count(Fix::Rebooted),
            auto_fixed: t.count(Fix::Auto),
            crew_fixed: t.count(Fix::Crew),
            rma: t.count(Fix::Rma),
            replaced: t.count(Fix::Replaced),
            misdiagnosed: t.count(Fix::Misdiagnosed),
            misdiagnosed_by_auto: t.misdiagnosed_auto,
            lemons_retired: self.retired.0,
            good_retired: self.retired.1,
            mttr_h,
            mean_wait_for_crew_h: t.mean_wait_for_crew_hours(),
            mean_waiting_for_crew: t.mean_waiting(),
            crew_utilization: t.crew_utilization(),
            crews: t.crews,
            spares_initial: self.spares_initial,
            spares_min: t.min_stock,
            spares_mean: t.mean_stock(),
            detection_chip_hours: self.hung_chip_ms as f64 / 3.6e6,
            detection: self.hung_chip_ms as f64 / self.installed_chip_ms() as f64,
        }
    }
}
