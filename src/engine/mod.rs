//! A small, generic discrete-event core. It knows nothing about chips or jobs:
//! integer time, a (time, sequence)-ordered queue, lazy cancellation through
//! epochs, and named random streams.
//!
//! A model implements [`Model`]: it owns a [`Scheduler`] (the clock and the
//! pending events), says whether an event is still current, and handles it.
//! [`run`] dispatches events in (time, insertion) order up to a horizon. Time is
//! [`SimTime`] and [`Duration`], integer milliseconds; [`Epochs`] cancel events
//! lazily (a stale one is dropped when popped); [`Streams`] derive one random
//! generator per purpose and entity from a master seed. The gigafactory model,
//! [`crate::Simulation`], is one such model.
//!
//! A tiny model of one's own: a job checkpoints every hour; a failure cancels the
//! checkpoint it was heading for, and the next one is an hour after the failure.
//!
//! ```
//! use gigasim::engine::{self, Duration, Epochs, Model, RunStats, Scheduler, SimTime};
//!
//! #[derive(Clone, Copy)]
//! enum Ev {
//!     /// A checkpoint completes, if nothing cancelled it since it was scheduled.
//!     Checkpoint { epoch: u32 },
//!     Failure,
//! }
//!
//! struct Job {
//!     sched: Scheduler<Ev>,
//!     epochs: Epochs,
//!     saved_at_hours: Vec<f64>,
//! }
//!
//! impl Model for Job {
//!     type Event = Ev;
//!     fn scheduler(&mut self) -> &mut Scheduler<Ev> {
//!         &mut self.sched
//!     }
//!     fn is_current(&self, e: &Ev) -> bool {
//!         match *e {
//!             Ev::Checkpoint { epoch } => epoch == self.epochs.get(0),
//!             Ev::Failure => true,
//!         }
//!     }
//!     fn handle(&mut self, e: Ev) {
//!         match e {
//!             Ev::Checkpoint { .. } => self.saved_at_hours.push(self.sched.now().as_hours()),
//!             // Cancel the pending checkpoint without searching the queue.
//!             Ev::Failure => _ = self.epochs.bump(0),
//!         }
//!         let epoch = self.epochs.get(0);
//!         self.sched.after(Duration::from_hours(1.0), Ev::Checkpoint { epoch });
//!     }
//! }
//!
//! let mut job = Job { sched: Scheduler::new(), epochs: Epochs::new(1), saved_at_hours: vec![] };
//! job.sched.at(SimTime::from_hours(1.0), Ev::Checkpoint { epoch: 0 });
//! job.sched.at(SimTime::from_hours(2.5), Ev::Failure);
//! let stats = engine::run(&mut job, SimTime::from_hours(5.0));
//!
//! // Checkpoints at 1 h and 2 h; the one due at 3 h was cancelled by the failure.
//! assert_eq!(job.saved_at_hours, [1.0, 2.0, 3.5, 4.5]);
//! assert_eq!(stats, RunStats { processed: 5, stale: 1 });
//! // The clock stands at the horizon; the checkpoint due at 5.5 h is still pending.
//! assert_eq!((job.sched.now(), job.sched.pending()), (SimTime::from_hours(5.0), 1));
//! ```
//!
//! Random streams are addressed by (purpose, index, counter), so one part of a
//! model drawing more numbers leaves every other part's draws unchanged:
//!
//! ```
//! use gigasim::engine::{Streams, stream_id};
//! use rand::Rng;
//!
//! let streams = Streams::new(42);
//! let chip = |i| streams.rng(stream_id("chip-failures"), i, 0).next_u64();
//! assert_eq!(chip(4711), Streams::new(42).rng(stream_id("chip-failures"), 4711, 0).next_u64());
//! assert_ne!(chip(4711), chip(4712));
//! ```

mod queue;
mod rng;
mod time;

pub use queue::EventQueue;
pub use rng::{SimRng, Streams, stream_id};
pub use time::{Duration, SimTime};

/// Something that reacts to events. `Event` is a small `Copy` value; the model
/// owns its [`Scheduler`] and schedules follow-up events on it.
pub trait Model {
    type Event: Copy;

    fn scheduler(&mut self) -> &mut Scheduler<Self::Event>;

    /// False for an event that was cancelled lazily (its entity's epoch moved
    /// on since it was scheduled). Stale events are dropped without dispatch.
    fn is_current(&self, _event: &Self::Event) -> bool {
        true
    }

    fn handle(&mut self, event: Self::Event);
}

/// The clock and the pending-event set handed to a [`Model`].
pub struct Scheduler<E> {
    now: SimTime,
    queue: EventQueue<E>,
}

impl<E: Copy> Default for Scheduler<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> Scheduler<E> {
    pub fn new() -> Self {
        Self { now: SimTime::ZERO, queue: EventQueue::new() }
    }

