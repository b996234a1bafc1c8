//! A job's life: queued → (restarting) → running ⇄ checkpointing → done, with
//! interruptions that lose unsaved work and send it back to wait or queue.
//! The simulation carries decisions out here across the node pool, the meter
//! and the queue.

use super::{Ckpt, Job, JobEvent, JobRequest, MemCkpt, Milestone, Phase, RestoreLevel, Saves, Step};
use crate::config::{FrontierJob, Placement, PreemptMode, Recovery};
use crate::engine::{Duration, SimTime};
use crate::sim::power::ChipState;
use crate::sim::record::{FrontierStats, JobRecord, JobTag, Keys, NO_TENANT, size_class};
use crate::sim::sched::{Cause, Decision, QueuedJob, RunningJob};
use crate::sim::storage::Dir;
use crate::sim::usage::{FRAGMENTED, QUEUE};
use crate::sim::{Detail, Simulation};

fn ms(hours: f64) -> u64 {
    Duration::from_hours(hours).as_millis()
}

impl Simulation {
    fn new_job(&mut self, group: u16, frontier: bool, req: &JobRequest, spares: u32, recovery: Recovery) -> u32 {
        let cpn = self.topo.chips_per_node;
        let sub_node = !frontier && req.chips < cpn;
        let needed = if sub_node { 1 } else { req.chips.div_ceil(cpn) };
        let tenant = self.tenant_of(group, req);
        let chips = if sub_node { req.chips as u64 } else { needed as u64 * cpn as u64 };
        let size = (!frontier).then(|| size_class(chips));
        let now = self.events.now();
        let job = Job {
            serial: self.rec.submit(Keys { group, tenant, size }),
            group,
            frontier,
            tenant,
            needed,
            chips,
            node_chips: if sub_node { req.chips } else { cpn },
            one_rack: req.placement == Placement::OneRack && !sub_node && needed > 1 && needed <= self.topo.nodes_per_rack,
            walltime: req.walltime_hours.filter(|h| h.is_finite() && *h > 0.0).map(ms),
            requeue_on_timeout: req.requeue_on_timeout,
            attempt: 0,
            preemptions: 0,
            draining: false,
            work_total: ms(req.work_hours).max(1),
            work_done: 0,
            seg_len: 0,
            work_start: 0.0,
            phase: Phase::Queued,
            phase_start: now,
            ckpt: req.checkpoint.map(|c| self.ckpt_of(&c, chips)),
            saves: Saves::default(),
            restart_base: Duration::from_hours(req.restart_hours),
            restart: Duration::from_hours(req.restart_hours),
            target_spares: spares,
            recovery,
            submitted: now,
            first_start: None,
            finished: None,
            resumed: false,
            interruptions: 0,
            checkpoints: 0,
            lost_chip_ms: 0,
            seen: now,
            hang_now: Duration::ZERO,
            hung_ms: 0,
            notice: Duration::ZERO,
            selection: Duration::ZERO,
            pick: Duration::ZERO,
            elastic: None,
            elastic_speed: 1.0,
            short_ms: 0,
            resizes: 0,
            resizing: false,
            speed: 1.0,
            paces: Vec::new(),
            run_mark: now,
            run_done: 0.0,
            trace: Vec::new(),
        };
        let (slot, new) = self.jobs.insert(job);
        let job = &mut self.jobs[slot];
        job.saves.next_persist = job.ckpt.map_or(0, |c| c.interval);
        if new {
            self.pool.add_owner(slot);
        }
        slot
    }

    /// The tenant a request names, else its group's.
    fn tenant_of(&self, group: u16, req: &JobRequest) -> u16 {
        req.tenant.filter(|&t| (t as usize) < self.rec.tenants.len()).unwrap_or(self.group_tenant[group as usize])
    }

