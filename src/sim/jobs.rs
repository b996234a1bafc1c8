//! Jobs: gang-scheduled training runs that compute in segments, checkpoint,
//! lose work on interruptions and restart; tenant streams served first come
//! first served on healthy free nodes.

use super::meter::ChipState;
use super::nodes::{Role, set_pop, set_push, set_remove};
use super::{Detail, Event, Simulation};
use crate::config::{Checkpointing, DurationLaw, FrontierJob, Law, SizeLaw, TenantClass, exp_draw};
use crate::engine::{Duration, SimRng, SimTime};
use crate::report::JobTag;
use rand::RngExt;

/// How a job checkpoints.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CheckpointPolicy {
    pub interval_hours: f64,
    pub write_hours: f64,
    /// Also checkpoint after the last piece of work.
    pub at_end: bool,
}

impl From<&Checkpointing> for CheckpointPolicy {
    fn from(c: &Checkpointing) -> Self {
        Self { interval_hours: c.interval_hours.get(), write_hours: c.write_hours.get(), at_end: c.at_end }
    }
}

/// A job handed to the simulation by a [`JobSource`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct JobRequest {
    pub chips: u32,
    /// Failure-free run time at this size, in hours.
    pub work_hours: f64,
    pub checkpoint: Option<CheckpointPolicy>,
    /// Time from resuming to computing again after an interruption, in hours.
    pub restart_hours: f64,
}

/// A stream of arriving jobs. Implement it in your own crate to drive the site
/// with a workload gigasim does not ship; each source gets its own random stream.
pub trait JobSource: Send {
    fn name(&self) -> &str;
    /// The time until the next arrival (hours after `now_hours`) and that job,
    /// or `None` when the stream has ended.
    fn next(&mut self, now_hours: f64, rng: &mut SimRng) -> Option<(f64, JobRequest)>;
}

/// Poisson arrivals of one tenant class from a workload file.
#[derive(Clone, Debug)]
pub struct PoissonTenants {
    name: String,
    mean_gap_hours: f64,
    /// (chips, cumulative weight) pairs.
    sizes: Vec<(u32, f64)>,
    work: Law,
    p_checkpoint: f64,
    checkpoint: CheckpointPolicy,
    restart_hours: f64,
}

impl PoissonTenants {
    pub fn from_spec(t: &TenantClass) -> Self {
        let mut acc = 0.0;
        let sizes = match &t.chips {
            SizeLaw::Fixed(c) => vec![(c.get(), 1.0)],
            SizeLaw::Choice(v) => v
                .iter()
                .map(|(c, w)| {
                    acc += w.get();
                    (c.get(), acc)
                })
                .collect(),
        };
        Self {
            name: t.name.clone(),
            mean_gap_hours: 1.0 / t.arrivals_per_hour.get(),
            sizes,
            work: t.work_hours.clone(),
            p_checkpoint: t.p_checkpoint.get(),
            checkpoint: (&t.checkpoint).into(),
            restart_hours: t.restart_hours.get(),
        }
    }
}

impl JobSource for PoissonTenants {
    fn name(&self) -> &str {
        &self.name
    }
    fn next(&mut self, _now: f64, rng: &mut SimRng) -> Option<(f64, JobRequest)> {
        let gap = exp_draw(rng, self.mean_gap_hours);
        let total = self.sizes.last().map_or(1.0, |s| s.1);
        let u = rng.random::<f64>() * total;
        let chips = self.sizes.iter().find(|s| u < s.1).or(self.sizes.last()).map_or(1, |s| s.0);
        let work_hours = self.work.sample_hours(rng);
        let checkpoint = (rng.random::<f64>() < self.p_checkpoint).then_some(self.checkpoint);
        Some((gap, JobRequest { chips, work_hours, checkpoint, restart_hours: self.restart_hours }))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Queued,
    /// Holds fewer healthy nodes than it needs; waits for spares or repair.
    Waiting,
    Restarting,
    Running,
    Checkpointing,
    Done,
}

impl Phase {
    pub fn chip_state(self) -> ChipState {
        match self {
            Phase::Queued | Phase::Done => ChipState::Idle,
            Phase::Waiting => ChipState::Waiting,
            Phase::Restarting => ChipState::Restart,
            Phase::Running => ChipState::Busy,
            Phase::Checkpointing => ChipState::Checkpoint,
        }
    }
}

pub(crate) struct Job {
    pub serial: u64,
    /// Frontier job index, or (number of frontier jobs + source index) for tenants.
    pub group: u16,
    pub frontier: bool,
    /// Nodes it computes on.
    pub needed: u32,
    pub chips: u64,
    pub work_total: u64,
    /// Work saved by the last completed checkpoint (or completed segments), ms.
    pub work_done: u64,
    pub seg_len: u64,
    pub phase: Phase,
    pub phase_start: SimTime,
    pub ckpt: Option<(u64, u64, bool)>,
    pub restart: Duration,
    pub active: u32,
    /// Every node it owns: active, hot spares, broken ones awaiting repair.
    pub nodes: Vec<u32>,
    /// Healthy owned nodes that are not active.
    pub spares: Vec<u32>,
    pub target_spares: u32,
    pub borrow: bool,
    pub submitted: SimTime,
    pub first_start: Option<SimTime>,
    pub finished: Option<SimTime>,
    /// Started before: the next start pays the restart overhead.
    pub resumed: bool,
    pub interruptions: u32,
    pub checkpoints: u32,
    pub lost_chip_ms: u128,
    /// Frontier jobs only: (time, work saved so far in ms, what happened).
    pub trace: Vec<(SimTime, u64, Milestone)>,
}

/// What a frontier job's progress trace marks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Milestone {
    Start,
    Checkpoint,
    Interruption,
    Finished,
}

