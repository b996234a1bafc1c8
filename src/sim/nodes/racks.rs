//! Free nodes per rack, with racks kept in buckets by that count, so that a
//! job that must fit in one rack (a scale-up domain such as an NVL72) finds
//! the fullest rack it fits in (best fit) in O(nodes per rack).

use super::{NONE, set_push, set_remove};

pub(super) struct Racks {
    free: Vec<u32>,
    /// `by_free[c]`: racks with exactly c free nodes.
    by_free: Vec<Vec<u32>>,
    pos: Vec<u32>,
}

impl Racks {
    /// `racks` racks of `per_rack` nodes, none of them free yet.
    pub fn new(racks: u32, per_rack: u32) -> Self {
        let mut by_free = vec![Vec::new(); per_rack as usize + 1];
        let mut pos = vec![NONE; racks as usize];
        for r in 0..racks {
            set_push(&mut by_free[0], &mut pos, r);
        }
        Self { free: vec![0; racks as usize], by_free, pos }
    }
    fn shift(&mut self, r: u32, up: bool) {
        let c = self.free[r as usize];
        set_remove(&mut self.by_free[c as usize], &mut self.pos, r);
        let c = if up { c + 1 } else { c - 1 };
        self.free[r as usize] = c;
        set_push(&mut self.by_free[c as usize], &mut self.pos, r);
    }
    /// Rack `r` has one free node more.
    #[inline]
    pub fn inc(&mut self, r: u32) {
        self.shift(r, true);
    }
    /// Rack `r` has one free node fewer.
    #[inline]
    pub fn dec(&mut self, r: u32) {
        self.shift(r, false);
    }
    /// The rack with the fewest free nodes that still has `k`.
    pub fn best_fit(&self, k: u32) -> Option<u32> {
        self.by_free.iter().skip(k as usize).find_map(|b| b.last().copied())
    }
    /// Racks with exactly `c` free nodes.
    pub fn with_free(&self, c: u32) -> u32 {
        self.by_free.get(c as usize).map_or(0, |b| b.len() as u32)
    }
}
