//! Human names and units for the dotted paths a sweep varies and collects:
//! `workload.frontier[0].checkpoint.interval_hours` reads "Checkpoint interval (min)",
//! `power.drops.per_day_over_mw.50` reads "Falls larger than 50 MW (a day)".
//!
//! A table covers the scenario fields people sweep and every numeric field of
//! `summary.json`; any other path gets its last component in words, with a unit
//! read from its suffix (`_hours`, `_mw`, `_mwh`, …).

use super::{fmt_sig, thousands};

/// What a number measures, before a display scale is chosen for the values at hand.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Unit {
    /// A plain number or a ratio such as ETTR (no unit shown).
    Plain,
    /// A share of 0..1, shown as a percentage.
    Share,
    /// Time in hours: shown in minutes, hours or days by magnitude.
    Hours,
    /// Time in days.
    Days,
    /// Time in minutes.
    Minutes,
    /// Power in MW.
    Mw,
    /// Energy in MWh: shown in MWh or GWh by magnitude.
    Mwh,
    /// Power in W: shown in W or kW by magnitude.
    Watts,
    /// A named unit shown as is, e.g. "chips", "a day", "per hour".
    Named(&'static str),
}

/// A quantity's name and unit.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Quantity {
    pub name: String,
    pub unit: Unit,
    /// A display scale fixed by a label that names its unit ("Restart time (min)").
    pub fixed: Option<Scale>,
    /// The values it can take, in its own unit (a share lies in 0..1, a count is not negative).
    pub bounds: (Option<f64>, Option<f64>),
}

/// How values are shown: multiply by `factor`, then append `suffix` (a unit or "").
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Scale {
    pub factor: f64,
    pub suffix: String,
}

impl Scale {
    pub fn apply(&self, v: f64) -> f64 {
        v * self.factor
    }
}

impl Quantity {
    /// The display scale for values up to `max_abs` in magnitude.
    pub fn scale(&self, max_abs: f64) -> Scale {
        if let Some(f) = &self.fixed {
            return f.clone();
        }
        let s = |factor: f64, suffix: &str| Scale { factor, suffix: suffix.to_string() };
        let m = if max_abs.is_finite() { max_abs } else { 0.0 };
        match self.unit {
            Unit::Plain => s(1.0, ""),
            Unit::Share => s(100.0, "%"),
            Unit::Hours if m < 2.0 => s(60.0, "min"),
            Unit::Hours if m > 72.0 => s(1.0 / 24.0, "days"),
            Unit::Hours => s(1.0, "h"),
            Unit::Days => s(1.0, "days"),
            Unit::Minutes => s(1.0, "min"),
            Unit::Mw => s(1.0, "MW"),
            Unit::Mwh if m >= 10_000.0 => s(1e-3, "GWh"),
            Unit::Mwh => s(1.0, "MWh"),
            Unit::Watts if m >= 10_000.0 => s(1e-3, "kW"),
            Unit::Watts => s(1.0, "W"),
            Unit::Named(n) => s(1.0, n),
        }
    }

    /// This quantity renamed by a label a person wrote. A label ending in a unit in
    /// parentheses, "Restart time (min)", fixes the display unit: values are converted
    /// when the unit is one this quantity converts to (h, min, s, days; MW, GW; MWh,
    /// GWh; W, kW; %), and shown as they are under that unit otherwise.
    pub fn renamed(&self, label: &str) -> Quantity {
        let label = label.trim();
        let split = label.strip_suffix(')').and_then(|l| l.rsplit_once('(')).map(|(n, u)| (n.trim(), u.trim()));
        match split {
            Some((name, unit)) if !name.is_empty() && !unit.is_empty() => {
                let factor = self.factor_to(unit).unwrap_or(1.0);
                Quantity {
                    name: name.to_string(),
                    unit: self.unit,
                    fixed: Some(Scale { factor, suffix: unit.to_string() }),
                    bounds: self.bounds,
                }
            }
            _ => Quantity { name: label.to_string(), unit: self.unit, fixed: None, bounds: self.bounds },
        }
    }

