//! Where jobs live: slots reused after a tenant job is done, each with an
//! epoch that cancels the job's pending phase event lazily; and the job
//! sources with their random streams and the next request each has drawn.

use super::{Job, JobRequest, JobSource};
use crate::engine::{Epochs, SimRng};
use std::ops::{Index, IndexMut};

#[derive(Default)]
pub(crate) struct JobTable {
    list: Vec<Job>,
    epochs: Epochs,
    free: Vec<u32>,
}

impl JobTable {
    /// Put `job` in a free slot (a new one if none is free); returns the slot
    /// and whether it is new. Reusing a slot moves its epoch on.
    pub fn insert(&mut self, job: Job) -> (u32, bool) {
        match self.free.pop() {
            Some(slot) => {
                self.list[slot as usize] = job;
                self.epochs.bump(slot as usize);
                (slot, false)
            }
            None => {
                self.list.push(job);
                (self.epochs.push() as u32, true)
            }
        }
    }
    /// Job `j` is done and forgotten: its slot may be reused.
    pub fn retire(&mut self, j: u32) {
        self.free.push(j);
    }
    #[inline]
    pub fn epoch(&self, j: u32) -> u32 {
        self.epochs.get(j as usize)
    }
    /// Cancel job `j`'s pending phase event.
    #[inline]
    pub fn cancel_pending(&mut self, j: u32) {
        self.epochs.bump(j as usize);
    }
    /// Slots in use or free: every job id is below it.
    pub fn slots(&self) -> u32 {
        self.list.len() as u32
    }
    pub fn get(&self, j: u32) -> Option<&Job> {
        self.list.get(j as usize)
    }
    /// Slots of the tenant jobs not yet done (queued, waiting or running).
    pub fn live_tenants(&self) -> Vec<u32> {
        let free: std::collections::HashSet<u32> = self.free.iter().copied().collect();
        (0..self.list.len() as u32).filter(|j| !free.contains(j) && !self.list[*j as usize].frontier).collect()
    }
}

impl Index<u32> for JobTable {
    type Output = Job;
    #[inline]
    fn index(&self, j: u32) -> &Job {
        &self.list[j as usize]
    }
}

impl IndexMut<u32> for JobTable {
    #[inline]
    fn index_mut(&mut self, j: u32) -> &mut Job {
        &mut self.list[j as usize]
    }
}

/// The job sources, each with its own random stream and its drawn next request.
pub(crate) struct Arrivals {
    sources: Vec<Box<dyn JobSource>>,
    rngs: Vec<SimRng>,
    pending: Vec<Option<JobRequest>>,
}

impl Arrivals {
    pub fn new(sources: Vec<Box<dyn JobSource>>, rngs: Vec<SimRng>) -> Self {
        let pending = vec![None; sources.len()];
        Self { sources, rngs, pending }
    }
    pub fn len(&self) -> usize {
        self.sources.len()
    }
    /// Draw source `s`'s next job; returns the hours until it arrives, or `None` when the stream has ended.
    pub fn draw(&mut self, s: u16, now_hours: f64) -> Option<f64> {
        let si = s as usize;
        let (gap, req) = self.sources[si].next(now_hours, &mut self.rngs[si])?;
        self.pending[si] = Some(req);
        Some(gap)
    }
    /// The job source `s` drew, now that it arrives.
    pub fn take(&mut self, s: u16) -> Option<JobRequest> {
        self.pending[s as usize].take()
    }
}
