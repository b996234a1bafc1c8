//! The default 100k-chip site (180 days) as its repair gets more realistic: with
//! lemon nodes (1.2% of nodes failing 10× as often), without and with a policy
//! that retires them, and with one, two and three repair stages (a crew only;
//! automatic remediation then a crew; then a vendor return, with crews that
//! misdiagnose one fault in ten). A table of frontier ETTR, goodput, failures a
//! day, misdiagnoses, crew use and waits, and the cold spares a swap drew on at
//! the worst moment (stock that must be there so a swap never waits), each the
//! mean of 3 seeds with its 95% interval; each set-up's files and charts (seed 1)
//! go to gigasim-out/examples/lemons_and_repair/<set-up>/.
//!
//! cargo run --release --example lemons_and_repair

use gigasim::config::{self, AtLeastOne, Count, Escalation, Law, Lemons, Positive, Prob, Retirement, Scenario};
use gigasim::report::Summary;
use gigasim::{Simulation, output};
use rayon::prelude::*;
use std::path::Path;

/// 1.2% of nodes (Meta's RSC-1 share, docs/sources.md S2) failing 10 times as often (assumption).
fn lemons(s: &mut Scenario) {
    s.failure.lemons = Some(Lemons { fraction_of_nodes: Prob::new(0.012), rate_factor: AtLeastOne::new(10.0) });
}

/// Three failures within a week retire a node; its replacement takes a median 2 days.
fn retire(s: &mut Scenario) {
    s.failure.retirement = Some(Retirement {
        failures: Count::new(3),
        window_hours: Positive::new(168.0),
        replace: Law::LogNormal { median_hours: Positive::new(48.0), sigma: config::NonNeg::new(0.5) },
    });
}

/// Escalation as models/failure/rsc-1.ron (docs/sources.md S13), with crews that
/// clear every fault they touch (two stages) or nine in ten (three stages).
fn stages(crew_success: f64) -> impl Fn(&mut Scenario) {
    move |s: &mut Scenario| {
        s.failure.repair.escalation = Some(Escalation {
            auto: Law::LogNormal { median_hours: Positive::new(0.25), sigma: config::NonNeg::new(0.5) },
            auto_success: Prob::new(0.585),
            crew_success: Prob::new(crew_success),
            rma_lead: Law::LogNormal { median_hours: Positive::new(96.0), sigma: config::NonNeg::new(0.5) },
            window_hours: Positive::new(72.0),
            refail: Law::exponential_mean(12.0),
        });
    }
}

type Setup = Box<dyn Fn(&mut Scenario) + Sync>;

/// Mean and half-width of its Student-t 95% interval.
fn mean_ci(xs: &[f64]) -> (f64, f64) {
    let p = gigasim::sweep::point_stats(xs);
    (p.mean, (p.ci_hi - p.ci_lo) / 2.0)
}

fn main() -> anyhow::Result<()> {
    let base = config::default_scenario();
    let setups: Vec<(&str, Vec<Setup>)> = vec![
        ("1 stage, no lemons", vec![]),
        ("1 stage, lemons", vec![Box::new(lemons)]),
        ("1 stage, lemons retired", vec![Box::new(lemons), Box::new(retire)]),
        ("2 stages, lemons retired", vec![Box::new(lemons), Box::new(retire), Box::new(stages(1.0))]),
        ("3 stages, lemons retired", vec![Box::new(lemons), Box::new(retire), Box::new(stages(0.9))]),
        ("3 stages, lemons kept", vec![Box::new(lemons), Box::new(stages(0.9))]),
    ];
    let seeds = [1u64, 2, 3];
    let root = Path::new("gigasim-out/examples/lemons_and_repair");
    let jobs: Vec<(usize, u64)> = (0..setups.len()).flat_map(|i| seeds.iter().map(move |&s| (i, s))).collect();
    let runs: Vec<(usize, Summary)> = jobs
        .par_iter()
        .map(|&(i, seed)| -> anyhow::Result<_> {
            let mut s = base.clone();
            s.seed = seed;
            for change in &setups[i].1 {
                change(&mut s);
            }
            let r = Simulation::try_new(&s)?.run();
            if seed == 1 {
                let slug: Vec<String> =
                    setups[i].0.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
                let dir = root.join(slug.join("-"));
                output::replace_run(&r, &dir, true)?;
            }
            Ok((i, r.summary()))
        })
        .collect::<anyhow::Result<_>>()?;

    println!("Lemons and repair stages on the default 100k-chip site, 180 days; mean of 3 seeds ± 95% interval");
    println!(
        "  {:<26} {:>15} {:>15} {:>12} {:>13} {:>15} {:>10} {:>12} {:>12}",
        "set-up", "frontier ETTR", "goodput", "failures/day", "misdiagnosed", "lemons retired", "crews busy", "crew wait", "spares used"
    );
    for (i, (name, _)) in setups.iter().enumerate() {
        let of = |f: &dyn Fn(&Summary) -> f64| mean_ci(&runs.iter().filter(|r| r.0 == i).map(|r| f(&r.1)).collect::<Vec<_>>());
        let ettr = of(&|s| s.ettr);
        let goodput = of(&|s| s.goodput);
        let per_day = of(&|s| s.failures.total as f64 / s.horizon_days);
        let misdiagnosed = of(&|s| s.repair.misdiagnosed as f64);
        let retired = of(&|s| s.repair.lemons_retired as f64);
        let busy = of(&|s| s.repair.crew_utilization);
        let wait = of(&|s| s.repair.mean_wait_for_crew_h * 60.0);
        let used = of(&|s| (s.repair.spares_initial - s.repair.spares_min) as f64);
        println!(
            "  {name:<26} {:>7.3} ± {:.3} {:>7.3} ± {:.3} {:>7.1} ± {:<3.1} {:>7.0} ± {:<4.0} {:>9.1} ± {:<3.1} {:>8.1}% {:>6.2} min {:>6.0} ± {:<4.0}",
            ettr.0,
            ettr.1,
            goodput.0,
            goodput.1,
            per_day.0,
            per_day.1,
            misdiagnosed.0,
            misdiagnosed.1,
            retired.0,
            retired.1,
            100.0 * busy.0,
            wait.0,
            used.0,
            used.1
        );
    }
    println!(
        "  spares used: the most cold spare nodes out of stock at once (of {} in stock at the start)",
        base.failure.repair.spare_nodes
    );
    println!("  files and charts of seed 1 in {}", root.display());
    Ok(())
}
