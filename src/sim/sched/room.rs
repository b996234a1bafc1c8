//! The free room a policy plans with, allocated as the node pool allocates
//! (whole free nodes; a job smaller than a node on the fullest shared node
//! it fits on), and EASY backfill's reservation for the first blocked job.

use super::{QueuedJob, RunningJob};
use crate::engine::{Duration, SimTime};

/// Free whole nodes, and shared nodes counted by their free chips.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Room {
    pub free_nodes: u32,
    chips_per_node: u32,
    /// `partial[k]`: shared nodes with exactly k free chips.
    partial: Vec<u32>,
    /// `racks[c]`: racks with exactly c free nodes (for jobs that must fit in one rack).
    racks: Vec<u32>,
}

impl Room {
    /// `free_nodes` empty nodes of `chips_per_node` chips and no shared node.
    pub fn nodes(free_nodes: u32, chips_per_node: u32) -> Self {
        Self { free_nodes, chips_per_node, partial: vec![0; chips_per_node as usize], racks: Vec::new() }
    }
    /// Count racks of up to `per_rack` nodes by their free nodes (all 0 until set).
    pub fn with_racks(mut self, per_rack: u32) -> Self {
        self.racks = vec![0; per_rack as usize + 1];
        self
    }
    /// `count` racks with `c` free nodes each.
    pub fn set_racks(&mut self, c: u32, count: u32) {
        if let Some(r) = self.racks.get_mut(c as usize) {
            *r = count;
        }
    }
    /// The fullest rack with `k` free nodes, by its free count.
    fn rack_fit(&self, k: u32) -> Option<u32> {
        (k as usize..self.racks.len()).find(|&c| self.racks[c] > 0).map(|c| c as u32)
    }
    /// Add `count` shared nodes with `k` free chips each.
    pub fn with_partial(mut self, k: u32, count: u32) -> Self {
        self.set_partial(k, count);
        self
    }
    pub(crate) fn set_partial(&mut self, k: u32, count: u32) {
        if (1..self.chips_per_node).contains(&k) {
            self.partial[k as usize] = count;
        }
    }
    pub fn chips_per_node(&self) -> u32 {
        self.chips_per_node
    }
    /// Free chips, whole nodes and shared nodes together.
    pub fn free_chips(&self) -> u64 {
        self.free_nodes as u64 * self.chips_per_node as u64
            + self.partial.iter().enumerate().map(|(k, &n)| k as u64 * n as u64).sum::<u64>()
    }
    /// Shared nodes with `k` free chips.
    pub fn partial(&self, k: u32) -> u32 {
        self.partial.get(k as usize).copied().unwrap_or(0)
    }
    /// Nothing more can start here.
    pub fn is_full(&self) -> bool {
        self.free_nodes == 0 && self.partial.iter().all(|&n| n == 0)
    }
    fn shared_fit(&self, chips: u32) -> Option<u32> {
        (chips..self.chips_per_node).find(|&k| self.partial[k as usize] > 0)
    }
    pub fn fits(&self, j: &QueuedJob) -> bool {
        if j.sub_node {
            self.free_nodes > 0 || self.shared_fit(j.chips as u32).is_some()
        } else if j.one_rack {
            j.nodes <= self.free_nodes && self.rack_fit(j.nodes).is_some()
        } else {
            j.nodes <= self.free_nodes
        }
    }
    /// Whole free nodes `j` would take here (0 for a sub-node job that fits on a shared node).
    pub fn fresh_nodes(&self, j: &QueuedJob) -> u32 {
        if j.sub_node && self.shared_fit(j.chips as u32).is_some() { 0 } else { j.nodes }
    }
    /// Allocate `j` as the pool would; false (and nothing taken) if it does not fit.
    pub fn take(&mut self, j: &QueuedJob) -> bool {
        if !j.sub_node {
            if !self.fits(j) {
                return false;
            }
            // Whole-node jobs placed anywhere take nodes the pool picks, from racks
            // this count does not follow; the simulation checks each start again.
            if j.one_rack
                && let Some(c) = self.rack_fit(j.nodes)
            {
                self.racks[c as usize] -= 1;
                self.racks[(c - j.nodes) as usize] += 1;
            }
            self.free_nodes -= j.nodes;
            return true;
        }
        let c = j.chips as u32;
        let k = match self.shared_fit(c) {
            Some(k) => {
                self.partial[k as usize] -= 1;
                k
            }
            None if self.free_nodes > 0 => {
                self.free_nodes -= 1;
                self.chips_per_node
            }
            None => return false,
        };
        if k > c {
            self.partial[(k - c) as usize] += 1;
        }
        true
    }
}