impl Milestone {
    pub fn label(self) -> &'static str {
        match self {
            Milestone::Start => "start",
            Milestone::Checkpoint => "checkpoint",
            Milestone::Interruption => "interruption",
            Milestone::Finished => "finished",
        }
    }
}

impl Job {
    pub fn unsaved_work(&self, now: SimTime) -> u64 {
        match self.phase {
            Phase::Running => now.since(self.phase_start).as_millis(),
            Phase::Checkpointing => self.seg_len,
            _ => 0,
        }
    }
}

fn ms(hours: f64) -> u64 {
    Duration::from_hours(hours).as_millis()
}

impl Simulation {
    fn new_job(&mut self, group: u16, frontier: bool, req: &JobRequest, spares: u32, borrow: bool) -> u32 {
        let needed = req.chips.div_ceil(self.topo.chips_per_node);
        let nodes = self.node_vec_pool.pop().unwrap_or_default();
        let job = Job {
            serial: self.rec.next_serial(),
            group,
            frontier,
            needed,
            chips: needed as u64 * self.topo.chips_per_node as u64,
            work_total: ms(req.work_hours).max(1),
            work_done: 0,
            seg_len: 0,
            phase: Phase::Queued,
            phase_start: self.sched.now(),
            ckpt: req.checkpoint.map(|c| (ms(c.interval_hours).max(1), ms(c.write_hours), c.at_end)),
            restart: Duration::from_hours(req.restart_hours),
            active: 0,
            nodes,
            spares: Vec::new(),
            target_spares: spares,
            borrow,
            submitted: self.sched.now(),
            first_start: None,
            finished: None,
            resumed: false,
            interruptions: 0,
            checkpoints: 0,
            lost_chip_ms: 0,
            trace: Vec::new(),
        };
        self.rec.submitted += 1;
        match self.free_job_slots.pop() {
            Some(slot) => {
                self.jobs[slot as usize] = job;
                self.job_epochs.bump(slot as usize);
                slot
            }
            None => {
                self.jobs.push(job);
                self.job_epochs.push() as u32
            }
        }
    }

    pub(crate) fn job_tag(&self, j: u32) -> JobTag {
        let job = &self.jobs[j as usize];
        JobTag { group: job.group, serial: job.serial }
    }

    /// Frontier jobs take their nodes (computing + hot spares) at time zero.
    pub(crate) fn start_frontier_jobs(&mut self) {
        let specs: Vec<FrontierJob> = self.scenario.workload.frontier.clone();
        for (i, f) in specs.iter().enumerate() {
            let req = JobRequest {
                chips: f.chips.get(),
                work_hours: f.work_hours.get(),
                checkpoint: f.checkpoint.as_ref().map(Into::into),
                restart_hours: f.restart_hours.get(),
            };
            let j = self.new_job(i as u16, true, &req, f.hot_spare_nodes, f.borrow_free_nodes);
            self.jobs[j as usize].first_start = Some(self.sched.now());
            self.mark(j, Milestone::Start);
            self.rec.started(Duration::ZERO);
            let needed = self.jobs[j as usize].needed;
            for _ in 0..needed {
                let n = self.take_free_node().expect("validated: frontier jobs fit the facility");
                self.own_node(j, n);
                self.activate(j, n);
            }
            for _ in 0..f.hot_spare_nodes {
                let n = self.take_free_node().expect("validated: frontier jobs fit the facility");
                self.own_as_spare(j, n);
            }
            self.begin(j);
        }
    }