    /// The factor from this quantity's own unit to `unit`, if it converts.
    fn factor_to(&self, unit: &str) -> Option<f64> {
        let hours = |u: &str| match u {
            "h" | "hours" | "hour" => Some(1.0),
            "min" | "minutes" => Some(1.0 / 60.0),
            "s" | "seconds" => Some(1.0 / 3600.0),
            "d" | "days" | "day" => Some(24.0),
            _ => None,
        };
        // Each arm: hours per unit of the quantity's own unit over hours per target unit, and so on.
        match self.unit {
            Unit::Hours => hours(unit).map(|h| 1.0 / h),
            Unit::Days => hours(unit).map(|h| 24.0 / h),
            Unit::Minutes => hours(unit).map(|h| 1.0 / 60.0 / h),
            Unit::Mw => [("MW", 1.0), ("GW", 1e-3), ("kW", 1e3)].iter().find(|u| u.0 == unit).map(|u| u.1),
            Unit::Mwh => [("MWh", 1.0), ("GWh", 1e-3), ("TWh", 1e-6), ("kWh", 1e3)].iter().find(|u| u.0 == unit).map(|u| u.1),
            Unit::Watts => [("W", 1.0), ("kW", 1e-3), ("MW", 1e-6)].iter().find(|u| u.0 == unit).map(|u| u.1),
            Unit::Share => [("%", 100.0), ("share", 1.0), ("fraction", 1.0)].iter().find(|u| u.0 == unit).map(|u| u.1),
            Unit::Plain | Unit::Named(_) => None,
        }
    }

    /// "Checkpoint interval (min)", or the bare name without a unit.
    pub fn axis(&self, scale: &Scale) -> String {
        if scale.suffix.is_empty() { self.name.clone() } else { format!("{} ({})", self.name, scale.suffix) }
    }

    /// The name inside a sentence: "checkpoint interval" (acronyms such as ETTR kept).
    pub fn lower(&self) -> String {
        lower_first(&self.name)
    }
}

/// "Checkpoint interval" → "checkpoint interval"; "ETTR …" and "PUE" stay.
pub(crate) fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match (c.next(), c.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && !b.is_uppercase() => a.to_lowercase().chain(s[a.len_utf8()..].chars()).collect(),
        _ => s.to_string(),
    }
}

/// A value with its unit for a legend or a note: "2 min", "95.4 MW", "8", "60.8%".
pub(crate) fn with_unit(v: f64, scale: &Scale, sig: usize) -> String {
    let x = fmt_num(scale.apply(v), sig);
    match scale.suffix.as_str() {
        "" => x,
        "%" => format!("{x}%"),
        u => format!("{x} {u}"),
    }
}

/// A number for a label: whole numbers exactly (with thousands separators),
/// others with `sig` significant digits; tiny or huge ones in e-notation.
pub(crate) fn fmt_num(v: f64, sig: usize) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let r = v.round();
    if (v - r).abs() <= 1e-9 * v.abs().max(1.0) && v.abs() < 1e15 {
        return thousands(&format!("{r:.0}"));
    }
    if v != 0.0 && (v.abs() < 1e-4 || v.abs() >= 1e9) {
        let e = format!("{v:.*e}", sig.saturating_sub(1));
        let (mantissa, exp) = e.split_once('e').unwrap_or((&e, "0"));
        let mantissa = if mantissa.contains('.') { mantissa.trim_end_matches('0').trim_end_matches('.') } else { mantissa };
        return format!("{mantissa}e{exp}");
    }
    fmt_sig(v, sig)
}

/// Labels for `values` shown in `scale`: three significant digits, more where
/// that would give two different values one label.
pub(crate) fn value_labels(values: &[f64], scale: &Scale) -> Vec<String> {
    for sig in 3..=8 {
        let labels: Vec<String> = values.iter().map(|&v| fmt_num(scale.apply(v), sig)).collect();
        let distinct = (0..values.len()).all(|i| (0..i).all(|j| labels[i] != labels[j] || values[i] == values[j]));
        if distinct {
            return labels;
        }
    }
    values.iter().map(|v| format!("{}", scale.apply(*v))).collect()
}

