//! The policies a workload file names, composed as Slurm's are: a priority
//! order (FCFS, or multifactor priority with classic fair share), then
//! optionally EASY backfill and preemption by priority tier.

use super::{Cause, Decision, Placement, Policy, QueueView, QueuedJob, Reservation, RunningJob};
use crate::config::{Order, SchedulerSpec};
use crate::engine::SimTime;

/// Fair-share state: each tenant's decayed usage (chip-hours) and the chips it holds now.
#[derive(Clone, Debug)]
struct FairShare {
    half_life_h: f64,
    w_fs: f64,
    w_age: f64,
    max_age_h: f64,
    usage: Vec<f64>,
    holds: Vec<f64>,
    at: SimTime,
}

impl FairShare {
    /// Decay usage to `now`, adding what each tenant held meanwhile:
    /// U(t+Δ) = U·2^(−Δ/h) + held·(h/ln 2)·(1 − 2^(−Δ/h)).
    fn advance(&mut self, now: SimTime) {
        let dt = now.since(self.at).as_hours();
        if dt <= 0.0 {
            return;
        }
        let keep = (-dt / self.half_life_h).exp2();
        let gain = self.half_life_h / std::f64::consts::LN_2 * (1.0 - keep);
        for (u, &h) in self.usage.iter_mut().zip(&self.holds) {
            *u = *u * keep + h * gain;
        }
        self.at = now;
    }
    /// Each tenant's fair-share factor 2^(−U/S), U its share of all decayed
    /// usage and S its normalised entitlement (0 for a tenant entitled to nothing).
    fn factors(&self, shares: impl Iterator<Item = f64>, out: &mut Vec<f64>) {
        let total: f64 = self.usage.iter().sum();
        out.clear();
        for (u, s) in self.usage.iter().zip(shares) {
            let used = if total > 0.0 { u / total } else { 0.0 };
            out.push(if s > 0.0 { (-used / s).exp2() } else { 0.0 });
        }
    }
    fn priority(&self, factor: f64, j: &QueuedJob, now: SimTime) -> f64 {
        let age = (now.since(j.submitted).as_hours() / self.max_age_h).min(1.0);
        self.w_fs * factor + self.w_age * age
    }
}

/// A priority order with optional EASY backfill and preemption.
pub struct Slurm {
    name: String,
    fair: Option<FairShare>,
    backfill: Option<u32>,
    max_preemptions: Option<u32>,
    factors: Vec<f64>,
    heads: Vec<u32>,
}

impl Slurm {
    pub fn new(spec: &SchedulerSpec) -> Self {
        let fair = match &spec.order {
            Order::Fcfs => None,
            Order::FairShare { half_life_hours, weight_fair_share, weight_age, max_age_hours } => Some(FairShare {
                half_life_h: half_life_hours.get(),
                w_fs: weight_fair_share.get(),
                w_age: weight_age.get(),
                max_age_h: max_age_hours.get(),
                usage: Vec::new(),
                holds: Vec::new(),
                at: SimTime::ZERO,
            }),
        };
        Self {
            name: spec.policy_name(),
            fair,
            backfill: spec.backfill.as_ref().map(|b| b.max_jobs_tested),
            max_preemptions: spec.preemption.as_ref().map(|p| p.max_per_job),
            factors: Vec::new(),
            heads: Vec::new(),
        }
    }

    /// Bring fair-share usage to now and compute each tenant's factor.
    fn refresh(&mut self, v: &QueueView) {
        let Some(fair) = self.fair.as_mut() else { return };
        let tenants = v.tenants();
        if fair.usage.len() < tenants.len() {
            fair.usage.resize(tenants.len(), 0.0);
            fair.holds.resize(tenants.len(), 0.0);
        }
        fair.advance(v.now);
        fair.factors(tenants.iter().map(|t| t.share), &mut self.factors);
    }
}

/// The queued jobs in priority order, lazily: queue order for FCFS; for fair
/// share, higher tier first, then priority, merging the tenants' age-ordered
/// queues (within a tenant the oldest job has the highest priority).
fn ordered<'a>(fair: Option<&'a FairShare>, factors: &'a [f64], v: &'a QueueView<'a>) -> Box<dyn Iterator<Item = &'a QueuedJob> + 'a> {
    let Some(fair) = fair else { return Box::new(v.jobs()) };
    let tenants = v.tenants();
    let mut queues: Vec<_> = (0..tenants.len() as u16).map(|t| v.tenant_jobs(t).peekable()).collect();
    let now = v.now;
    Box::new(std::iter::from_fn(move || {
        let mut best: Option<(usize, (u32, f64))> = None;
        for (t, q) in queues.iter_mut().enumerate() {
            let Some(j) = q.peek() else { continue };
            let key = (tenants[t].tier, fair.priority(factors[t], j, now));
            if best.is_none_or(|(_, b)| key.0 > b.0 || (key.0 == b.0 && key.1 > b.1)) {
                best = Some((t, key));
            }
        }
        queues[best?.0].next()
    }))
}

