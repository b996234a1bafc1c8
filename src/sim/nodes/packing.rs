//! Chip-level allocation: jobs smaller than a node share nodes, as on GPU
//! clusters. A shared node sits in the bucket of its free-chip count, so a
//! job takes the fullest node it fits on (best fit) in O(chips per node).

use super::{NONE, set_pop, set_push, set_remove};

#[derive(Default)]
pub(super) struct Packing {
    cpn: u32,
    /// Chips in use on each node by sub-node jobs (allocated on first use).
    used: Vec<u32>,
    /// Sub-node jobs on each node.
    on: Vec<Vec<u32>>,
    /// `partial[k]`: healthy shared nodes with exactly k free chips (0 < k < cpn).
    partial: Vec<Vec<u32>>,
    pos: Vec<u32>,
}

impl Packing {
    pub fn new(cpn: u32) -> Self {
        Self { cpn, partial: vec![Vec::new(); cpn as usize], ..Default::default() }
    }

    fn ensure(&mut self, nodes: usize) {
        if self.used.is_empty() {
            self.used = vec![0; nodes];
            self.on = vec![Vec::new(); nodes];
            self.pos = vec![NONE; nodes];
        }
    }

    /// A healthy shared node with room for `chips`, the fullest first.
    pub fn best_fit(&mut self, chips: u32) -> Option<u32> {
        (chips..self.cpn).find_map(|k| set_pop(&mut self.partial[k as usize], &mut self.pos))
    }

    /// Job `job` takes `chips` on node `n` (taken from [`best_fit`](Self::best_fit) or the free pool).
    pub fn place(&mut self, n: u32, job: u32, chips: u32, nodes: usize) {
        self.ensure(nodes);
        let i = n as usize;
        self.used[i] += chips;
        self.on[i].push(job);
        let free = self.cpn - self.used[i];
        if free > 0 {
            set_push(&mut self.partial[free as usize], &mut self.pos, n);
        }
    }

    /// Job `job` leaves node `n`; returns the chips still used there. A healthy
    /// node moves to the bucket of its new free count (the caller frees it at 0).
    pub fn leave(&mut self, n: u32, job: u32, chips: u32, healthy: bool) -> u32 {
        let i = n as usize;
        if healthy {
            self.unlist(n);
        }
        self.used[i] -= chips;
        if let Some(k) = self.on[i].iter().position(|&j| j == job) {
            self.on[i].swap_remove(k);
        }
        let used = self.used[i];
        if healthy && used > 0 {
            set_push(&mut self.partial[(self.cpn - used) as usize], &mut self.pos, n);
        }
        used
    }

    /// Take node `n` out of its bucket (it went down, or its count changes).
    pub fn unlist(&mut self, n: u32) {
        let i = n as usize;
        let free = self.cpn - self.used[i];
        if free > 0 && self.pos[i] != NONE {
            set_remove(&mut self.partial[free as usize], &mut self.pos, n);
        }
    }

    pub fn jobs_on(&self, n: u32) -> &[u32] {
        self.on.get(n as usize).map_or(&[], |v| v.as_slice())
    }

    /// Healthy shared nodes with exactly `k` free chips.
    pub fn with_free(&self, k: u32) -> u32 {
        self.partial.get(k as usize).map_or(0, |v| v.len() as u32)
    }
}
