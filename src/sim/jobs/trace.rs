//! A job trace replayed as a job source: each job arrives at its submit time
//! with its tenant, size, run time, requested wall time and checkpoint interval.

use super::{CheckpointPolicy, JobRequest, JobSource};
use crate::config::{InputError, TraceJob, TraceSpec, Workload, read_trace};
use crate::engine::SimRng;

/// The jobs of a trace, in submission order, with their tenants resolved.
pub struct TraceSource {
    jobs: Vec<(f64, JobRequest)>,
    next: usize,
}

impl TraceSource {
    /// Read `spec.file` and map its tenants onto the workload's.
    pub fn load(spec: &TraceSpec, w: &Workload) -> Result<Self, InputError> {
        let jobs = read_trace(std::path::Path::new(&spec.file), &spec.options)?;
        Self::new(&jobs, spec, w)
    }

    /// A trace's jobs; a tenant the workload does not name joins its default
    /// tenant, or is an error naming it and the line.
    pub fn new(jobs: &[TraceJob], spec: &TraceSpec, w: &Workload) -> Result<Self, InputError> {
        let default = w.default_tenant.as_deref().and_then(|t| w.tenant_index(t));
        let mut out = Vec::with_capacity(jobs.len());
        // Tenant names repeat: resolve each once.
        let mut known: std::collections::HashMap<&str, u16> = std::collections::HashMap::new();
        for j in jobs {
            let t = match known.get(j.tenant.as_str()) {
                Some(&t) => t,
                None => {
                    let t = w.tenant_index(&j.tenant).or(default).ok_or_else(|| InputError {
                        file: spec.file.clone(),
                        line_col: Some((j.line, 1)),
                        field: Some("tenant".into()),
                        message: format!(
                            "no tenant `{}` in the workload `{}` and no default_tenant; allowed: {}",
                            j.tenant,
                            w.name,
                            w.tenants.iter().map(|t| format!("`{}`", t.name)).collect::<Vec<_>>().join(", ")
                        ),
                    })? as u16;
                    known.insert(&j.tenant, t);
                    t
                }
            };
            let ckpt = j.ckpt_h.map(|c| CheckpointPolicy::new(c, spec.write_hours.get()).at_end(false));
            let req = JobRequest::new(j.chips, j.run_h)
                .checkpoint(ckpt)
                .restart_hours(spec.restart_hours.get())
                .tenant(Some(t))
                .walltime(j.walltime_h, false);
            out.push((j.submit_h, req));
        }
        Ok(Self { jobs: out, next: 0 })
    }

    pub fn len(&self) -> usize {
        self.jobs.len()
    }
    /// The checkpoints the traced jobs write if none fails: each job's work over its interval.
    pub fn checkpoints(&self) -> f64 {
        self.jobs.iter().filter_map(|(_, j)| j.checkpoint.as_ref().map(|c| j.work_hours / c.interval_hours.max(1.0 / 3.6e6))).sum()
    }
    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }
}

impl JobSource for TraceSource {
    fn name(&self) -> &str {
        "trace"
    }
    fn next(&mut self, now_hours: f64, _rng: &mut SimRng) -> Option<(f64, JobRequest)> {
        let &(at, req) = self.jobs.get(self.next)?;
        self.next += 1;
        // From the clock, not the last submit time, so that rounding to the tick never accumulates.
        Some(((at - now_hours).max(0.0), req))
    }
}
