//! Checks that serde cannot make alone: ranges that span fields, sizes that
//! must fit memory, and the fit of jobs in the facility. Each model checks
//! itself (so `gigasim check FILE` can), and the scenario checks across files.

use super::law::{DurationLaw, Law};
use super::model::*;
use super::workload::*;

/// Which model a problem is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Scenario,
    Facility,
    Failure,
    Power,
    Workload,
}

impl Part {
    /// The path prefix of this part inside a loaded `Scenario` (for `--set` messages).
    pub fn prefix(self) -> &'static str {
        match self {
            Part::Scenario => "",
            Part::Facility => "facility.",
            Part::Failure => "failure.",
            Part::Power => "power.",
            Part::Workload => "workload.",
        }
    }
}

/// A problem found after parsing: the model, the field path inside it, what is wrong and allowed.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub part: Part,
    pub field: String,
    pub message: String,
}

impl Problem {
    /// The field's path inside a loaded `Scenario`, as `--set` takes it.
    pub fn path(&self) -> String {
        format!("{}{}", self.part.prefix(), self.field)
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path(), self.message)
    }
}

impl std::error::Error for Problem {}

fn problem(part: Part, field: impl Into<String>, message: impl Into<String>) -> Result<(), Problem> {
    Err(Problem { part, field: field.into(), message: message.into() })
}

/// Largest site simulated: ids are 32-bit and per-node state must fit in memory.
pub const MAX_CHIPS: u64 = 50_000_000;
/// Highest event rate of one failure class or job stream, per hour: keeps the
/// mean gap between events far above the 1 ms clock tick.
pub const MAX_RATE_PER_HOUR: f64 = 1e6;
/// Shortest horizon: one minute.
pub const MIN_HORIZON_DAYS: f64 = 1.0 / 1440.0;
/// Most bins in power.csv.
pub const MAX_POWER_BINS: f64 = 10_000_000.0;

fn law(part: Part, field: String, l: &Law) -> Result<(), Problem> {
    l.check().or_else(|m| problem(part, field, m))
}

impl Facility {
    /// Chips in the site, or `None` if the product overflows.
    pub fn checked_chips(&self) -> Option<u64> {
        (self.pods.get() as u64)
            .checked_mul(self.racks_per_pod.get() as u64)?
            .checked_mul(self.nodes_per_rack.get() as u64)?
            .checked_mul(self.chips_per_node.get() as u64)
    }

    pub fn check(&self) -> Result<(), Problem> {
        if let Some(phases) = &self.commissioning {
            let total: u64 = phases.iter().map(|p| p.racks.get() as u64).sum();
            let racks = self.checked_chips().map_or(u64::MAX, |_| self.racks());
            if total != racks {
                return problem(
                    Part::Facility,
                    "commissioning",
                    format!("its phases add up to {total} racks; allowed: exactly the site's {racks} racks"),
                );
            }
            if let Some(i) = phases.windows(2).position(|w| w[1].day.get() < w[0].day.get()) {
                return problem(
                    Part::Facility,
                    format!("commissioning[{}].day", i + 1),
                    format!("got {} after {}; allowed: days in order", phases[i + 1].day, phases[i].day),
                );
            }
        }
        match self.checked_chips() {
            Some(c) if c <= MAX_CHIPS => Ok(()),
            c => problem(
                Part::Facility,
                "pods",
                format!(
                    "pods × racks_per_pod × nodes_per_rack × chips_per_node is {}; allowed: at most {MAX_CHIPS} chips",
                    c.map_or("beyond 2^64".to_string(), |c| c.to_string())
                ),
            ),
        }
    }
}

