//! The site's draw as the grid sees it (facility draw, or the draw behind a
//! site battery) against the limits of the grid connection, and the battery.

use super::Report;
use serde::Serialize;

/// The `grid` block of `summary.json`.
#[derive(Clone, Debug, Serialize)]
pub struct GridSummary {
    pub energy_mwh: f64,
    pub mean_mw: f64,
    pub peak_mw: f64,
    pub min_mw: f64,
    /// Largest fall at one instant.
    pub max_drop_mw: f64,
    /// Largest change (fall or rise) within any 1 s, 1 min and 15 min window, exact.
    pub worst_ramp_mw_per_s: f64,
    pub worst_ramp_mw_per_min: f64,
    pub worst_ramp_mw_per_15min: f64,
    /// The limits (`null` where the scenario sets none).
    pub ramp_limit_mw_per_min: Option<f64>,
    pub ramp_limit_mw_per_s: Option<f64>,
    pub cap_mw: Option<f64>,
    pub floor_mw: Option<f64>,
    /// Episodes of the draw moving one way (steps and ramps, no pause as long as
    /// the window between them) that change it by more than the per-minute limit
    /// within a minute, and by more than the per-second limit within a second. For
    /// a draw that only steps, its steps larger than the limit, but steps the same
    /// way within a window add up.
    pub ramp_violations: u64,
    pub ramp_violations_per_s: u64,
    /// Time the change over the last minute (second) was beyond the limit, hours.
    pub ramp_violation_hours: f64,
    pub ramp_violation_hours_per_s: f64,
    /// Time and energy above the cap and below the floor.
    pub hours_above_cap: f64,
    pub energy_above_cap_mwh: f64,
    pub hours_below_floor: f64,
    pub energy_below_floor_mwh: f64,
}

/// The `battery` block of `summary.json`.
#[derive(Clone, Debug, Serialize)]
pub struct BatterySummary {
    pub capacity_mwh: f64,
    pub stored_start_mwh: f64,
    pub stored_end_mwh: f64,
    /// Energy in and out at its terminals, and lost on the way (round trip).
    pub charged_mwh: f64,
    pub discharged_mwh: f64,
    pub losses_mwh: f64,
    /// Full-cycle equivalents: energy discharged over capacity.
    pub cycles: f64,
    /// Times it could not cover the difference and the grid stepped, and the largest step.
    pub grid_steps: u64,
    pub largest_grid_step_mw: f64,
}

/// The `throttle` block of `summary.json`: a facility cap the site enforces.
#[derive(Clone, Debug, Serialize)]
pub struct ThrottleSummary {
    pub cap_mw: f64,
    /// The chip's curve: throughput = (power share)^alpha, down to its least share.
    pub alpha: f64,
    pub min_fraction_of_busy: f64,
    /// Time the cap throttled busy chips, and the lowest share of busy watts they got.
    pub hours_throttled: f64,
    pub lowest_power_share: f64,
    /// Busy chip-hours the slowdown took (computing at share^alpha of full speed),
    /// and their share of all busy chip-time.
    pub throughput_lost_chip_hours: f64,
    pub throughput_lost_fraction: f64,
    /// Facility energy the throttled chips did not draw.
    pub energy_shed_mwh: f64,
}

impl Report {
    pub(super) fn throttle_summary(&self) -> Option<ThrottleSummary> {
        let c = self.cap.as_ref()?;
        let g = self.grid_spec.as_ref()?;
        let busy_ms = self.chip_ms_by_state[crate::sim::power::ChipState::Busy as usize] as f64;
        Some(ThrottleSummary {
            cap_mw: g.cap_mw.map_or(f64::INFINITY, |x| x.get()),
            alpha: c.alpha,
            min_fraction_of_busy: c.min_share,
            hours_throttled: c.throttled_ms as f64 / 3.6e6,
            lowest_power_share: c.min_share_seen,
            throughput_lost_chip_hours: c.lost_chip_ms / 3.6e6,
            throughput_lost_fraction: if busy_ms > 0.0 { c.lost_chip_ms / busy_ms } else { 0.0 },
            energy_shed_mwh: c.shed_wms * self.pue / 3.6e12,
        })
    }