/// The components of a dotted path, indices as their own components:
/// `workload.frontier[0].restart_hours` → `workload`, `frontier`, `0`, `restart_hours`.
fn components(path: &str) -> Vec<String> {
    path.replace('[', ".").replace(']', "").split('.').filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// "frontier job" for index 0 (the usual single job), "frontier job 2" for index 1.
fn nth(what: &str, index: &str) -> String {
    match index.parse::<usize>() {
        Ok(0) | Err(_) => what.to_string(),
        Ok(i) => format!("{what} {}", i + 1),
    }
}

fn q(name: impl Into<String>, unit: Unit) -> Quantity {
    Quantity { name: name.into(), unit, fixed: None, bounds: (None, None) }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A metric (a numeric field of summary.json by dotted path).
pub(crate) fn metric(path: &str) -> Quantity {
    let c = components(path);
    let k: Vec<&str> = c.iter().map(String::as_str).collect();
    let swing = |dir: &str, rest: &[&str]| -> Option<Quantity> {
        let (fall, falls) = if dir == "drops" { ("fall", "Falls") } else { ("rise", "Rises") };
        Some(match rest {
            ["per_day_over_mw", t] => q(format!("{falls} larger than {t} MW"), Unit::Named("a day")),
            ["p50_mw"] => q(format!("Median {fall}"), Unit::Mw),
            ["p95_mw"] => q(format!("95th-percentile {fall}"), Unit::Mw),
            ["p99_mw"] => q(format!("99th-percentile {fall}"), Unit::Mw),
            ["max_mw"] => q(format!("Largest {fall}"), Unit::Mw),
            ["worst_ramp_mw", w] => q(format!("Worst {fall} within {}", window(w)), Unit::Mw),
            _ => return None,
        })
    };
    let known = match k.as_slice() {
        ["ettr"] => Some(q("ETTR", Unit::Plain)),
        ["goodput"] => Some(q("Goodput", Unit::Plain)),
        ["utilization"] => Some(q("Utilization", Unit::Plain)),
        ["availability"] => Some(q("Availability", Unit::Plain)),
        ["interruptions"] => Some(q("Job interruptions", Unit::Plain)),
        ["tenant_interruptions"] => Some(q("Tenant job interruptions", Unit::Plain)),
        ["events"] => Some(q("Events processed", Unit::Plain)),
        ["chips"] => Some(q("Installed chips", Unit::Plain)),
        ["horizon_days"] => Some(q("Simulated time", Unit::Days)),
        // A whole part swept over model files.
        ["facility"] => Some(q("Facility model", Unit::Plain)),
        ["failure"] => Some(q("Failure model", Unit::Plain)),
        ["power"] => Some(q("Power model", Unit::Plain)),
        ["workload"] => Some(q("Workload model", Unit::Plain)),
        ["cost"] => Some(q("Cost model", Unit::Plain)),
        ["seed"] => Some(q("Seed", Unit::Plain)),
        ["failures", "total"] => Some(q("Failures", Unit::Plain)),
        ["failures", "permanent"] => Some(q("Permanent failures", Unit::Plain)),
        ["failures", "by_category" | "by_class", name] => Some(q(format!("{name} failures"), Unit::Plain)),
        ["time_breakdown", b] => Some(q(
            match *b {
                "useful" => "Useful chip-time".to_string(),
                "checkpoint" => "Chip-time writing checkpoints".to_string(),
                "restart" => "Chip-time restarting".to_string(),
                "lost" => "Chip-time lost to failures".to_string(),
                "waiting" => "Chip-time waiting for nodes".to_string(),
                "idle" => "Idle chip-time".to_string(),
                "down" => "Chip-time down".to_string(),
                other => format!("Chip-time {}", other.replace('_', " ")),
            },
            Unit::Share,
        )),
        ["idle_split", "hot_spares"] => Some(q("Chip-time in hot spares", Unit::Share)),
        ["idle_split", "free"] => Some(q("Free chip-time", Unit::Share)),
        ["energy", "it_mwh"] => Some(q("IT energy", Unit::Mwh)),
        ["energy", "facility_mwh"] => Some(q("Facility energy", Unit::Mwh)),
        ["power", "it_peak_mw"] => Some(q("Peak IT power", Unit::Mw)),
        ["power", "facility_peak_mw"] => Some(q("Peak facility power", Unit::Mw)),
        ["power", "facility_mean_mw"] => Some(q("Mean facility power", Unit::Mw)),
        ["power", "facility_min_mw"] => Some(q("Lowest facility power", Unit::Mw)),
        ["power", "max_drop_mw"] => Some(q("Largest instantaneous fall", Unit::Mw)),
        ["power", "max_drop_at_hours"] => Some(q("Time of the largest fall", Unit::Hours)),
        ["power", dir @ ("drops" | "rises"), rest @ ..] => swing(dir, rest),
        ["jobs", "submitted"] => Some(q("Jobs submitted", Unit::Plain)),
        ["jobs", "started"] => Some(q("Jobs started", Unit::Plain)),
        ["jobs", "completed"] => Some(q("Jobs completed", Unit::Plain)),
        ["jobs", "rejected"] => Some(q("Jobs rejected", Unit::Plain)),
        ["jobs", "mean_wait_h"] => Some(q("Mean wait to first start", Unit::Hours)),
        ["scheduler", "queue_length_mean"] => Some(q("Mean queue length", Unit::Named("jobs"))),
        ["scheduler", "allocated"] => Some(q("Chips allocated to jobs", Unit::Share)),
        ["scheduler", "fragmented"] => Some(q("Fragmented free chips", Unit::Share)),
        ["scheduler", "second_order_preemptions"] => Some(q("Tenant jobs preempted for a frontier job", Unit::Plain)),
        [group @ ("tenants" | "job_classes" | "size_classes"), name, field] => tenant_metric(group, name, field),
        ["frontier", i, field] => {
            let job = nth("frontier job", i);
            let what = match *field {
                "ettr" => Some((format!("ETTR of the {job}"), Unit::Plain)),
                "chips" => Some((format!("Chips of the {job}"), Unit::Plain)),
                "useful_hours" => Some((format!("Useful work of the {job}"), Unit::Hours)),
                "wall_hours" => Some((format!("Wall time of the {job}"), Unit::Hours)),
                "interruptions" => Some((format!("Interruptions of the {job}"), Unit::Plain)),
                "checkpoints" => Some((format!("Checkpoints of the {job}"), Unit::Plain)),
                "mtbi_hours" => Some((format!("Time between interruptions of the {job}"), Unit::Hours)),
                "finished_hours" => Some((format!("Finish time of the {job}"), Unit::Hours)),
                "work_hours" => Some((format!("Work target of the {job}"), Unit::Hours)),
                "projected_finish_days" => Some((format!("Projected finish of the {job}"), Unit::Days)),
                _ => None,
            };
            what.map(|(n, u)| q(n, u))
        }
        _ => None,
    };
    match known {
        Some(mut m) => {
            // Every field of summary.json is a count, a time, a power, an energy or a share.
            let ratio = m.unit == Unit::Share
                || matches!(k.as_slice(), ["ettr" | "goodput" | "utilization" | "availability"] | ["frontier", _, "ettr"]);
            m.bounds = (Some(0.0), if ratio { Some(1.0) } else { None });
            m
        }
        None => fallback(&k),
    }
}

/// A field of a block of `tenants`, `job_classes` or `size_classes` in summary.json.
fn tenant_metric(group: &str, name: &str, field: &str) -> Option<Quantity> {
    // "academia", "class small", "jobs of 8-63 chips".
    let who = match group {
        "tenants" => name.to_string(),
        "job_classes" => format!("class {name}"),
        _ if name == "1" => "jobs of 1 chip".to_string(),
        _ => format!("jobs of {name} chips"),
    };
    let (what, unit) = match field {
        "jobs_submitted" => ("Jobs submitted", Unit::Plain),
        "jobs_rejected" => ("Jobs rejected", Unit::Plain),
        "jobs_started" => ("Jobs started", Unit::Plain),
        "jobs_completed" => ("Jobs completed", Unit::Plain),
        "jobs_killed" => ("Jobs killed at their wall time", Unit::Plain),
        "jobs_preempted" => ("Jobs preempted", Unit::Plain),
        "preemptions" => ("Preemptions", Unit::Plain),
        "interruptions" => ("Job interruptions", Unit::Plain),
        "wait_mean_h" => ("Mean wait", Unit::Hours),
        "wait_p50_h" => ("Median wait", Unit::Hours),
        "wait_p95_h" => ("95th-percentile wait", Unit::Hours),
        "wait_p99_h" => ("99th-percentile wait", Unit::Hours),
        "bounded_slowdown_mean" => ("Mean bounded slowdown", Unit::Plain),
        "useful_chip_hours" => ("Useful chip-hours", Unit::Named("chip-h")),
        "lost_chip_hours" => ("Chip-hours lost to failures", Unit::Named("chip-h")),
        "chip_hours_delivered" => ("Chip-hours delivered", Unit::Named("chip-h")),
        "share_entitled" => ("Entitled share", Unit::Share),
        "share_delivered" => ("Delivered share", Unit::Share),
        _ => return None,
    };
    Some(q(format!("{what}, {who}"), unit))
}

fn window(w: &str) -> String {
    match w {
        "1s" => "1 s".into(),
        "1min" => "1 min".into(),
        "15min" => "15 min".into(),
        other => other.to_string(),
    }
}

/// A parameter (a scenario field by `--set` path).
pub(crate) fn parameter(path: &str) -> Quantity {
    let c = components(path);
    let k: Vec<&str> = c.iter().map(String::as_str).collect();
    let known = match k.as_slice() {
        ["horizon_days"] => Some(q("Simulated time", Unit::Days)),
        // A whole part swept over model files.
        ["facility"] => Some(q("Facility model", Unit::Plain)),
        ["failure"] => Some(q("Failure model", Unit::Plain)),
        ["power"] => Some(q("Power model", Unit::Plain)),
        ["workload"] => Some(q("Workload model", Unit::Plain)),
        ["cost"] => Some(q("Cost model", Unit::Plain)),
        ["seed"] => Some(q("Seed", Unit::Plain)),
        ["power_bin_minutes"] => Some(q("Power bin", Unit::Minutes)),
        ["facility", "chips_per_node"] => Some(q("Chips per node", Unit::Plain)),
        ["facility", "nodes_per_rack"] => Some(q("Nodes per rack", Unit::Plain)),
        ["facility", "racks_per_pod"] => Some(q("Racks per pod", Unit::Plain)),
        ["facility", "pods"] => Some(q("Pods", Unit::Plain)),
        ["failure", "repair", "crews"] => Some(q("Repair crews", Unit::Plain)),
        ["failure", "repair", "spare_nodes"] => Some(q("Cold spare nodes", Unit::Plain)),
        ["power", "pue"] => Some(q("PUE", Unit::Plain)),
        ["power", "chip_watts", state] => Some(q(
            match *state {
                "busy" => "Chip power, computing".to_string(),
                "idle" => "Chip power, idle".to_string(),
                "checkpoint" => "Chip power, checkpointing".to_string(),
                "restart" => "Chip power, restarting".to_string(),
                "down" => "Chip power, down".to_string(),
                other => format!("Chip power, {other}"),
            },
            Unit::Watts,
        )),
        ["power", "node_overhead_watts"] => Some(q("Node overhead power", Unit::Watts)),
        ["power", "rack_overhead_watts"] => Some(q("Rack overhead power", Unit::Watts)),
        ["workload", "frontier", i, rest @ ..] => {
            let job = nth("frontier job", i);
            match rest {
                ["checkpoint", "interval_hours"] => Some(q(
                    if job == "frontier job" { "Checkpoint interval".into() } else { format!("Checkpoint interval, {job}") },
                    Unit::Hours,
                )),
                ["checkpoint", "write_hours"] => Some(q(
                    if job == "frontier job" { "Checkpoint write time".into() } else { format!("Checkpoint write time, {job}") },
                    Unit::Hours,
                )),
                ["restart_hours"] => {
                    Some(q(if job == "frontier job" { "Restart time".into() } else { format!("Restart time, {job}") }, Unit::Hours))
                }
                ["chips"] => Some(q(format!("Chips of the {job}"), Unit::Plain)),
                ["work_hours"] => Some(q(format!("Work target of the {job}"), Unit::Hours)),
                ["hot_spare_nodes"] => Some(q("Hot spare nodes", Unit::Plain)),
                _ => None,
            }
        }
        ["workload", "tenants", _, "classes", _, rest @ ..] | ["workload", "tenants", _, rest @ ..] => match rest {
            ["share", ..] => Some(q("Tenant share", Unit::Share)),
            ["priority_tier"] => Some(q("Tenant priority tier", Unit::Plain)),
            ["arrivals_per_hour"] => Some(q("Tenant arrivals", Unit::Named("per hour"))),
            ["p_checkpoint"] => Some(q("Tenant jobs that checkpoint", Unit::Share)),
            ["restart_hours"] => Some(q("Tenant restart time", Unit::Hours)),
            ["checkpoint", "interval_hours"] => Some(q("Tenant checkpoint interval", Unit::Hours)),
            ["checkpoint", "write_hours"] => Some(q("Tenant checkpoint write time", Unit::Hours)),
            _ => None,
        },
        ["failure", "classes", _, "ttf", "per_hour"] => Some(q("Failure rate per unit", Unit::Named("per hour"))),
        _ => None,
    };
    known.unwrap_or_else(|| fallback(&k))
}

/// The last component in words, with a unit from its suffix; the one before it
/// when the last is too generic to stand alone (`per_hour`, `mean_hours`, an index).
fn fallback(k: &[&str]) -> Quantity {
    let Some(&last) = k.last() else { return q("value", Unit::Plain) };
    let suffixes: [(&str, Unit); 9] = [
        ("_mwh", Unit::Mwh),
        ("_mw", Unit::Mw),
        ("_hours", Unit::Hours),
        ("_h", Unit::Hours),
        ("_days", Unit::Days),
        ("_minutes", Unit::Minutes),
        ("_watts", Unit::Watts),
        ("_per_hour", Unit::Named("per hour")),
        ("_fraction", Unit::Share),
    ];
    let (stem, unit) = suffixes.iter().find_map(|(s, u)| last.strip_suffix(s).map(|t| (t, *u))).unwrap_or((last, Unit::Plain));
    let generic = stem.is_empty() || stem.parse::<f64>().is_ok() || ["per", "mean", "value", "scale", "shape"].contains(&stem);
    let words = if generic && k.len() >= 2 { format!("{} {}", k[k.len() - 2], stem) } else { stem.to_string() };
    q(capitalised(words.replace('_', " ").trim()), unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_paths_read_as_words_with_units() {
        let p = parameter("workload.frontier[0].checkpoint.interval_hours");
        let s = p.scale(1.0);
        assert_eq!(p.axis(&s), "Checkpoint interval (min)");
        assert_eq!(value_labels(&[0.03333, 0.06667, 0.1333, 1.0], &s), ["2", "4", "8", "60"]);
        assert_eq!(with_unit(0.0833, &s, 3), "5 min");
        let m = metric("power.facility_mean_mw");
        assert_eq!(m.axis(&m.scale(150.0)), "Mean facility power (MW)");
        let e = metric("energy.facility_mwh");
        assert_eq!(e.axis(&e.scale(645_276.0)), "Facility energy (GWh)");
        assert_eq!(metric("ettr").axis(&Scale { factor: 1.0, suffix: String::new() }), "ETTR");
        assert_eq!(metric("power.drops.per_day_over_mw.50").name, "Falls larger than 50 MW");
        assert_eq!(metric("frontier.0.projected_finish_days").unit, Unit::Days);
        assert_eq!(metric("frontier[1].ettr").name, "ETTR of the frontier job 2");
        assert_eq!(metric("time_breakdown.waiting").scale(0.01).suffix, "%");
        assert_eq!(parameter("failure.repair.crews").lower(), "repair crews");
        assert_eq!(metric("ettr").lower(), "ETTR");
    }

    #[test]
    fn a_label_with_a_unit_fixes_the_display_unit() {
        let p = parameter("workload.frontier[0].checkpoint.interval_hours");
        let h = p.renamed("Checkpoint interval (h)");
        assert_eq!(h.axis(&h.scale(1.0)), "Checkpoint interval (h)");
        assert_eq!(h.scale(1.0).factor, 1.0);
        let s = p.renamed("Interval between checkpoints (s)").scale(1.0);
        assert!((s.apply(0.5) - 1800.0).abs() < 1e-9);
        let e = metric("energy.it_mwh").renamed("IT energy (TWh)");
        assert!((e.scale(1.0).apply(2e6) - 2.0).abs() < 1e-12);
        let plain = metric("ettr").renamed("Training efficiency (ETTR)");
        assert_eq!((plain.scale(1.0).factor, plain.axis(&plain.scale(1.0)).as_str()), (1.0, "Training efficiency (ETTR)"));
        let bare = metric("ettr").renamed("Effective training time ratio");
        assert_eq!(bare.axis(&bare.scale(1.0)), "Effective training time ratio");
    }

    #[test]
    fn tenant_and_scheduler_fields_read_as_words() {
        assert_eq!(
            metric("tenants.academia.wait_p95_h").axis(&metric("tenants.academia.wait_p95_h").scale(1.2)),
            "95th-percentile wait, academia (min)"
        );
        let s = metric("tenants.industry.share_delivered");
        assert_eq!((s.axis(&s.scale(0.02)).as_str(), s.bounds), ("Delivered share, industry (%)", (Some(0.0), Some(1.0))));
        assert_eq!(metric("size_classes.8-63.jobs_completed").name, "Jobs completed, jobs of 8-63 chips");
        assert_eq!(metric("job_classes.small.wait_mean_h").name, "Mean wait, class small");
        assert_eq!(metric("scheduler.allocated").axis(&metric("scheduler.allocated").scale(0.95)), "Chips allocated to jobs (%)");
        assert_eq!(
            metric("scheduler.queue_length_mean").axis(&metric("scheduler.queue_length_mean").scale(1.0)),
            "Mean queue length (jobs)"
        );
        assert_eq!(parameter("workload.tenants[1].classes[0].arrivals_per_hour").name, "Tenant arrivals");
    }

    #[test]
    fn unknown_paths_fall_back_to_their_last_component() {
        assert_eq!(parameter("workload.tenants[0].classes[0].chips").name, "Chips");
        let f = parameter("failure.classes[2].ttf.mean_hours");
        assert_eq!((f.name.as_str(), f.unit), ("Ttf mean", Unit::Hours));
        assert_eq!(metric("power.some_new_peak_mw").name, "Some new peak");
    }

    #[test]
    fn labels_keep_distinct_values_apart() {
        let s = Scale { factor: 1.0, suffix: String::new() };
        assert_eq!(value_labels(&[0.1001, 0.1002], &s), ["0.1001", "0.1002"]);
        assert_eq!(value_labels(&[92160.0, 460.0, 0.0], &s), ["92,160", "460", "0"]);
    }
}