    pub(crate) fn keys(&self, j: u32) -> Keys {
        let job = &self.jobs[j];
        Keys { group: job.group, tenant: job.tenant, size: (!job.frontier).then(|| size_class(job.chips)) }
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
            sub_node: job.node_chips < self.topo.chips_per_node,
            one_rack: job.one_rack,
            group: job.group,
            tenant: job.tenant,
            submitted: job.submitted,
            interruptions: job.interruptions,
            preemptions: job.preemptions,
            walltime_ms: job.walltime,
        }
    }

    /// A policy in milliseconds for a job of `chips` chips. Sizes move through storage
    /// only where the site has one (validation insists on it).
    fn ckpt_of(&self, c: &super::CheckpointPolicy, chips: u64) -> Ckpt {
        use crate::config::Mechanism;
        let gb = if self.storage.is_some() { c.size_gb_per_chip } else { 0.0 };
        let transfer = self.storage.as_ref().filter(|_| gb > 0.0).map_or(Duration::ZERO, |s| s.solo(Dir::Write, gb * chips as f64, chips));
        let write = ms(c.write_hours);
        let snapshot = match c.mechanism {
            Mechanism::Sync => None,
            Mechanism::Async { snapshot_hours } => Some(ms(snapshot_hours.get())),
        };
        let full = Duration::from_millis(write) + transfer;
        let delta_h = snapshot.map_or(full.as_hours(), |s| Duration::from_millis(s).as_hours());
        let mut interval = c.interval_hours;
        if let Some((m, _)) = c.adaptive {
            // A checkpoint that costs nothing has no optimum: keep the interval given.
            let tau = crate::theory::daly_interval(delta_h, m);
            if tau.is_finite() && tau > 0.0 && delta_h > 0.0 {
                interval = tau;
            }
        }
        Ckpt {
            interval: ms(interval).max(1),
            write,
            at_end: c.at_end,
            snapshot,
            gb_per_chip: gb,
            mem: c.memory.map(|m| MemCkpt {
                interval: ms(m.interval_hours.get()).max(1),
                write: ms(m.write_hours.get()),
                restore: ms(m.restore_hours.get()),
                group: m.group_nodes.max(1),
                tolerates: m.tolerates,
            }),
            full_write: full.as_millis(),
            delta_h,
            adaptive: c.adaptive,
        }
    }

    /// Frontier job `i`'s checkpoints: a fixed interval, or Young's or Daly's for the
    /// stall a checkpoint costs and the mean time between failures the failure model gives it.
    fn interval_for(&self, i: usize, c: &crate::config::Checkpointing) -> super::CheckpointPolicy {
        use crate::config::IntervalPolicy;
        use crate::theory::{daly_interval, frontier_failure_rate, frontier_memory_loss_rate, young_interval};
        let p: super::CheckpointPolicy = c.into();
        let f = &self.scenario.workload.frontier[i];
        let chips = f.chips.get().div_ceil(self.topo.chips_per_node) as u64 * self.topo.chips_per_node as u64;
        let delta = self.ckpt_of(&p, chips).delta_h;
        // With a memory level, the persistent level only serves the failures memory cannot.
        let rate = if c.memory.is_some() { frontier_memory_loss_rate(&self.scenario, i) } else { frontier_failure_rate(&self.scenario, i) };
        let m = 1.0 / rate;
        let work = f.work_hours.get();
        let tau = match c.policy {
            IntervalPolicy::Fixed | IntervalPolicy::Adaptive { .. } => return p,
            IntervalPolicy::Young => young_interval(delta, m),
            IntervalPolicy::Daly => daly_interval(delta, m),
        };
        // No failures, or no write time: one checkpoint at the end, or none.
        let tau = if tau.is_finite() && tau > 0.0 { tau.min(work) } else { work };
        super::CheckpointPolicy { interval_hours: tau, ..p }
    }

    /// Frontier jobs take their nodes (computing + hot spares) at time zero.
    pub(crate) fn start_frontier_jobs(&mut self) {
        let specs: Vec<FrontierJob> = self.scenario.workload.frontier.clone();
        for (i, f) in specs.iter().enumerate() {
            let req = JobRequest::new(f.chips.get(), f.work_hours.get())
                .checkpoint(f.checkpoint.as_ref().map(|c| self.interval_for(i, c)))
                .restart_hours(f.restart_hours.get());
            let j = self.new_job(i as u16, true, &req, f.hot_spare_nodes, f.recovery);
            self.jobs[j].selection = Duration::from_hours(f.host_selection_hours.get());
            self.jobs[j].elastic = f.elastic.clone();
            self.jobs[j].first_start = Some(self.events.now());
            self.mark(j, Milestone::Start);
            let k = self.keys(j);
            self.rec.started(k, None);
            let chips = self.jobs[j].chips as i64;
            self.hold(k.tenant, chips);
            if k.tenant != NO_TENANT {
                self.queue.usage(k.tenant, chips, self.events.now());
            }
            self.take_nodes(j);
            for _ in 0..f.hot_spare_nodes {
                let n = self.pool.take_free().expect("validated: frontier jobs fit the facility");
                self.pool.hold_spare(j, n);
            }
            self.meter.shift(ChipState::Idle, ChipState::Spare, f.hot_spare_nodes as u64 * self.topo.chips_per_node as u64);
            self.begin(j);
        }
    }

    /// Job `j` takes the free nodes (or, smaller than a node, the chips) it needs to compute on.
    fn take_nodes(&mut self, j: u32) {
        let (needed, node_chips) = (self.jobs[j].needed, self.jobs[j].node_chips);
        if node_chips < self.topo.chips_per_node {
            self.pool.take_chips(j, node_chips).expect("checked: room on a node");
        } else if self.jobs[j].one_rack {
            let mut nodes = std::mem::take(&mut self.rack_scratch);
            self.pool.take_in_rack(needed, &mut nodes).expect("checked: a rack with room");
            for &n in &nodes {
                self.pool.hold_active(j, n);
            }
            self.rack_scratch = nodes;
        } else {
            for _ in 0..needed {
                let n = self.pool.take_free().expect("checked: enough free nodes");
                self.pool.hold_active(j, n);
            }
        }
        self.count_active(j, needed, ChipState::Idle);
    }

    /// `nodes` nodes in state `from` (idle, or hot spares) just became active
    /// for job `j`: their chips take its phase's state.
    fn count_active(&mut self, j: u32, nodes: u32, from: ChipState) {
        let state = self.jobs[j].phase.chip_state();
        self.meter.shift(from, state, nodes as u64 * self.jobs[j].node_chips as u64);
    }

    /// Tenant `t` holds `delta` chips more from now: for shares and fair share.
    pub(crate) fn hold(&mut self, t: u16, delta: i64) {
        let now = self.events.now();
        self.usage.advance(now);
        if t == NO_TENANT {
            self.usage.hold_untenanted(delta);
        } else {
            self.usage.hold(t, delta);
        }
    }

    /// Note a milestone in a frontier job's progress trace, kept at [`Detail::Full`] only.
    /// A checkpoint replaces an earlier checkpoint of the same power bin, so the
    /// trace grows with the run's length and its interruptions, not with how
    /// often the job checkpoints; the saved work it draws is right at every bin's end.
    fn mark(&mut self, j: u32, m: Milestone) {
        let (now, full, bin) = (self.events.now(), self.detail == Detail::Full, self.trace_bin_ms);
        let job = &mut self.jobs[j];
        if job.frontier && full {
            let saved = if m == Milestone::Finished { job.work_done } else { job.saved() };
            let row = (now, saved, m);
            match job.trace.last_mut() {
                Some(last) if m == Milestone::Checkpoint && last.2 == m && last.0.as_millis() / bin == now.as_millis() / bin => *last = row,
                _ => job.trace.push(row),
            }
        }
    }

    #[inline]
    fn set_phase(&mut self, j: u32, p: Phase) {
        let now = self.events.now();
        if self.jobs[j].phase == Phase::Running && self.jobs[j].speed < 1.0 {
            self.slowed(j, now);
        }
        let job = &mut self.jobs[j];
        let was = now.since(job.phase_start).as_millis();
        if job.phase == Phase::Checkpointing {
            job.saves.stall_ms += was;
        }
        if job.phase.computing() {
            job.saves.exposed_ms += was;
            if job.elastic_speed < 1.0 {
                job.short_ms += was;
            }
        }
        let chips = self.pool.active(j) as u64 * job.node_chips as u64;
        self.meter.shift(job.phase.chip_state(), p.chip_state(), chips);
        job.phase = p;
        job.phase_start = now;
        job.run_mark = now;
        job.run_done = 0.0;
    }

    /// Job `j` ran slowed from its mark to `now`: the busy time that did no work.
    pub(crate) fn slowed(&mut self, j: u32, now: SimTime) {
        let job = &self.jobs[j];
        let dt = now.since(job.run_mark).as_millis() as f64;
        let idle = if job.elastic_speed < 1.0 {
            // Running short: its busy chips are fewer than its size, and do `speed` of its work.
            let busy = (self.pool.active(j) as u64 * job.node_chips as u64) as f64;
            dt * (busy - job.speed * job.chips as f64).max(0.0)
        } else {
            dt * (1.0 - job.speed) * job.chips as f64
        };
        self.rec.slowed_chip_ms += idle.round() as u128;
    }

    /// Job `j` now computes at pace `speed`: a running segment's end is re-timed.
    pub(crate) fn set_speed(&mut self, j: u32, speed: f64) {
        let now = self.events.now();
        if self.jobs[j].phase != Phase::Running {
            self.jobs[j].speed = speed;
            return;
        }
        if self.jobs[j].speed < 1.0 {
            self.slowed(j, now);
        }
        let job = &mut self.jobs[j];
        job.run_done += now.since(job.run_mark).as_millis() as f64 * job.speed;
        job.run_mark = now;
        job.speed = speed;
        self.jobs.cancel_pending(j);
        let after = self.jobs[j].phase_duration(Phase::Running);
        let epoch = self.jobs.epoch(j);
        self.events.after(after, JobEvent::PhaseEnd { job: j, epoch }.into());
    }

    /// Enter phase `p` and arm its end, timed by [`Job::phase_duration`] (a running
    /// segment under an enforced cap, by the work clock).
    #[inline(always)]
    fn enter_timed(&mut self, j: u32, p: Phase) {
        self.set_phase(j, p);
        let after = self.jobs[j].phase_duration(p);
        let epoch = self.jobs.epoch(j);
        if let Some(c) = &mut self.clock
            && p == Phase::Running
        {
            let start = c.work_at(self.events.now().as_millis());
            self.jobs[j].work_start = start;
            c.push(start + after.as_millis() as f64, j, epoch);
            return;
        }
        self.events.after(after, JobEvent::PhaseEnd { job: j, epoch }.into());
    }

    /// Work job `j` computed and has not saved by `now`, ms at full speed.
    pub(crate) fn unsaved(&self, j: u32, now: SimTime) -> u64 {
        let job = &self.jobs[j];
        match (&self.clock, job.phase) {
            (Some(c), Phase::Running) => (c.work_at(now.as_millis()) - job.work_start).max(0.0) as u64,
            _ => job.unsaved_work(now),
        }
    }

    /// The job holds all the nodes it needs: restart if it ran before, else compute.
    #[inline]
    fn begin(&mut self, j: u32) {
        self.drop_stragglers_left_behind(j);
        if self.jobs[j].elastic.is_some() {
            self.pace_of_stragglers(j);
        }
        if self.jobs[j].resumed {
            self.settle_restore(j);
            let job = &mut self.jobs[j];
            // Detection runs from the fault: time spent waiting for nodes counts against it.
            let now = self.events.now();
            job.hang_now = if job.seen > now { job.seen.since(now) } else { Duration::ZERO };
            self.enter_timed(j, Phase::Restarting);
            self.jobs[j].notice = Duration::ZERO;
            self.jobs[j].pick = Duration::ZERO;
        } else {
            self.start_segment(j);
        }
    }

    /// Job `j` restarts: where it restores from may have got worse while it waited for
    /// nodes (a buddy's memory lost); the work since the level it now restores from is lost.
    pub(crate) fn settle_restore(&mut self, j: u32) {
        let job = &self.jobs[j];
        if job.ckpt.is_none_or(|c| c.mem.is_none()) || job.resizing {
            return;
        }
        let (level, point) = job.restore_point();
        if level == job.saves.level && point >= job.work_done {
            return;
        }
        let k = self.keys(j);
        let job = &mut self.jobs[j];
        let lost = job.work_done.saturating_sub(point) as u128 * job.chips as u128;
        job.lost_chip_ms += lost;
        job.work_done = point;
        job.saves.level = level;
        job.restart = job.restart_for(level);
        if level != RestoreLevel::Memory {
            job.saves.next_persist = point + job.ckpt.map_or(0, |c| c.interval);
        }
        if lost > 0 {
            self.rec.rolled_back(k, lost);
        }
    }

    #[inline(always)]
    fn start_segment(&mut self, j: u32) {
        let job = &mut self.jobs[j];
        let left = job.work_total - job.work_done;
        job.seg_len = match job.ckpt {
            None => left,
            Some(c) => {
                // To the next persistent checkpoint, or the next in-memory one if sooner.
                let to_persist = job.saves.next_persist.saturating_sub(job.work_done).max(1);
                c.mem.map_or(to_persist, |m| m.interval.min(to_persist)).min(left)
            }
        };
        self.enter_timed(j, Phase::Running);
    }

    pub(crate) fn on_phase_end(&mut self, j: u32) {
        let job = &self.jobs[j];
        match job.phase {
            Phase::Restarting => {
                if job.saves.step != Step::Read {
                    self.hung(j, job.hang_now.as_millis());
                    let job = &self.jobs[j];
                    let gb = job.ckpt.map_or(0.0, |c| c.gb_per_chip);
                    if job.saves.level == RestoreLevel::Storage && gb > 0.0 && !job.resizing {
                        // The restart's own time is over: now read the checkpoint back
                        // (growing back, the state is in the memory of the nodes it keeps).
                        self.jobs[j].saves.step = Step::Read;
                        self.transfer(j, Dir::Read, false);
                        return;
                    }
                }
                self.restored(j);
                self.start_segment(j);
            }
            Phase::Running => self.segment_done(j),
            Phase::Checkpointing => self.step_done(j),
            Phase::Queued | Phase::Waiting | Phase::Done | Phase::Killed => unreachable!("no phase event is pending in {:?}", job.phase),
        }
    }

    /// Job `j` starts moving its checkpoint through the shared storage (`background`:
    /// an asynchronous write, while the job goes on).
    fn transfer(&mut self, j: u32, dir: Dir, background: bool) {
        let now = self.events.now();
        let job = &self.jobs[j];
        let gb = job.ckpt.map_or(0.0, |c| c.gb_per_chip) * job.chips as f64;
        let chips = job.chips;
        if let Some(s) = self.storage.as_mut() {
            let id = s.start(now, j, dir, gb, chips, &mut self.events);
            let saves = &mut self.jobs[j].saves;
            if background {
                saves.write_flow = id;
            } else {
                saves.flow = id;
            }
        }
    }

    /// Job `j` restarts anew from now (where it restores from changed under it).
    pub(crate) fn restart_again(&mut self, j: u32) {
        let now = self.events.now();
        self.hung_until(j, now);
        if let Some(s) = self.storage.as_mut()
            && self.jobs[j].saves.step == Step::Read
        {
            s.cancel(now, j, &mut self.events);
            self.jobs[j].saves.flow = 0;
        }
        self.jobs.cancel_pending(j);
        let job = &mut self.jobs[j];
        job.saves.step = Step::None;
        job.hang_now = Duration::ZERO;
        self.enter_timed(j, Phase::Restarting);
    }

    /// A transfer of job `j` through storage is complete.
    pub(crate) fn transfer_done(&mut self, j: u32, dir: Dir) {
        let job = &self.jobs[j];
        match (dir, job.phase, job.saves.step) {
            (Dir::Read, Phase::Restarting, Step::Read) => {
                self.restored(j);
                self.start_segment(j);
            }
            (Dir::Write, Phase::Checkpointing, Step::Transfer) => self.persisted_sync(j),
            _ => unreachable!("job {j} finished a {dir:?} it was not waiting for ({:?}, {:?})", job.phase, job.saves.step),
        }
    }

    /// Job `j` restored its checkpoint: count the level, and the memory level holds the restored state.
    fn restored(&mut self, j: u32) {
        let resized = std::mem::take(&mut self.jobs[j].resizing);
        let s = &mut self.jobs[j].saves;
        if !resized {
            s.restores[s.level as usize] += 1;
        }
        s.step = Step::None;
        if self.jobs[j].ckpt.is_some_and(|c| c.mem.is_some()) {
            let job = &mut self.jobs[j];
            job.saves.in_memory = job.work_done;
            job.saves.lost_nodes.clear();
        }
    }

    /// A running segment is computed: checkpoint (in memory or persistently) or carry on.
    fn segment_done(&mut self, j: u32) {
        let job = &self.jobs[j];
        let point = job.work_done + job.seg_len;
        match job.ckpt {
            Some(c) if c.at_end || point < job.work_total => {
                if point < job.work_total && point < job.saves.next_persist && c.mem.is_some() {
                    let m = c.mem.map_or(0, |m| m.write);
                    self.checkpoint_step(j, Step::Memory, m);
                } else {
                    self.persistent(j);
                }
            }
            _ => self.commit(j, None),
        }
    }

    /// Stall in step `step` for `ms`.
    fn checkpoint_step(&mut self, j: u32, step: Step, ms: u64) {
        let s = &mut self.jobs[j].saves;
        s.step = step;
        s.step_ms = ms;
        self.enter_timed(j, Phase::Checkpointing);
    }

    /// Begin a persistent checkpoint: a synchronous write, or an asynchronous
    /// snapshot (once the write before it has persisted).
    fn persistent(&mut self, j: u32) {
        let job = &mut self.jobs[j];
        let Some(c) = job.ckpt else { return };
        match c.snapshot {
            Some(_) if job.saves.writing.is_some() => {
                job.saves.step = Step::WaitWrite;
                self.set_phase(j, Phase::Checkpointing);
            }
            Some(snap) if !job.draining => {
                job.saves.started += 1;
                self.checkpoint_step(j, Step::Snapshot, snap);
            }
            _ => {
                job.saves.started += 1;
                self.checkpoint_step(j, Step::Fixed, c.write);
            }
        }
    }

    /// A timed step of job `j`'s checkpoint is over.
    fn step_done(&mut self, j: u32) {
        let job = &self.jobs[j];
        let gb = job.ckpt.map_or(0.0, |c| c.gb_per_chip);
        match job.saves.step {
            Step::Memory => {
                self.jobs[j].saves.memory_n += 1;
                self.commit(j, Some(RestoreLevel::Memory));
            }
            Step::Fixed if gb > 0.0 => {
                self.jobs[j].saves.step = Step::Transfer;
                self.transfer(j, Dir::Write, false);
            }
            Step::Fixed => self.persisted_sync(j),
            Step::Snapshot => self.snapshot_taken(j),
            s => unreachable!("no timed checkpoint step {s:?}"),
        }
    }

    /// A synchronous persistent checkpoint is written.
    fn persisted_sync(&mut self, j: u32) {
        let s = &mut self.jobs[j].saves;
        s.step = Step::None;
        s.persisted_n += 1;
        self.jobs[j].checkpoints += 1;
        if self.jobs[j].draining {
            self.drained(j);
        } else {
            self.commit(j, Some(RestoreLevel::Storage));
        }
    }

    /// An asynchronous snapshot is taken: the job computes on while it is written.
    fn snapshot_taken(&mut self, j: u32) {
        let now = self.events.now();
        let job = &mut self.jobs[j];
        let Some(c) = job.ckpt else { return };
        job.work_done += job.seg_len;
        job.seg_len = 0;
        let point = job.work_done;
        job.saves.writing = Some(point);
        // Unique in the run: a stale event never matches a write of a job that took the slot since.
        self.writes = self.writes.wrapping_add(1);
        job.saves.write_gen = self.writes;
        job.saves.write_began = now;
        job.saves.step = Step::None;
        if c.mem.is_some() {
            // The snapshot sits in host memory: the fast level has it at once.
            job.saves.in_memory = point;
            job.saves.lost_nodes.clear();
        }
        let next = point + self.retuned_interval(j);
        let job = &mut self.jobs[j];
        job.saves.next_persist = next;
        if job.work_done >= job.work_total {
            // The last checkpoint: the job is done once it persists.
            job.saves.step = Step::WaitWrite;
        } else if self.can_grow(j) {
            // The snapshot is in host memory: grow back from it while it is written.
            self.grow(j);
        } else {
            self.start_segment(j);
        }
        if c.write > 0 {
            let generation = self.jobs[j].saves.write_gen;
            self.events.after(Duration::from_millis(c.write), JobEvent::Background { job: j, generation }.into());
        } else {
            self.background_written(j);
        }
    }

    /// The fixed part of a background write is over: move it through storage, or it has persisted.
    pub(crate) fn background_written(&mut self, j: u32) {
        if self.jobs[j].ckpt.is_some_and(|c| c.gb_per_chip > 0.0) {
            self.transfer(j, Dir::Write, true);
        } else {
            self.persisted_async(j);
        }
    }

    /// Whether a background-write event still concerns job `j`'s write in flight.
    pub(crate) fn background_current(&self, j: u32, generation: u32) -> bool {
        self.jobs.get(j).is_some_and(|job| job.saves.writing.is_some() && job.saves.write_gen == generation)
    }

    /// An asynchronous checkpoint has persisted; a job stalled for it goes on.
    pub(crate) fn persisted_async(&mut self, j: u32) {
        let now = self.events.now();
        let job = &mut self.jobs[j];
        let Some(point) = job.saves.writing.take() else { return };
        job.saves.persisted = point;
        job.saves.persisted_n += 1;
        job.saves.background_ms += now.since(job.saves.write_began).as_millis();
        job.checkpoints += 1;
        self.mark(j, Milestone::Checkpoint);
        let job = &self.jobs[j];
        if job.phase != Phase::Checkpointing || job.saves.step != Step::WaitWrite {
            return;
        }
        if job.work_done >= job.work_total {
            self.jobs[j].saves.step = Step::None;
            self.mark(j, Milestone::Finished);
            self.finish_job(j);
        } else {
            // It waited for this write to take its next snapshot.
            self.persistent(j);
        }
    }

    /// The persistent interval from now on: the adaptive policy's estimate of the
    /// job's MTBF from the interruptions it has seen, with its prior.
    fn retuned_interval(&mut self, j: u32) -> u64 {
        let now = self.events.now();
        let job = &mut self.jobs[j];
        let Some(c) = job.ckpt.as_mut() else { return 0 };
        if let Some((prior_m, prior_n)) = c.adaptive {
            let live = if job.phase.computing() { now.since(job.phase_start).as_millis() } else { 0 };
            let hours = Duration::from_millis(job.saves.exposed_ms + live).as_hours();
            // With a memory level, only the interruptions it could not serve count.
            let seen = if c.mem.is_some() { job.saves.deep_n } else { job.interruptions };
            let mtbf = (prior_n * prior_m + hours) / (prior_n + seen as f64);
            let tau = crate::theory::daly_interval(c.delta_h, mtbf);
            if tau.is_finite() && tau > 0.0 && c.delta_h > 0.0 {
                c.interval = ms(tau).max(1);
            }
        }
        c.interval
    }

    /// Job `j`'s restart is cut (or the run ends) at `now`: the part of its hang it lived.
    pub(crate) fn hung_until(&mut self, j: u32, now: SimTime) {
        let job = &self.jobs[j];
        let hung = job.hang_now.as_millis().min(now.since(job.phase_start).as_millis());
        self.hung(j, hung);
    }

    /// Job `j` hung `ms` on a fault not yet seen (time that opened its restart).
    #[inline]
    fn hung(&mut self, j: u32, ms: u64) {
        if ms > 0 {
            let job = &mut self.jobs[j];
            job.hung_ms += ms;
            job.hang_now = Duration::ZERO;
            self.rec.hung_chip_ms += ms as u128 * job.chips as u128;
        }
    }

    /// The running segment's work is computed (and saved at `level`, if any): go on or finish.
    #[inline]
    fn commit(&mut self, j: u32, level: Option<RestoreLevel>) {
        let job = &mut self.jobs[j];
        job.work_done += job.seg_len;
        job.seg_len = 0;
        job.saves.step = Step::None;
        let point = job.work_done;
        match level {
            Some(RestoreLevel::Storage) => {
                job.saves.persisted = point;
                if job.ckpt.is_some_and(|c| c.mem.is_some()) {
                    job.saves.in_memory = point;
                    job.saves.lost_nodes.clear();
                }
                let next = point + self.retuned_interval(j);
                self.jobs[j].saves.next_persist = next;
            }
            Some(RestoreLevel::Memory) => {
                let job = &mut self.jobs[j];
                job.saves.in_memory = point;
                job.saves.lost_nodes.clear();
            }
            _ => {}
        }
        let job = &self.jobs[j];
        let done = job.work_done >= job.work_total;
        self.mark(j, if done { Milestone::Finished } else { Milestone::Checkpoint });
        if done {
            self.finish_job(j);
        } else if level.is_some() && self.can_grow(j) {
            self.grow(j);
        } else {
            self.start_segment(j);
        }
    }

    /// An elastic job running short has nodes to grow back with: its own spares, or free ones it may borrow.
    fn can_grow(&self, j: u32) -> bool {
        let job = &self.jobs[j];
        job.elastic_speed < 1.0 && (self.pool.spares(j) > 0 || (job.recovery != Recovery::WaitForRepair && self.pool.free_count() > 0))
    }

    /// Grow elastic job `j` back right after a checkpoint: it takes the nodes it can
    /// and restarts on them from what it just saved, losing nothing.
    fn grow(&mut self, j: u32) {
        let job = &mut self.jobs[j];
        job.resizes += 1;
        job.resizing = true;
        job.resumed = true;
        let (level, _) = job.restore_point();
        job.saves.level = level;
        job.restart = job.restart_for(level);
        self.refill(j);
    }

    fn finish_job(&mut self, j: u32) {
        // A write still under way in the background (its last piece of work unsaved,
        // `at_end: false`) is abandoned with the job.
        self.stop_writes(j, false);
        let now = self.events.now();
        self.jobs[j].finished = Some(now);
        let job = &self.jobs[j];
        // Bounded slowdown: time in the system over the run time, runs under 10 s counted as 10 s.
        let slowdown = (!job.frontier).then(|| {
            let run = job.work_total.max(10_000) as f64;
            (now.since(job.submitted).as_millis() as f64 / run).max(1.0)
        });
        let useful = job.work_done as u128 * job.chips as u128;
        let k = self.keys(j);
        self.rec.complete(k, slowdown, useful);
        self.release(j);
        self.set_phase(j, Phase::Done);
        if !self.jobs[j].frontier {
            self.record_job(j);
            self.jobs.retire(j);
        } else {
            self.hold(k.tenant, -(self.jobs[j].chips as i64));
            if k.tenant != NO_TENANT {
                self.queue.usage(k.tenant, -(self.jobs[j].chips as i64), now);
            }
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
            tenant: job.tenant,
            chips: job.chips,
            work_ms: job.work_total,
            walltime_ms: job.walltime,
            submitted: job.submitted,
            started: job.first_start,
            finished: job.finished,
            state: job.phase.label(),
            interruptions: job.interruptions,
            preemptions: job.preemptions,
            lost_chip_ms: job.lost_chip_ms,
        });
    }

    /// Give back every node the job owns.
    fn release(&mut self, j: u32) {
        let state = self.jobs[j].phase.chip_state();
        let (active, spares) = self.pool.release_all(j);
        let cpn = self.topo.chips_per_node as u64;
        self.meter.shift(state, ChipState::Idle, active as u64 * self.jobs[j].node_chips as u64);
        self.meter.shift(ChipState::Spare, ChipState::Idle, spares as u64 * cpn);
        if !self.jobs[j].frontier && self.queue.stopped(j, self.events.now()).is_some() {
            self.hold(self.jobs[j].tenant, -(self.jobs[j].chips as i64));
        }
    }

    /// Job `j` stops before its work is done: unsaved work is lost; a frontier
    /// job waits for healthy nodes, a tenant job goes back to the queue (or,
    /// killed at its wall time without requeue, ends). The caller runs the
    /// schedule pass afterwards.
    pub(crate) fn interrupt(&mut self, j: u32, cause: Cause) {
        let now = self.events.now();
        let k = self.keys(j);
        let unsaved = self.unsaved(j, now);
        let computing = self.jobs[j].phase.computing();
        if self.jobs[j].phase == Phase::Restarting {
            self.hung_until(j, now);
        }
        self.stop_writes(j, computing);
        let job = &mut self.jobs[j];
        let progress = job.work_done + unsaved;
        if cause == Cause::Maintenance
            && let Some(c) = job.ckpt
            && computing
        {
            // Given notice, it writes a checkpoint of all it computed; the write
            // is paid before its restart.
            let point = progress.min(job.work_total);
            job.saves.persisted = point;
            job.saves.in_memory = point;
            job.notice = Duration::from_millis(c.full_write);
        }
        if !job.frontier {
            // Requeued, it leaves its nodes and the copies in their memory.
            job.saves.in_memory = 0;
        }
        let (level, point) = job.restore_point();
        job.saves.level = level;
        if computing && level != RestoreLevel::Memory {
            job.saves.deep_n += 1;
        }
        job.restart = job.restart_for(level);
        if level != RestoreLevel::Memory {
            job.saves.next_persist = point + job.ckpt.map_or(0, |c| c.interval);
        }
        job.work_done = point;
        job.draining = false;
        if computing {
            let lost_chip_ms = progress.saturating_sub(point) as u128 * job.chips as u128;
            job.lost_chip_ms += lost_chip_ms;
            job.interruptions += 1;
            job.seg_len = 0;
            self.mark(j, Milestone::Interruption);
            self.rec.interrupted(k, lost_chip_ms);
            self.jobs.cancel_pending(j);
        }
        let job = &mut self.jobs[j];
        job.resumed = true;
        if cause == Cause::Preempted {
            job.preemptions += 1;
            let first = job.preemptions == 1;
            self.rec.preempted(k, first);
        }
        if self.jobs[j].frontier {
            self.set_phase(j, Phase::Waiting);
            self.refill(j);
            return;
        }
        self.release(j);
        if cause == Cause::WallTime && !self.jobs[j].requeue_on_timeout {
            self.set_phase(j, Phase::Killed);
            let job = &self.jobs[j];
            self.rec.killed(k, job.work_done as u128 * job.chips as u128);
            self.jobs[j].finished = Some(now);
            self.record_job(j);
            self.jobs.retire(j);
            return;
        }
        self.set_phase(j, Phase::Queued);
        let q = self.queued(j);
        self.queue.requeue(q, cause);
    }

    /// Job `j` stops writing and reading: a checkpoint under way (or written in the
    /// background) is lost. `computing`: it was on its nodes.
    fn stop_writes(&mut self, j: u32, computing: bool) {
        let now = self.events.now();
        if let Some(s) = self.storage.as_mut()
            && s.busy(j)
        {
            s.cancel(now, j, &mut self.events);
        }
        let job = &mut self.jobs[j];
        let s = &mut job.saves;
        // A transfer that ended at this instant but is not yet delivered is not its any more.
        s.flow = 0;
        s.write_flow = 0;
        if s.writing.take().is_some() {
            s.lost_n += 1;
            s.background_ms += now.since(s.write_began).as_millis();
        }
        if computing && job.phase == Phase::Checkpointing && matches!(s.step, Step::Fixed | Step::Transfer | Step::Snapshot) {
            s.lost_n += 1;
        }
        s.step = Step::None;
    }

    /// Preempt running tenant job `j`: at once, or, with `CheckpointRequeue` and a
    /// job that checkpoints, after writing a checkpoint of the work done so far.
    fn preempt(&mut self, j: u32) {
        let drain = self.scenario.workload.scheduler.preemption.as_ref().is_some_and(|p| p.mode == PreemptMode::CheckpointRequeue);
        let job = &self.jobs[j];
        if !drain || job.ckpt.is_none() || !matches!(job.phase, Phase::Running | Phase::Checkpointing) {
            self.interrupt(j, Cause::Preempted);
            return;
        }
        self.queue.draining(j);
        let ran = self.unsaved(j, self.events.now());
        let job = &mut self.jobs[j];
        job.draining = true;
        let writing = job.phase == Phase::Checkpointing && matches!(job.saves.step, Step::Fixed | Step::Transfer);
        if !writing {
            // The segment so far is what a synchronous checkpoint saves (one in the
            // background, or a stall before it, gives way to it).
            self.stop_writes(j, true);
            self.jobs[j].seg_len = ran;
            self.jobs.cancel_pending(j);
            self.persistent(j);
        }
    }

    /// A preempted job's checkpoint is written: keep its work, give back its chips, requeue it.
    fn drained(&mut self, j: u32) {
        let job = &mut self.jobs[j];
        job.draining = false;
        job.work_done += job.seg_len;
        job.seg_len = 0;
        job.saves.persisted = job.work_done;
        if job.work_done >= job.work_total {
            self.mark(j, Milestone::Finished);
            self.finish_job(j);
            return;
        }
        self.interrupt(j, Cause::Preempted);
        self.try_schedule();
    }

    /// Attempt `attempt` of job `j` reached its requested wall time.
    pub(crate) fn on_walltime(&mut self, j: u32) {
        self.interrupt(j, Cause::WallTime);
        self.try_schedule();
    }

    /// Whether a wall-time event still concerns the attempt running now.
    pub(crate) fn walltime_current(&self, j: u32, attempt: u32) -> bool {
        self.jobs
            .get(j)
            .is_some_and(|job| job.attempt == attempt && matches!(job.phase, Phase::Running | Phase::Checkpointing | Phase::Restarting))
    }

    /// Make a waiting frontier job whole from its hot spares, then (as its
    /// recovery allows) from the free pool and from preempted tenant jobs, and
    /// restart it once it is.
    fn refill(&mut self, j: u32) {
        let (needed, recovery) = (self.jobs[j].needed, self.jobs[j].recovery);
        let borrow = recovery != Recovery::WaitForRepair;
        while self.pool.active(j) < needed {
            let from = if self.pool.activate_spare(j).is_some() {
                ChipState::Spare
            } else {
                let Some(n) = borrow.then(|| self.pool.take_free()).flatten() else { break };
                self.pool.hold_active(j, n);
                ChipState::Idle
            };
            self.count_active(j, 1, from);
            // A new host joined: the restart pays for selecting it.
            self.jobs[j].pick = self.jobs[j].selection;
        }
        if self.pool.active(j) < needed && recovery == Recovery::PreemptTenants {
            self.preempt_for_frontier(j);
        }
        let active = self.pool.active(j);
        let share = active as f64 / needed as f64;
        let job = &mut self.jobs[j];
        if active == needed {
            job.elastic_speed = 1.0;
            self.begin(j);
        } else if let Some(e) = &job.elastic
            && active > 0
            && share >= e.min_share.get()
        {
            // Run short rather than wait.
            job.elastic_speed = e.speed(share);
            self.begin(j);
        }
    }

    /// Preempt whole-node tenant jobs, youngest first, until frontier job `j`
    /// has the nodes it needs (second-order preemptions: the tenants pay for
    /// the frontier job's failure).
    fn preempt_for_frontier(&mut self, j: u32) {
        let short = self.jobs[j].needed - self.pool.active(j);
        let victims = self.queue.youngest_whole_node(short);
        for v in victims {
            self.rec.second_order_preemptions += 1;
            self.interrupt(v, Cause::Preempted);
        }
        while self.pool.active(j) < self.jobs[j].needed {
            let Some(n) = self.pool.take_free() else { break };
            self.pool.hold_active(j, n);
            self.count_active(j, 1, ChipState::Idle);
            self.jobs[j].pick = self.jobs[j].selection;
        }
    }

    /// A broken node owned by job `j` is healthy again.
    pub(crate) fn job_node_repaired(&mut self, j: u32, n: u32) {
        let job = &self.jobs[j];
        if job.phase == Phase::Waiting {
            self.pool.activate_held(j, n);
            self.count_active(j, 1, ChipState::Idle);
            self.refill(j);
        } else if self.pool.spares(j) >= job.target_spares && self.pool.active(j) + self.pool.spares(j) >= job.needed {
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
                let j = self.new_job(group, false, &req, 0, Recovery::WaitForRepair);
                let q = self.queued(j);
                self.queue.submit(q);
            } else {
                let tenant = self.tenant_of(group, &req);
                let size = Some(size_class(req.chips as u64));
                self.rec.submit(Keys { group, tenant, size });
                self.rec.reject(Keys { group, tenant, size });
            }
        }
        self.schedule_next_arrival(s);
        self.try_schedule();
    }

    /// Carry out the policy's decisions for this instant: preemptions, then
    /// starts of queued jobs, in its order, while they fit.
    pub(crate) fn try_schedule(&mut self) {
        if self.queue.is_empty() {
            self.note_queue();
            return;
        }
        let now = self.events.now();
        self.fill_room();
        let decisions = self.queue.decide(&self.room, now);
        for &d in &decisions {
            match d {
                Decision::Preempt(v) => {
                    if self.queue.running(v).is_some() && !self.queue.is_draining(v) {
                        self.preempt(v);
                    }
                }
                Decision::Start(j) => self.start_queued(j, now),
            }
        }
        self.queue.done(decisions);
        self.note_queue();
    }

    fn start_queued(&mut self, j: u32, now: SimTime) {
        let Some(job) = self.jobs.get(j) else { return };
        let fits = job.phase == Phase::Queued
            && if job.node_chips < self.topo.chips_per_node {
                self.pool.free_count() > 0 || (job.node_chips..self.topo.chips_per_node).any(|k| self.pool.shared_with_free(k) > 0)
            } else if job.one_rack {
                (job.needed..=self.topo.nodes_per_rack).any(|c| self.pool.racks_with_free(c) > 0)
            } else {
                job.needed <= self.pool.free_count()
            };
        if !fits || self.queue.take(j).is_none() {
            return;
        }
        self.take_nodes(j);
        self.attempts += 1;
        let k = self.keys(j);
        let job = &mut self.jobs[j];
        job.attempt = self.attempts;
        if job.first_start.is_none() {
            job.first_start = Some(now);
            let wait = now.since(job.submitted);
            self.rec.started(k, Some(wait));
        }
        let job = &self.jobs[j];
        let r = RunningJob {
            id: j,
            nodes: job.needed,
            chips: job.chips,
            sub_node: job.node_chips < self.topo.chips_per_node,
            tenant: job.tenant,
            started: now,
            ends_by: job.walltime.map(|w| now + Duration::from_millis(w)),
            preemptions: job.preemptions,
            node: self.pool.shared_node(j),
        };
        if let Some(w) = job.walltime {
            // Killed when the attempt runs longer than its wall time: an attempt that
            // ends exactly at it completes, whichever event was queued first.
            let attempt = job.attempt;
            self.events.after(Duration::from_millis(w + 1), JobEvent::WallTime { job: j, attempt }.into());
        }
        self.queue.started(r, now);
        self.hold(k.tenant, r.chips as i64);
        self.begin(j);
    }

    /// The free room as the policy plans with it.
    fn fill_room(&mut self) {
        self.room.free_nodes = self.pool.free_count();
        for k in 1..self.topo.chips_per_node {
            self.room.set_partial(k, self.pool.shared_with_free(k));
        }
        for c in 1..=self.topo.nodes_per_rack {
            self.room.set_racks(c, self.pool.racks_with_free(c));
        }
    }

    /// Queue length and fragmented chips from now: free chips no waiting job can
    /// use (on shared nodes with too few chips free for the smallest waiting
    /// job; and whole free nodes, if too few for the smallest whole-node job
    /// and no waiting job fits in part of a node).
    fn note_queue(&mut self) {
        // An empty queue stays empty, the case at most events: nothing changes.
        if self.queue.is_empty() && self.usage.level(QUEUE) == 0 && self.usage.level(FRAGMENTED) == 0 {
            return;
        }
        let now = self.events.now();
        self.usage.advance(now);
        self.usage.set(QUEUE, self.queue.len() as i64);
        let frag = match self.queue.smallest() {
            None => 0,
            Some((sub_node, chips)) => {
                self.fill_room();
                let cpn = self.topo.chips_per_node as u64;
                let small = if sub_node { chips } else { cpn };
                let shared: u64 = (1..small.min(cpn)).map(|k| k * self.room.partial(k as u32) as u64).sum();
                let nodes = if sub_node { 0 } else { chips.div_ceil(cpn) };
                let whole = if !sub_node && (self.room.free_nodes as u64) < nodes { self.room.free_nodes as u64 * cpn } else { 0 };
                shared + whole
            }
        };
        self.usage.set(FRAGMENTED, frag as i64);
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
            useful_hours: Duration::from_millis(job.work_done + self.unsaved(j, now)).as_hours(),
            wall_hours: end.since(start).as_hours(),
            finished_hours: job.finished.map(|t| t.as_hours()),
            interruptions: job.interruptions,
            checkpoints: job.checkpoints,
            lost_chip_hours: job.lost_chip_ms as f64 / 3_600_000.0,
            detection_hours: job.hung_ms as f64 / 3_600_000.0,
            checkpoint_interval_hours: job.ckpt.map(|c| c.interval as f64 / 3_600_000.0),
            checkpoints_started: job.saves.started,
            checkpoints_persisted: job.saves.persisted_n,
            checkpoints_lost: job.saves.lost_n,
            memory_checkpoints: job.saves.memory_n,
            restarts_from: job.saves.restores,
            stall_hours: {
                let live = if job.phase == Phase::Checkpointing { now.since(job.phase_start).as_millis() } else { 0 };
                Duration::from_millis(job.saves.stall_ms + live).as_hours()
            },
            background_write_hours: {
                let live = if job.saves.writing.is_some() { now.since(job.saves.write_began).as_millis() } else { 0 };
                Duration::from_millis(job.saves.background_ms + live).as_hours()
            },
            short_hours: {
                let live = if job.phase.computing() && job.elastic_speed < 1.0 { now.since(job.phase_start).as_millis() } else { 0 };
                Duration::from_millis(job.short_ms + live).as_hours()
            },
            resizes: job.resizes,
            interruption_times_hours: job.trace.iter().filter(|e| e.2 == Milestone::Interruption).map(|e| e.0.as_hours()).collect(),
            progress: job.trace.iter().map(|&(t, w, m)| (t.as_hours(), Duration::from_millis(w).as_hours(), m)).collect(),
        }
    }

    /// The phase of job `j` (a slot id), for step-level probes.
    pub(crate) fn job_phase_of(&self, j: u32) -> Option<Phase> {
        self.jobs.get(j).map(|job| job.phase)
    }
}
