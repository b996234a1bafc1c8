//! The chip-state ledger: how many chips are in each state and how many nodes
//! are up, and the exact chip-time each state has held. It knows no watts.

use super::states::{ChipState, STATES};
use crate::engine::SimTime;

#[derive(Clone, Debug)]
pub struct Ledger {
    last: SimTime,
    count: [u64; STATES],
    /// Σ (change in `count[s]` × time of the change) over the run, so that the
    /// exact chip-time in state s up to T is count[s] × T − this (summation by
    /// parts): one product per change of state rather than one per state per event.
    changes: [i128; STATES],
    up_nodes: u64,
    node_changes: i128,
}

impl Ledger {
    /// All chips start idle and all nodes up.
    pub fn new(chips: u64, nodes: u64) -> Self {
        let mut count = [0; STATES];
        count[ChipState::Idle as usize] = chips;
        Self { last: SimTime::ZERO, count, changes: [0; STATES], up_nodes: nodes, node_changes: 0 }
    }

    /// The time changes are booked at: the meter moves it forward.
    #[inline]
    pub fn set_time(&mut self, now: SimTime) {
        self.last = now;
    }
    #[inline]
    pub fn time(&self) -> SimTime {
        self.last
    }

    /// Move `chips` chips from one state to another, at the ledger's time.
    #[inline]
    pub fn shift(&mut self, from: ChipState, to: ChipState, chips: u64) {
        debug_assert!(self.count[from as usize] >= chips, "{from:?} has {} < {chips}", self.count[from as usize]);
        self.count[from as usize] -= chips;
        self.count[to as usize] += chips;
        let moved = chips as i128 * self.last.as_millis() as i128;
        self.changes[from as usize] -= moved;
        self.changes[to as usize] += moved;
    }

    #[inline]
    pub fn node_up(&mut self) {
        self.up_nodes += 1;
        self.node_changes += self.last.as_millis() as i128;
    }
    #[inline]
    pub fn node_down(&mut self) {
        self.up_nodes -= 1;
        self.node_changes -= self.last.as_millis() as i128;
    }

    /// Chips in state `s` now.
    #[inline]
    pub fn count(&self, s: ChipState) -> u64 {
        self.count[s as usize]
    }
    #[inline]
    pub fn counts(&self) -> &[u64; STATES] {
        &self.count
    }
    #[inline]
    pub fn up_nodes(&self) -> u64 {
        self.up_nodes
    }

    /// Exact chip-milliseconds spent in each state up to the ledger's time.
    pub fn chip_ms(&self) -> [u128; STATES] {
        std::array::from_fn(|s| (self.count[s] as i128 * self.last.as_millis() as i128 - self.changes[s]) as u128)
    }

    /// Exact node-milliseconds in service up to the ledger's time.
    pub fn node_up_ms(&self) -> u128 {
        (self.up_nodes as i128 * self.last.as_millis() as i128 - self.node_changes) as u128
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ChipState::*;

    fn at(l: &mut Ledger, ms: u64) {
        l.set_time(SimTime::from_millis(ms));
    }

    /// Step, then assert: chip-time per state is the area under each count.
    #[test]
    fn chip_time_is_the_exact_area_under_each_count() {
        let mut l = Ledger::new(10, 2);
        at(&mut l, 100);
        l.shift(Idle, Busy, 8); // idle 2, busy 8
        assert_eq!((l.count(Idle), l.count(Busy)), (2, 8));
        at(&mut l, 250);
        l.shift(Busy, Down, 4); // busy 4, down 4
        l.node_down();
        at(&mut l, 1000);
        let ms = l.chip_ms();
        assert_eq!(ms[Idle as usize], 10 * 100 + 2 * 900);
        assert_eq!(ms[Busy as usize], 8 * 150 + 4 * 750);
        assert_eq!(ms[Down as usize], 4 * 750);
        assert_eq!(ms.iter().sum::<u128>(), 10 * 1000, "every chip-ms in exactly one state");
        assert_eq!(l.node_up_ms(), 2 * 250 + 750);
        assert_eq!(l.up_nodes(), 1);
    }

    #[test]
    fn shifting_back_and_forth_at_one_instant_books_nothing() {
        let mut l = Ledger::new(4, 1);
        at(&mut l, 500);
        l.shift(Idle, Checkpoint, 4);
        l.shift(Checkpoint, Idle, 4);
        at(&mut l, 900);
        assert_eq!(l.chip_ms()[Idle as usize], 4 * 900);
        assert_eq!(l.chip_ms()[Checkpoint as usize], 0);
    }
}