/// EASY backfill's reservation for the first job that cannot start.
///
/// For a whole-node job it counts free nodes, plus the nodes whole-node jobs
/// release at their requested ends, plus each shared node at the last
/// requested end of the jobs on it (a node holding a job without a wall time
/// is never counted). For a sub-node job it is the first of those releases,
/// or the end of a sub-node job at least as large. A job that ends by the
/// reservation may start; one that does not must fit in the nodes the head
/// will not need (`extra`), and a sub-node job joining a shared node counts
/// there as one node, since it may keep that node busy past the reservation.
///
/// Sub-node jobs started in the same pass before the head joined shared nodes
/// the policy cannot tell apart; [`shared_after_pass`] moves the earliest
/// shared nodes' times back to those jobs' ends, the worst they can do.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reservation {
    /// When the head can start at the latest (`None`: no known end frees enough).
    pub at: Option<SimTime>,
    /// Free nodes at that time beyond what the head needs (whole-node heads).
    pub extra: u32,
    head_sub_node: bool,
}

impl Reservation {
    /// The reservation for `head` given the room now, the running jobs in
    /// order of their requested ends (`ends`) and the times shared nodes
    /// empty (`shared`, ascending).
    pub fn for_head<'a>(
        head: &QueuedJob,
        room: &Room,
        ends: impl Iterator<Item = &'a RunningJob>,
        shared: impl Iterator<Item = SimTime>,
    ) -> Self {
        let mut avail = room.free_nodes;
        let mut shared = shared.peekable();
        let mut ends = ends.filter(|r| r.ends_by.is_some()).peekable();
        loop {
            // The next release: a running job's end or a shared node emptying.
            let (t, nodes, chips_freed) = match (ends.peek(), shared.peek()) {
                (Some(r), Some(&s)) if s < r.ends_by.expect("filtered") => (shared.next().expect("peeked"), 1, 0),
                (Some(_), _) => {
                    let r = ends.next().expect("peeked");
                    (r.ends_by.expect("filtered"), if r.sub_node { 0 } else { r.nodes }, if r.sub_node { r.chips } else { 0 })
                }
                (None, Some(_)) => (shared.next().expect("peeked"), 1, 0),
                (None, None) => return Self { at: None, extra: 0, head_sub_node: head.sub_node },
            };
            if head.sub_node {
                if nodes > 0 || chips_freed >= head.chips {
                    return Self { at: Some(t), extra: 0, head_sub_node: true };
                }
            } else {
                avail += nodes;
                if avail >= head.nodes {
                    return Self { at: Some(t), extra: avail - head.nodes, head_sub_node: false };
                }
            }
        }
    }

    /// Whether `j`, which fits in `room` now, may start without delaying the
    /// head; if so, what it takes from the spare room is spent.
    pub fn admit(&mut self, j: &QueuedJob, room: &Room, now: SimTime) -> bool {
        let Some(at) = self.at else { return true };
        let ends_in_time = j.walltime_ms.is_some_and(|w| now + Duration::from_millis(w) <= at);
        if ends_in_time {
            return true;
        }
        if self.head_sub_node {
            return false;
        }
        let need = if j.sub_node { 1 } else { room.fresh_nodes(j) };
        if need <= self.extra {
            self.extra -= need;
            return true;
        }
        false
    }
}

/// Shared nodes' emptying times after a pass's starts, worst case: `fresh`
/// (requested ends of sub-node jobs started on a fresh node, each making a new
/// shared node) are added; `joins` (of sub-node jobs that joined shared nodes,
/// unknown which) are paired latest end with earliest node, and each such node
/// empties at the later of the two. No node is counted earlier than it could
/// empty, whichever nodes the jobs took. `None`: no wall time, never empties.
pub fn shared_after_pass(shared: impl Iterator<Item = SimTime>, fresh: &[Option<SimTime>], joins: &mut [Option<SimTime>]) -> Vec<SimTime> {
    let mut nodes: Vec<SimTime> = shared.chain(fresh.iter().flatten().copied()).collect();
    nodes.sort_unstable();
    joins.sort_by_key(|e| std::cmp::Reverse(e.unwrap_or(SimTime::from_millis(u64::MAX))));
    let mut out = Vec::with_capacity(nodes.len());
    for (i, t) in nodes.into_iter().enumerate() {
        match joins.get(i) {
            Some(Some(e)) => out.push(t.max(*e)),
            Some(None) => {}
            None => out.push(t),
        }
    }
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::job;
    use super::*;

    fn small(id: u32, chips: u64) -> QueuedJob {
        QueuedJob { chips, sub_node: true, nodes: 1, ..job(id, 1) }
    }

    #[test]
    fn sub_node_jobs_take_the_fullest_shared_node_they_fit_on() {
        let mut r = Room::nodes(1, 8).with_partial(3, 1).with_partial(6, 1);
        assert!(r.take(&small(1, 2)), "fits on the node with 3 free");
        assert_eq!((r.partial(3), r.partial(1), r.partial(6), r.free_nodes), (0, 1, 1, 1));
        assert!(r.take(&small(2, 5)), "fits on the node with 6 free");
        assert_eq!((r.partial(6), r.partial(1)), (0, 2));
        assert!(r.take(&small(3, 7)), "needs a fresh node");
        assert_eq!((r.free_nodes, r.partial(1)), (0, 3));
        assert!(!r.take(&small(4, 2)) && r.take(&small(5, 1)));
        assert_eq!(r.free_chips(), 2);
    }
}
