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
    /// Steps of the draw (at instants IT draw moved by 1 MW or more) larger than
    /// the per-minute limit, and than the per-second limit: each breaks it at once.
    pub ramp_violations: u64,
    pub ramp_violations_per_s: u64,
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

impl Report {
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
        if let Some(b) = &self.battery {
            return self.grid_behind(b);
        }
        let p = &self.power;
        let g = self.grid_spec.clone().unwrap_or_default();
        let worst = |i: usize| p.ramps.fall_w[i].max(p.ramps.rise_w[i]) / 1e6;
        let steps_over =
            |limit: Option<f64>| limit.map_or(0, |l| p.falls.iter().chain(&p.rises).filter(|s| s.0 / 1e6 > l).map(|s| s.1).sum::<u64>());
        let (per_min, per_s) = (g.ramp_mw_per_min.map(|x| x.get()), g.ramp_mw_per_s.map(|x| x.get()));
        let b = &p.beyond;
        GridSummary {
            energy_mwh: p.energy_wh / 1e6,
            mean_mw: self.facility_mean_w() / 1e6,
            peak_mw: p.peak_w / 1e6,
            min_mw: p.min_w / 1e6,
            max_drop_mw: p.max_drop_w / 1e6,
            worst_ramp_mw_per_s: worst(0),
            worst_ramp_mw_per_min: worst(1),
            worst_ramp_mw_per_15min: worst(2),
            ramp_limit_mw_per_min: per_min,
            ramp_limit_mw_per_s: per_s,
            cap_mw: g.cap_mw.map(|x| x.get()),
            floor_mw: g.floor_mw.map(|x| x.get()),
            ramp_violations: steps_over(per_min),
            ramp_violations_per_s: steps_over(per_s),
            hours_above_cap: b.above_ms as f64 / 3.6e6,
            energy_above_cap_mwh: b.above_wms / 3.6e9 / 1e3,
            hours_below_floor: b.below_ms as f64 / 3.6e6,
            energy_below_floor_mwh: b.below_wms / 3.6e9 / 1e3,
        }
    }
}

impl Report {
    /// The grid block when a battery sits between the facility and the grid.
    fn grid_behind(&self, b: &crate::sim::power::battery::Battery) -> GridSummary {
        let g = self.grid_spec.clone().unwrap_or_default();
        let (per_min, per_s) = (g.ramp_mw_per_min.map(|x| x.get()), g.ramp_mw_per_s.map(|x| x.get()));
        let worst = |i: usize| b.ramps[i].worst_fall.max(b.ramps[i].worst_rise) / 1e6;
        let mwh = b.grid_wms / 3.6e12;
        let beyond = &b.beyond;
        GridSummary {
            energy_mwh: mwh,
            mean_mw: mwh / self.horizon_hours(),
            peak_mw: b.peak_w / 1e6,
            min_mw: b.min_w / 1e6,
            max_drop_mw: b.largest_fall_w / 1e6,
            worst_ramp_mw_per_s: worst(0),
            worst_ramp_mw_per_min: worst(1),
            worst_ramp_mw_per_15min: worst(2),
            ramp_limit_mw_per_min: per_min,
            ramp_limit_mw_per_s: per_s,
            cap_mw: g.cap_mw.map(|x| x.get()),
            floor_mw: g.floor_mw.map(|x| x.get()),
            ramp_violations: per_min.map_or(0, |l| b.steps_over(l * 1e6)),
            ramp_violations_per_s: per_s.map_or(0, |l| b.steps_over(l * 1e6)),
            hours_above_cap: beyond.above_ms as f64 / 3.6e6,
            energy_above_cap_mwh: beyond.above_wms / 3.6e9 / 1e3,
            hours_below_floor: beyond.below_ms as f64 / 3.6e6,
            energy_below_floor_mwh: beyond.below_wms / 3.6e9 / 1e3,
        }
    }
}
