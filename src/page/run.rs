//! The page of one run, from summary.json and the folder's charts and model copies.

use super::html::{Table, esc, fixed, num, pct, raw, text};
use super::{Context, Section, at, f64_at, str_at};
use crate::output::{energy, span, thousands};
use anyhow::Result;
use serde_json::Value;
use std::fmt::Write;
use std::path::Path;

/// What each chart of a run shows, by stem (as in the README's chart table).
fn caption(stem: &str) -> Option<&'static str> {
    Some(match stem {
        "power" => {
            "Facility power day by day: mean facility and IT draw, each day's highest and lowest facility draw, the largest drop marked; below, each day's instantaneous falls by size."
        }
        "power_zoom" => "The exact power steps from 30 min before to 30 min after the largest instantaneous drop.",
        "power_drops" => {
            "How many instantaneous falls a day exceed each size, with the fall percentiles and the worst falls within 1 s, 1 min and 15 min."
        }
        "failures_per_day" => {
            "Failures a day, permanent (a crew repairs) and transient (back after a reboot); beside it the failures by category."
        }
        "time_breakdown" => "Where every installed chip-hour went, with goodput, ETTR, utilization and availability.",
        "frontier_progress" => {
            "Saved work of each frontier job against wall time, against the ideal line and its target; below, interruptions per day."
        }
        "repair_pipeline" => {
            "Cold spare nodes in stock over time; below, outages waiting for a crew and crews at work against the crews on shift."
        }
        "failures_per_node" => {
            "How many nodes had 0, 1, 2, … chip and host failures, against a Poisson curve: lemons and repeat failures show as the tail."
        }
        "tenant_shares" => "Each tenant's delivered share of the tenants' chip-time per day, against its entitlement (dashed).",
        "tenant_waits" => "The distribution of waits per tenant (empirical CDF, log scale).",
        "queue" => "Queue length and the allocated share of the site over time, hourly.",
        "cost_breakdown" => {
            "€ per useful chip-hour split into capital, energy and operations, with kg CO2; below, what each tenant's chip-hours carry."
        }
        "price_week" => "The costliest week: hourly draw from the grid and the electricity price.",
        "grid_battery" => "The facility's draw against the grid's behind the site battery, and the battery's charge.",
        "storage" => "Checkpoint bandwidth written and read back each day; below, a three-hour close-up around the busiest read.",
        _ => return None,
    })
}

/// A number at `path` formatted by `f`, or a dash when the run has none.
fn fmt(s: &Value, path: &str, f: impl Fn(f64) -> String) -> String {
    f64_at(s, path).map_or_else(|| "—".into(), f)
}

fn int(x: f64) -> String {
    thousands(x.max(0.0).round() as u64)
}

pub(super) fn page(dir: &Path, charts: Option<&Path>, ctx: &Context) -> Result<String> {
    let s = super::read_json(&dir.join("summary.json"))?;
    let scenario = str_at(&s, "scenario").unwrap_or("(unnamed scenario)");
    let facility = str_at(&s, "facility").unwrap_or("");
    let days = f64_at(&s, "horizon_days").unwrap_or(0.0);
    let chips = f64_at(&s, "chips").unwrap_or(0.0);
    let subtitle = format!(
        "A gigasim run: {} chips ({facility}), {} days, seed {}",
        int(chips),
        fixed(days, if days.fract() == 0.0 { 0 } else { 2 }),
        at(&s, "seed").map_or("—".into(), |v| v.to_string())
    );
    let mut sections = vec![glance(&s), breakdown(&s), power(&s), failures(&s), repair(&s), frontier(&s), jobs(&s)];
    sections.extend(cost(&s));
    sections.extend(storage(&s));
    sections.push(super::charts_section(
        charts,
        &|name| crate::plot::RUN_CHART_STEMS.iter().position(|s| format!("{s}.svg") == name).unwrap_or(usize::MAX),
        &caption,
        "Charts were not drawn for this run (<code>--no-charts</code>); <code>gigasim plot DIR</code> draws them and rebuilds this page.",
    )?);
    sections.push(super::inputs_section(dir, &s, "run's summary.json"));
    let present: Vec<&str> = crate::output::RUN_FILES.iter().copied().filter(|f| *f != super::PAGE && dir.join(f).exists()).collect();
    sections.push(super::about(ctx, &present));
    Ok(super::document(scenario, &subtitle, &sections))
}

