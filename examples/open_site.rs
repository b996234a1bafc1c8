//! The open site (models/scenarios/open-site-100k.ron: a frontier lab on half of the
//! 100k-chip site, academia, industry and start-ups on the rest) under five
//! scheduling set-ups: FCFS, FCFS with EASY backfill, fair share with backfill,
//! then with preemption of the start-ups' jobs (their tenant is preemptible and
//! of the lowest tier), then with the frontier job run without hot spares and
//! recovering from failures by preempting tenants' jobs (second-order preemptions). Per tenant: p95 wait and the gap between
//! delivered and entitled share; each run's files and charts go to
//! gigasim-out/examples/open_site/<set-up>/.
//!
//! cargo run --release --example open_site [-- LOAD]
//!
//! LOAD multiplies every job class's arrivals (default 1.25: above the tenants'
//! chips, so that queues form and the policies differ; at 1.0 the calibrated site
//! keeps up and every wait is near zero).

use gigasim::config::{self, Backfill, FileSystem, Order, Positive, PreemptMode, Preemption, Recovery, Scenario, SchedulerSpec};
use gigasim::{Simulation, output};
use rayon::prelude::*;
use std::path::Path;

fn main() -> anyhow::Result<()> {
    let load: f64 = std::env::args().nth(1).map(|a| a.parse()).transpose()?.unwrap_or(1.25);
    let mut base = config::load_scenario(&FileSystem, Path::new("models/scenarios/open-site-100k.ron"))?;
    for t in &mut base.workload.tenants {
        for c in &mut t.classes {
            c.arrivals_per_hour = Positive::new(c.arrivals_per_hour.get() * load);
        }
    }
    let fair = Order::FairShare {
        half_life_hours: Positive::new(24.0),
        weight_fair_share: config::NonNeg::new(10_000.0),
        weight_age: config::NonNeg::new(1_000.0),
        max_age_hours: Positive::new(168.0),
    };
    let bf = Some(Backfill { max_jobs_tested: 100 });
    let pre = Some(Preemption { max_per_job: 3, mode: PreemptMode::Requeue });
    let spec = |order: &Order, backfill: &Option<Backfill>, preemption: &Option<Preemption>| SchedulerSpec {
        order: order.clone(),
        backfill: backfill.clone(),
        preemption: preemption.clone(),
    };
    // (name, policy, the frontier job's recovery, its hot spares: None keeps the file's)
    let setups: Vec<(&str, SchedulerSpec, Recovery, Option<u32>)> = vec![
        ("fcfs", spec(&Order::Fcfs, &None, &None), Recovery::BorrowFree, None),
        ("fcfs+backfill", spec(&Order::Fcfs, &bf, &None), Recovery::BorrowFree, None),
        ("fair_share+backfill", spec(&fair, &bf, &None), Recovery::BorrowFree, None),
        ("fair_share+backfill+preemption", spec(&fair, &bf, &pre), Recovery::BorrowFree, None),
        ("...no spares, frontier preempts", spec(&fair, &bf, &pre), Recovery::PreemptTenants, Some(0)),
    ];
    let root = Path::new("gigasim-out/examples/open_site");
    let reports: Vec<_> = setups
        .par_iter()
        .map(|(name, sched, recovery, spares)| -> anyhow::Result<_> {
            let mut s: Scenario = base.clone();
            s.workload.scheduler = sched.clone();
            s.workload.frontier[0].recovery = *recovery;
            if let Some(n) = spares {
                s.workload.frontier[0].hot_spare_nodes = *n;
            }
            let r = Simulation::try_new(&s)?.run();
            let dir = root.join(name.trim_start_matches("...").replace([' ', ','], "-"));
            output::replace_run(&r, &dir, true)?;
            Ok((name.to_string(), r.summary()))
        })
        .collect::<anyhow::Result<_>>()?;

    let tenants: Vec<String> =
        reports[0].1.tenants.iter().filter(|(_, t)| t.jobs_submitted > 1).map(|(n, _)| n.clone()).collect::<Vec<_>>();
    println!(
        "Open site, 100k chips, {} days, tenants' arrivals × {load}: p95 wait (h) and delivered − entitled share (points) per tenant",
        base.horizon_days
    );
    print!("  {:<32}", "set-up");
    for t in &tenants {
        print!("{:>22}", t);
    }
    println!("{:>10}{:>10}{:>12}", "queue", "alloc.", "2nd-order");
    for (name, s) in &reports {
        print!("  {name:<32}");
        for t in &tenants {
            let x = &s.tenants[t];
            let gap = 100.0 * (x.share_delivered.unwrap_or(0.0) - x.share_entitled.unwrap_or(0.0));
            print!("{:>12.2} h {:>+6.1} pt", x.wait_p95_h, gap);
        }
        println!(
            "{:>10.0}{:>9.1}%{:>12}",
            s.scheduler.queue_length_mean,
            100.0 * s.scheduler.allocated,
            s.scheduler.second_order_preemptions
        );
    }
    println!(
        "  (frontier-lab holds ~49% of the chips throughout; queue = mean queued jobs; alloc. = chips allocated; 2nd-order = tenant jobs the frontier job preempted)"
    );
    println!("  files and charts: {}/<set-up>/ (tenant_shares, tenant_waits, queue among the charts)", root.display());
    Ok(())
}
