//! What the site gave each tenant, job class and size class, and how the
//! scheduler kept the site: the tenant blocks of `summary.json`.

use super::{GroupStats, Report};
use crate::sim::SIZE_CLASSES;
use serde::Serialize;
use std::collections::BTreeMap;

const MS_PER_H: f64 = 3_600_000.0;

/// One tenant's (or job class's, or size class's) jobs over the run.
#[derive(Clone, Debug, Serialize)]
pub struct TenantSummary {
    pub jobs_submitted: u64,
    /// Asked for more chips than the frontier jobs and their spares leave: never queued.
    pub jobs_rejected: u64,
    pub jobs_started: u64,
    pub jobs_completed: u64,
    /// Killed at their requested wall time and not requeued.
    pub jobs_killed: u64,
    /// Jobs preempted at least once, and preemptions in all.
    pub jobs_preempted: u64,
    pub preemptions: u64,
    /// Failures that struck its jobs while they computed, checkpointed or restarted.
    pub interruptions: u64,
    /// Wait from submission to first start over its started queued jobs: mean
    /// and nearest-rank percentiles, hours (0 when none started).
    pub wait_mean_h: f64,
    pub wait_p50_h: f64,
    pub wait_p95_h: f64,
    pub wait_p99_h: f64,
    /// Mean bounded slowdown of completed tenant jobs: time from submission to
    /// completion over run time (at least 10 s), at least 1; 0 when none completed.
    pub bounded_slowdown_mean: f64,
    /// Work saved (completed work and checkpoints), chip-hours.
    pub useful_chip_hours: f64,
    /// Computed work interruptions threw away, chip-hours.
    pub lost_chip_hours: f64,
    /// Chip-hours allocated to its jobs (tenants only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chip_hours_delivered: Option<f64>,
    /// Its entitlement, normalised over all tenants (tenants only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_entitled: Option<f64>,
    /// Its allocated chip-time over all tenants' allocated chip-time (tenants only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_delivered: Option<f64>,
    /// The run's cost and CO2 in proportion to its allocated chip-hours (tenants
    /// only, with a cost model; idle chips' cost is spread over those who hold chips).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_eur: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub co2_t: Option<f64>,
}

impl TenantSummary {
    pub(super) fn of(g: &GroupStats) -> Self {
        let mut w = g.waits_ms.clone();
        w.sort_unstable();
        let rank = |p: f64| {
            if w.is_empty() {
                return 0.0;
            }
            let r = ((p / 100.0 * w.len() as f64).ceil() as usize).clamp(1, w.len());
            w[r - 1] as f64 / MS_PER_H
        };
        TenantSummary {
            jobs_submitted: g.submitted,
            jobs_rejected: g.rejected,
            jobs_started: g.started,
            jobs_completed: g.completed,
            jobs_killed: g.killed,
            jobs_preempted: g.preempted,
            preemptions: g.preemptions,
            interruptions: g.interruptions,
            wait_mean_h: if w.is_empty() { 0.0 } else { w.iter().map(|&x| x as u128).sum::<u128>() as f64 / w.len() as f64 / MS_PER_H },
            wait_p50_h: rank(50.0),
            wait_p95_h: rank(95.0),
            wait_p99_h: rank(99.0),
            bounded_slowdown_mean: if g.completed > 0 { g.slowdown_sum / g.completed as f64 } else { 0.0 },
            useful_chip_hours: g.useful_chip_ms as f64 / MS_PER_H,
            lost_chip_hours: g.lost_chip_ms as f64 / MS_PER_H,
            chip_hours_delivered: None,
            share_entitled: None,
            share_delivered: None,
            cost_eur: None,
            co2_t: None,
        }
    }
}

/// How the scheduler kept the site.
#[derive(Clone, Debug, Serialize)]
pub struct SchedulerSummary {
    /// The policy: its order, then `+backfill`, `+preemption` (e.g. `fair_share+backfill`).
    pub policy: String,
    /// Time-mean number of queued jobs.
    pub queue_length_mean: f64,
    /// Time-mean share of the site's chips allocated to jobs (frontier jobs'
    /// computing chips and tenant jobs' chips).
    pub allocated: f64,
    /// Time-mean healthy free chips that no waiting job could use (too few on
    /// a shared node, or too few whole nodes), as a share of the site's chips.
    pub fragmented: f64,
    /// Tenant jobs preempted to make a frontier job whole again.
    pub second_order_preemptions: u64,
}

/// Names made unique: a second `x` becomes `x#i`.
fn keyed(names: &[String], items: impl Iterator<Item = TenantSummary>) -> BTreeMap<String, TenantSummary> {
    let mut out = BTreeMap::new();
    for (i, (name, t)) in names.iter().zip(items).enumerate() {
        let key = if out.contains_key(name) { format!("{name}#{i}") } else { name.clone() };
        out.insert(key, t);
    }
    out
}

impl Report {
    pub(super) fn tenant_summaries(&self, cost: Option<&super::CostSummary>) -> BTreeMap<String, TenantSummary> {
        let held = &self.usage.chip_hours;
        let total: f64 = held.iter().sum();
        let all_held = total + self.usage.untenanted_chip_hours;
        let items = self.by_tenant.iter().enumerate().map(|(i, g)| {
            let h = held.get(i).copied().unwrap_or(0.0);
            let part = if all_held > 0.0 { h / all_held } else { 0.0 };
            TenantSummary {
                chip_hours_delivered: Some(h),
                share_entitled: Some(self.shares.get(i).copied().unwrap_or(0.0)),
                share_delivered: Some(if total > 0.0 { h / total } else { 0.0 }),
                cost_eur: cost.map(|c| c.total_eur * part),
                co2_t: cost.map(|c| c.co2_t * part),
                ..TenantSummary::of(g)
            }
        });
        keyed(&self.tenants, items)
    }
    pub(super) fn class_summaries(&self) -> BTreeMap<String, TenantSummary> {
        keyed(&self.groups, self.by_group.iter().map(TenantSummary::of))
    }
    pub(super) fn size_summaries(&self) -> BTreeMap<String, TenantSummary> {
        let names: Vec<String> = SIZE_CLASSES.iter().map(|c| c.1.to_string()).collect();
        keyed(&names, self.by_size.iter().map(TenantSummary::of))
    }
    pub(super) fn scheduler_summary(&self) -> SchedulerSummary {
        let chip_hours = self.chips as f64 * self.horizon_hours();
        SchedulerSummary {
            policy: self.policy.clone(),
            queue_length_mean: self.usage.mean_queue,
            allocated: (self.usage.chip_hours.iter().sum::<f64>() + self.usage.untenanted_chip_hours) / chip_hours,
            fragmented: self.usage.mean_fragmented * self.horizon_hours() / chip_hours,
            second_order_preemptions: self.second_order_preemptions,
        }
    }
}
