//! A job's life: queued → (restarting) → running ⇄ checkpointing → done, with
//! interruptions that lose unsaved work and send it back to wait or queue.
//! The simulation carries decisions out here across the node pool, the meter
//! and the queue.

use super::{Ckpt, Job, JobEvent, JobRequest, Milestone, Phase};
use crate::config::FrontierJob;
use crate::engine::{Duration, SimTime};
use crate::sim::power::ChipState;
use crate::sim::record::{FrontierStats, JobRecord, JobTag};
use crate::sim::sched::{Cause, Decision, QueuedJob};
use crate::sim::{Detail, Simulation};

fn ms(hours: f64) -> u64 {
    Duration::from_hours(hours).as_millis()
}

impl Simulation {
    fn new_job(&mut self, group: u16, frontier: bool, req: &JobRequest, spares: u32, borrow: bool) -> u32 {
        let needed = req.chips.div_ceil(self.topo.chips_per_node);
        let now = self.events.now();
        let job = Job {
            serial: self.rec.submit(group),
            group,
            frontier,
            needed,
            chips: needed as u64 * self.topo.chips_per_node as u64,
            work_total: ms(req.work_hours).max(1),
            work_done: 0,
            seg_len: 0,
            phase: Phase::Queued,
            phase_start: now,
            ckpt: req.checkpoint.map(|c| Ckpt { interval: ms(c.interval_hours).max(1), write: ms(c.write_hours), at_end: c.at_end }),
            restart: Duration::from_hours(req.restart_hours),
            target_spares: spares,
            borrow,
            submitted: now,
            first_start: None,
            finished: None,
            resumed: false,
            interruptions: 0,
            checkpoints: 0,
            lost_chip_ms: 0,
            trace: Vec::new(),
        };
        let (slot, new) = self.jobs.insert(job);
        if new {
            self.pool.add_owner(slot);
        }
        slot
    }

    /// The group of source `s`'s jobs: after the frontier jobs (as in `Recorder::groups`).
    fn tenant_group(&self, s: u16) -> u16 {
        self.scenario.workload.frontier.len() as u16 + s
    }

    pub(crate) fn job_tag(&self, j: u32) -> JobTag {
        let job = &self.jobs[j];
        JobTag { group: job.group, serial: job.serial }
    }

    fn queued(&self, j: u32) -> QueuedJob {
        let job = &self.jobs[j];
        QueuedJob {
            id: j,
            nodes: job.needed,
            chips: job.chips,
            group: job.group,
            submitted: job.submitted,
            interruptions: job.interruptions,
        }
    }

    /// Frontier jobs take their nodes (computing + hot spares) at time zero.
    pub(crate) fn start_frontier_jobs(&mut self) {
        let specs: Vec<FrontierJob> = self.scenario.workload.frontier.clone();
        for (i, f) in specs.iter().enumerate() {
            let req = JobRequest::new(f.chips.get(), f.work_hours.get())
                .checkpoint(f.checkpoint.as_ref().map(Into::into))
                .restart_hours(f.restart_hours.get());
            let j = self.new_job(i as u16, true, &req, f.hot_spare_nodes, f.borrow_free_nodes);
            self.jobs[j].first_start = Some(self.events.now());
            self.mark(j, Milestone::Start);
            self.rec.started(i as u16, Duration::ZERO);
            self.take_nodes(j);
            for _ in 0..f.hot_spare_nodes {
                let n = self.pool.take_free().expect("validated: frontier jobs fit the facility");
                self.pool.hold_spare(j, n);
            }
            self.meter.shift(ChipState::Idle, ChipState::Spare, f.hot_spare_nodes as u64 * self.topo.chips_per_node as u64);
            self.begin(j);
        }
    }

    /// Job `j` takes the free nodes it needs to compute on.
    fn take_nodes(&mut self, j: u32) {
        let needed = self.jobs[j].needed;
        for _ in 0..needed {
            let n = self.pool.take_free().expect("checked: enough free nodes");
            self.pool.hold_active(j, n);
        }
        self.count_active(j, needed, ChipState::Idle);
    }

    /// `nodes` nodes in state `from` (idle, or hot spares) just became active
    /// for job `j`: their chips take its phase's state.
    fn count_active(&mut self, j: u32, nodes: u32, from: ChipState) {
        let state = self.jobs[j].phase.chip_state();
        self.meter.shift(from, state, nodes as u64 * self.topo.chips_per_node as u64);
    }

