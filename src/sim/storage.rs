//! Shared checkpoint storage: concurrent writes share the write bandwidth and
//! concurrent reads the read bandwidth, max-min fairly (each transfer capped by
//! its job's links). Whenever the set of transfers changes, every rate is
//! recomputed and one completion event is re-armed (epoch-cancelled), so
//! durations are exact and bytes are conserved.

use crate::config::StorageSystem;
use crate::engine::{Duration, Scheduler, SimTime};
use crate::sim::Event;

/// Which way a transfer goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dir {
    Write,
    Read,
}

#[derive(Clone, Copy, Debug)]
struct Flow {
    id: u64,
    job: u32,
    dir: Dir,
    /// GB still to move, as of the storage's clock.
    left: f64,
    /// Its own links' limit and its fair share now, GB/s.
    cap: f64,
    rate: f64,
    started: SimTime,
    /// How long it would take alone, ms.
    solo_ms: f64,
    finish: SimTime,
}

/// One bin of the storage's use.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StorageBin {
    pub written_gb: f64,
    pub read_gb: f64,
    /// Transfer-seconds in the bin (its time-mean number of transfers × its length).
    pub transfer_s: f64,
    pub write_peak_gbps: f64,
    pub read_peak_gbps: f64,
}

/// What the storage did over a run.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct StorageSnapshot {
    pub write_gbps: f64,
    pub read_gbps: f64,
    pub written_gb: f64,
    pub read_gb: f64,
    /// Hours with at least one transfer under way, and with a write under way.
    pub busy_hours: f64,
    pub write_busy_hours: f64,
    /// Transfer-hours (the time-integral of the number of transfers).
    pub transfer_hours: f64,
    pub transfers_done: u64,
    /// Completed transfers: hours they took, and hours they would have taken alone.
    pub transfer_time_hours: f64,
    pub solo_time_hours: f64,
    pub bin_hours: f64,
    /// Per bin (full detail only): GB written and read, and the highest write and
    /// read bandwidth in use at any moment of it, GB/s.
    pub bins: Vec<StorageBin>,
}

pub(crate) struct Storage {
    write_gbps: f64,
    read_gbps: f64,
    per_chip_gbps: f64,
    flows: Vec<Flow>,
    at: SimTime,
    epoch: u32,
    written_gb: f64,
    read_gb: f64,
    busy_ms: u64,
    write_busy_ms: u64,
    transfer_ms: u128,
    done: u64,
    took_ms: f64,
    solo_ms: f64,
    bin_ms: u64,
    bins: Option<Vec<StorageBin>>,
    /// Completed transfers handed to the caller by [`Storage::due`]: (id, job, direction).
    finished: Vec<(u64, u32, Dir)>,
    /// Transfers started so far: each one's id.
    started: u64,
}

impl Storage {
    pub fn new(s: &StorageSystem, bin_ms: u64, keep_bins: bool) -> Self {
        Self {
            write_gbps: s.write_gbps.get(),
            read_gbps: s.read_gbps.get(),
            per_chip_gbps: s.per_chip_gbps.map_or(f64::INFINITY, |p| p.get()),
            flows: Vec::new(),
            at: SimTime::ZERO,
            epoch: 0,
            written_gb: 0.0,
            read_gb: 0.0,
            busy_ms: 0,
            write_busy_ms: 0,
            transfer_ms: 0,
            done: 0,
            took_ms: 0.0,
            solo_ms: 0.0,
            bin_ms: bin_ms.max(1),
            bins: keep_bins.then(Vec::new),
            finished: Vec::new(),
            started: 0,
        }
    }

    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    fn capacity(&self, dir: Dir) -> f64 {
        match dir {
            Dir::Write => self.write_gbps,
            Dir::Read => self.read_gbps,
        }
    }

    /// How long moving `gb` for a job of `chips` chips takes with the storage to itself.
    pub fn solo(&self, dir: Dir, gb: f64, chips: u64) -> Duration {
        let rate = self.capacity(dir).min(self.per_chip_gbps * chips as f64);
        Duration::from_millis((gb / rate * 1000.0).ceil() as u64)
    }

    /// Move every transfer on to `now` at its current rate.
    fn advance(&mut self, now: SimTime) {
        let (t0, t1) = (self.at.as_millis(), now.as_millis());
        if t1 <= t0 {
            return;
        }
        let dt = (t1 - t0) as f64 / 1000.0;
        let mut moved = (0.0, 0.0);
        for f in &mut self.flows {
            // A flow's finish is rounded up to a millisecond: it moves no more than it has.
            let gb = (f.rate * dt).min(f.left);
            f.left -= gb;
            match f.dir {
                Dir::Write => moved.0 += gb,
                Dir::Read => moved.1 += gb,
            }
        }
        let peak = self.flows.iter().fold((0.0, 0.0), |acc, f| match f.dir {
            Dir::Write => (acc.0 + f.rate, acc.1),
            Dir::Read => (acc.0, acc.1 + f.rate),
        });
        self.written_gb += moved.0;
        self.read_gb += moved.1;
        if !self.flows.is_empty() {
            self.busy_ms += t1 - t0;
            self.transfer_ms += self.flows.len() as u128 * (t1 - t0) as u128;
        }
        if self.flows.iter().any(|f| f.dir == Dir::Write) {
            self.write_busy_ms += t1 - t0;
        }
        if let Some(bins) = self.bins.as_mut() {
            // Rates are constant over [t0, t1): spread the bytes moved over the bins it spans.
            let (w, r, n) = (moved.0 / dt, moved.1 / dt, self.flows.len() as f64);
            if peak.0 > 0.0 || peak.1 > 0.0 {
                let mut t = t0;
                while t < t1 {
                    let bin = (t / self.bin_ms) as usize;
                    let stop = t1.min((bin as u64 + 1) * self.bin_ms);
                    if bins.len() <= bin {
                        bins.resize(bin + 1, StorageBin::default());
                    }
                    let s = (stop - t) as f64 / 1000.0;
                    let b = &mut bins[bin];
                    b.written_gb += w * s;
                    b.read_gb += r * s;
                    b.transfer_s += n * s;
                    b.write_peak_gbps = b.write_peak_gbps.max(peak.0);
                    b.read_peak_gbps = b.read_peak_gbps.max(peak.1);
                    t = stop;
                }
            }
        }
        self.at = now;
    }