    pub fn with_capacity(n: usize) -> Self {
        Self { now: SimTime::ZERO, queue: EventQueue::with_capacity(n) }
    }

    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedule `event` at absolute time `at` (never before now).
    #[inline]
    pub fn at(&mut self, at: SimTime, event: E) {
        debug_assert!(at >= self.now, "scheduling into the past");
        self.queue.push(at.max(self.now), event);
    }

    /// Schedule `event` after `delay`.
    #[inline]
    pub fn after(&mut self, delay: Duration, event: E) {
        self.queue.push(self.now + delay, event);
    }

    pub fn pending(&self) -> usize {
        self.queue.len()
    }
}

/// Counts returned by [`run`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Events dispatched to the model.
    pub processed: u64,
    /// Events dropped because they had been cancelled.
    pub stale: u64,
}

/// Dispatch events in (time, insertion) order until the queue is empty or the
/// next event lies beyond `horizon`; then the clock stands at `horizon`.
pub fn run<M: Model>(model: &mut M, horizon: SimTime) -> RunStats {
    run_limited(model, horizon, u64::MAX).0
}

/// [`run`], stopping early once `limit` events have been dispatched: then the
/// clock stands at the last event's time and the second value is `false`.
pub fn run_limited<M: Model>(model: &mut M, horizon: SimTime, limit: u64) -> (RunStats, bool) {
    let mut stats = RunStats::default();
    loop {
        if stats.processed >= limit {
            // At the limit: done only if nothing is left up to the horizon.
            if model.scheduler().queue.peek_time().is_some_and(|t| t <= horizon) {
                return (stats, false);
            }
            break;
        }
        let sched = model.scheduler();
        let Some((t, ev)) = sched.queue.pop_until(horizon) else { break };
        sched.now = t;
        if model.is_current(&ev) {
            stats.processed += 1;
            model.handle(ev);
        } else {
            stats.stale += 1;
        }
    }
    let sched = model.scheduler();
    sched.now = sched.now.max(horizon);
    (stats, true)
}

/// Per-entity generation counters for lazy cancellation: an event carries the
/// epoch current when it was scheduled; bumping the epoch cancels it.
#[derive(Clone, Debug, Default)]
pub struct Epochs(Vec<u32>);

impl Epochs {
    pub fn new(n: usize) -> Self {
        Self(vec![0; n])
    }
    pub fn push(&mut self) -> usize {
        self.0.push(0);
        self.0.len() - 1
    }
    #[inline]
    pub fn get(&self, i: usize) -> u32 {
        self.0[i]
    }
    /// Cancel everything scheduled for entity `i` so far; returns the new epoch.
    #[inline]
    pub fn bump(&mut self, i: usize) -> u32 {
        self.0[i] = self.0[i].wrapping_add(1);
        self.0[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Recorder {
        seen: Vec<(u64, u32)>,
        epochs: Epochs,
        sched: Scheduler<Ev>,
    }
    #[derive(Clone, Copy)]
    struct Ev {
        id: u32,
        epoch: u32,
    }
    impl Model for Recorder {
        type Event = Ev;
        fn scheduler(&mut self) -> &mut Scheduler<Ev> {
            &mut self.sched
        }
        fn is_current(&self, e: &Ev) -> bool {
            self.epochs.get(0) == e.epoch
        }
        fn handle(&mut self, e: Ev) {
            self.seen.push((self.sched.now().as_millis(), e.id));
            if e.id == 1 {
                // Cancels every event of epoch 0 still pending.
                self.epochs.bump(0);
                self.sched.after(Duration::from_millis(5), Ev { id: 9, epoch: 1 });
            }
        }
    }

    #[test]
    fn fifo_among_equal_times_and_lazy_cancel_and_horizon() {
        let mut m = Recorder { seen: vec![], epochs: Epochs::new(1), sched: Scheduler::new() };
        let s = &mut m.sched;
        for id in [3, 4, 5] {
            s.at(SimTime::from_millis(10), Ev { id, epoch: 0 });
        }
        s.at(SimTime::from_millis(20), Ev { id: 1, epoch: 0 });
        s.at(SimTime::from_millis(30), Ev { id: 6, epoch: 0 }); // cancelled by id 1
        s.at(SimTime::from_millis(500), Ev { id: 7, epoch: 1 }); // beyond horizon
        let stats = run(&mut m, SimTime::from_millis(100));
        assert_eq!(m.seen, vec![(10, 3), (10, 4), (10, 5), (20, 1), (25, 9)]);
        assert_eq!(stats, RunStats { processed: 5, stale: 1 });
        assert_eq!(m.sched.now(), SimTime::from_millis(100));
        assert_eq!(m.sched.pending(), 1);
    }
}