impl FailureModel {
    /// Laws well formed; with a facility, every class's rate over the site bounded.
    pub fn check(&self, facility: Option<&Facility>) -> Result<(), Problem> {
        let p = Part::Failure;
        for (i, c) in self.classes.iter().enumerate() {
            law(p, format!("classes[{i}].ttf"), &c.ttf)?;
            match &c.outcome {
                Outcome::Transient { reboot } => law(p, format!("classes[{i}].outcome.reboot"), reboot)?,
                Outcome::Permanent { repair } => law(p, format!("classes[{i}].outcome.repair"), repair)?,
                Outcome::Mixed { reboot, repair, .. } => {
                    law(p, format!("classes[{i}].outcome.reboot"), reboot)?;
                    law(p, format!("classes[{i}].outcome.repair"), repair)?;
                }
            }
            if let Some(f) = facility {
                let units = match c.level {
                    Level::Chip => f.chips(),
                    Level::Node => f.nodes(),
                    Level::Rack => f.racks(),
                    Level::Pod => f.pods.get() as u64,
                } as f64;
                // Lemon nodes' chips and hosts fail `rate_factor` times as often.
                let lemon = match (c.level, &self.lemons) {
                    (Level::Chip | Level::Node, Some(l)) => 1.0 + (l.rate_factor.get() - 1.0) * l.fraction_of_nodes.get(),
                    _ => 1.0,
                };
                // A burst class's law is the time between bursts over the whole site.
                let per_event = c.burst.as_ref().map_or(units, |b| b.strikes.of(units as u32) as f64);
                let rate = lemon * per_event / c.ttf.mean_hours();
                if rate.is_nan() || rate > MAX_RATE_PER_HOUR {
                    return problem(
                        p,
                        format!("classes[{i}].ttf"),
                        format!(
                            "gives {rate:.3e} failures per hour over the site's {units} units; allowed: at most {MAX_RATE_PER_HOUR:e} per hour"
                        ),
                    );
                }
            }
        }
        for (i, c) in self.classes.iter().enumerate() {
            if let Some(d) = &c.detection {
                law(p, format!("classes[{i}].detection"), d)?;
            }
            if let Some(d) = &c.silent {
                law(p, format!("classes[{i}].silent"), d)?;
            }
            if c.burn_in_hours.get() > 0.0 && !c.ageing {
                return problem(
                    p,
                    format!("classes[{i}].burn_in_hours"),
                    "set without `ageing: true`; allowed: 0, or `ageing: true` with it",
                );
            }
            if let Some(sl) = &c.slow {
                law(p, format!("classes[{i}].slow.detect"), &sl.detect)?;
                if sl.speed.get() <= 0.0 {
                    return problem(p, format!("classes[{i}].slow.speed"), "got 0; allowed: a pace above 0 and at most 1");
                }
                if c.silent.is_some() {
                    return problem(p, format!("classes[{i}].slow"), "set with `silent`; allowed: one of `slow` and `silent`");
                }
            }
        }
        if let Some(d) = &self.detection {
            law(p, "detection".into(), d)?;
        }
        if let Some(e) = &self.repair.escalation {
            law(p, "repair.escalation.auto".into(), &e.auto)?;
            law(p, "repair.escalation.rma_lead".into(), &e.rma_lead)?;
            law(p, "repair.escalation.refail".into(), &e.refail)?;
        }
        law(p, "repair.swap".into(), &self.repair.swap)
    }
}

impl Workload {
    pub fn check(&self) -> Result<(), Problem> {
        let p = Part::Workload;
        let mut names = std::collections::HashSet::new();
        for (i, t) in self.tenants.iter().enumerate() {
            if !names.insert(t.name.as_str()) {
                return problem(p, format!("tenants[{i}].name"), format!("`{}` names two tenants; allowed: one tenant per name", t.name));
            }
            for (k, c) in t.classes.iter().enumerate() {
                let at = format!("tenants[{i}].classes[{k}]");
                law(p, format!("{at}.work_hours"), &c.work_hours)?;
                if let WallTime::Hours(l) = &c.walltime {
                    law(p, format!("{at}.walltime"), l)?;
                }
                if let SizeLaw::Choice(v) = &c.chips
                    && v.is_empty()
                {
                    return problem(p, format!("{at}.chips"), "an empty Choice; allowed: at least one (chips, weight) pair");
                }
                if c.arrivals_per_hour.get() > MAX_RATE_PER_HOUR {
                    return problem(
                        p,
                        format!("{at}.arrivals_per_hour"),
                        format!("got {}; allowed: at most {MAX_RATE_PER_HOUR:e} per hour", c.arrivals_per_hour),
                    );
                }
            }
        }
        let known = || self.tenants.iter().map(|t| format!("`{}`", t.name)).collect::<Vec<_>>().join(", ");
        for (i, f) in self.frontier.iter().enumerate() {
            if let Some(t) = &f.tenant
                && self.tenant_index(t).is_none()
            {
                return problem(
                    p,
                    format!("frontier[{i}].tenant"),
                    format!("no tenant `{t}`; allowed: one of the workload's tenants ({})", known()),
                );
            }
        }
        if let Some(t) = &self.default_tenant
            && self.tenant_index(t).is_none()
        {
            return problem(p, "default_tenant", format!("no tenant `{t}`; allowed: one of the workload's tenants ({})", known()));
        }
        if let Some(b) = &self.scheduler.backfill
            && b.max_jobs_tested == 0
        {
            return problem(p, "scheduler.backfill.max_jobs_tested", "got 0; allowed: a whole number from 1 up");
        }
        Ok(())
    }
}