    /// Note a milestone in a frontier job's progress trace, kept at [`Detail::Full`] only.
    /// A checkpoint replaces an earlier checkpoint of the same power bin, so the
    /// trace grows with the run's length and its interruptions, not with how
    /// often the job checkpoints; the saved work it draws is right at every bin's end.
    fn mark(&mut self, j: u32, m: Milestone) {
        let (now, full, bin) = (self.events.now(), self.detail == Detail::Full, self.trace_bin_ms);
        let job = &mut self.jobs[j];
        if job.frontier && full {
            let row = (now, job.work_done, m);
            match job.trace.last_mut() {
                Some(last) if m == Milestone::Checkpoint && last.2 == m && last.0.as_millis() / bin == now.as_millis() / bin => *last = row,
                _ => job.trace.push(row),
            }
        }
    }

    #[inline]
    fn set_phase(&mut self, j: u32, p: Phase) {
        let chips = self.pool.active(j) as u64 * self.topo.chips_per_node as u64;
        let job = &mut self.jobs[j];
        self.meter.shift(job.phase.chip_state(), p.chip_state(), chips);
        job.phase = p;
        job.phase_start = self.events.now();
    }

    /// Enter phase `p` and arm its end, timed by [`Job::phase_duration`].
    #[inline(always)]
    fn enter_timed(&mut self, j: u32, p: Phase) {
        self.set_phase(j, p);
        let after = self.jobs[j].phase_duration(p);
        let epoch = self.jobs.epoch(j);
        self.events.after(after, JobEvent::PhaseEnd { job: j, epoch }.into());
    }

    /// The job holds all the nodes it needs: restart if it ran before, else compute.
    #[inline]
    fn begin(&mut self, j: u32) {
        if self.jobs[j].resumed {
            self.enter_timed(j, Phase::Restarting);
        } else {
            self.start_segment(j);
        }
    }

    #[inline(always)]
    fn start_segment(&mut self, j: u32) {
        let job = &mut self.jobs[j];
        let left = job.work_total - job.work_done;
        job.seg_len = job.ckpt.map_or(left, |c| c.interval.min(left));
        self.enter_timed(j, Phase::Running);
    }

    pub(crate) fn on_phase_end(&mut self, j: u32) {
        let job = &self.jobs[j];
        match job.phase {
            Phase::Restarting => self.start_segment(j),
            Phase::Running => match job.ckpt {
                Some(c) if c.at_end || job.work_done + job.seg_len < job.work_total => self.enter_timed(j, Phase::Checkpointing),
                _ => self.commit(j),
            },
            Phase::Checkpointing => {
                self.jobs[j].checkpoints += 1;
                self.commit(j);
            }
            Phase::Queued | Phase::Waiting | Phase::Done => unreachable!("no phase event is pending in {:?}", job.phase),
        }
    }

    #[inline]
    fn commit(&mut self, j: u32) {
        let job = &mut self.jobs[j];
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
        self.jobs[j].finished = Some(self.events.now());
        self.rec.complete(self.jobs[j].group);
        self.release(j);
        self.set_phase(j, Phase::Done);
        if !self.jobs[j].frontier {
            self.record_job(j);
            self.jobs.retire(j);
        }
        self.try_schedule();
    }

    /// Write tenant job `j` down for jobs.csv (at `Detail::Full`).
    pub(crate) fn record_job(&mut self, j: u32) {
        if self.detail != Detail::Full {
            return;
        }
        let job = &self.jobs[j];
        self.rec.jobs.push(JobRecord {
            tag: JobTag { group: job.group, serial: job.serial },
            chips: job.chips,
            submitted: job.submitted,
            started: job.first_start,
            finished: job.finished,
            state: job.phase.label(),
            interruptions: job.interruptions,
            lost_chip_ms: job.lost_chip_ms,
        });
    }

    /// Give back every node the job owns.
    fn release(&mut self, j: u32) {
        let state = self.jobs[j].phase.chip_state();
        let (active, spares) = self.pool.release_all(j);
        let cpn = self.topo.chips_per_node as u64;
        self.meter.shift(state, ChipState::Idle, active as u64 * cpn);
        self.meter.shift(ChipState::Spare, ChipState::Idle, spares as u64 * cpn);
    }

    /// Job `j` stops before its work is done: unsaved work is lost; a frontier
    /// job waits for healthy nodes, a tenant job goes back to the queue.
    pub(crate) fn interrupt(&mut self, j: u32, cause: Cause) {
        let now = self.events.now();
        let job = &mut self.jobs[j];
        if matches!(job.phase, Phase::Running | Phase::Checkpointing | Phase::Restarting) {
            let lost_chip_ms = job.unsaved_work(now) as u128 * job.chips as u128;
            job.lost_chip_ms += lost_chip_ms;
            job.interruptions += 1;
            job.seg_len = 0;
            self.mark(j, Milestone::Interruption);
            self.rec.interrupted(self.jobs[j].group, lost_chip_ms);
            self.jobs.cancel_pending(j);
        }
        let job = &mut self.jobs[j];
        job.resumed = true;
        if job.frontier {
            self.set_phase(j, Phase::Waiting);
            self.refill(j);
        } else {
            self.release(j);
            self.set_phase(j, Phase::Queued);
            let q = self.queued(j);
            self.queue.requeue(q, cause);
            self.try_schedule();
        }
    }

