//! The floor under the SimPy comparison: the dynamics of
//! benches/reference/ckpt-model.ron (one job, Poisson failures with mean 2 h,
//! zero-time reboot, restart 0.2 h, τ = 0.5 h of work, δ = 0.1 h write, a year) as a
//! minimal model on the bare `gigasim::engine`: the same events (failure, node
//! back, phase ends) with lazy cancellation, but none of the gigafactory model (no
//! meter, nodes, thinning, outages or report). What the simulator spends above
//! this rate is the model; what SimPy would need to be beaten 100× is set against
//! it in scripts/bench.sh.
//!
//! Prints one JSON object like benches/ckpt_model.rs: replications, events,
//! seconds, events_per_s, ettr_mean, ettr_se.
//!
//! `cargo bench --bench ckpt_floor -- [--reps N]`

use gigasim::config::exp_draw;
use gigasim::engine::{self, Duration, Epochs, Model, Scheduler, SimRng, SimTime, Streams, stream_id};
use gigasim::sweep::point_stats;
use std::time::Instant;

const MTBF_H: f64 = 2.0;
const TAU: Duration = Duration::from_millis(1_800_000);
const DELTA: Duration = Duration::from_millis(360_000);
const RESTART: Duration = Duration::from_millis(720_000);
const HORIZON_H: f64 = 8760.0;

#[derive(Clone, Copy)]
enum Ev {
    Failure,
    NodeBack,
    PhaseEnd { epoch: u32 },
}

#[derive(Clone, Copy)]
enum Phase {
    Waiting,
    Restarting,
    Running,
    Checkpointing,
}

struct Job {
    sched: Scheduler<Ev>,
    epochs: Epochs,
    rng: SimRng,
    phase: Phase,
    phase_start: SimTime,
    saved: u64,
    events: u64,
}

impl Job {
    #[inline]
    fn phase_end_after(&mut self, lasts: Duration) {
        let epoch = self.epochs.get(0);
        self.sched.after(lasts, Ev::PhaseEnd { epoch });
    }
    #[inline]
    fn compute(&mut self) {
        self.phase = Phase::Running;
        self.phase_start = self.sched.now();
        self.phase_end_after(TAU);
    }
    #[inline]
    fn next_failure(&mut self) {
        let h = exp_draw(&mut self.rng, MTBF_H);
        self.sched.after(Duration::from_hours(h), Ev::Failure);
    }
    /// Work saved plus the unsaved progress of a running segment (gigasim's ETTR numerator).
    fn useful_ms(&self) -> u64 {
        match self.phase {
            Phase::Running => self.saved + self.sched.now().since(self.phase_start).as_millis(),
            Phase::Checkpointing => self.saved + TAU.as_millis(),
            _ => self.saved,
        }
    }
}

impl Model for Job {
    type Event = Ev;
    fn scheduler(&mut self) -> &mut Scheduler<Ev> {
        &mut self.sched
    }
    fn is_current(&self, e: &Ev) -> bool {
        match *e {
            Ev::PhaseEnd { epoch } => epoch == self.epochs.get(0),
            _ => true,
        }
    }
    fn handle(&mut self, e: Ev) {
        self.events += 1;
        match e {
            Ev::Failure => {
                self.next_failure();
                self.epochs.bump(0);
                self.phase = Phase::Waiting;
                self.sched.after(Duration::ZERO, Ev::NodeBack);
            }
            Ev::NodeBack => {
                self.phase = Phase::Restarting;
                self.phase_end_after(RESTART);
            }
            Ev::PhaseEnd { .. } => match self.phase {
                Phase::Restarting => self.compute(),
                Phase::Running => {
                    self.phase = Phase::Checkpointing;
                    self.phase_end_after(DELTA);
                }
                Phase::Checkpointing => {
                    self.saved += TAU.as_millis();
                    self.compute();
                }
                Phase::Waiting => unreachable!("no phase ends while waiting"),
            },
        }
    }
}

fn main() {
    let mut reps = 300u64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--reps" {
            reps = args.next().and_then(|v| v.parse().ok()).expect("--reps N");
        }
    }
    let horizon = SimTime::from_hours(HORIZON_H);
    let (mut events, mut seconds, mut ettrs) = (0u64, 0.0f64, Vec::new());
    for seed in 1..=reps {
        let t0 = Instant::now();
        let mut job = Job {
            sched: Scheduler::new(),
            epochs: Epochs::new(1),
            rng: Streams::new(seed).rng(stream_id("ckpt-floor"), 0, 0),
            phase: Phase::Running,
            phase_start: SimTime::ZERO,
            saved: 0,
            events: 0,
        };
        job.next_failure();
        job.compute();
        engine::run(&mut job, horizon);
        seconds += t0.elapsed().as_secs_f64();
        events += job.events;
        ettrs.push(job.useful_ms() as f64 / horizon.as_millis() as f64);
    }
    let st = point_stats(&ettrs);
    let (mean, se) = (st.mean, st.sd / (st.n as f64).sqrt());
    println!(
        "{{\"replications\": {reps}, \"events\": {events}, \"seconds\": {seconds}, \"events_per_s\": {}, \"ettr_mean\": {mean}, \"ettr_se\": {se}}}",
        events as f64 / seconds
    );
}
