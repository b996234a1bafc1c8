//! Job progress under an enforced power cap. Every busy chip is throttled to
//! the same share, so every running job computes at the same speed: one work
//! clock W(t) = ∫ speed dt serves them all. A running segment ends when W
//! reaches its end; those ends wait here in work time, and the event queue
//! holds one event, at the wall time the earliest will be reached at the
//! current speed. A change of speed re-times that one event, not every job.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

pub(crate) struct WorkClock {
    /// Wall time (ms) of the last reading, and the work (ms at full speed) done by then.
    at: u64,
    work: f64,
    speed: f64,
    /// (end in work time, as bits of a positive f64, which sort as the numbers do; job; epoch).
    ends: BinaryHeap<Reverse<(u64, u32, u32)>>,
    /// The pending wake-up event's generation and wall time.
    pub generation: u32,
    armed: Option<u64>,
}

/// Work within this much of an end (ms) counts as having reached it (rounding).
const SLACK_MS: f64 = 1e-6;

/// A wait this long (ms, about 3 million years) is never: no run is that long.
const NEVER_MS: f64 = 1e17;

impl WorkClock {
    pub fn new() -> Self {
        Self { at: 0, work: 0.0, speed: 1.0, ends: BinaryHeap::new(), generation: 0, armed: None }
    }

    /// Work done by wall time `t` (ms), at the current speed since the last reading.
    #[inline]
    pub fn work_at(&self, t: u64) -> f64 {
        if self.speed == 1.0 { self.work + (t - self.at) as f64 } else { self.work + self.speed * (t - self.at) as f64 }
    }

    /// The speed changes at `t`; returns whether it did.
    pub fn set_speed(&mut self, t: u64, speed: f64) -> bool {
        if speed == self.speed {
            return false;
        }
        self.work = self.work_at(t);
        self.at = t;
        self.speed = speed;
        true
    }

    /// A segment of job `job` (epoch `epoch`) ends when the clock reads `end`.
    pub fn push(&mut self, end: f64, job: u32, epoch: u32) {
        self.ends.push(Reverse((end.to_bits(), job, epoch)));
    }

    /// The wall time (ms) the earliest end will be reached at the current speed, if
    /// it differs from the armed one: the caller schedules a wake-up there under
    /// the new `generation` (so that the old one is stale).
    pub fn rearm(&mut self, now: u64) -> Option<u64> {
        let due = self.ends.peek().and_then(|Reverse((bits, ..))| {
            let left = (f64::from_bits(*bits) - self.work_at(now)).max(0.0);
            let wait = if self.speed == 1.0 { left.ceil() } else { (left / self.speed - SLACK_MS).max(0.0).ceil() };
            // At (almost) no speed the end never comes: no wake-up, rather than one past the clock's range.
            (wait < NEVER_MS).then(|| now + wait as u64)
        });
        if due == self.armed {
            return None;
        }
        self.armed = due;
        self.generation = self.generation.wrapping_add(1);
        due
    }

    /// The segments whose end the clock has reached by `now`, earliest first.
    pub fn due(&mut self, now: u64, out: &mut Vec<(u32, u32)>) {
        self.armed = None;
        let work = self.work_at(now) + SLACK_MS;
        while let Some(&Reverse((bits, job, epoch))) = self.ends.peek() {
            if f64::from_bits(bits) > work {
                break;
            }
            self.ends.pop();
            out.push((job, epoch));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_full_speed_ends_are_wall_times_and_a_slowdown_retimes_them() {
        let mut c = WorkClock::new();
        c.push(1000.0, 7, 0);
        c.push(400.0, 3, 0);
        assert_eq!(c.rearm(0), Some(400));
        assert_eq!(c.rearm(0), None, "already armed there");
        let mut out = Vec::new();
        c.due(400, &mut out);
        assert_eq!(out, vec![(3, 0)]);
        // At 500 ms (work 500), half speed: the end at work 1000 comes at 500 + 1000 ms.
        assert!(c.set_speed(500, 0.5));
        assert_eq!(c.rearm(500), Some(1500));
        out.clear();
        c.due(1499, &mut out);
        assert!(out.is_empty());
        c.due(1500, &mut out);
        assert_eq!(out, vec![(7, 0)]);
        // At (almost) no speed, no wake-up.
        c.push(2000.0, 8, 0);
        assert!(c.set_speed(1500, 1e-40));
        assert_eq!(c.rearm(1500), None);
    }
}