    /// Make a waiting frontier job whole from its hot spares, then (if allowed)
    /// from the free pool, and restart it once it is.
    fn refill(&mut self, j: u32) {
        let (needed, borrow) = (self.jobs[j].needed, self.jobs[j].borrow);
        while self.pool.active(j) < needed {
            let from = if self.pool.activate_spare(j).is_some() {
                ChipState::Spare
            } else {
                let Some(n) = borrow.then(|| self.pool.take_free()).flatten() else { break };
                self.pool.hold_active(j, n);
                ChipState::Idle
            };
            self.count_active(j, 1, from);
        }
        if self.pool.active(j) == needed {
            self.begin(j);
        }
    }

    /// A broken node owned by job `j` is healthy again.
    pub(crate) fn job_node_repaired(&mut self, j: u32, n: u32) {
        let job = &self.jobs[j];
        if job.phase == Phase::Waiting {
            self.pool.activate_held(j, n);
            self.count_active(j, 1, ChipState::Idle);
            self.refill(j);
        } else if self.pool.spares(j) >= job.target_spares {
            // It holds its full spare pool already (it borrowed): hand the node back.
            self.pool.hand_back(j, n);
            self.try_schedule();
        } else {
            self.pool.add_spare(j, n);
            self.meter.shift(ChipState::Idle, ChipState::Spare, self.topo.chips_per_node as u64);
        }
    }

    pub(crate) fn schedule_next_arrival(&mut self, s: u16) {
        if let Some(gap) = self.arrivals.draw(s, self.events.now().as_hours()) {
            self.events.after(Duration::from_hours(gap.max(0.0)), JobEvent::Arrival { source: s }.into());
        }
    }

    pub(crate) fn on_arrival(&mut self, s: u16) {
        if let Some(req) = self.arrivals.take(s) {
            // Tenants get what the frontier jobs and their spares leave: a job larger
            // than that would wait for ever at the head of the queue.
            let nodes = req.chips.div_ceil(self.topo.chips_per_node);
            let fits = req.chips >= 1 && nodes <= self.tenant_nodes && req.work_hours.is_finite() && req.work_hours > 0.0;
            let group = self.tenant_group(s);
            if fits {
                let j = self.new_job(group, false, &req, 0, false);
                let q = self.queued(j);
                self.queue.submit(q);
            } else {
                self.rec.reject(group);
            }
        }
        self.schedule_next_arrival(s);
        self.try_schedule();
    }

    /// Start the queued jobs the policy picks, in its order, while they fit.
    pub(crate) fn try_schedule(&mut self) {
        if self.queue.is_empty() {
            return;
        }
        let now = self.events.now();
        let decisions = self.queue.decide(self.pool.free_count(), now);
        for &d in &decisions {
            let Decision::Start(j) = d;
            let startable = self.jobs.get(j).is_some_and(|job| job.phase == Phase::Queued && job.needed <= self.pool.free_count());
            if !startable || self.queue.take(j).is_none() {
                continue;
            }
            self.take_nodes(j);
            let job = &mut self.jobs[j];
            if job.first_start.is_none() {
                job.first_start = Some(now);
                let wait = now.since(job.submitted);
                self.rec.started(job.group, wait);
            }
            self.begin(j);
        }
        self.queue.done(decisions);
    }

    pub(crate) fn frontier_stats(&self, j: u32, now: SimTime) -> FrontierStats {
        let job = &self.jobs[j];
        let end = job.finished.unwrap_or(now);
        let start = job.first_start.unwrap_or(now);
        FrontierStats {
            name: self.rec.groups[job.group as usize].clone(),
            chips: job.chips,
            work_hours: Duration::from_millis(job.work_total).as_hours(),
            started_hours: start.as_hours(),
            useful_hours: Duration::from_millis(job.work_done + job.unsaved_work(now)).as_hours(),
            wall_hours: end.since(start).as_hours(),
            finished_hours: job.finished.map(|t| t.as_hours()),
            interruptions: job.interruptions,
            checkpoints: job.checkpoints,
            lost_chip_hours: job.lost_chip_ms as f64 / 3_600_000.0,
            interruption_times_hours: job.trace.iter().filter(|e| e.2 == Milestone::Interruption).map(|e| e.0.as_hours()).collect(),
            progress: job.trace.iter().map(|&(t, w, m)| (t.as_hours(), Duration::from_millis(w).as_hours(), m)).collect(),
        }
    }

    /// The phase of job `j` (a slot id), for step-level probes.
    pub(crate) fn job_phase_of(&self, j: u32) -> Option<Phase> {
        self.jobs.get(j).map(|job| job.phase)
    }
}