    /// Max-min fair rates in each direction, each flow's finish, and one event for the first.
    fn rearm(&mut self, now: SimTime, events: &mut Scheduler<Event>) {
        self.epoch = self.epoch.wrapping_add(1);
        for dir in [Dir::Write, Dir::Read] {
            let mut idx: Vec<usize> = (0..self.flows.len()).filter(|&i| self.flows[i].dir == dir).collect();
            idx.sort_by(|&a, &b| self.flows[a].cap.total_cmp(&self.flows[b].cap).then(a.cmp(&b)));
            let mut left = self.capacity(dir);
            for (k, &i) in idx.iter().enumerate() {
                let share = left / (idx.len() - k) as f64;
                let rate = self.flows[i].cap.min(share);
                self.flows[i].rate = rate;
                left -= rate;
            }
        }
        let mut first: Option<SimTime> = None;
        for f in &mut self.flows {
            f.finish = now + Duration::from_millis((f.left / f.rate * 1000.0).ceil() as u64);
            first = Some(first.map_or(f.finish, |t| t.min(f.finish)));
        }
        if let Some(t) = first {
            events.at(t, Event::StorageDue { epoch: self.epoch });
        }
    }

    /// Job `job` (of `chips` chips) starts moving `gb` GB; returns the transfer's id, unique in the run.
    pub fn start(&mut self, now: SimTime, job: u32, dir: Dir, gb: f64, chips: u64, events: &mut Scheduler<Event>) -> u64 {
        self.advance(now);
        let cap = self.per_chip_gbps * chips as f64;
        let solo_ms = gb / self.capacity(dir).min(cap) * 1000.0;
        self.started += 1;
        let id = self.started;
        self.flows.push(Flow { id, job, dir, left: gb, cap, rate: 0.0, started: now, solo_ms, finish: now });
        self.rearm(now, events);
        id
    }

    /// Job `job`'s transfers stop unfinished (it was interrupted); what they moved stays counted.
    pub fn cancel(&mut self, now: SimTime, job: u32, events: &mut Scheduler<Event>) {
        if !self.flows.iter().any(|f| f.job == job) {
            return;
        }
        self.advance(now);
        self.flows.retain(|f| f.job != job);
        self.rearm(now, events);
    }

    /// Whether job `job` is moving data now.
    pub fn busy(&self, job: u32) -> bool {
        self.flows.iter().any(|f| f.job == job)
    }

    /// The transfers that end at `now`, in the order they started: (id, job, direction).
    pub fn due(&mut self, now: SimTime, events: &mut Scheduler<Event>) -> Vec<(u64, u32, Dir)> {
        self.advance(now);
        self.finished.clear();
        let mut k = 0;
        while k < self.flows.len() {
            let f = self.flows[k];
            if f.finish <= now {
                // The last fraction of a millisecond's bytes: the transfer is whole.
                match f.dir {
                    Dir::Write => self.written_gb += f.left,
                    Dir::Read => self.read_gb += f.left,
                }
                if let Some(bins) = self.bins.as_mut() {
                    let bin = ((now.as_millis().saturating_sub(1)) / self.bin_ms) as usize;
                    if bins.len() <= bin {
                        bins.resize(bin + 1, StorageBin::default());
                    }
                    match f.dir {
                        Dir::Write => bins[bin].written_gb += f.left,
                        Dir::Read => bins[bin].read_gb += f.left,
                    }
                }
                self.done += 1;
                self.took_ms += now.since(f.started).as_millis() as f64;
                self.solo_ms += f.solo_ms;
                self.finished.push((f.id, f.job, f.dir));
                self.flows.remove(k);
            } else {
                k += 1;
            }
        }
        self.rearm(now, events);
        self.finished.clone()
    }

    pub fn snapshot(&self, now: SimTime) -> StorageSnapshot {
        let mut s = Storage { flows: self.flows.clone(), bins: self.bins.clone(), finished: Vec::new(), ..*self };
        s.started = self.started;
        s.advance(now);
        let h = |ms: f64| ms / 3.6e6;
        StorageSnapshot {
            write_gbps: s.write_gbps,
            read_gbps: s.read_gbps,
            written_gb: s.written_gb,
            read_gb: s.read_gb,
            busy_hours: h(s.busy_ms as f64),
            write_busy_hours: h(s.write_busy_ms as f64),
            transfer_hours: h(s.transfer_ms as f64),
            transfers_done: s.done,
            transfer_time_hours: h(s.took_ms),
            solo_time_hours: h(s.solo_ms),
            bin_hours: h(s.bin_ms as f64),
            bins: s.bins.unwrap_or_default(),
        }
    }
}
