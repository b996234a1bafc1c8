//! gigasim's side of the SimPy comparison (benches/reference/simpy_ckpt.py): runs
//! replications of benches/reference/ckpt-model.ron in process (seeds 1..=n) and
//! prints one JSON object: replications, events, seconds (building and running the
//! simulations, not parsing the files), events_per_s, ettr_mean, ettr_se, and
//! daly_ettr, the expectation from Daly's formula for the scenario's parameters.
//! Runs keep totals only (`Detail::Summary`), as a sweep's replications do: the
//! SimPy script keeps no series either.
//!
//! `cargo bench --bench ckpt_model -- [--reps N] [--scenario FILE]`

use gigasim::sweep::point_stats;
use gigasim::{Detail, Simulation, config, theory};
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let mut reps = 200u64;
    let mut path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/benches/reference/ckpt-model.ron"));
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--reps" => reps = args.next().and_then(|v| v.parse().ok()).expect("--reps N"),
            "--scenario" => path = args.next().map(PathBuf::from).expect("--scenario FILE"),
            _ => {} // cargo bench passes --bench
        }
    }
    let base = config::load_scenario(&config::FileSystem, &path).unwrap_or_else(|e| panic!("{e}"));
    let (mut events, mut seconds, mut ettrs) = (0u64, 0.0f64, Vec::new());
    for seed in 1..=reps {
        let mut s = base.clone();
        s.seed = seed;
        let t0 = Instant::now();
        let r = Simulation::builder(&s).detail(Detail::Summary).build().run();
        seconds += t0.elapsed().as_secs_f64();
        events += r.stats.processed;
        ettrs.push(r.ettr());
    }
    let st = point_stats(&ettrs);
    let (mean, se) = (st.mean, st.sd / (st.n as f64).sqrt());

    let f = &base.workload.frontier[0];
    let ck = f.checkpoint.as_ref().expect("the job checkpoints");
    let m = 1.0 / theory::frontier_failure_rate(&base, 0);
    let daly = theory::daly_ettr(ck.interval_hours.get(), ck.write_hours.get(), f.restart_hours.get(), m);

    println!(
        "{{\"replications\": {reps}, \"events\": {events}, \"seconds\": {seconds}, \"events_per_s\": {}, \"ettr_mean\": {mean}, \"ettr_se\": {se}, \"daly_ettr\": {daly}}}",
        events as f64 / seconds
    );
}