    /// Note a milestone in a frontier job's progress trace, kept at [`Detail::Full`] only.
    fn mark(&mut self, j: u32, m: Milestone) {
        let (now, full) = (self.sched.now(), self.detail == Detail::Full);
        let job = &mut self.jobs[j as usize];
        if job.frontier && full {
            job.trace.push((now, job.work_done, m));
        }
    }

    /// Add node `n` to the nodes job `j` owns (an indexed set: O(1) to hand back).
    fn own_node(&mut self, j: u32, n: u32) {
        set_push(&mut self.jobs[j as usize].nodes, &mut self.nodes.slot, n);
    }

    fn own_as_spare(&mut self, j: u32, n: u32) {
        self.nodes.owner[n as usize] = j;
        self.nodes.role[n as usize] = Role::Spare;
        self.own_node(j, n);
        set_push(&mut self.jobs[j as usize].spares, &mut self.nodes.pos, n);
    }

    fn activate(&mut self, j: u32, n: u32) {
        self.nodes.owner[n as usize] = j;
        self.nodes.role[n as usize] = Role::Active;
        let job = &mut self.jobs[j as usize];
        job.active += 1;
        self.meter.shift(ChipState::Idle, job.phase.chip_state(), self.topo.chips_per_node as u64);
    }

    fn set_phase(&mut self, j: u32, p: Phase) {
        let job = &mut self.jobs[j as usize];
        let chips = job.active as u64 * self.topo.chips_per_node as u64;
        self.meter.shift(job.phase.chip_state(), p.chip_state(), chips);
        job.phase = p;
        job.phase_start = self.sched.now();
    }

    fn schedule_phase_end(&mut self, j: u32, after: Duration) {
        let epoch = self.job_epochs.get(j as usize);
        self.sched.after(after, Event::JobPhase { job: j, epoch });
    }

    /// The job holds all the nodes it needs: restart if it ran before, else compute.
    fn begin(&mut self, j: u32) {
        if self.jobs[j as usize].resumed {
            self.set_phase(j, Phase::Restarting);
            let r = self.jobs[j as usize].restart;
            self.schedule_phase_end(j, r);
        } else {
            self.start_segment(j);
        }
    }

    fn start_segment(&mut self, j: u32) {
        let job = &mut self.jobs[j as usize];
        let left = job.work_total - job.work_done;
        job.seg_len = job.ckpt.map_or(left, |c| c.0.min(left));
        let seg = job.seg_len;
        self.set_phase(j, Phase::Running);
        self.schedule_phase_end(j, Duration::from_millis(seg));
    }

    pub(crate) fn on_job_phase(&mut self, j: u32) {
        let job = &self.jobs[j as usize];
        match job.phase {
            Phase::Restarting => self.start_segment(j),
            Phase::Running => match job.ckpt {
                Some((_, write, at_end)) if at_end || job.work_done + job.seg_len < job.work_total => {
                    self.set_phase(j, Phase::Checkpointing);
                    self.schedule_phase_end(j, Duration::from_millis(write));
                }
                _ => self.commit(j),
            },
            Phase::Checkpointing => {
                self.jobs[j as usize].checkpoints += 1;
                self.commit(j);
            }
            Phase::Queued | Phase::Waiting | Phase::Done => unreachable!("no phase event is pending in {:?}", job.phase),
        }
    }

    fn commit(&mut self, j: u32) {
        let job = &mut self.jobs[j as usize];
        job.work_done += job.seg_len;
        job.seg_len = 0;
        let done = job.work_done >= job.work_total;
        self.mark(j, if done { Milestone::Finished } else { Milestone::Checkpoint });
        if done {
            self.finish_job(j);
        } else {
            self.start_segment(j);
        }
    }

    fn finish_job(&mut self, j: u32) {
        let now = self.sched.now();
        self.jobs[j as usize].finished = Some(now);
        self.rec.completed += 1;
        self.release(j);
        self.set_phase(j, Phase::Done);
        if !self.jobs[j as usize].frontier {
            let v = std::mem::take(&mut self.jobs[j as usize].nodes);
            self.node_vec_pool.push(v);
            self.free_job_slots.push(j);
        }
        self.try_schedule();
    }

    /// Give back every node the job owns.
    fn release(&mut self, j: u32) {
        let mut nodes = std::mem::take(&mut self.jobs[j as usize].nodes);
        let state = self.jobs[j as usize].phase.chip_state();
        let cpn = self.topo.chips_per_node as u64;
        for &n in &nodes {
            if self.nodes.role[n as usize] == Role::Active {
                self.meter.shift(state, ChipState::Idle, cpn);
            }
            self.free_node(n);
        }
        nodes.clear();
        let job = &mut self.jobs[j as usize];
        job.nodes = nodes;
        job.spares.clear();
        job.active = 0;
    }

