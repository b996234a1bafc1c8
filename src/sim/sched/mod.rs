//! Who runs next. A [`Policy`] sees a read-only view of the queue, the free
//! room and the running jobs, and returns decisions; the job module carries
//! them out. The queue keeps two orders at once, both O(log n) to change:
//! queue order (submission, or the front for a requeued job) and, per tenant,
//! age order, so that a priority policy never sorts the whole queue.

mod room;
mod slurm;

pub use room::{Reservation, Room, shared_after_pass};
pub use slurm::Slurm;

use crate::config::SchedulerSpec;
use crate::engine::SimTime;
use std::collections::{BTreeMap, BTreeSet};

/// Why a job stopped before its work was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cause {
    /// A failure struck one of its computing nodes.
    Failure,
    /// It ran past its requested wall time.
    WallTime,
    /// A job of a higher tier (or a frontier job's recovery) took its chips.
    Preempted,
    /// Planned maintenance took its nodes: it saved its work on notice.
    Maintenance,
}

/// A queued job as a policy sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct QueuedJob {
    pub id: u32,
    /// Whole nodes it needs to start (1 for a job smaller than a node, which shares one).
    pub nodes: u32,
    pub chips: u64,
    /// Fewer chips than a node has: it takes chips on a shared node.
    pub sub_node: bool,
    /// Its nodes must lie in one rack (a scale-up domain).
    pub one_rack: bool,
    /// Its group: frontier job index, then job sources in order.
    pub group: u16,
    pub tenant: u16,
    pub submitted: SimTime,
    /// Times it was interrupted before (0 for a job never started).
    pub interruptions: u32,
    pub preemptions: u32,
    /// Requested wall time per attempt, ms (`None`: unlimited).
    pub walltime_ms: Option<u64>,
}

/// A running tenant job as a policy sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct RunningJob {
    pub id: u32,
    pub nodes: u32,
    pub chips: u64,
    pub sub_node: bool,
    pub tenant: u16,
    pub started: SimTime,
    /// Start plus requested wall time: when it ends at the latest.
    pub ends_by: Option<SimTime>,
    pub preemptions: u32,
    /// The shared node a job smaller than a node sits on.
    pub node: Option<u32>,
}

/// What a policy knows of a tenant.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct TenantInfo {
    pub name: String,
    /// Entitled share, normalised over all tenants.
    pub share: f64,
    pub tier: u32,
    pub preemptible: bool,
}

/// What a policy sees when it decides.
pub struct QueueView<'a> {
    q: &'a Sched,
    pub room: &'a Room,
    /// Healthy whole nodes owned by no job.
    pub free_nodes: u32,
    pub now: SimTime,
}

impl<'a> QueueView<'a> {
    /// Queued jobs in queue order.
    pub fn jobs(&self) -> impl Iterator<Item = &'a QueuedJob> + 'a {
        self.q.order.values()
    }
    /// Tenant `t`'s queued jobs, oldest submission first.
    pub fn tenant_jobs(&self, t: u16) -> impl Iterator<Item = &'a QueuedJob> + 'a {
        let q = self.q;
        q.by_tenant[t as usize].iter().map(move |&(_, id)| &q.order[&q.seq_of[id as usize]])
    }
    pub fn tenants(&self) -> &'a [TenantInfo] {
        &self.q.tenants
    }
    pub fn len(&self) -> usize {
        self.q.order.len()
    }
    pub fn is_empty(&self) -> bool {
        self.q.order.is_empty()
    }
    /// Running tenant jobs with a wall time, by the time they end at the latest.
    pub fn ends(&self) -> impl Iterator<Item = &'a RunningJob> + 'a {
        let q = self.q;
        q.ends.iter().map(move |&(_, id)| q.running[id as usize].as_ref().expect("listed jobs run"))
    }
    /// Shared nodes by when they are empty at the latest (the last requested end
    /// of the jobs on them; nodes holding a job without a wall time are left out).
    pub fn shared_ends(&self) -> impl Iterator<Item = SimTime> + 'a {
        self.q.shared_ends.iter().map(|&(t, _)| t)
    }
    /// Running jobs of preemptible tenants, youngest first.
    pub fn preemptible(&self) -> impl Iterator<Item = &'a RunningJob> + 'a {
        let q = self.q;
        q.victims.iter().rev().map(move |&(_, id)| q.running[id as usize].as_ref().expect("listed jobs run"))
    }
    /// Whole nodes held by running jobs of preemptible tenants.
    pub fn preemptible_nodes(&self) -> u64 {
        self.q.victim_nodes
    }
    /// Whole nodes of preempted jobs still writing their last checkpoint: free soon.
    pub fn draining_nodes(&self) -> u64 {
        self.q.draining_nodes
    }
}

