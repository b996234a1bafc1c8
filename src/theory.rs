//! Closed forms from checkpointing theory, for marking optima on charts and
//! for checking the simulator (docs/sources.md, S4).

use crate::config::{DurationLaw, Level, Scenario};

/// Young (1974): τ = √(2δM), δ the checkpoint write time, M the MTBF.
pub fn young_interval(delta: f64, m: f64) -> f64 {
    (2.0 * delta * m).sqrt()
}

/// Daly (2006), Eq. 20: τ = √(2δM)·[1 + ⅓√(δ/2M) + (δ/2M)/9] − δ for δ < 2M, else M.
pub fn daly_interval(delta: f64, m: f64) -> f64 {
    if delta >= 2.0 * m {
        return m;
    }
    let x = delta / (2.0 * m);
    (2.0 * delta * m).sqrt() * (1.0 + x.sqrt() / 3.0 + x / 9.0) - delta
}

/// Daly (2006), Eq. 9: expected wall time to do `ts` of work with interval `tau`,
/// write time `delta`, restart `r` and MTBF `m` (all in one unit).
pub fn daly_wall_time(ts: f64, tau: f64, delta: f64, r: f64, m: f64) -> f64 {
    m * (r / m).exp() * (((tau + delta) / m).exp() - 1.0) * ts / tau
}

/// Expected ETTR of a job under Daly's model: work over expected wall time.
pub fn daly_ettr(tau: f64, delta: f64, r: f64, m: f64) -> f64 {
    tau / daly_wall_time(tau, tau, delta, r, m)
}

/// Long-run failure rate (per hour) striking frontier job `j` of a scenario:
/// each class's rate per unit (1/mean) times the units its computing nodes span.
pub fn frontier_failure_rate(s: &Scenario, j: usize) -> f64 {
    let f = &s.facility;
    let cpn = f.chips_per_node.get() as f64;
    let nodes = (s.workload.frontier[j].chips.get() as f64 / cpn).ceil();
    let racks = (nodes / f.nodes_per_rack.get() as f64).ceil();
    let pods = (racks / f.racks_per_pod.get() as f64).ceil();
    s.failure
        .classes
        .iter()
        .map(|c| {
            let units = match c.level {
                Level::Chip => nodes * cpn,
                Level::Node => nodes,
                Level::Rack => racks,
                Level::Pod => pods,
            };
            units / c.ttf.mean_hours()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daly_interval_reproduces_the_figure_captions() {
        // δ = 5 min, R = 10 min: M = 24 h → 117 min, 6 h → 57 min, 15 min → 9.1 min (Daly 2006).
        let d = 5.0;
        assert!((daly_interval(d, 24.0 * 60.0) - 117.0).abs() < 0.5);
        assert!((daly_interval(d, 6.0 * 60.0) - 57.0).abs() < 0.5);
        assert!((daly_interval(d, 15.0) - 9.1).abs() < 0.05);
        assert!((young_interval(1.0, 32.0) - 8.0).abs() < 1e-12);
    }

    #[test]
    fn default_frontier_rate_follows_the_llama3_calibration() {
        // 92,160 chips: chip-level classes 331/(16,384·1,296) per GPU-hour, node-level
        // 88/(2,048·1,296) per node-hour over 23,040 nodes.
        let s = crate::config::default_scenario();
        let want = 92_160.0 * 331.0 / (16_384.0 * 1_296.0) + 23_040.0 * 88.0 / (2_048.0 * 1_296.0);
        assert!((frontier_failure_rate(&s, 0) - want).abs() < 1e-6 * want);
    }
}