/// Key figures, and the terminal summary's lines as sentences.
fn glance(s: &Value) -> Section {
    let days = f64_at(s, "horizon_days").unwrap_or(0.0);
    let mut body = super::tiles(&[
        (fmt(s, "goodput", |x| fixed(x, 3)), "goodput (useful share of all chip-time)"),
        (fmt(s, "ettr", |x| fixed(x, 3)), "ETTR of the frontier job(s)"),
        (fmt(s, "utilization", |x| fixed(x, 3)), "utilization"),
        (fmt(s, "availability", |x| fixed(x, 4)), "availability"),
        (fmt(s, "failures.total", int), "failures"),
        (fmt(s, "power.facility_mean_mw", |x| format!("{} MW", fixed(x, 1))), "mean facility power"),
        (fmt(s, "energy.facility_mwh", energy), "facility energy"),
    ]);
    let mut lines: Vec<(&str, String)> = Vec::new();
    let total = f64_at(s, "failures.total").unwrap_or(0.0);
    let inter = f64_at(s, "interruptions").unwrap_or(0.0);
    let tenant_inter = f64_at(s, "tenant_interruptions").unwrap_or(0.0);
    lines.push((
        "Failures",
        format!(
            "{} ({} a day, {} permanent); jobs interrupted {} times: frontier {}, tenants {}",
            int(total),
            if days > 0.0 { fixed(total / days, 1) } else { "—".into() },
            fmt(s, "failures.permanent", int),
            int(inter),
            int(inter - tenant_inter),
            int(tenant_inter)
        ),
    ));
    for f in at(s, "frontier").and_then(Value::as_array).into_iter().flatten() {
        let n = |k: &str| f64_at(f, k).unwrap_or(0.0);
        let every =
            if n("interruptions") > 0.0 { format!("interrupted every {}", span(n("mtbi_hours"))) } else { "never interrupted".into() };
        let finish = match (f64_at(f, "finished_hours"), f64_at(f, "projected_finish_days")) {
            (Some(h), _) => format!("done on day {}", fixed(h / 24.0, 1)),
            (None, Some(d)) => format!("at this rate done on day {}", fixed(d, 0)),
            (None, None) => "no progress".into(),
        };
        lines.push((
            "Frontier",
            format!(
                "{} on {} chips: ETTR {}, {every}; {} h of its {} h of work done, {finish}",
                str_at(f, "name").unwrap_or("?"),
                int(n("chips")),
                fixed(n("ettr"), 3),
                int(n("useful_hours")),
                int(n("work_hours"))
            ),
        ));
    }
    let b = |k: &str| f64_at(s, &format!("time_breakdown.{k}")).unwrap_or(0.0);
    lines.push((
        "Chip-time",
        format!(
            "useful {} · checkpoint {} · restart {} · lost {} · waiting {} · idle {} · down {}",
            pct(b("useful"), 1),
            pct(b("checkpoint"), 1),
            pct(b("restart"), 1),
            pct(b("lost"), 1),
            pct(b("waiting"), 1),
            pct(b("idle"), 1),
            pct(b("down"), 1)
        ),
    ));
    lines.push((
        "Power",
        format!(
            "facility mean {} MW, peak {} MW, lowest {} MW; energy {}",
            fmt(s, "power.facility_mean_mw", |x| fixed(x, 1)),
            fmt(s, "power.facility_peak_mw", |x| fixed(x, 1)),
            fmt(s, "power.facility_min_mw", |x| fixed(x, 1)),
            fmt(s, "energy.facility_mwh", energy)
        ),
    ));
    for (word, key) in [("Falls", "drops"), ("Rises", "rises")] {
        let over = |t: &str| fmt(s, &format!("power.{key}.per_day_over_mw.{t}"), |x| fixed(x, 1));
        let ramp = |t: &str| fmt(s, &format!("power.{key}.worst_ramp_mw.{t}"), |x| fixed(x, 1));
        lines.push((
            word,
            format!(
                "at one instant, over 10 / 50 / 90 MW: {} / {} / {} a day; worst within 1 s / 1 min / 15 min: {} / {} / {} MW",
                over("10"),
                over("50"),
                over("90"),
                ramp("1s"),
                ramp("1min"),
                ramp("15min")
            ),
        ));
    }
    lines.push((
        "Jobs",
        format!(
            "{} submitted, {} completed (frontier jobs included), mean wait to first start {}",
            fmt(s, "jobs.submitted", int),
            fmt(s, "jobs.completed", int),
            fmt(s, "jobs.mean_wait_h", span)
        ),
    ));
    if at(s, "cost").is_some_and(Value::is_object) {
        lines.push((
            "Cost",
            format!(
                "€{} per useful chip-hour, {} kg CO2; {} in all",
                fmt(s, "cost.eur_per_useful_chip_hour", |x| fixed(x, 2)),
                fmt(s, "cost.kg_co2_per_useful_chip_hour", |x| fixed(x, 2)),
                fmt(s, "cost.total_eur", |x| if x.abs() >= 1e9 {
                    format!("€{}B", fixed(x / 1e9, 2))
                } else {
                    format!("€{}M", fixed(x / 1e6, 1))
                })
            ),
        ));
    }
    body.push_str("<dl class=\"lines\">\n");
    for (k, v) in lines {
        let _ = writeln!(body, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(&v));
    }
    body.push_str("</dl>\n");
    Section { id: "summary", title: "At a glance".into(), body }
}