/// Make room for `head` by preempting preemptible whole-node jobs of lower
/// tiers, youngest first; pushes the decisions if (and only if) that is enough.
fn preempt_for(max: u32, head: &QueuedJob, v: &QueueView, room: &mut super::Room, out: &mut Vec<Decision>, picked: &mut Vec<u32>) -> bool {
    let tier = v.tenants()[head.tenant as usize].tier;
    let need = if head.sub_node { 1 } else { head.nodes };
    // Jobs already preempted and writing their checkpoints free nodes soon: wait for them.
    let soon = room.free_nodes as u64 + v.draining_nodes();
    if soon >= need as u64 && v.draining_nodes() > 0 {
        return false;
    }
    if (soon + v.preemptible_nodes()) < need as u64 {
        return false;
    }
    picked.clear();
    let mut freed = soon as u32;
    for r in v.preemptible() {
        if freed >= need {
            break;
        }
        if r.sub_node || r.preemptions >= max || v.tenants()[r.tenant as usize].tier >= tier {
            continue;
        }
        freed += r.nodes;
        picked.push(r.id);
    }
    if freed < need {
        return false;
    }
    out.extend(picked.iter().map(|&id| Decision::Preempt(id)));
    if v.draining_nodes() > 0 {
        // Some of the room is still being written out: the head starts when it is free.
        return false;
    }
    room.free_nodes = freed;
    room.take(head)
}

impl Policy for Slurm {
    fn name(&self) -> &str {
        &self.name
    }

    fn decide(&mut self, v: &QueueView, out: &mut Vec<Decision>) {
        let mut room = v.room.clone();
        let max_pre = self.max_preemptions;
        if v.is_empty() || (room.is_full() && max_pre.is_none()) {
            return;
        }
        self.refresh(v);
        let (backfill, now) = (self.backfill, v.now);
        let mut resv: Option<Reservation> = None;
        let mut tested = 0;
        let mut picked = std::mem::take(&mut self.heads);
        // Jobs started in this pass end by their wall times too: the reservation counts them.
        let mut started_here: Vec<RunningJob> = Vec::new();
        // Requested ends of sub-node jobs started in this pass on fresh nodes (new
        // shared nodes) and on shared nodes (which may then empty later).
        let (mut fresh, mut joins): (Vec<Option<SimTime>>, Vec<Option<SimTime>>) = (Vec::new(), Vec::new());
        for j in ordered(self.fair.as_ref(), &self.factors, v) {
            if let Some(r) = resv.as_mut() {
                tested += 1;
                if tested > backfill.unwrap_or(0) || room.is_full() {
                    break;
                }
                if room.fits(j) && r.admit(j, &room, now) {
                    room.take(j);
                    out.push(Decision::Start(j.id));
                }
                continue;
            }
            let fresh_node = j.sub_node && room.fits(j) && room.fresh_nodes(j) == 1;
            let joining = j.sub_node && room.fits(j) && room.fresh_nodes(j) == 0;
            if room.take(j) || max_pre.is_some_and(|m| preempt_for(m, j, v, &mut room, out, &mut picked)) {
                let end = j.walltime_ms.map(|w| now + crate::engine::Duration::from_millis(w));
                if fresh_node {
                    fresh.push(end);
                } else if joining {
                    joins.push(end);
                }
                out.push(Decision::Start(j.id));
                started_here.push(running_from(j, now));
                continue;
            }
            if backfill.is_none() {
                break;
            }
            started_here.retain(|r| r.ends_by.is_some());
            started_here.sort_by_key(|r| (r.ends_by, r.id));
            let ends = by_end(v.ends(), started_here.iter());
            resv = Some(if joins.is_empty() && fresh.is_empty() {
                Reservation::for_head(j, &room, ends, v.shared_ends())
            } else {
                Reservation::for_head(j, &room, ends, super::room::shared_after_pass(v.shared_ends(), &fresh, &mut joins).into_iter())
            });
        }
        self.heads = picked;
    }

    /// An interrupted job goes back to the front; a preempted one to the back,
    /// so that under FCFS the job it made room for is served before it.
    fn requeue(&mut self, _: &QueuedJob, cause: Cause) -> Placement {
        if cause == Cause::Preempted { Placement::Back } else { Placement::Front }
    }

    fn usage(&mut self, tenant: u16, delta: i64, now: SimTime) {
        if let Some(f) = self.fair.as_mut() {
            let t = tenant as usize;
            if f.holds.len() <= t {
                f.holds.resize(t + 1, 0.0);
                f.usage.resize(t + 1, 0.0);
            }
            f.advance(now);
            f.holds[t] += delta as f64;
        }
    }
}

fn running_from(j: &QueuedJob, now: SimTime) -> RunningJob {
    RunningJob {
        id: j.id,
        nodes: j.nodes,
        chips: j.chips,
        sub_node: j.sub_node,
        tenant: j.tenant,
        started: now,
        ends_by: j.walltime_ms.map(|w| now + crate::engine::Duration::from_millis(w)),
        preemptions: j.preemptions,
        node: None,
    }
}

/// Two lists of running jobs, each by requested end, merged lazily: the
/// reservation reads only as far as it needs.
fn by_end<'a>(a: impl Iterator<Item = &'a RunningJob>, b: impl Iterator<Item = &'a RunningJob>) -> impl Iterator<Item = &'a RunningJob> {
    let (mut a, mut b) = (a.peekable(), b.peekable());
    std::iter::from_fn(move || match (a.peek(), b.peek()) {
        (Some(x), Some(y)) if y.ends_by < x.ends_by => b.next(),
        (Some(_), _) => a.next(),
        _ => b.next(),
    })
}
