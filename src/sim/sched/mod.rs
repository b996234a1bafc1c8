//! Who runs next. A [`Policy`] sees a read-only view of the queue and the free
//! capacity and returns decisions; the job module carries them out. An
//! interrupted job goes back into the queue where the policy says.

use crate::config::SchedulerSpec;
use crate::engine::SimTime;
use std::collections::VecDeque;

/// Why a job stopped before its work was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cause {
    /// A failure struck one of its computing nodes.
    Failure,
}

/// A queued job as a policy sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct QueuedJob {
    pub id: u32,
    /// Nodes it needs to start.
    pub nodes: u32,
    pub chips: u64,
    /// Its group: frontier job index, then job sources (tenant classes) in order.
    pub group: u16,
    pub submitted: SimTime,
    /// Times it was interrupted before (0 for a job never started).
    pub interruptions: u32,
}

/// What a policy sees when it decides.
pub struct QueueView<'a> {
    queue: &'a VecDeque<QueuedJob>,
    pub free_nodes: u32,
    pub now: SimTime,
}

impl<'a> QueueView<'a> {
    /// Queued jobs in queue order.
    pub fn jobs(&self) -> impl Iterator<Item = &'a QueuedJob> + 'a {
        self.queue.iter()
    }
    pub fn len(&self) -> usize {
        self.queue.len()
    }
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

/// A policy's decision, carried out in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision {
    /// Start queued job `id` on free nodes (skipped if it is not queued or does not fit).
    Start(u32),
}

/// Where an interrupted job goes back into the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    Front,
    Back,
}

/// A scheduling policy. Implement it in your own crate and hand it to
/// [`SimulationBuilder::policy`](crate::SimulationBuilder::policy).
pub trait Policy: Send {
    fn name(&self) -> &str;
    /// Which queued jobs start now, given the free healthy nodes.
    fn decide(&mut self, view: &QueueView, out: &mut Vec<Decision>);
    /// Where a job interrupted by `cause` waits to run again.
    fn requeue(&mut self, job: &QueuedJob, cause: Cause) -> Placement;
}

/// The policy a workload file names.
pub fn policy_for(spec: SchedulerSpec) -> Box<dyn Policy> {
    match spec {
        SchedulerSpec::Fcfs => Box::new(Fcfs),
    }
}

/// Strict first come, first served.
#[derive(Clone, Copy, Debug, Default)]
pub struct Fcfs;

impl Policy for Fcfs {
    fn name(&self) -> &str {
        "FCFS"
    }
    fn decide(&mut self, view: &QueueView, out: &mut Vec<Decision>) {
        let mut free = view.free_nodes;
        for j in view.jobs() {
            if j.nodes > free {
                break;
            }
            free -= j.nodes;
            out.push(Decision::Start(j.id));
        }
    }
    fn requeue(&mut self, _: &QueuedJob, _: Cause) -> Placement {
        Placement::Front
    }
}

/// The queue and the policy that serves it.
pub(crate) struct Sched {
    queue: VecDeque<QueuedJob>,
    policy: Box<dyn Policy>,
    decisions: Vec<Decision>,
}

impl Sched {
    pub fn new(policy: Box<dyn Policy>) -> Self {
        Self { queue: VecDeque::new(), policy, decisions: Vec::new() }
    }
    pub fn len(&self) -> usize {
        self.queue.len()
    }
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
    pub fn jobs(&self) -> impl Iterator<Item = &QueuedJob> {
        self.queue.iter()
    }
    pub fn submit(&mut self, j: QueuedJob) {
        self.queue.push_back(j);
    }
    pub fn requeue(&mut self, j: QueuedJob, cause: Cause) {
        match self.policy.requeue(&j, cause) {
            Placement::Front => self.queue.push_front(j),
            Placement::Back => self.queue.push_back(j),
        }
    }
    /// The policy's decisions for this instant (taken out; hand them back with [`done`](Self::done)).
    pub fn decide(&mut self, free_nodes: u32, now: SimTime) -> Vec<Decision> {
        let mut out = std::mem::take(&mut self.decisions);
        out.clear();
        self.policy.decide(&QueueView { queue: &self.queue, free_nodes, now }, &mut out);
        out
    }
    pub fn done(&mut self, d: Vec<Decision>) {
        self.decisions = d;
    }
    /// Take job `id` out of the queue to start it; `None` if it is not queued.
    pub fn take(&mut self, id: u32) -> Option<QueuedJob> {
        if self.queue.front().is_some_and(|j| j.id == id) {
            return self.queue.pop_front();
        }
        let i = self.queue.iter().position(|j| j.id == id)?;
        self.queue.remove(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: u32, nodes: u32) -> QueuedJob {
        QueuedJob { id, nodes, chips: nodes as u64 * 4, group: 0, submitted: SimTime::ZERO, interruptions: 0 }
    }

    #[test]
    fn fcfs_starts_the_head_while_it_fits_and_nothing_passes_it() {
        let mut q = Sched::new(Box::new(Fcfs));
        for (id, nodes) in [(1, 2), (2, 3), (3, 1)] {
            q.submit(job(id, nodes));
        }
        let d = q.decide(5, SimTime::ZERO);
        assert_eq!(d, vec![Decision::Start(1), Decision::Start(2)], "2 + 3 nodes fit in 5");
        q.done(d);
        let d = q.decide(4, SimTime::ZERO);
        assert_eq!(d, vec![Decision::Start(1)], "job 2 (3 nodes) does not fit in the 2 left; job 3 may not pass it");
        q.done(d);
        assert_eq!(q.take(2).map(|j| j.id), Some(2), "taken from the middle");
        assert_eq!(q.take(2), None);
        assert_eq!(q.len(), 2);
    }

    #[test]
    fn fcfs_requeues_an_interrupted_job_at_the_front() {
        let mut q = Sched::new(Box::new(Fcfs));
        q.submit(job(1, 1));
        q.requeue(job(9, 1), Cause::Failure);
        let d = q.decide(1, SimTime::ZERO);
        assert_eq!(d, vec![Decision::Start(9)]);
    }
}