fn breakdown(s: &Value) -> Section {
    let chip_hours = f64_at(s, "chips").unwrap_or(0.0) * f64_at(s, "horizon_days").unwrap_or(0.0) * 24.0;
    let mut t = Table::new(&[("Where chip-time went", false), ("Share", true), ("Chip-hours", true)]);
    let rows: [(&str, &str, bool); 10] = [
        ("useful", "Useful: computing whose result was kept", true),
        ("checkpoint", "Checkpoint: stalled while a checkpoint is written", true),
        ("restart", "Restart: detection, rescheduling, loading the checkpoint", true),
        ("lost", "Lost: computing thrown away by a failure", true),
        ("throttled", "Throttled by an enforced power cap", false),
        ("slowed", "Slowed by fail-slow stragglers", false),
        ("waiting", "Waiting for healthy nodes", true),
        ("idle", "Idle", true),
        ("down", "Down: failed, rebooting or under repair", true),
        ("not_installed", "Not yet installed", false),
    ];
    for (key, label, always) in rows {
        let Some(x) = f64_at(s, &format!("time_breakdown.{key}")) else { continue };
        if !always && x == 0.0 {
            continue;
        }
        t.row(vec![text(label), num(pct(x, 2)), num(int(x * chip_hours))]);
        if key == "idle" {
            for (k, l) in [("hot_spares", "hot spares held for frontier jobs"), ("free", "free chips")] {
                if let Some(y) = f64_at(s, &format!("idle_split.{k}")) {
                    t.sub_row(vec![text(l), num(pct(y, 2)), num(int(y * chip_hours))]);
                }
            }
        }
    }
    let mut r = Table::new(&[("Ratio", false), ("Value", true)]);
    for (k, l, d) in [
        ("goodput", "Goodput: useful chip-time over installed chip-time", 3),
        ("ettr", "ETTR: useful time over wall time of the frontier job(s)", 3),
        ("utilization", "Utilization: share of chip-time allocated to jobs", 3),
        ("availability", "Availability: share of chip-time not down", 4),
    ] {
        r.row(vec![text(l), num(fmt(s, k, |x| fixed(x, d)))]);
    }
    let body = format!(
        "<p class=\"note\">Shares of installed chip-time ({} chip-hours); they sum to 100%.</p>\n<div class=\"pair\">{}{}</div>",
        int(chip_hours),
        t.html(),
        r.html()
    );
    Section { id: "time", title: "Time breakdown".into(), body }
}

