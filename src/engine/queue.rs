use super::SimTime;
use std::collections::VecDeque;

/// Pending events ordered by (time, insertion sequence): equal times pop in
/// the order they were pushed, so a run is the same on every machine.
///
/// A radix heap on the time key (Ahuja, Mehlhorn, Orlin and Tarjan, 1990), valid
/// because simulation time never goes backwards: every push is at or after the
/// time of the last event popped. Bucket `b` ≥ 1 holds the events whose time
/// first differs from `last` (the last popped time) in bit `b − 1`; bucket 0,
/// `front`, holds those at exactly `last`, in FIFO order. When `front` runs dry,
/// the lowest non-empty bucket is emptied into lower ones around its minimum, the
/// new `last`. An event moves down at most 64 times, in sequential sweeps that
/// stay in cache, where a binary heap of a million events misses the cache at
/// every level of every pop.
///
/// FIFO among equal times needs no sequence number: events of equal time always
/// share a bucket (the bucket is a function of the time and `last`, and emptying
/// a bucket leaves every other event where that function puts it), and every
/// operation keeps their relative order: a push appends, and a bucket is emptied
/// in order into buckets that are empty. The property test below holds the queue
/// to a reference sorted by (time, insertion sequence).
pub struct EventQueue<E> {
    /// Time of the last popped event; every pending event is at or after it.
    last: u64,
    len: usize,
    /// Events at exactly `last`, in insertion order.
    front: VecDeque<E>,
    /// Bucket b (1..=64) at index b − 1.
    buckets: [Vec<(u64, E)>; 64],
    /// Smallest time in each bucket (u64::MAX when empty).
    mins: [u64; 64],
    /// Bit b − 1 set when bucket b is not empty.
    occupied: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

/// The bucket (1..=64) of time `t` ≠ `last`, as an index into `buckets`.
#[inline]
fn bucket_of(t: u64, last: u64) -> usize {
    debug_assert_ne!(t, last);
    63 - (t ^ last).leading_zeros() as usize
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        Self::with_capacity(0)
    }
    pub fn with_capacity(n: usize) -> Self {
        Self {
            last: 0,
            len: 0,
            front: VecDeque::with_capacity(n.min(1024)),
            buckets: std::array::from_fn(|_| Vec::new()),
            mins: [u64::MAX; 64],
            occupied: 0,
        }
    }

    /// Add `event` at time `at`, which must not be before the last popped event
    /// (the engine never schedules into the past). Such a time is a logic error:
    /// it panics in debug builds and is raised to the last popped time otherwise.
    #[inline]
    pub fn push(&mut self, at: SimTime, event: E) {
        let t = at.as_millis();
        debug_assert!(t >= self.last, "pushed at {t} ms, before the last popped event at {} ms", self.last);
        let t = t.max(self.last);
        if t == self.last {
            self.front.push_back(event);
        } else {
            let b = bucket_of(t, self.last);
            self.buckets[b].push((t, event));
            self.mins[b] = self.mins[b].min(t);
            self.occupied |= 1 << b;
        }
        self.len += 1;
    }

    /// Refill `front` from the lowest non-empty bucket; `last` becomes its minimum.
    /// Only called with `front` empty and some bucket occupied.
    #[inline]
    fn refill(&mut self) {
        debug_assert!(self.front.is_empty() && self.occupied != 0);
        let b = self.occupied.trailing_zeros() as usize;
        let last = self.mins[b];
        self.last = last;
        let mut items = std::mem::take(&mut self.buckets[b]);
        self.mins[b] = u64::MAX;
        self.occupied &= !(1 << b);
        for (t, e) in items.drain(..) {
            if t == last {
                self.front.push_back(e);
            } else {
                // Strictly below b, and empty before this sweep: order is kept.
                let d = bucket_of(t, last);
                self.buckets[d].push((t, e));
                self.mins[d] = self.mins[d].min(t);
                self.occupied |= 1 << d;
            }
        }
        self.buckets[b] = items; // keep its allocation
    }