/// A policy's decision, carried out in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision {
    /// Start queued job `id` (skipped if it is not queued or does not fit).
    Start(u32),
    /// Stop running job `id` and requeue it (skipped if it is not running).
    Preempt(u32),
}

/// Where an interrupted job goes back into the queue order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    Front,
    Back,
}

/// A scheduling policy. Implement it in your own crate and hand it to
/// [`SimulationBuilder::policy`](crate::SimulationBuilder::policy).
pub trait Policy: Send {
    fn name(&self) -> &str;
    /// Which queued jobs start now (and which running ones to preempt for them).
    fn decide(&mut self, view: &QueueView, out: &mut Vec<Decision>);
    /// Where a job interrupted by `cause` waits to run again.
    fn requeue(&mut self, job: &QueuedJob, cause: Cause) -> Placement;
    /// Tenant `tenant` holds `delta` chips more (or fewer) from `now` on.
    fn usage(&mut self, _tenant: u16, _delta: i64, _now: SimTime) {}
}

/// The policy a workload file names.
pub fn policy_for(spec: &SchedulerSpec) -> Box<dyn Policy> {
    Box::new(Slurm::new(spec))
}

/// Strict first come, first served (the same as `Slurm` with the `Fcfs` order alone).
#[derive(Clone, Copy, Debug, Default)]
pub struct Fcfs;

impl Policy for Fcfs {
    fn name(&self) -> &str {
        "fcfs"
    }
    fn decide(&mut self, view: &QueueView, out: &mut Vec<Decision>) {
        let mut room = view.room.clone();
        for j in view.jobs() {
            if !room.take(j) {
                break;
            }
            out.push(Decision::Start(j.id));
        }
    }
    fn requeue(&mut self, _: &QueuedJob, _: Cause) -> Placement {
        Placement::Front
    }
}

const NOT_QUEUED: i64 = i64::MIN;

/// A shared node's jobs (requested end, id) and its key in `shared_ends`.
#[derive(Default)]
struct SharedNode {
    jobs: Vec<(Option<SimTime>, u32)>,
    key: Option<SimTime>,
}

/// The queue, the running tenant jobs, and the policy that serves them.
pub(crate) struct Sched {
    order: BTreeMap<i64, QueuedJob>,
    seq_of: Vec<i64>,
    back: i64,
    front: i64,
    by_tenant: Vec<BTreeSet<(SimTime, u32)>>,
    /// Queued jobs by size: the smallest tells which free chips no waiting job can use.
    sizes: BTreeMap<(bool, u64), u32>,
    running: Vec<Option<RunningJob>>,
    ends: BTreeSet<(SimTime, u32)>,
    victims: BTreeSet<(SimTime, u32)>,
    victim_nodes: u64,
    draining_nodes: u64,
    drain: std::collections::HashSet<u32>,
    on_node: std::collections::HashMap<u32, SharedNode>,
    shared_ends: BTreeSet<(SimTime, u32)>,
    tenants: Vec<TenantInfo>,
    policy: Box<dyn Policy>,
    decisions: Vec<Decision>,
}

impl Sched {
    pub fn new(policy: Box<dyn Policy>, tenants: Vec<TenantInfo>) -> Self {
        Self {
            order: BTreeMap::new(),
            seq_of: Vec::new(),
            back: 0,
            front: 0,
            by_tenant: vec![BTreeSet::new(); tenants.len()],
            sizes: BTreeMap::new(),
            running: Vec::new(),
            ends: BTreeSet::new(),
            victims: BTreeSet::new(),
            victim_nodes: 0,
            draining_nodes: 0,
            drain: std::collections::HashSet::new(),
            on_node: std::collections::HashMap::new(),
            shared_ends: BTreeSet::new(),
            tenants,
            policy,
            decisions: Vec::new(),
        }
    }
    pub fn policy_name(&self) -> &str {
        self.policy.name()
    }
    pub fn tenants(&self) -> &[TenantInfo] {
        &self.tenants
    }
    pub fn len(&self) -> usize {
        self.order.len()
    }
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
    pub fn jobs(&self) -> impl Iterator<Item = &QueuedJob> {
        self.order.values()
    }
    /// The smallest queued job: (whether it fits in part of a node, chips).
    pub fn smallest(&self) -> Option<(bool, u64)> {
        self.sizes.keys().next().map(|&(whole, chips)| (!whole, chips))
    }

