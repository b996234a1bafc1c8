//! Job mean time to failure against job size on Meta's RSC-1 model
//! (models/failure/rsc-1.ron), from 8 to 131,072 GPUs, simulated with 95%
//! intervals, beside the projection 1 / (N_nodes × r_f) from the node rate of
//! 6.50 failures per 1,000 node-days and the MTTFs Meta observed (47.7 days at
//! 8 GPUs, 7.9 h at 1,024, about 10 h at about 4k; docs/sources.md S2).
//!
//! The node rate alone projects 154 days and 28.8 h where Meta saw 47.7 days and
//! 7.9 h. The columns add the modelled mechanisms one at a time:
//! - “node rate only”: the projection, simulated (a check of the simulator);
//! - “+ misdiagnosis”: repair escalates from automatic remediation to a crew to a
//!   vendor, and a misdiagnosed node fails again (S13);
//! - “+ lemons”: 1.2% of nodes failing 226× as often (the share from S2, the factor
//!   fitted to "removing the lemons cut 512+ GPU job failures from 14% to 4%", S13);
//! - “+ retirement”: the lemons found and replaced (3 failures in a week);
//! - “full RSC-1”: retirement, plus a quarterly fault storm and rolling planned
//!   maintenance (assumptions, S13);
//! - “lemons in service” (closed form): the MTTF if every job held its share of
//!   lemons all the time, 1 / (nodes × r_f × 3.70).
//!
//! Each size runs as many jobs as fit on a site of at least 2,000 nodes, for 180
//! days, with RSC-1's crews and spares scaled to the site (2 crews and 20 spare
//! nodes per 2,000 nodes), placed two ways (two tables):
//! - with hot spares (one node per 50): a failed node, once repaired, becomes the
//!   job's spare, so a lemon sits out until the job's next failure;
//! - re-placed: no hot spares; a job short of a node takes the node freed last, as a
//!   scheduler that does not shun repaired nodes does, so lemons keep being used.
//!
//! The MTTF is wall time over interruptions, summed over the jobs, with an interval
//! from the spread between jobs (a single job: the Poisson interval of its count).
//!
//! cargo run --release --example rsc_mttf

use gigasim::Simulation;
use gigasim::config::{self, Count, Facility, FrontierJob, Positive, Recovery, Scenario, Workload};
use gigasim::sim::Detail;
use rayon::prelude::*;

const NODE_RATE_PER_DAY: f64 = 6.50 / 1000.0;
/// A job's rate with its share of lemons, over the rate without: 0.988 + 0.012 × 226 (S13).
const LEMON_FACTOR: f64 = 0.988 + 0.012 * 226.0;

fn site(nodes: u32) -> Facility {
    // 8-GPU nodes, 4 to a rack, 25 racks to a pod, like models/facility/hgx-h100.ron.
    let pods = nodes.div_ceil(100);
    Facility {
        name: format!("RSC-1-like, {} nodes", pods * 100),
        chip: "NVIDIA A100".into(),
        chips_per_node: Count::new(8),
        nodes_per_rack: Count::new(4),
        racks_per_pod: Count::new(25),
        pods: Count::new(pods),
        commissioning: None,
        storage: None,
    }
}

/// The failure model of each column, from models/failure/rsc-1.ron, with crews and
/// spares scaled to a site of `nodes` nodes.
fn model(column: usize, nodes: u32) -> anyhow::Result<config::FailureModel> {
    let mut m: config::FailureModel = config::parse_ron("models/failure/rsc-1.ron", include_str!("../models/failure/rsc-1.ron"))?;
    // Detection (the 5-minute health check) stays in every column: it is part of each restart.
    if column < 4 {
        m.classes.retain(|c| c.name == "Node failure");
    }
    if column == 0 {
        m.repair.escalation = None;
    }
    if column < 2 {
        m.lemons = None;
    }
    if column < 3 {
        m.retirement = None;
    }
    m.repair.crews = Count::new(2 * nodes.div_ceil(2000));
    m.repair.spare_nodes = 20 * nodes.div_ceil(2000);
    Ok(m)
}

