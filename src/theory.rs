//! Closed forms from checkpointing theory, for marking optima on charts and
//! for checking the simulator (docs/sources.md, S4).
//!
//! [`young_interval`] and [`daly_interval`] give the checkpoint interval that
//! minimises expected wall time, [`daly_ettr`] the ETTR a job then keeps, and
//! [`frontier_failure_rate`] the failure rate (and so the MTBF) a scenario's failure
//! model gives a frontier job. All take one time unit throughout; the result is in it.
//!
//! Numbers to check by hand: a 1-minute checkpoint write and a 32-minute MTBF.
//!
//! ```
//! use gigasim::theory::{daly_ettr, daly_interval, young_interval};
//!
//! let (write, mtbf, restart) = (1.0, 32.0, 5.0); // minutes
//! // Young: τ = √(2δM) = √64 = 8 min.
//! assert_eq!(young_interval(write, mtbf), 8.0);
//! // Daly: with x = δ/2M = 1/64, τ = √(2δM)·(1 + √x/3 + x/9) − δ = 8·(1 + 1/24 + 1/576) − 1 ≈ 7.347 min.
//! assert!((daly_interval(write, mtbf) - 7.3472).abs() < 1e-4);
//! // At Daly's optimum the job keeps more of its time than at half or twice the interval.
//! let tau = daly_interval(write, mtbf);
//! let best = daly_ettr(tau, write, restart, mtbf);
//! assert!(best > daly_ettr(tau / 2.0, write, restart, mtbf) && best > daly_ettr(2.0 * tau, write, restart, mtbf));
//! assert!((best - 0.659).abs() < 1e-3, "{best}");
//! ```
//!
//! The same for the default site's 92,160-chip frontier job, from its failure model:
//!
//! ```
//! use gigasim::{config, theory};
//!
//! let s = config::default_scenario();
//! let mtbf_min = 60.0 / theory::frontier_failure_rate(&s, 0);
//! assert!((mtbf_min - 27.3).abs() < 0.05, "{mtbf_min}"); // 2.2 failures an hour
//! // Young's interval for a 1-minute write: √(2 × 1 × 27.3) ≈ 7.4 min.
//! assert!((theory::young_interval(1.0, mtbf_min) - 7.39).abs() < 0.01);
//! ```

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

/// Chips per node, and the nodes, racks and pods frontier job `j`'s computing chips span.
fn spans(s: &Scenario, j: usize) -> (f64, f64, f64, f64) {
    let f = &s.facility;
    let cpn = f.chips_per_node.get() as f64;
    let nodes = (s.workload.frontier[j].chips.get() as f64 / cpn).ceil();
    let racks = (nodes / f.nodes_per_rack.get() as f64).ceil();
    let pods = (racks / f.racks_per_pod.get() as f64).ceil();
    (cpn, nodes, racks, pods)
}

/// Long-run rate (per hour) of the failures that cost frontier job `j` work: each
/// class's rate per unit (1/mean) times the units its computing nodes span, chip and
/// node classes weighed up for the share of lemon nodes; a fault storm (a `burst`
/// class) counts once per storm; planned maintenance, which loses no work, not at all.
pub fn frontier_failure_rate(s: &Scenario, j: usize) -> f64 {
    let (cpn, nodes, racks, pods) = spans(s, j);
    let lemon = s.failure.lemons.as_ref().map_or(1.0, |l| 1.0 + l.fraction_of_nodes.get() * (l.rate_factor.get() - 1.0));
    s.failure
        .classes
        .iter()
        .filter(|c| !c.planned)
        .map(|c| {
            let units = match c.level {
                _ if c.burst.is_some() => 1.0,
                Level::Chip => nodes * cpn * lemon,
                Level::Node => nodes * lemon,
                Level::Rack => racks,
                Level::Pod => pods,
            };
            units / c.ttf.mean_hours()
        })
        .sum()
}

/// Long-run rate (per hour) of the failures that defeat frontier job `j`'s in-memory
/// checkpoint level: those that take more nodes of one group (neighbouring node ids)
/// than it tolerates at once: rack and pod outages when the group lies in one, node
/// failures when it tolerates none, and fault storms (once per storm: they strike
/// many nodes at once). Two separate node failures in one group between refreshes
/// are second order and left out; planned maintenance saves first. 0 without a memory level.
pub fn frontier_memory_loss_rate(s: &Scenario, j: usize) -> f64 {
    let Some(m) = s.workload.frontier[j].checkpoint.as_ref().and_then(|c| c.memory) else { return 0.0 };
    let f = &s.facility;
    let (_, nodes, racks, pods) = spans(s, j);
    let npr = f.nodes_per_rack.get() as f64;
    let (g, t) = (m.group_nodes as f64, m.tolerates as f64);
    s.failure
        .classes
        .iter()
        .filter(|c| !c.planned)
        .map(|c| {
            let units = match c.level {
                _ if c.burst.is_some() => 1.0,
                Level::Chip => 0.0,
                Level::Node if t == 0.0 => nodes,
                Level::Node => 0.0,
                Level::Rack if g.min(npr) > t => racks,
                Level::Pod if g.min(npr * f.racks_per_pod.get() as f64) > t => pods,
                Level::Rack | Level::Pod => 0.0,
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