fn power(s: &Value) -> Section {
    let mw = |x: f64| fixed(x, 1);
    let mut t = Table::new(&[("Power and energy", false), ("Value", true), ("Unit", false)]);
    for (k, l) in [
        ("power.facility_mean_mw", "Mean facility power"),
        ("power.facility_peak_mw", "Peak facility power"),
        ("power.facility_min_mw", "Lowest facility power"),
        ("power.it_peak_mw", "Peak IT power"),
        ("power.max_drop_mw", "Largest fall at one instant"),
    ] {
        t.row(vec![text(l), num(fmt(s, k, mw)), text("MW")]);
    }
    t.row(vec![text("… when (from the start)"), num(fmt(s, "power.max_drop_at_hours", |h| fixed(h / 24.0, 2))), text("day")]);
    for (k, l) in [("energy.facility_mwh", "Facility energy"), ("energy.it_mwh", "IT energy")] {
        t.row(vec![text(l), num(fmt(s, k, |x| fixed(x, 1))), text("MWh")]);
    }
    for (k, l) in [("energy.floor_energy_mwh", "IT energy a power floor added"), ("energy.ramp_energy_mwh", "IT energy ramp limits added")]
    {
        if f64_at(s, k).is_some_and(|x| x != 0.0) {
            t.row(vec![text(l), num(fmt(s, k, |x| fixed(x, 1))), text("MWh")]);
        }
    }
    let mut sw = Table::new(&[("Swings of facility power", false), ("Falls", true), ("Rises", true), ("Unit", false)]);
    let both = |sub: &str, d: usize| {
        [fmt(s, &format!("power.drops.{sub}"), |x| fixed(x, d)), fmt(s, &format!("power.rises.{sub}"), |x| fixed(x, d))]
    };
    for (sub, l, u) in [
        ("per_day_over_mw.10", "Steps over 10 MW at one instant", "a day"),
        ("per_day_over_mw.50", "Steps over 50 MW at one instant", "a day"),
        ("per_day_over_mw.90", "Steps over 90 MW at one instant", "a day"),
        ("p50_mw", "Median step (of steps ≥ 1 MW)", "MW"),
        ("p95_mw", "95th percentile step", "MW"),
        ("max_mw", "Largest step", "MW"),
        ("worst_ramp_mw.1s", "Worst change within 1 s", "MW"),
        ("worst_ramp_mw.1min", "Worst change within 1 min", "MW"),
        ("worst_ramp_mw.15min", "Worst change within 15 min", "MW"),
    ] {
        let [a, b] = both(sub, 1);
        sw.row(vec![text(l), num(a), num(b), text(u)]);
    }
    let mut body = format!("<div class=\"pair\">{}{}</div>", t.html(), sw.html());
    // The grid's block repeats the facility's figures unless the grid has limits or a battery.
    let limited =
        ["cap_mw", "floor_mw", "ramp_limit_mw_per_min", "ramp_limit_mw_per_s"].iter().any(|k| f64_at(s, &format!("grid.{k}")).is_some())
            || at(s, "battery").is_some_and(Value::is_object);
    for (key, title) in [("grid", "As the grid sees the site"), ("battery", "Site battery"), ("throttle", "Enforced power cap")] {
        if key == "grid" && !limited {
            continue;
        }
        if let Some(obj) = at(s, key).and_then(Value::as_object).filter(|o| !o.is_empty()) {
            body += &generic(title, obj).html();
        }
    }
    Section { id: "power", title: "Power and energy".into(), body }
}

/// A block of plain numeric fields as a table, named after the fields (`hours_above_cap` → "hours above cap").
fn generic(title: &str, obj: &serde_json::Map<String, Value>) -> Table {
    let mut t = Table::new(&[(title, false), ("Value", true)]);
    for (k, v) in obj {
        if let Some(x) = v.as_f64() {
            t.row(vec![text(&words(k)), num(if x.fract() == 0.0 && x.abs() < 1e15 { fixed(x, 0) } else { fixed(x, 3) })]);
        }
    }
    t
}

/// A field name in words with its unit: `energy_above_cap_mwh` → "energy above cap (MWh)".
fn words(key: &str) -> String {
    let mut parts: Vec<&str> = key.split('_').collect();
    let unit = match parts.last().copied() {
        Some("mw") => Some("MW"),
        Some("mwh") => Some("MWh"),
        Some("hours") => Some("h"),
        Some("eur") => Some("€"),
        _ => None,
    };
    if unit.is_some() && parts.len() > 1 {
        parts.pop();
    }
    let name = parts.join(" ").replace("mw per", "MW per");
    match unit {
        Some(u) => format!("{name} ({u})"),
        None => name,
    }
}

