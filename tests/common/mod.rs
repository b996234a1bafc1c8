//! Small scenarios written in RON for the tests.
#![allow(dead_code)]
pub mod ckpt_chain;

use gigasim::config::{DurationLaw, Scenario, parse_ron};
use gigasim::engine::SimRng;

/// A scenario from RON text (all models inline), panicking with the parse error.
pub fn scenario(ron: &str) -> Scenario {
    parse_ron::<Scenario>("test scenario", ron).unwrap_or_else(|e| panic!("{e}"))
}

pub struct Site {
    pub chips_per_node: u32,
    pub nodes_per_rack: u32,
    pub racks_per_pod: u32,
    pub pods: u32,
}

/// One frontier job on every chip of the site, no spares, no tenants.
pub struct OneJob {
    pub site: Site,
    pub classes: String,
    pub work_hours: f64,
    pub interval_hours: f64,
    pub write_hours: f64,
    pub restart_hours: f64,
    pub horizon_days: f64,
    pub seed: u64,
}

pub fn power_ron() -> &'static str {
    "(name: \"p\", chip_watts: (idle: 100.0, busy: 700.0, checkpoint: 200.0, restart: 300.0, down: 0.0),
      node_overhead_watts: 2000.0, rack_overhead_watts: 1000.0, pue: 1.25)"
}

impl OneJob {
    pub fn ron(&self) -> String {
        let s = &self.site;
        let chips = s.chips_per_node * s.nodes_per_rack * s.racks_per_pod * s.pods;
        format!(
            "(name: \"one-job\", horizon_days: {h}, seed: {seed}, power_bin_minutes: 60.0,
              facility: (name: \"f\", chip: \"x\", chips_per_node: {cpn}, nodes_per_rack: {npr}, racks_per_pod: {rpp}, pods: {pods}),
              failure: (name: \"f\", classes: [{classes}], repair: (crews: 4, spare_nodes: 0, swap: Fixed(hours: 1.0))),
              power: {power},
              workload: (name: \"w\", tenants: [], frontier: [(name: \"job\", chips: {chips}, work_hours: {work},
                  checkpoint: Some((interval_hours: {tau}, write_hours: {delta}, at_end: true)),
                  restart_hours: {r}, hot_spare_nodes: 0, recovery: WaitForRepair)]))",
            h = self.horizon_days,
            seed = self.seed,
            cpn = s.chips_per_node,
            npr = s.nodes_per_rack,
            rpp = s.racks_per_pod,
            pods = s.pods,
            classes = self.classes,
            power = power_ron(),
            work = self.work_hours,
            tau = self.interval_hours,
            delta = self.write_hours,
            r = self.restart_hours,
        )
    }
    pub fn scenario(&self) -> Scenario {
        scenario(&self.ron())
    }
}

/// Mean and standard error of a sample.
pub fn mean_se(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, (var / n).sqrt())
}

/// A law defined outside gigasim: a unit fails exactly `every` hours after it is (back) up.
#[derive(Debug)]
pub struct Clockwork {
    pub every: f64,
}

impl DurationLaw for Clockwork {
    fn sample_hours(&self, _: &mut SimRng) -> f64 {
        self.every
    }
    fn mean_hours(&self) -> f64 {
        self.every
    }
}

/// Erlang C: probability an arrival waits in M/M/c with offered load a = λ/μ,
/// through the Erlang B recursion B(k) = a·B(k−1) / (k + a·B(k−1)), stable for any c.
pub fn erlang_c(c: u32, a: f64) -> f64 {
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (k as f64 + a * b);
    }
    c as f64 * b / (c as f64 - a * (1.0 - b))
}

/// A source emitting a fixed list of (arrival hour, request) jobs.
pub struct Listed {
    pub jobs: Vec<(f64, gigasim::sim::JobRequest)>,
}
impl gigasim::sim::JobSource for Listed {
    fn name(&self) -> &str {
        "listed"
    }
    fn next(&mut self, now: f64, _: &mut SimRng) -> Option<(f64, gigasim::sim::JobRequest)> {
        if self.jobs.is_empty() {
            return None;
        }
        let (t, r) = self.jobs.remove(0);
        Some((t - now, r))
    }
}
