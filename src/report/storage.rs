//! The shared checkpoint storage as a run saw it: bytes written and read, how
//! busy it was, how many transfers shared it, and how much contention slowed them.

use super::Report;
use serde::Serialize;

/// The `storage` block of `summary.json` (`null` when the facility has no storage).
#[derive(Clone, Debug, Serialize)]
pub struct StorageSummary {
    /// Aggregate bandwidths, GB/s.
    pub write_gbps: f64,
    pub read_gbps: f64,
    /// Checkpoint bytes written and read back, TB (10¹² bytes).
    pub written_tb: f64,
    pub read_tb: f64,
    /// Share of the run with at least one transfer under way, and with a write under way.
    pub busy_fraction: f64,
    pub write_busy_fraction: f64,
    /// Mean bandwidth used over the run, as a share of each direction's.
    pub write_utilization: f64,
    pub read_utilization: f64,
    /// Time-mean number of transfers under way (the storage's queue).
    pub mean_transfers: f64,
    pub transfers: u64,
    /// Completed transfers: the time they took over the time each would have
    /// taken alone (1: no contention), and the hours contention added.
    pub contention_slowdown: f64,
    pub contention_hours: f64,
}

impl Report {
    pub(super) fn storage_summary(&self) -> Option<StorageSummary> {
        let s = self.storage.as_ref()?;
        let hours = self.horizon_hours();
        let frac = |h: f64| if hours > 0.0 { h / hours } else { 0.0 };
        let util = |gb: f64, gbps: f64| if hours > 0.0 { gb / (gbps * hours * 3600.0) } else { 0.0 };
        Some(StorageSummary {
            write_gbps: s.write_gbps,
            read_gbps: s.read_gbps,
            written_tb: s.written_gb / 1e3,
            read_tb: s.read_gb / 1e3,
            busy_fraction: frac(s.busy_hours),
            write_busy_fraction: frac(s.write_busy_hours),
            write_utilization: util(s.written_gb, s.write_gbps),
            read_utilization: util(s.read_gb, s.read_gbps),
            mean_transfers: frac(s.transfer_hours),
            transfers: s.transfers_done,
            contention_slowdown: if s.solo_time_hours > 0.0 { s.transfer_time_hours / s.solo_time_hours } else { 1.0 },
            contention_hours: (s.transfer_time_hours - s.solo_time_hours).max(0.0),
        })
    }
}