/// `count` frontier jobs of `gpus` GPUs each, every one with its hot spares, borrowing free nodes when short.
fn scenario(gpus: u32, column: usize, hot_spares: bool, seed: u64) -> anyhow::Result<Scenario> {
    let mut s = config::default_scenario();
    let nodes = gpus.div_ceil(8);
    let spares = if hot_spares { nodes.div_ceil(50) } else { 0 };
    let total = (nodes + spares).max(2000) * 21 / 20;
    let count = ((total * 19 / 20) / (nodes + spares)).max(1);
    s.name = format!("rsc-1 mttf, {gpus} GPUs");
    s.facility = site(total);
    s.failure = model(column, total)?;
    s.workload = Workload {
        name: "jobs".into(),
        tenants: Vec::new(),
        frontier: (0..count)
            .map(|i| FrontierJob {
                name: format!("job{i}"),
                tenant: None,
                chips: Count::new(gpus),
                work_hours: Positive::new(1e9),
                checkpoint: None,
                restart_hours: config::NonNeg::new(0.0),
                hot_spare_nodes: spares,
                recovery: Recovery::BorrowFree,
                host_selection_hours: config::NonNeg::new(0.0),
                elastic: None,
            })
            .collect(),
        scheduler: Default::default(),
        trace: None,
        default_tenant: None,
    };
    s.cost = None;
    s.seed = seed;
    s.horizon_days = Positive::new(180.0);
    Ok(s)
}

/// MTTF in hours and the half-width of its 95% interval, from each job's (wall hours, interruptions).
fn mttf(jobs: &[(f64, f64)]) -> (f64, f64) {
    let (w, i): (f64, f64) = jobs.iter().fold((0.0, 0.0), |a, j| (a.0 + j.0, a.1 + j.1));
    let r = w / i.max(1.0);
    let n = jobs.len() as f64;
    let se = if n >= 10.0 {
        // Ratio estimator: the spread of w_j − r·i_j between jobs.
        (jobs.iter().map(|j| (j.0 - r * j.1).powi(2)).sum::<f64>() * n / (n - 1.0)).sqrt() / i.max(1.0)
    } else {
        r / i.max(1.0).sqrt()
    };
    (r, 1.96 * se)
}

fn fmt_h(h: f64) -> String {
    if h >= 48.0 {
        format!("{:.1} d", h / 24.0)
    } else if h >= 1.0 {
        format!("{h:.2} h")
    } else {
        format!("{:.1} min", h * 60.0)
    }
}

fn main() -> anyhow::Result<()> {
    let sizes = [8u32, 64, 512, 1024, 4096, 16384, 131072];
    let columns = ["node rate only", "+ misdiagnosis", "+ lemons", "+ retirement", "full RSC-1"];
    let observed = |g: u32| match g {
        8 => "47.7 d",
        1024 => "7.9 h",
        4096 => "~10 h",
        _ => "",
    };
    for (hot_spares, placement) in [(true, "with hot spares"), (false, "re-placed on the node freed last")] {
        let cells: Vec<(usize, usize)> = (0..sizes.len()).flat_map(|i| (0..columns.len()).map(move |c| (i, c))).collect();
        type Cell = ((usize, usize), (f64, f64, usize));
        let results: Vec<Cell> = cells
            .par_iter()
            .map(|&(i, c)| -> anyhow::Result<_> {
                let s = scenario(sizes[i], c, hot_spares, 1)?;
                let r = Simulation::builder(&s).detail(Detail::Summary).try_build()?.run();
                let jobs: Vec<(f64, f64)> = r.frontier.iter().map(|f| (f.wall_hours, f.interruptions as f64)).collect();
                let (m, ci) = mttf(&jobs);
                Ok(((i, c), (m, ci, jobs.len())))
            })
            .collect::<anyhow::Result<_>>()?;
        println!("Job MTTF against size on Meta's RSC-1 model (models/failure/rsc-1.ron), 180 days, 95% intervals; jobs {placement}");
        print!("  {:>7} {:>5} {:>10} {:>8}", "GPUs", "jobs", "projection", "observed");
        for c in columns {
            print!(" {c:>19}");
        }
        println!(" {:>17}", "lemons in service");
        for (i, &g) in sizes.iter().enumerate() {
            let nodes = g.div_ceil(8) as f64;
            let projection = 24.0 / (nodes * NODE_RATE_PER_DAY);
            let jobs = results.iter().find(|r| r.0 == (i, 0)).map_or(0, |r| r.1.2);
            print!("  {g:>7} {jobs:>5} {:>10} {:>8}", fmt_h(projection), observed(g));
            for c in 0..columns.len() {
                let (m, ci, _) = results.iter().find(|r| r.0 == (i, c)).expect("every cell ran").1;
                print!(" {:>19}", format!("{} ± {}", fmt_h(m), fmt_h(ci)));
            }
            println!(" {:>17}", fmt_h(projection / LEMON_FACTOR));
        }
        println!();
    }
    println!("  projection: 1 / (nodes × 6.50 per 1,000 node-days); observed: Meta, docs/sources.md S2;");
    println!("  lemons in service: the projection over {LEMON_FACTOR:.2}, as if every job held its share of lemons all the time");
    Ok(())
}