    fn insert(&mut self, j: QueuedJob, seq: i64) {
        let id = j.id as usize;
        if self.seq_of.len() <= id {
            self.seq_of.resize(id + 1, NOT_QUEUED);
        }
        self.seq_of[id] = seq;
        self.by_tenant[j.tenant as usize].insert((j.submitted, j.id));
        *self.sizes.entry((!j.sub_node, j.chips)).or_insert(0) += 1;
        self.order.insert(seq, j);
    }
    pub fn submit(&mut self, j: QueuedJob) {
        self.back += 1;
        self.insert(j, self.back);
    }
    pub fn requeue(&mut self, j: QueuedJob, cause: Cause) {
        let seq = match self.policy.requeue(&j, cause) {
            Placement::Front => {
                self.front -= 1;
                self.front
            }
            Placement::Back => {
                self.back += 1;
                self.back
            }
        };
        self.insert(j, seq);
    }
    /// Take job `id` out of the queue to start it; `None` if it is not queued.
    pub fn take(&mut self, id: u32) -> Option<QueuedJob> {
        let seq = *self.seq_of.get(id as usize)?;
        if seq == NOT_QUEUED {
            return None;
        }
        self.seq_of[id as usize] = NOT_QUEUED;
        let j = self.order.remove(&seq)?;
        self.by_tenant[j.tenant as usize].remove(&(j.submitted, j.id));
        let key = (!j.sub_node, j.chips);
        match self.sizes.get_mut(&key) {
            Some(n) if *n > 1 => *n -= 1,
            _ => {
                self.sizes.remove(&key);
            }
        }
        Some(j)
    }

    /// Tenant job `r` started.
    pub fn started(&mut self, r: RunningJob, now: SimTime) {
        let id = r.id as usize;
        if self.running.len() <= id {
            self.running.resize(id + 1, None);
        }
        if let Some(end) = r.ends_by {
            self.ends.insert((end, r.id));
        }
        if self.tenants[r.tenant as usize].preemptible {
            self.victims.insert((r.started, r.id));
            self.victim_nodes += if r.sub_node { 0 } else { r.nodes as u64 };
        }
        if let Some(n) = r.node {
            self.on_node.entry(n).or_default().jobs.push((r.ends_by, r.id));
            self.relist(n);
        }
        self.running[id] = Some(r);
        self.policy.usage(r.tenant, r.chips as i64, now);
    }

