//! What a run will cost before it starts: events and memory estimated from the
//! scenario, so that a value which is fine alone (a short checkpoint interval,
//! a high arrival rate, a long horizon) cannot together ask for hours of work or
//! more memory than the machine has. The estimate names the fields that drive it;
//! the simulation also stops at the event bound while it runs (see
//! [`Simulation::run_watched`](crate::Simulation::run_watched)), for what the
//! estimate cannot foresee.
//!
//! Start with [`Work::of`] and [`Work::check`] against [`Bounds::DEFAULT`] (what
//! `gigasim run` refuses beyond unless `--allow-large`):
//!
//! ```
//! use gigasim::work::{Bounds, Work};
//! use gigasim::{Simulation, config};
//!
//! let s = config::apply_sets(&config::default_scenario(), &["horizon_days=2".into()])?;
//! let work = Work::of(&s, None);
//! assert!(work.check(Bounds::DEFAULT, "--allow-large").is_ok());
//! // The estimate is meant to be above what the run then does.
//! let ran = Simulation::new(&s).run().summary().events;
//! assert!(work.events >= ran as f64, "estimated {} events, ran {ran}", work.events);
//!
//! // A checkpoint every 0.36 ms, written at once: 170 million checkpoints in two days,
//! // about 860 million events. Refused, naming the field.
//! let sets = ["workload.frontier[0].checkpoint.interval_hours=1e-7".into(), "workload.frontier[0].checkpoint.write_hours=0".into()];
//! let tight = config::apply_sets(&s, &sets)?;
//! let why = Work::of(&tight, None).check(Bounds::DEFAULT, "--allow-large").unwrap_err();
//! assert!(why.contains("`workload.frontier[0].checkpoint.interval_hours`"), "{why}");
//! # Ok::<(), gigasim::config::InputError>(())
//! ```

use crate::config::{DurationLaw, IntervalPolicy, Law, Level, Scenario};
use crate::theory;

/// Bounds on one run's work.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds {
    /// Events one run may process.
    pub events: u64,
    /// Memory one run may hold, in bytes.
    pub bytes: u64,
}

impl Bounds {
    /// 500 million events is about 3 minutes at the engine's 2.5–3 M events/s: 650
    /// times the default 180-day, 100k-chip scenario (770 k events), so years of a
    /// larger site fit. 4 GiB fits a laptop beside its other work.
    pub const DEFAULT: Bounds = Bounds { events: 500_000_000, bytes: 4 << 30 };
    /// No bounds (`--allow-large`).
    pub const NONE: Bounds = Bounds { events: u64::MAX, bytes: u64::MAX };
}

/// Events every failure costs: the failure, its detection, reboot or repair and
/// return, a spare swap, and the interrupted jobs' restarts (measured on the
/// shipped scenarios: 3–6).
const EVENTS_PER_FAILURE: f64 = 8.0;
/// Events of a checkpoint: the segment's end, the write's end, and with storage
/// a transfer's start and end (and a re-rate of the others).
const EVENTS_PER_CHECKPOINT: f64 = 5.0;
/// Events of a tenant job besides its checkpoints: arrival, start, end, restarts.
const EVENTS_PER_JOB: f64 = 6.0;
/// Memory kept per record (measured: a failure row with its jobs hit ~120 B, a
/// job row ~150 B, a progress point 24 B), and per power bin (~90 B with its
/// storage, usage and battery bins), rounded up.
const BYTES_PER_FAILURE: f64 = 160.0;
const BYTES_PER_JOB: f64 = 200.0;
const BYTES_PER_CHECKPOINT: f64 = 32.0;
const BYTES_PER_BIN: f64 = 160.0;
/// Per-chip and per-node state (pool, ledger, failure clocks), rounded up.
const BYTES_PER_CHIP: f64 = 64.0;
const BYTES_PER_NODE: f64 = 256.0;

/// One cause of work: the field that drives it, what it makes, and how much.
#[derive(Clone, Debug, PartialEq)]
pub struct Driver {
    /// The field path, as `--set` takes it.
    pub field: String,
    /// What it makes, e.g. "4.3e9 checkpoints".
    pub what: String,
    pub events: f64,
    pub bytes: f64,
}

/// A run's estimated cost.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Work {
    /// The horizon, in days: every driver grows with it.
    pub days: f64,
    pub events: f64,
    pub bytes: f64,
    pub drivers: Vec<Driver>,
}

impl Work {
    fn add(&mut self, field: impl Into<String>, what: String, events: f64, bytes: f64) {
        // A NaN or infinity from a degenerate law still counts as too much.
        let clean = |x: f64| if x.is_nan() { f64::INFINITY } else { x.max(0.0) };
        let (events, bytes) = (clean(events), clean(bytes));
        self.events += events;
        self.bytes += bytes;
        self.drivers.push(Driver { field: field.into(), what, events, bytes });
    }