/// A count map (`failures.by_category`) as rows, largest first, with each one's share.
fn counts(t: &mut Table, m: Option<&Value>) {
    let mut rows: Vec<(&String, f64)> =
        m.and_then(Value::as_object).map(|o| o.iter().filter_map(|(k, v)| v.as_f64().map(|x| (k, x))).collect()).unwrap_or_default();
    rows.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let total: f64 = rows.iter().map(|r| r.1).sum();
    for (k, x) in rows {
        t.row(vec![text(k), num(int(x)), num(if total > 0.0 { pct(x / total, 1) } else { "—".into() })]);
    }
}

fn failures(s: &Value) -> Section {
    let days = f64_at(s, "horizon_days").unwrap_or(0.0);
    let mut t = Table::new(&[("Failures", false), ("Count", true)]);
    t.row(vec![text("Failures that took a unit out of service"), num(fmt(s, "failures.total", int))]);
    t.row(vec![text("… a day"), num(fmt(s, "failures.total", |x| if days > 0.0 { fixed(x / days, 1) } else { "—".into() }))]);
    t.row(vec![text("Permanent (needed a repair crew)"), num(fmt(s, "failures.permanent", int))]);
    t.row(vec![text("Job interruptions, all jobs"), num(fmt(s, "interruptions", int))]);
    t.row(vec![text("… of tenant jobs"), num(fmt(s, "tenant_interruptions", int))]);
    if f64_at(s, "failures.lemon_nodes").is_some_and(|x| x > 0.0) {
        t.row(vec![text("Lemon nodes"), num(fmt(s, "failures.lemon_nodes", int))]);
        t.row(vec![text("Failures on lemon nodes"), num(fmt(s, "failures.on_lemon_nodes", int))]);
        t.row(vec![text("Lemons retired"), num(fmt(s, "failures.retired_lemons", int))]);
        t.row(vec![text("Good nodes retired"), num(fmt(s, "failures.retired_good_nodes", int))]);
    }
    let mut cat = Table::new(&[("By category", false), ("Failures", true), ("Share", true)]);
    counts(&mut cat, at(s, "failures.by_category"));
    let mut class = Table::new(&[("By failure class", false), ("Failures", true), ("Share", true)]);
    counts(&mut class, at(s, "failures.by_class"));
    let body = format!("{}<div class=\"pair\">{}{}</div>", t.html(), cat.html(), class.html());
    Section { id: "failures", title: "Failures".into(), body }
}

fn repair(s: &Value) -> Section {
    let mut t = Table::new(&[("Outages over by the end, by how they ended", false), ("Outages", true), ("Mean time to repair", true)]);
    for (k, l) in [
        ("rebooted", "Rebooted (transient)"),
        ("auto_fixed", "Fixed by automatic remediation"),
        ("crew_fixed", "Fixed by a crew"),
        ("rma", "Vendor return"),
        ("replaced", "Replaced (node retired)"),
        ("misdiagnosed", "Misdiagnosed (back but still faulty)"),
    ] {
        let n = f64_at(s, &format!("repair.{k}"));
        if n.is_some_and(|x| x > 0.0) || k == "crew_fixed" || k == "rebooted" {
            t.row(vec![text(l), num(n.map_or("—".into(), int)), num(fmt(s, &format!("repair.mttr_h.{k}"), span))]);
        }
    }
    let mut c = Table::new(&[("Crews and spares", false), ("Value", true)]);
    c.row(vec![text("Repair crews"), num(fmt(s, "repair.crews", int))]);
    c.row(vec![text("Crew utilization"), num(fmt(s, "repair.crew_utilization", |x| pct(x, 1)))]);
    c.row(vec![text("Mean wait of an outage for a crew"), num(fmt(s, "repair.mean_wait_for_crew_h", span))]);
    c.row(vec![text("Mean outages waiting for a crew"), num(fmt(s, "repair.mean_waiting_for_crew", |x| fixed(x, 2)))]);
    c.row(vec![text("Spare nodes at the start"), num(fmt(s, "repair.spares_initial", int))]);
    c.row(vec![text("Spare nodes at the lowest"), num(fmt(s, "repair.spares_min", int))]);
    c.row(vec![text("Spare nodes on time average"), num(fmt(s, "repair.spares_mean", |x| fixed(x, 1)))]);
    c.row(vec![text("Chip-time hung on faults not yet seen"), num(fmt(s, "repair.detection", |x| pct(x, 3)))]);
    Section { id: "repair", title: "Repair".into(), body: format!("<div class=\"pair\">{}{}</div>", t.html(), c.html()) }
}