    /// Shared node `n`'s jobs changed: when is it empty at the latest?
    fn relist(&mut self, n: u32) {
        let Some(node) = self.on_node.get_mut(&n) else { return };
        if let Some(old) = node.key.take() {
            self.shared_ends.remove(&(old, n));
        }
        if node.jobs.is_empty() {
            self.on_node.remove(&n);
            return;
        }
        // A job without a wall time keeps the node for ever, as far as anyone knows.
        let last = node.jobs.iter().map(|j| j.0).try_fold(SimTime::ZERO, |m, e| e.map(|e| m.max(e)));
        if let Some(t) = last {
            node.key = Some(t);
            self.shared_ends.insert((t, n));
        }
    }
    /// Running job `id` was preempted and writes a checkpoint before it stops:
    /// no longer a victim to pick, its nodes free once it is written.
    pub fn draining(&mut self, id: u32) {
        let Some(r) = self.running.get(id as usize).and_then(|r| r.as_ref()).copied() else { return };
        if self.victims.remove(&(r.started, r.id)) {
            self.victim_nodes -= if r.sub_node { 0 } else { r.nodes as u64 };
        }
        if !r.sub_node {
            self.draining_nodes += r.nodes as u64;
        }
        self.drain.insert(id);
    }
    /// Tenant job `id` stopped running (done, interrupted, killed or preempted).
    pub fn stopped(&mut self, id: u32, now: SimTime) -> Option<RunningJob> {
        let r = self.running.get_mut(id as usize)?.take()?;
        if let Some(end) = r.ends_by {
            self.ends.remove(&(end, r.id));
        }
        if self.victims.remove(&(r.started, r.id)) {
            self.victim_nodes -= if r.sub_node { 0 } else { r.nodes as u64 };
        }
        if self.drain.remove(&r.id) && !r.sub_node {
            self.draining_nodes -= r.nodes as u64;
        }
        if let Some(n) = r.node {
            if let Some(node) = self.on_node.get_mut(&n) {
                node.jobs.retain(|j| j.1 != r.id);
            }
            self.relist(n);
        }
        self.policy.usage(r.tenant, -(r.chips as i64), now);
        Some(r)
    }
    pub fn running(&self, id: u32) -> Option<&RunningJob> {
        self.running.get(id as usize)?.as_ref()
    }
    /// Whether running job `id` is writing its checkpoint to leave.
    pub fn is_draining(&self, id: u32) -> bool {
        self.drain.contains(&id)
    }
    /// Running whole-node tenant jobs, youngest first, until they hold `nodes` nodes.
    pub fn youngest_whole_node(&self, nodes: u32) -> Vec<u32> {
        let mut all: Vec<&RunningJob> = self.running.iter().flatten().filter(|r| !r.sub_node).collect();
        all.sort_by_key(|r| std::cmp::Reverse((r.started, r.id)));
        let mut got = 0;
        all.into_iter()
            .take_while(|r| {
                let more = got < nodes;
                got += r.nodes;
                more
            })
            .map(|r| r.id)
            .collect()
    }
    /// A frontier job of `tenant` holds `delta` chips more or fewer.
    pub fn usage(&mut self, tenant: u16, delta: i64, now: SimTime) {
        self.policy.usage(tenant, delta, now);
    }

    /// The policy's decisions for this instant (taken out; hand them back with [`done`](Self::done)).
    pub fn decide(&mut self, room: &Room, now: SimTime) -> Vec<Decision> {
        let mut out = std::mem::take(&mut self.decisions);
        out.clear();
        let mut policy = std::mem::replace(&mut self.policy, Box::new(Fcfs));
        policy.decide(&QueueView { q: self, room, free_nodes: room.free_nodes, now }, &mut out);
        self.policy = policy;
        out
    }
    pub fn done(&mut self, d: Vec<Decision>) {
        self.decisions = d;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn job(id: u32, nodes: u32) -> QueuedJob {
        QueuedJob {
            id,
            nodes,
            chips: nodes as u64 * 4,
            sub_node: false,
            one_rack: false,
            group: 0,
            tenant: 0,
            submitted: SimTime::ZERO,
            interruptions: 0,
            preemptions: 0,
            walltime_ms: None,
        }
    }

    fn one_tenant() -> Vec<TenantInfo> {
        vec![TenantInfo { name: "t".into(), share: 1.0, tier: 0, preemptible: false }]
    }

    #[test]
    fn fcfs_starts_the_head_while_it_fits_and_nothing_passes_it() {
        let mut q = Sched::new(Box::new(Fcfs), one_tenant());
        for (id, nodes) in [(1, 2), (2, 3), (3, 1)] {
            q.submit(job(id, nodes));
        }
        let d = q.decide(&Room::nodes(5, 4), SimTime::ZERO);
        assert_eq!(d, vec![Decision::Start(1), Decision::Start(2)], "2 + 3 nodes fit in 5");
        q.done(d);
        let d = q.decide(&Room::nodes(4, 4), SimTime::ZERO);
        assert_eq!(d, vec![Decision::Start(1)], "job 2 (3 nodes) does not fit in the 2 left; job 3 may not pass it");
        q.done(d);
        assert_eq!(q.take(2).map(|j| j.id), Some(2), "taken from the middle");
        assert_eq!(q.take(2), None);
        assert_eq!(q.len(), 2);
    }

    #[test]
    fn fcfs_requeues_an_interrupted_job_at_the_front() {
        let mut q = Sched::new(Box::new(Fcfs), one_tenant());
        q.submit(job(1, 1));
        q.requeue(job(9, 1), Cause::Failure);
        let d = q.decide(&Room::nodes(1, 4), SimTime::ZERO);
        assert_eq!(d, vec![Decision::Start(9)]);
    }
}