    /// The cost of simulating `s`, with a replayed job trace if one is read already
    /// (see [the module's example](crate::work)).
    pub fn of(s: &Scenario, trace: Option<&crate::sim::TraceSource>) -> Work {
        let mut w = Work { days: s.horizon_days.get(), ..Work::default() };
        let h = s.horizon_days.get() * 24.0;
        let f = &s.facility;
        let (chips, nodes) = (f.checked_chips().unwrap_or(u64::MAX) as f64, f.nodes() as f64);
        // Building the site's state costs about an event per node (measured: 25,056 nodes
        // set up in ~10 ms, the time of ~25,000 events).
        w.add("facility.pods", format!("{chips:.3e} chips"), nodes, chips * BYTES_PER_CHIP + nodes * BYTES_PER_NODE);
        let bins = h * 60.0 / s.power_bin_minutes.get();
        w.add("power_bin_minutes", format!("{bins:.3e} power bins"), bins, bins * BYTES_PER_BIN);

        let lemon = s.failure.lemons.as_ref().map_or(1.0, |l| 1.0 + l.fraction_of_nodes.get() * (l.rate_factor.get() - 1.0));
        for (i, c) in s.failure.classes.iter().enumerate() {
            let units = match c.level {
                Level::Chip => chips * lemon,
                Level::Node => nodes * lemon,
                Level::Rack => f.racks() as f64,
                Level::Pod => f.pods.get() as f64,
            };
            let (per_event, clocks) = match &c.burst {
                Some(b) => (b.strikes.of(units as u32) as f64, 1.0),
                None => (1.0, units),
            };
            let n = clocks * renewals(&c.ttf, h + if c.ageing { c.burn_in_hours.get() } else { 0.0 }, c.ageing) * per_event;
            w.add(
                format!("failure.classes[{i}].ttf"),
                format!("{n:.3e} failures of `{}`", c.name),
                n * EVENTS_PER_FAILURE,
                n * BYTES_PER_FAILURE,
            );
        }

        for (j, job) in s.workload.frontier.iter().enumerate() {
            let Some(c) = &job.checkpoint else { continue };
            let at = format!("workload.frontier[{j}].checkpoint");
            let m = 1.0 / (theory::frontier_failure_rate(s, j) - theory::frontier_memory_loss_rate(s, j)).max(1e-300);
            let stall = match c.mechanism {
                crate::config::Mechanism::Sync => c.write_hours.get(),
                crate::config::Mechanism::Async { snapshot_hours } => snapshot_hours.get(),
            };
            let (tau, field) = match c.policy {
                IntervalPolicy::Fixed => (c.interval_hours.get(), format!("{at}.interval_hours")),
                IntervalPolicy::Young => (theory::young_interval(stall, m), format!("{at}.write_hours")),
                IntervalPolicy::Daly => (theory::daly_interval(stall, m), format!("{at}.write_hours")),
                IntervalPolicy::Adaptive { prior_mtbf_hours, .. } => {
                    (theory::daly_interval(stall, m.min(prior_mtbf_hours.get())), format!("{at}.write_hours"))
                }
            };
            // A segment and its write take at least the write; the engine's tick is 1 ms.
            let n = h / (tau + c.write_hours.get()).max(1.0 / 3.6e6);
            w.add(field, format!("{n:.3e} checkpoints of `{}`", job.name), n * EVENTS_PER_CHECKPOINT, n * BYTES_PER_CHECKPOINT);
            if let Some(mem) = &c.memory {
                let n = h / (mem.interval_hours.get() + mem.write_hours.get()).max(1.0 / 3.6e6);
                w.add(
                    format!("{at}.memory.interval_hours"),
                    format!("{n:.3e} in-memory checkpoints of `{}`", job.name),
                    n * 2.0,
                    n * BYTES_PER_CHECKPOINT,
                );
            }
        }

        match trace {
            Some(t) => {
                let n = t.len() as f64;
                w.add("workload.trace", format!("{n:.3e} traced jobs"), n * EVENTS_PER_JOB, n * BYTES_PER_JOB);
                let k = t.checkpoints();
                if k > 0.0 {
                    w.add(
                        "workload.trace",
                        format!("{k:.3e} checkpoints of traced jobs (run_h / ckpt_h)"),
                        k * EVENTS_PER_CHECKPOINT,
                        k * BYTES_PER_CHECKPOINT,
                    );
                }
            }
            None => {
                for (i, t) in s.workload.tenants.iter().enumerate() {
                    for (k, c) in t.classes.iter().enumerate() {
                        let jobs = c.arrivals_per_hour.get() * h;
                        let at = format!("workload.tenants[{i}].classes[{k}]");
                        w.add(
                            format!("{at}.arrivals_per_hour"),
                            format!("{jobs:.3e} jobs of `{}`", c.name),
                            jobs * EVENTS_PER_JOB,
                            jobs * BYTES_PER_JOB,
                        );
                        // Checkpoints within a job: its mean run over the interval.
                        let ck = &c.checkpoint;
                        let per_job = c.p_checkpoint.get() * c.work_hours.mean_hours() / ck.interval_hours.get();
                        let n = jobs * per_job;
                        if n > 0.0 {
                            w.add(
                                format!("{at}.checkpoint.interval_hours"),
                                format!("{n:.3e} checkpoints of `{}` jobs", c.name),
                                n * EVENTS_PER_CHECKPOINT,
                                n * BYTES_PER_CHECKPOINT,
                            );
                        }
                    }
                }
            }
        }
        w
    }