fn frontier(s: &Value) -> Section {
    let jobs = at(s, "frontier").and_then(Value::as_array).cloned().unwrap_or_default();
    if jobs.is_empty() {
        return Section {
            id: "frontier",
            title: "Frontier jobs".into(),
            body: "<p class=\"note\">No frontier job in this run.</p>\n".into(),
        };
    }
    let mut head: Vec<(String, bool)> = vec![(String::new(), false)];
    head.extend(jobs.iter().map(|j| (esc(str_at(j, "name").unwrap_or("?")), true)));
    let mut t = Table::new_html(head);
    type Fmt = fn(f64) -> String;
    let rows: [(&str, &str, Fmt); 15] = [
        ("chips", "Chips", int),
        ("ettr", "ETTR", |x| fixed(x, 3)),
        ("useful_hours", "Work done (h at full size)", |x| fixed(x, 0)),
        ("work_hours", "Work needed (h)", |x| fixed(x, 0)),
        ("wall_hours", "Wall time (h)", |x| fixed(x, 0)),
        ("projected_finish_days", "Done, or would be at this rate, on day", |x| fixed(x, 0)),
        ("interruptions", "Interruptions", int),
        ("mtbi_hours", "Mean time between interruptions", span),
        ("checkpoint_interval_hours", "Checkpoint interval", span),
        ("checkpoints", "Checkpoints persisted", int),
        ("checkpoints_lost", "Checkpoints lost", int),
        ("stall_hours", "Stalled for checkpoints (h)", |x| fixed(x, 0)),
        ("lost_chip_hours", "Work lost (chip-hours)", int),
        ("mean_lost_hours", "Work lost per interruption", span),
        ("detection_hours", "Hung on faults not yet seen (h)", |x| fixed(x, 1)),
    ];
    for (k, l, f) in rows {
        let mut cells = vec![text(l)];
        cells.extend(jobs.iter().map(|j| num(f64_at(j, k).map_or("—".into(), f))));
        t.row(cells);
    }
    Section { id: "frontier", title: "Frontier jobs".into(), body: t.html() }
}

fn jobs(s: &Value) -> Section {
    let mut t = Table::new(&[("Jobs (frontier jobs included)", false), ("Count", true)]);
    for (k, l) in
        [("submitted", "Submitted"), ("started", "Started"), ("completed", "Completed"), ("rejected", "Rejected (could never start)")]
    {
        t.row(vec![text(l), num(fmt(s, &format!("jobs.{k}"), int))]);
    }
    t.row(vec![text("Mean wait to first start"), num(fmt(s, "jobs.mean_wait_h", span))]);
    let mut body = t.html();
    let tenants: Vec<(&String, &Value)> = at(s, "tenants")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter(|(_, v)| {
                    f64_at(v, "jobs_submitted").unwrap_or(0.0) > 0.0
                        || f64_at(v, "share_entitled").unwrap_or(0.0) > 0.0
                        || f64_at(v, "chip_hours_delivered").unwrap_or(0.0) > 0.0
                })
                .collect()
        })
        .unwrap_or_default();
    if tenants.is_empty() {
        body.push_str("<p class=\"note\">No tenant jobs in this run.</p>\n");
    } else {
        let _ = writeln!(
            body,
            "<h3>Tenants</h3><p class=\"note\">Scheduling policy <code>{}</code>, mean queue {} jobs.</p>",
            esc(str_at(s, "scheduler.policy").unwrap_or("?")),
            fmt(s, "scheduler.queue_length_mean", |x| fixed(x, 2))
        );
        let mut t = Table::new(&[
            ("Tenant", false),
            ("Submitted", true),
            ("Completed", true),
            ("Rejected", true),
            ("Interruptions", true),
            ("Mean wait", true),
            ("p95 wait", true),
            ("Share delivered", true),
            ("Share entitled", true),
        ]);
        for (name, v) in tenants {
            let g = |k: &str, f: &dyn Fn(f64) -> String| num(f64_at(v, k).map_or("—".into(), f));
            t.row(vec![
                text(name),
                g("jobs_submitted", &int),
                g("jobs_completed", &int),
                g("jobs_rejected", &int),
                g("interruptions", &int),
                g("wait_mean_h", &span),
                g("wait_p95_h", &span),
                g("share_delivered", &|x| pct(x, 1)),
                g("share_entitled", &|x| pct(x, 1)),
            ]);
        }
        body += &t.html();
    }
    Section { id: "jobs", title: "Jobs and tenants".into(), body }
}