    /// One or more of the job's active nodes failed.
    pub(crate) fn job_hit(&mut self, j: u32) {
        let now = self.sched.now();
        let job = &mut self.jobs[j as usize];
        let lost = match job.phase {
            Phase::Running => now.since(job.phase_start).as_millis(),
            Phase::Checkpointing => job.seg_len,
            _ => 0,
        };
        if matches!(job.phase, Phase::Running | Phase::Checkpointing | Phase::Restarting) {
            let lost_chip_ms = lost as u128 * job.chips as u128;
            job.lost_chip_ms += lost_chip_ms;
            job.interruptions += 1;
            job.seg_len = 0;
            self.mark(j, Milestone::Interruption);
            self.rec.interrupted(lost_chip_ms);
            self.job_epochs.bump(j as usize);
        }
        let job = &mut self.jobs[j as usize];
        job.resumed = true;
        if job.frontier {
            self.set_phase(j, Phase::Waiting);
            self.refill(j);
        } else {
            self.release(j);
            self.set_phase(j, Phase::Queued);
            self.queue.push_front(j);
            self.try_schedule();
        }
    }

    /// Make a waiting frontier job whole from its hot spares, then (if allowed)
    /// from the free pool, and restart it once it is.
    fn refill(&mut self, j: u32) {
        while self.jobs[j as usize].active < self.jobs[j as usize].needed {
            let n = match set_pop(&mut self.jobs[j as usize].spares, &mut self.nodes.pos) {
                Some(n) => n,
                None if self.jobs[j as usize].borrow => match self.take_free_node() {
                    Some(n) => {
                        self.own_node(j, n);
                        n
                    }
                    None => break,
                },
                None => break,
            };
            self.activate(j, n);
        }
        let job = &self.jobs[j as usize];
        if job.active == job.needed {
            self.begin(j);
        }
    }

    /// A broken node owned by job `j` is healthy again.
    pub(crate) fn job_node_repaired(&mut self, j: u32, n: u32) {
        let job = &self.jobs[j as usize];
        if job.phase == Phase::Waiting {
            self.activate(j, n);
            self.refill(j);
        } else if job.spares.len() as u32 >= job.target_spares {
            // It holds its full spare pool already (it borrowed): hand the node back.
            set_remove(&mut self.jobs[j as usize].nodes, &mut self.nodes.slot, n);
            self.free_node(n);
            self.try_schedule();
        } else {
            set_push(&mut self.jobs[j as usize].spares, &mut self.nodes.pos, n);
        }
    }

    pub(crate) fn schedule_next_arrival(&mut self, s: u16) {
        let now_h = self.sched.now().as_hours();
        let si = s as usize;
        if let Some((gap, req)) = self.sources[si].next(now_h, &mut self.source_rngs[si]) {
            self.pending[si] = Some(req);
            self.sched.after(Duration::from_hours(gap.max(0.0)), Event::Arrival { source: s });
        }
    }

    pub(crate) fn on_arrival(&mut self, s: u16) {
        if let Some(req) = self.pending[s as usize].take() {
            let fits = req.chips >= 1 && req.chips as u64 <= self.topo.chips() as u64 && req.work_hours.is_finite() && req.work_hours > 0.0;
            if fits {
                let group = self.scenario.workload.frontier.len() as u16 + s;
                let j = self.new_job(group, false, &req, 0, false);
                self.queue.push_back(j);
            } else {
                self.rec.rejected += 1;
            }
        }
        self.schedule_next_arrival(s);
        self.try_schedule();
    }

    /// Start queued tenant jobs in order while the head fits (strict FCFS).
    pub(crate) fn try_schedule(&mut self) {
        while let Some(&j) = self.queue.front() {
            if (self.nodes.free.len() as u32) < self.jobs[j as usize].needed {
                break;
            }
            self.queue.pop_front();
            for _ in 0..self.jobs[j as usize].needed {
                let n = self.take_free_node().expect("checked: enough free nodes");
                self.own_node(j, n);
                self.activate(j, n);
            }
            let now = self.sched.now();
            let job = &mut self.jobs[j as usize];
            if job.first_start.is_none() {
                job.first_start = Some(now);
                let wait = now.since(job.submitted);
                self.rec.started(wait);
            }
            self.begin(j);
        }
    }
}