impl Scenario {
    /// Every model's own checks, then the checks across them.
    pub fn check(&self) -> Result<(), Problem> {
        // A minute is the least run whose rates and means are defined: the clock ticks in
        // milliseconds and every figure divides by the horizon.
        if !(MIN_HORIZON_DAYS..=100_000.0).contains(&self.horizon_days.get()) {
            return problem(
                Part::Scenario,
                "horizon_days",
                format!(
                    "got {}; allowed: from {MIN_HORIZON_DAYS:.6} (one minute) up to 100000 days",
                    super::num::show(self.horizon_days.get())
                ),
            );
        }
        if self.power_bin_minutes.get() < 1.0 / 60.0 {
            return problem(
                Part::Scenario,
                "power_bin_minutes",
                format!("got {}; allowed: at least 0.0167 (one second)", super::num::show(self.power_bin_minutes.get())),
            );
        }
        let bins = self.horizon_days.get() * 1440.0 / self.power_bin_minutes.get();
        if bins > MAX_POWER_BINS {
            return problem(
                Part::Scenario,
                "power_bin_minutes",
                format!(
                    "{} min over {} days makes {bins:.3e} bins; allowed: at most {MAX_POWER_BINS:e} bins",
                    self.power_bin_minutes, self.horizon_days
                ),
            );
        }
        if super::cost::day_of_year(&self.start_date).is_none() {
            return problem(Part::Scenario, "start_date", format!("got `{}`; allowed: a date YYYY-MM-DD", self.start_date));
        }
        if let Some(b) = &self.power.battery
            && b.round_trip_efficiency.get() <= 0.0
        {
            return problem(Part::Power, "battery.round_trip_efficiency", "got 0; allowed: a share above 0 and at most 1");
        }
        if let Some(b) = &self.power.battery
            && let (Some(lo), Some(hi)) = (b.grid_min_mw, b.grid_max_mw)
            && lo.get() > hi.get()
        {
            return problem(Part::Power, "battery.grid_min_mw", format!("got {lo} above grid_max_mw {hi}; allowed: at most grid_max_mw"));
        }
        if let Some(g) = &self.grid
            && g.enforce_cap
        {
            if g.cap_mw.is_none() {
                return problem(Part::Scenario, "grid.enforce_cap", "true without a cap; allowed: `cap_mw` set, or `enforce_cap: false`");
            }
            if let Some(i) = self.failure.classes.iter().position(|c| c.slow.is_some()) {
                return problem(
                    Part::Failure,
                    format!("classes[{i}].slow"),
                    "set, but the scenario's grid enforces its cap: stragglers under a throttling cap are not modelled; allowed: `slow: None`, or `enforce_cap: false`",
                );
            }
            if self.power.ramp.is_some() {
                return problem(
                    Part::Power,
                    "ramp",
                    "set, but the scenario's grid enforces its cap: throttling with ramp-limited chips is not modelled; allowed: `ramp: None`, or `enforce_cap: false`",
                );
            }
            if self.power.throttle.as_ref().is_some_and(|t| t.min_fraction_of_busy.get() <= 0.0) {
                return problem(
                    Part::Power,
                    "throttle.min_fraction_of_busy",
                    "got 0; allowed: a share above 0 and at most 1 (a chip at no power computes nothing)",
                );
            }
            if self.power.throttle.is_none() {
                return problem(
                    Part::Power,
                    "throttle",
                    "missing, but the scenario's grid enforces its cap; allowed: `throttle: Some((alpha: …, min_fraction_of_busy: …))`",
                );
            }
        }
        let f = &self.facility;
        f.check()?;
        self.failure.check(Some(f))?;
        self.workload.check()?;
        let chips = f.chips();
        let cpn = f.chips_per_node.get() as u64;
        let mut nodes_taken = 0u64;
        // Frontier jobs take their nodes on day 0: from the racks in service then.
        let at_start = f.install_hours().iter().filter(|&&h| h == 0.0).count() as u64 * f.nodes_per_rack.get() as u64;
        for (i, j) in self.workload.frontier.iter().enumerate() {
            let nodes = (j.chips.get() as u64).div_ceil(cpn) + j.hot_spare_nodes as u64;
            nodes_taken += nodes;
            // The field to blame: the spares when the job's own nodes would fit without them.
            let blame = |room: u64| {
                let field = if nodes_taken - j.hot_spare_nodes as u64 <= room { "hot_spare_nodes" } else { "chips" };
                format!("frontier[{i}].{field}")
            };
            if nodes_taken > at_start && at_start < f.nodes() {
                return problem(
                    Part::Workload,
                    blame(at_start),
                    format!(
                        "job `{}` needs {nodes} nodes with its hot spares{}, but the facility has {at_start} nodes in service on day 0 (commissioning); allowed: frontier jobs fit in the racks of day 0",
                        j.name,
                        if i > 0 { ", after the jobs before it" } else { "" },
                    ),
                );
            }
            if nodes_taken > f.nodes() {
                return problem(
                    Part::Workload,
                    blame(f.nodes()),
                    format!(
                        "job `{}` needs {} chips plus {} hot-spare nodes ({nodes} nodes of {cpn} chips{}), but the facility `{}` has {} nodes ({chips} chips); allowed: frontier jobs and their spares together fit in the facility",
                        j.name,
                        j.chips.get(),
                        j.hot_spare_nodes,
                        if i > 0 { ", after the jobs before it" } else { "" },
                        f.name,
                        f.nodes(),
                    ),
                );
            }
        }
        for (i, j) in self.workload.frontier.iter().enumerate() {
            if let Some(c) = &j.checkpoint {
                c.check(&format!("frontier[{i}].checkpoint"), f)?;
            }
            if let Some(e) = &j.elastic {
                let path = format!("frontier[{i}].elastic");
                if e.min_share.get() <= 0.0 {
                    return problem(
                        Part::Workload,
                        format!("{path}.min_share"),
                        "got 0; allowed: a share above 0 and at most 1 (a job on no nodes computes nothing)",
                    );
                }
                let pts: Vec<(f64, f64)> = e.scaling.iter().map(|(a, b)| (a.get(), b.get())).collect();
                if pts.windows(2).any(|w| w[1].0 <= w[0].0 || w[1].1 < w[0].1) || pts.iter().any(|p| p.0 <= 0.0 || p.0 >= 1.0) {
                    return problem(
                        Part::Workload,
                        format!("{path}.scaling"),
                        "points out of order; allowed: (share, speed) points with shares rising strictly between 0 and 1 (exclusive) and speeds not falling",
                    );
                }
            }
        }
        for (i, t) in self.workload.tenants.iter().enumerate() {
            for (k, c) in t.classes.iter().enumerate() {
                if matches!(c.checkpoint.policy, IntervalPolicy::Young | IntervalPolicy::Daly) {
                    return problem(
                        Part::Workload,
                        format!("tenants[{i}].classes[{k}].checkpoint.policy"),
                        "Young or Daly for a tenant class; allowed: Fixed or Adaptive (the policies that take the failure rate from the model apply to frontier jobs)",
                    );
                }
                c.checkpoint.check(&format!("tenants[{i}].classes[{k}].checkpoint"), f)?;
                if let Some(&big) = c.chips.sizes().iter().find(|&&c| c as u64 > chips) {
                    return problem(
                        Part::Workload,
                        format!("tenants[{i}].classes[{k}].chips"),
                        format!("a job of {big} chips is larger than the facility `{}` ({chips} chips); allowed: at most {chips}", f.name),
                    );
                }
            }
        }
        Ok(())
    }
}