fn cost(s: &Value) -> Option<Section> {
    at(s, "cost").filter(|c| c.is_object())?;
    let eur = |x: f64| format!("€{}", fixed(x, 0));
    let mut t = Table::new(&[("Cost over the run", false), ("Total", true), ("Per useful chip-hour", true)]);
    for (k, l) in [("capital", "Capital (amortised)"), ("energy", "Energy"), ("operations", "Operations")] {
        t.row(vec![
            text(l),
            num(fmt(s, &format!("cost.{k}_eur"), eur)),
            num(fmt(s, &format!("cost.{k}_eur_per_useful_chip_hour"), |x| format!("€{}", fixed(x, 3)))),
        ]);
    }
    t.row(vec![
        raw("<b>Total</b>"),
        num(fmt(s, "cost.total_eur", eur)),
        num(fmt(s, "cost.eur_per_useful_chip_hour", |x| format!("€{}", fixed(x, 3)))),
    ]);
    t.row(vec![
        text("CO2"),
        num(fmt(s, "cost.co2_t", |x| format!("{} t", fixed(x, 0)))),
        num(fmt(s, "cost.kg_co2_per_useful_chip_hour", |x| format!("{} kg", fixed(x, 3)))),
    ]);
    let mut m = Table::new(&[("", false), ("", true)]);
    m.row(vec![text("Cost model"), text(str_at(s, "cost.model").unwrap_or("?"))]);
    m.row(vec![
        text("Energy-weighted electricity price"),
        num(fmt(s, "cost.mean_price_eur_per_mwh", |x| format!("{} €/MWh", fixed(x, 1)))),
    ]);
    m.row(vec![text("Useful chip-hours"), num(fmt(s, "cost.useful_chip_hours", int))]);
    m.row(vec![text("Design power"), num(fmt(s, "cost.design_mw", |x| format!("{} MW", fixed(x, 1))))]);
    Some(Section { id: "cost", title: "Cost and CO2".into(), body: format!("<div class=\"pair\">{}{}</div>", t.html(), m.html()) })
}

fn storage(s: &Value) -> Option<Section> {
    at(s, "storage").filter(|c| c.is_object())?;
    let mut t = Table::new(&[("Checkpoint storage", false), ("Value", true)]);
    for (k, l, f) in [
        ("write_gbps", "Write bandwidth", &(|x: f64| format!("{} GB/s", fixed(x, 0))) as &dyn Fn(f64) -> String),
        ("read_gbps", "Read bandwidth", &|x| format!("{} GB/s", fixed(x, 0))),
        ("written_tb", "Written", &|x| format!("{} TB", fixed(x, 1))),
        ("read_tb", "Read back at restarts", &|x| format!("{} TB", fixed(x, 1))),
        ("busy_fraction", "Busy (a transfer under way)", &|x| pct(x, 2)),
        ("write_utilization", "Write bandwidth used", &|x| pct(x, 2)),
        ("read_utilization", "Read bandwidth used", &|x| pct(x, 2)),
        ("transfers", "Transfers completed", &int),
        ("contention_slowdown", "Contention slowdown (1: none)", &|x| fixed(x, 3)),
        ("contention_hours", "Hours contention added", &|x| fixed(x, 1)),
    ] {
        t.row(vec![text(l), num(fmt(s, &format!("storage.{k}"), f))]);
    }
    Some(Section { id: "storage", title: "Checkpoint storage".into(), body: t.html() })
}
