//! Trace replay: the shipped Philly excerpt runs to the end on the default
//! site, and each tenant's allocated chip-time is exactly its useful plus lost work.
use gigasim::Simulation;
use gigasim::config::{TraceSpec, apply_sets, default_scenario};

fn replay(days: f64) -> (gigasim::Report, Vec<Vec<String>>) {
    let mut s = apply_sets(&default_scenario(), &[format!("horizon_days={days}")]).unwrap();
    s.workload.trace = Some(TraceSpec::new(concat!(env!("CARGO_MANIFEST_DIR"), "/models/traces/philly-excerpt.csv")));
    let r = Simulation::new(&s).run();
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/models/traces/philly-excerpt.csv")).unwrap();
    let rows = text.lines().filter(|l| !l.starts_with('#')).skip(1).map(|l| l.split(',').map(str::to_string).collect()).collect();
    (r, rows)
}

#[test]
fn a_replayed_trace_completes_every_job_it_should_and_kills_the_under_askers() {
    let (r, rows) = replay(5.0);
    let s = r.summary();
    // Columns: submit_h, tenant, chips, run_h, walltime_h. Every job fits the tenants'
    // 6,224 chips and ends (at most 50 h + 36 h) well inside 5 days, failures and all.
    let under: usize = rows.iter().filter(|c| c[4].parse::<f64>().unwrap() < c[3].parse::<f64>().unwrap()).count();
    assert_eq!(under, 116, "the excerpt's rule: every 10th job under-asks");
    let trace = &s.job_classes["trace"];
    assert_eq!(trace.jobs_submitted, rows.len() as u64);
    assert_eq!(trace.jobs_rejected, 0);
    assert_eq!(trace.jobs_killed, under as u64, "each under-asking job, and no other, is killed at its wall time");
    assert_eq!(trace.jobs_completed, (rows.len() - under) as u64);
    // Tenants as the excerpt names them; startups join the default tenant (guests).
    let per = |t: &str| rows.iter().filter(|c| c[1] == t).count() as u64;
    assert_eq!(s.tenants["academia"].jobs_submitted, per("academia"));
    assert_eq!(s.tenants["industry"].jobs_submitted, per("industry"));
    assert_eq!(s.tenants["guests"].jobs_submitted, per("startups"));
}

#[test]
fn each_tenants_chip_time_is_its_useful_plus_lost_work() {
    let (r, rows) = replay(5.0);
    let s = r.summary();
    // Trace jobs neither checkpoint nor pay a restart, and a tenant job holds its chips
    // only while it computes: allocated chip-time = useful + lost, job by job.
    for (name, trace_name) in [("academia", "academia"), ("industry", "industry"), ("guests", "startups")] {
        let t = &s.tenants[name];
        let held = t.chip_hours_delivered.unwrap();
        let gap = held - t.useful_chip_hours - t.lost_chip_hours;
        // Times are whole milliseconds: each start and end rounds by at most 1 ms a chip.
        let tol = 2.0 * rows.len() as f64 * 32.0 / 3.6e6;
        assert!(gap.abs() < tol, "{name}: held {held} h, useful {} h, lost {} h", t.useful_chip_hours, t.lost_chip_hours);
        // Useful work is exactly the completed jobs' run time (the killed saved nothing).
        let want: f64 = rows
            .iter()
            .filter(|c| c[1] == trace_name && c[4].parse::<f64>().unwrap() >= c[3].parse::<f64>().unwrap())
            .map(|c| c[2].parse::<f64>().unwrap() * c[3].parse::<f64>().unwrap())
            .sum();
        assert!((t.useful_chip_hours - want).abs() < tol, "{name}: useful {} vs {want}", t.useful_chip_hours);
    }
}