    /// Time of the earliest pending event.
    #[inline]
    pub fn peek_time(&self) -> Option<SimTime> {
        if !self.front.is_empty() {
            Some(SimTime::from_millis(self.last))
        } else if self.occupied != 0 {
            Some(SimTime::from_millis(self.mins[self.occupied.trailing_zeros() as usize]))
        } else {
            None
        }
    }

    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        if self.front.is_empty() {
            if self.occupied == 0 {
                return None;
            }
            let b = self.occupied.trailing_zeros() as usize;
            if self.buckets[b].len() == 1 {
                // A lone event is the minimum: no need to pass it through `front`.
                // A small queue (a few pending events) takes this path at almost every pop.
                let (t, e) = self.buckets[b].pop()?;
                self.last = t;
                self.mins[b] = u64::MAX;
                self.occupied &= !(1 << b);
                self.len -= 1;
                return Some((SimTime::from_millis(t), e));
            }
            self.refill();
        }
        let e = self.front.pop_front()?;
        self.len -= 1;
        Some((SimTime::from_millis(self.last), e))
    }

    /// Pop the earliest event if it is at or before `limit`. When it is not,
    /// nothing changes: events may still be pushed at any time from the last
    /// popped one on.
    #[inline]
    pub fn pop_until(&mut self, limit: SimTime) -> Option<(SimTime, E)> {
        match self.peek_time() {
            Some(t) if t <= limit => self.pop(),
            _ => None,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimRng;
    use rand::{RngExt, SeedableRng};
    use std::collections::BTreeMap;

    /// A delay with many exact ties (0), small steps, and jumps across many bucket widths.
    fn delay(rng: &mut SimRng) -> u64 {
        match rng.random_range(0..10u32) {
            0..=3 => 0,
            4..=6 => rng.random_range(0..4),
            7 | 8 => {
                let bits = rng.random_range(0..20u32);
                rng.random_range(0..1u64 << bits)
            }
            _ => {
                let bits = rng.random_range(0..62u32);
                rng.random_range(0..1u64 << bits)
            }
        }
    }

    /// Random interleavings of push, pop and pop_until against a reference that
    /// sorts by (time, insertion sequence). Pushes are at or after the last popped
    /// time, as in the engine (times below a refused `pop_until` limit included).
    #[test]
    fn pops_in_time_then_insertion_order_like_a_sorted_reference() {
        for seed in 0..300u64 {
            let mut rng = SimRng::seed_from_u64(seed);
            let mut q = EventQueue::new();
            let mut reference: BTreeMap<(u64, u64), u32> = BTreeMap::new();
            let (mut seq, mut floor) = (0u64, 0u64);
            let ops = rng.random_range(1..3_000);
            let push_bias = rng.random_range(30..80u32);
            for _ in 0..ops {
                let r = rng.random_range(0..100u32);
                if r < push_bias {
                    let t = floor.saturating_add(delay(&mut rng));
                    let payload = rng.random::<u32>();
                    q.push(SimTime::from_millis(t), payload);
                    reference.insert((t, seq), payload);
                    seq += 1;
                } else if r < push_bias + (100 - push_bias) / 2 {
                    let want = reference.pop_first().map(|((t, _), p)| (SimTime::from_millis(t), p));
                    assert_eq!(q.pop(), want, "seed {seed}");
                    if let Some((t, _)) = want {
                        floor = t.as_millis();
                    }
                } else {
                    let limit = floor.saturating_add(delay(&mut rng));
                    let want = match reference.first_key_value() {
                        Some((&(t, _), _)) if t <= limit => reference.pop_first().map(|((t, _), p)| (SimTime::from_millis(t), p)),
                        _ => None,
                    };
                    assert_eq!(q.pop_until(SimTime::from_millis(limit)), want, "seed {seed}");
                    if let Some((t, _)) = want {
                        floor = t.as_millis();
                    }
                }
                assert_eq!(q.len(), reference.len());
                assert_eq!(q.is_empty(), reference.is_empty());
                assert_eq!(q.peek_time(), reference.first_key_value().map(|(&(t, _), _)| SimTime::from_millis(t)));
            }
            while let Some(((t, _), p)) = reference.pop_first() {
                assert_eq!(q.pop(), Some((SimTime::from_millis(t), p)), "seed {seed}");
            }
            assert_eq!(q.pop(), None);
        }
    }

    #[test]
    fn equal_times_pop_first_in_first_out() {
        let mut q = EventQueue::with_capacity(8);
        for (t, id) in [(5, 0), (3, 1), (5, 2), (3, 3), (9, 4), (5, 5)] {
            q.push(SimTime::from_millis(t), id);
        }
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(t, id)| (t.as_millis(), id)).collect();
        assert_eq!(order, vec![(3, 1), (3, 3), (5, 0), (5, 2), (5, 5), (9, 4)]);
    }

    #[test]
    fn a_refused_pop_until_leaves_earlier_pushes_possible() {
        let mut q = EventQueue::new();
        q.push(SimTime::from_millis(1_000), 'a');
        assert_eq!(q.pop_until(SimTime::from_millis(100)), None);
        q.push(SimTime::from_millis(100), 'b'); // the engine's clock now stands at the horizon, 100
        assert_eq!(q.pop(), Some((SimTime::from_millis(100), 'b')));
        assert_eq!(q.pop(), Some((SimTime::from_millis(1_000), 'a')));
    }
}