    pub(super) fn battery_summary(&self) -> Option<BatterySummary> {
        let b = self.battery.as_ref()?;
        let cap = b.spec().capacity_wh;
        Some(BatterySummary {
            capacity_mwh: cap / 1e6,
            stored_start_mwh: b.stored_start_wh / 1e6,
            stored_end_mwh: b.stored_wh / 1e6,
            charged_mwh: b.charged_wh / 1e6,
            discharged_mwh: b.discharged_wh / 1e6,
            losses_mwh: b.losses_wh() / 1e6,
            cycles: if cap > 0.0 { b.discharged_wh / cap } else { 0.0 },
            grid_steps: b.steps,
            largest_grid_step_mw: b.largest_step_w / 1e6,
        })
    }

    pub(super) fn grid_summary(&self) -> GridSummary {
        match &self.battery {
            // Behind a battery the grid's piecewise-linear draw, as the battery integrated it.
            Some(b) => {
                let energy_mwh = b.grid_wms / 3.6e12;
                self.grid_block(Draw {
                    energy_mwh,
                    mean_mw: energy_mwh / self.horizon_hours(),
                    peak_w: b.peak_w,
                    min_w: b.min_w,
                    max_drop_w: b.largest_fall_w,
                    worst_w: std::array::from_fn(|i| b.ramps[i].worst_fall.max(b.ramps[i].worst_rise)),
                    beyond: &b.beyond,
                    violations: Some(b.violations.each_ref().map(|v| (v.count, v.over_ms))),
                })
            }
            None => {
                let p = &self.power;
                self.grid_block(Draw {
                    energy_mwh: p.energy_wh / 1e6,
                    mean_mw: self.facility_mean_w() / 1e6,
                    peak_w: p.peak_w,
                    min_w: p.min_w,
                    max_drop_w: p.max_drop_w,
                    worst_w: std::array::from_fn(|i| p.ramps.fall_w[i].max(p.ramps.rise_w[i])),
                    beyond: &p.beyond,
                    violations: p.violations,
                })
            }
        }
    }

    /// The grid block from one draw's figures and the scenario's limits.
    fn grid_block(&self, d: Draw) -> GridSummary {
        let g = self.grid_spec.clone().unwrap_or_default();
        let (per_min, per_s) = (g.ramp_mw_per_min.map(|x| x.get()), g.ramp_mw_per_s.map(|x| x.get()));
        let violations = |limit_mw: Option<f64>, i: usize| limit_mw.and(d.violations).map_or((0, 0.0), |v| v[i]);
        let b = d.beyond;
        GridSummary {
            energy_mwh: d.energy_mwh,
            mean_mw: d.mean_mw,
            peak_mw: d.peak_w / 1e6,
            min_mw: d.min_w / 1e6,
            max_drop_mw: d.max_drop_w / 1e6,
            worst_ramp_mw_per_s: d.worst_w[0] / 1e6,
            worst_ramp_mw_per_min: d.worst_w[1] / 1e6,
            worst_ramp_mw_per_15min: d.worst_w[2] / 1e6,
            ramp_limit_mw_per_min: per_min,
            ramp_limit_mw_per_s: per_s,
            cap_mw: g.cap_mw.map(|x| x.get()),
            floor_mw: g.floor_mw.map(|x| x.get()),
            ramp_violations: violations(per_min, 0).0,
            ramp_violations_per_s: violations(per_s, 1).0,
            ramp_violation_hours: violations(per_min, 0).1 / 3.6e6,
            ramp_violation_hours_per_s: violations(per_s, 1).1 / 3.6e6,
            hours_above_cap: b.above_ms as f64 / 3.6e6,
            energy_above_cap_mwh: b.above_wms / 3.6e9 / 1e3,
            hours_below_floor: b.below_ms as f64 / 3.6e6,
            energy_below_floor_mwh: b.below_wms / 3.6e9 / 1e3,
        }
    }
}

/// What the grid block needs of a draw: energy and mean (MWh, MW), extremes, the
/// largest fall and worst ramps over 1 s, 1 min, 15 min (W), time and energy beyond
/// the limits, and how many of its steps exceed a size in MW.
struct Draw<'a> {
    energy_mwh: f64,
    mean_mw: f64,
    peak_w: f64,
    min_w: f64,
    max_drop_w: f64,
    worst_w: [f64; 3],
    beyond: &'a crate::sim::power::Beyond,
    /// Violations of the per-minute and per-second limits, counted as the draw went
    /// (`None` without limits).
    violations: Option<[(u64, f64); 2]>,
}