/// Line and column (1-based) of the field at `path` (e.g. `frontier[1].chips`,
/// `tenants[2].classes[0].outcome.reboot`) in RON text, found by walking the
/// keys in order: after `name:` with an index i, the search goes on from the
/// start of the list's element i. Comments are skipped.
pub fn locate_path(text: &str, path: &str) -> Option<(usize, usize)> {
    // Blank out comments, keeping byte offsets.
    let mut code = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        match line.find("//") {
            Some(c) => {
                code.push_str(&line[..c]);
                // One space per byte, so offsets in `code` stay offsets in `text`.
                code.extend(line[c..].bytes().map(|b| if b == b'\n' { '\n' } else { ' ' }));
            }
            None => code.push_str(line),
        }
    }
    let (mut pos, mut last) = (0, None);
    for token in path.split('.').filter(|t| !t.is_empty()) {
        let (name, index) = match token.split_once('[') {
            Some((n, rest)) => (n, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (token, None),
        };
        let s = find_key(&code, name, pos)?;
        last = Some(s);
        pos = s + name.len();
        if let Some(i) = index {
            pos = nth_element(&code, pos, i)?;
        }
    }
    let start = last?;
    let before = &text[..start];
    Some((before.matches('\n').count() + 1, start - before.rfind('\n').map_or(0, |i| i + 1) + 1))
}