    /// `Err` names the bound passed, the estimate, the fields driving it and what is allowed.
    pub fn check(&self, b: Bounds, how_to_allow: &str) -> Result<(), String> {
        let (got, bound, key): (String, String, fn(&Driver) -> f64) = if self.events > b.events as f64 {
            (format!("{} events", sci(self.events)), format!("{} (--max-events)", sci(b.events as f64)), |d| d.events)
        } else if self.bytes > b.bytes as f64 {
            (format!("{} MB of memory", sci(self.bytes / MB)), format!("{} MB (--max-memory-mb)", sci(b.bytes as f64 / MB)), |d| d.bytes)
        } else {
            return Ok(());
        };
        Err(format!(
            "this run of {} days (`horizon_days`) would take about {got}, beyond the bound of {bound}; mostly from {}; allowed: a scenario within the bound (a shorter horizon, or less of what drives it), or {how_to_allow}",
            crate::config::show(self.days),
            self.top(key)
        ))
    }

    /// The largest drivers by `key`, as "field (what)" for the first few.
    pub fn top(&self, key: fn(&Driver) -> f64) -> String {
        let mut ds: Vec<&Driver> = self.drivers.iter().filter(|d| key(d) > 0.0).collect();
        ds.sort_by(|a, b| key(b).total_cmp(&key(a)));
        let total: f64 = ds.iter().map(|d| key(d)).sum();
        ds.iter()
            .take(3)
            .take_while(|d| key(d) >= 0.05 * total)
            .map(|d| format!("`{}` ({})", d.field, d.what))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Expected failures of one unit's clock over `h` hours: h / mean in the long run
/// (renewal theorem), the first draw's chance to land early for laws whose mass sits
/// near zero (Weibull with shape < 1), and for an `ageing` Weibull, whose age runs on
/// across reboots, its cumulative hazard (h/λ)^k, which wear-out (k > 1) makes grow
/// faster than the horizon.
fn renewals(law: &Law, h: f64, ageing: bool) -> f64 {
    let long_run = h / law.mean_hours();
    let weibull = match law {
        Law::Weibull { shape, scale_hours } => {
            let hazard = (h / scale_hours.get()).powf(shape.get());
            if ageing { hazard } else { 1.0 - (-hazard).exp() }
        }
        _ => 0.0,
    };
    long_run.max(weibull)
}

/// A global allocator that counts the bytes held, so that a run can be stopped
/// at a memory bound while it runs. A binary opts in with
/// `#[global_allocator] static A: gigasim::work::Counting = gigasim::work::Counting;`;
/// without it [`held`] stays 0. One relaxed atomic add per allocation.
pub struct Counting;

static HELD: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Bytes held now through [`Counting`] (all threads).
pub fn held() -> u64 {
    HELD.load(std::sync::atomic::Ordering::Relaxed)
}

// SAFETY: every call is passed on to the system allocator unchanged; only counts are kept.
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: std::alloc::Layout) -> *mut u8 {
        use std::sync::atomic::Ordering::Relaxed;
        // SAFETY: the caller's contract is the system allocator's.
        let p = unsafe { std::alloc::System.alloc(l) };
        if !p.is_null() {
            HELD.fetch_add(l.size() as u64, Relaxed);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, l: std::alloc::Layout) -> *mut u8 {
        use std::sync::atomic::Ordering::Relaxed;
        // SAFETY: as above.
        let p = unsafe { std::alloc::System.alloc_zeroed(l) };
        if !p.is_null() {
            HELD.fetch_add(l.size() as u64, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: std::alloc::Layout) {
        // SAFETY: as above.
        unsafe { std::alloc::System.dealloc(p, l) };
        HELD.fetch_sub(l.size() as u64, std::sync::atomic::Ordering::Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: std::alloc::Layout, new: usize) -> *mut u8 {
        use std::sync::atomic::Ordering::Relaxed;
        // SAFETY: as above.
        let q = unsafe { std::alloc::System.realloc(p, l, new) };
        if !q.is_null() {
            HELD.fetch_add(new as u64, Relaxed);
            HELD.fetch_sub(l.size() as u64, Relaxed);
        }
        q
    }
}

const MB: f64 = 1048576.0;

/// `3.2e9` for large numbers, plain for small ones.
pub fn sci(x: f64) -> String {
    if x.abs() < 1e6 { format!("{x:.0}") } else { format!("{x:.2e}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_scenario_is_well_within_the_bounds_and_near_its_measured_events() {
        let s = crate::config::default_scenario();
        let w = Work::of(&s, None);
        assert!(w.check(Bounds::DEFAULT, "--allow-large").is_ok());
        let run = crate::Simulation::new(&s).run();
        let n = run.stats.processed as f64;
        // An upper estimate, not a wild one.
        assert!(w.events >= n && w.events < 20.0 * n, "estimate {} vs {} processed", w.events, n);
    }
}
