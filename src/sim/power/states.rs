//! Chip states as one table: each state's label, the time bucket it lands in
//! and the watts it draws. A new state is one row here plus its uses.

use crate::config::{ChipWatts, PowerModel};

/// What a chip is doing. Every installed chip is in exactly one state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ChipState {
    Idle = 0,
    Busy = 1,
    Checkpoint = 2,
    Restart = 3,
    Waiting = 4,
    Down = 5,
    /// Healthy, held by a job as a hot spare: idle, but not free for others.
    Spare = 6,
    /// In a rack not yet in service (a site built in phases).
    NotInstalled = 7,
}

pub const STATES: usize = ChipState::ALL.len();

/// The time-accounting bucket a state's chip-time lands in. Busy time splits
/// into useful and lost when the report is built (lost work was busy once).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bucket {
    Work,
    Checkpoint,
    Restart,
    Waiting,
    Idle,
    Down,
    NotInstalled,
}

/// One row of the chip-state table.
pub struct StateRow {
    pub state: ChipState,
    pub label: &'static str,
    pub bucket: Bucket,
    /// Watts of one chip in this state, read from the power model.
    pub watts: fn(&ChipWatts) -> f64,
    /// A chip in this state belongs to a job that has stalled: a power floor lifts it.
    pub stalled: bool,
}

/// The table, in the order of the `ChipState` discriminants.
pub const TABLE: [StateRow; 8] = [
    StateRow { state: ChipState::Idle, label: "idle", bucket: Bucket::Idle, watts: |w| w.idle.get(), stalled: false },
    StateRow { state: ChipState::Busy, label: "busy", bucket: Bucket::Work, watts: |w| w.busy.get(), stalled: false },
    StateRow {
        state: ChipState::Checkpoint,
        label: "checkpoint",
        bucket: Bucket::Checkpoint,
        watts: |w| w.checkpoint.get(),
        stalled: true,
    },
    StateRow { state: ChipState::Restart, label: "restart", bucket: Bucket::Restart, watts: |w| w.restart.get(), stalled: true },
    // Allocated to a job that waits for healthy nodes: powered, not computing.
    StateRow { state: ChipState::Waiting, label: "waiting", bucket: Bucket::Waiting, watts: |w| w.idle.get(), stalled: true },
    StateRow { state: ChipState::Down, label: "down", bucket: Bucket::Down, watts: |w| w.down.get(), stalled: false },
    // A hot spare draws idle power and counts as idle time (split out in the summary).
    StateRow { state: ChipState::Spare, label: "hot spare", bucket: Bucket::Idle, watts: |w| w.idle.get(), stalled: false },
    // Not there yet: it draws nothing.
    StateRow { state: ChipState::NotInstalled, label: "not installed", bucket: Bucket::NotInstalled, watts: |_| 0.0, stalled: false },
];

impl ChipState {
    pub const ALL: [ChipState; TABLE.len()] = {
        let mut all = [ChipState::Idle; TABLE.len()];
        let mut i = 0;
        while i < TABLE.len() {
            all[i] = TABLE[i].state;
            i += 1;
        }
        all
    };
    pub fn row(self) -> &'static StateRow {
        &TABLE[self as usize]
    }
    pub fn label(self) -> &'static str {
        self.row().label
    }
    pub fn bucket(self) -> Bucket {
        self.row().bucket
    }
    /// Watts per chip in each state, in table order.
    pub fn watts_table(w: &ChipWatts) -> [f64; STATES] {
        TABLE.map(|r| (r.watts)(w))
    }
    /// The same with the model's power floor applied to stalled states.
    pub fn floored_watts(p: &PowerModel) -> [f64; STATES] {
        let w = &p.chip_watts;
        let floor = p.floor.as_ref().map_or(0.0, |f| f.fraction_of_busy.get() * w.busy.get());
        TABLE.map(|r| if r.stalled { (r.watts)(w).max(floor) } else { (r.watts)(w) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_discriminant_order_with_unique_labels() {
        for (i, r) in TABLE.iter().enumerate() {
            assert_eq!(r.state as usize, i, "{} out of order", r.label);
            assert_eq!(ChipState::ALL[i], r.state);
        }
        let mut labels: Vec<_> = TABLE.iter().map(|r| r.label).collect();
        labels.sort();
        labels.dedup();
        assert_eq!(labels.len(), STATES);
    }
}