/// Byte offset of the start of element `i` of the list that opens after `from`
/// (skipping nested brackets and strings).
fn nth_element(code: &str, from: usize, i: usize) -> Option<usize> {
    let b = code.as_bytes();
    let open = from + code.get(from..)?.find('[')?;
    if i == 0 {
        return Some(open + 1);
    }
    let (mut depth, mut seen, mut in_str) = (0usize, 0usize, false);
    for (k, &c) in b.iter().enumerate().skip(open + 1) {
        if in_str {
            in_str = !(c == b'"' && b[k - 1] != b'\\');
            continue;
        }
        match c {
            b'"' => in_str = true,
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b'}' if depth > 0 => depth -= 1,
            b']' if depth > 0 => depth -= 1,
            b']' | b')' | b'}' => return None,
            b',' if depth == 0 => {
                seen += 1;
                if seen == i {
                    return Some(k + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// Byte offset of `name` used as a key (`name:`, whole word) at or after `from`.
fn find_key(code: &str, name: &str, from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(i) = code.get(at..)?.find(name) {
        let s = at + i;
        let e = s + name.len();
        let word_start = s == 0 || !code[..s].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_');
        let is_key = code[e..].trim_start().starts_with(':');
        if word_start && is_key {
            return Some(s);
        }
        at = e;
    }
    None
}

impl crate::config::Checkpointing {
    /// What the scenario as a whole must give a job's checkpoints: storage for
    /// sizes, and a memory level whose groups can restore.
    fn check(&self, path: &str, f: &crate::config::Facility) -> Result<(), Problem> {
        if self.size_gb_per_chip.is_some() && f.storage.is_none() {
            return problem(
                Part::Workload,
                format!("{path}.size_gb_per_chip"),
                format!(
                    "set, but the facility `{}` has no storage to write it to; allowed: `size_gb_per_chip: None`, or a facility with `storage: Some((write_gbps: …, read_gbps: …))`",
                    f.name
                ),
            );
        }
        if let Some(m) = &self.memory {
            if m.group_nodes == 0 || m.tolerates >= m.group_nodes {
                return problem(
                    Part::Workload,
                    format!("{path}.memory.tolerates"),
                    format!(
                        "{} node losses in groups of {} nodes; allowed: group_nodes >= 1 and tolerates < group_nodes (buddy pairs: group_nodes 2, tolerates 1; node-local memory: 1 and 0)",
                        m.tolerates, m.group_nodes
                    ),
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::locate_path;

    #[test]
    fn locates_nested_and_indexed_fields() {
        let t = "(\n  frontier: [ (chips: 1), // chips: 9 × §\n    (name: \"b\",\n     chips: 2) ],\n  tenants: [(chips: 3)],\n)";
        assert_eq!(locate_path(t, "frontier[0].chips"), Some((2, 16)));
        assert_eq!(locate_path(t, "frontier[1].chips"), Some((4, 6)));
        assert_eq!(locate_path(t, "tenants[0].chips"), Some((5, 14)));
        assert_eq!(locate_path(t, "tenants[1].chips"), None);
        // Multi-byte characters in a comment do not shift later columns.
        let u = "// § × — ≥\n(\n    workload: \"w.ron\",\n)";
        assert_eq!(locate_path(u, "workload"), Some((3, 5)));
    }
}
