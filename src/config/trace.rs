//! Job traces: gigasim's CSV form and the Standard Workload Format (SWF) of the Parallel
//! Workloads Archive, read into jobs in hours, sorted by submit time.

use super::InputError;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A bigger file is refused rather than read into memory.
const MAX_BYTES: u64 = 2 << 30;

/// One job of a trace, in the units gigasim uses.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceJob {
    /// Hours from the start of the trace, after `time_scale`; >= 0.
    pub submit_h: f64,
    pub tenant: String,
    /// After `size_scale`; >= 1.
    pub chips: u32,
    /// Failure-free run time; > 0.
    pub run_h: f64,
    /// Requested wall time per attempt; > 0 when given.
    pub walltime_h: Option<f64>,
    /// Checkpoint interval; > 0 when given.
    pub ckpt_h: Option<f64>,
    /// 1-based line in the file, for later error messages.
    pub line: usize,
}

/// Which SWF field names a job's tenant: `user<id>` (field 12), `group<id>` (13) or `queue<n>` (15).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TraceGrouping {
    #[default]
    User,
    Group,
    Queue,
}

/// How a trace is replayed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceOptions {
    /// Multiplies submit times only; run and wall times are kept. 0.5 packs the same jobs
    /// into half the time: twice the load. Finite, > 0.
    #[serde(default = "one")]
    pub time_scale: f64,
    /// Multiplies each job's chips, rounded to the nearest whole number, at least 1. Finite, > 0.
    #[serde(default = "one")]
    pub size_scale: f64,
    /// For SWF files: which field names the tenant.
    #[serde(default)]
    pub swf_tenant: TraceGrouping,
}

fn one() -> f64 {
    1.0
}

impl Default for TraceOptions {
    fn default() -> Self {
        Self { time_scale: 1.0, size_scale: 1.0, swf_tenant: TraceGrouping::User }
    }
}

/// Read a trace file: SWF when the name ends in `.swf` (any case), else CSV (see
/// [`parse_trace`]). Only a regular file of at most 2 GiB is read.
pub fn read_trace(path: &Path, opts: &TraceOptions) -> Result<Vec<TraceJob>, InputError> {
    let file = path.display().to_string();
    let text = super::read_input(path, MAX_BYTES).map_err(|e| super::unreadable(&file, &e))?;
    super::files::label(path, "trace");
    let swf = path.extension().is_some_and(|x| x.eq_ignore_ascii_case("swf"));
    parse_trace(&file, &text, swf, opts)
}

/// Parse trace text; `file_label` names it in errors, which give line and column.
///
/// CSV: a header row naming at least `submit_h,tenant,chips,run_h,walltime_h` (optional
/// `ckpt_h`; other columns are ignored; any order), in hours. An empty `walltime_h` or
/// `ckpt_h` cell means none. Blank lines and lines starting with `#` are skipped.
///
/// SWF: 18 whitespace-separated numbers a line; lines starting with `;` are comments.
/// Fields used: 2 submit time (s), 4 run time (s), 5 allocated and 8 requested processors
/// (chips are the requested ones when > 0, else the allocated ones), 9 requested time (s;
/// a wall time when > 0), 12 user, 13 group and 15 queue (the tenant, by `swf_tenant`).
/// Jobs whose run time or chips are not > 0 (SWF writes -1 for unknown) are skipped
/// without error. Submit times count from the earliest kept job.
///
/// Jobs come back sorted by submit time; ties keep file order.
pub fn parse_trace(file_label: &str, text: &str, swf: bool, opts: &TraceOptions) -> Result<Vec<TraceJob>, InputError> {
    for (name, v) in [("time_scale", opts.time_scale), ("size_scale", opts.size_scale)] {
        if !(v.is_finite() && v > 0.0) {
            return Err(InputError::new(file_label, Some(name.into()), format!("got {v}; allowed: a finite number > 0")));
        }
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut jobs = if swf { parse_swf(file_label, text, opts)? } else { parse_csv(file_label, text, opts)? };
    for j in &mut jobs {
        j.submit_h *= opts.time_scale;
    }
    jobs.sort_by(|a, b| a.submit_h.total_cmp(&b.submit_h));
    Ok(jobs)
}

/// A value's place, for errors: `col` is the CSV column or SWF field number, from 1.
struct Cell<'a> {
    file: &'a str,
    line: usize,
    col: usize,
    name: &'a str,
    swf: bool,
}

impl Cell<'_> {
    fn err(&self, message: String) -> InputError {
        InputError { file: self.file.into(), line_col: Some((self.line, self.col)), field: Some(self.name.into()), message }
    }
    fn bad(&self, got: &str, allowed: &str) -> InputError {
        let kind = if self.swf { "SWF field" } else { "CSV column" };
        self.err(format!("got `{got}` in {kind} {}; allowed: {allowed}", self.col))
    }
    fn number(&self, s: &str, ok: fn(f64) -> bool, allowed: &str) -> Result<f64, InputError> {
        s.parse::<f64>().ok().filter(|v| v.is_finite() && ok(*v)).ok_or_else(|| self.bad(s, allowed))
    }
    fn chips(&self, s: &str, scale: f64) -> Result<u32, InputError> {
        let n = self.number(s, |v| v >= 1.0 && v.fract() == 0.0, "a whole number >= 1")?;
        let c = (n * scale).round().max(1.0);
        if c > u32::MAX as f64 {
            return Err(self.bad(s, &format!("at most {} chips after size_scale {scale}", u32::MAX)));
        }
        Ok(c as u32)
    }
}

const CSV_REQUIRED: [&str; 5] = ["submit_h", "tenant", "chips", "run_h", "walltime_h"];

fn parse_csv(file: &str, text: &str, opts: &TraceOptions) -> Result<Vec<TraceJob>, InputError> {
    let at = |(line, col), field: Option<&str>, message| InputError {
        file: file.into(),
        line_col: Some((line, col)),
        field: field.map(Into::into),
        message,
    };
    // csv places a record at the start of the comment and blank lines before it, and its
    // line count skips comments: so step over those lines, and count lines from the byte.
    let newlines: Vec<u64> = text.match_indices('\n').map(|(i, _)| i as u64).collect();
    let line_of = |p: Option<&csv::Position>| {
        let mut at = p.map_or(0, |p| p.byte() as usize);
        while let Some(rest) = text.get(at..).filter(|r| !r.is_empty()) {
            let len = rest.find('\n').map_or(rest.len(), |i| i + 1);
            let line = rest[..len].trim_end_matches(['\n', '\r']);
            if !(line.is_empty() || line.starts_with('#')) {
                break;
            }
            at += len;
        }
        newlines.partition_point(|&i| i < at as u64) + 1
    };
    let csv_err = |e: csv::Error| at((line_of(e.position()), 1), None, format!("not valid CSV: {e}"));
    let mut r = csv::ReaderBuilder::new().comment(Some(b'#')).trim(csv::Trim::All).flexible(true).from_reader(text.as_bytes());
    let head = r.headers().map_err(csv_err)?.clone();
    let head_line = line_of(head.position());
    let found = if head.is_empty() { "nothing".into() } else { head.iter().collect::<Vec<_>>().join(", ") };
    let col = |name: &str| head.iter().position(|h| h == name);
    let mut idx = [0; 5];
    for (k, name) in CSV_REQUIRED.iter().enumerate() {
        let need = CSV_REQUIRED.join(", ");
        let m = || format!("the header row has no column `{name}` (found: {found}); required: {need}; optional: ckpt_h");
        idx[k] = col(name).ok_or_else(|| at((head_line, 1), Some(name), m()))?;
    }
    let ckpt = col("ckpt_h");
    if let Some((i, h)) = head.iter().enumerate().find(|&(i, h)| col(h) != Some(i) && (CSV_REQUIRED.contains(&h) || h == "ckpt_h")) {
        return Err(at((head_line, i + 1), Some(h), format!("column `{h}` appears twice in the header row; allowed: once")));
    }
    let mut jobs = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(csv_err)?;
        let line = line_of(rec.position());
        if rec.len() == 1 && rec[0].is_empty() {
            continue; // a line of spaces only
        }
        if rec.len() != head.len() {
            let m = format!("the row has {} fields, the header row {}; allowed: one field per header column", rec.len(), head.len());
            return Err(at((line, rec.len().min(head.len()) + 1), None, m));
        }
        let cell = |i: usize, name| (Cell { file, line, col: i + 1, name, swf: false }, &rec[i]);
        let optional = |i: Option<usize>, name| match i.map(|i| cell(i, name)) {
            Some((c, s)) if !s.is_empty() => c.number(s, |v| v > 0.0, "a number > 0, or empty for none").map(Some),
            _ => Ok(None),
        };
        let (c, s) = cell(idx[0], "submit_h");
        let submit_h = c.number(s, |v| v >= 0.0, "a number >= 0")?;
        let (c, tenant) = cell(idx[1], "tenant");
        if tenant.is_empty() {
            return Err(c.bad(tenant, "a tenant name"));
        }
        let (c, s) = cell(idx[2], "chips");
        let chips = c.chips(s, opts.size_scale)?;
        let (c, s) = cell(idx[3], "run_h");
        let run_h = c.number(s, |v| v > 0.0, "a number > 0")?;
        let walltime_h = optional(Some(idx[4]), "walltime_h")?;
        let ckpt_h = optional(ckpt, "ckpt_h")?;
        jobs.push(TraceJob { submit_h, tenant: tenant.to_string(), chips, run_h, walltime_h, ckpt_h, line });
    }
    Ok(jobs)
}

/// The 18 SWF fields in order, as errors name them.
const SWF_FIELDS: &str = "job_number submit_time wait_time run_time allocated_processors average_cpu_time used_memory \
    requested_processors requested_time requested_memory status user_id group_id executable_number queue_number \
    partition_number preceding_job think_time";

fn parse_swf(file: &str, text: &str, opts: &TraceOptions) -> Result<Vec<TraceJob>, InputError> {
    let mut jobs = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let (line, t) = (n + 1, raw.trim());
        if t.is_empty() || t.starts_with(';') {
            continue;
        }
        let f: Vec<&str> = t.split_whitespace().collect();
        // `cell(k)`: SWF field k, numbered from 1 as the format numbers them.
        let cell =
            |k: usize| Cell { file, line, col: k, name: SWF_FIELDS.split_whitespace().nth(k - 1).unwrap_or("end of line"), swf: true };
        if f.len() != 18 {
            return Err(cell(f.len().min(18) + 1).err(format!("the line has {} fields; allowed: the 18 fields of SWF", f.len())));
        }
        let mut v = [0.0; 18];
        for (k, s) in f.iter().enumerate() {
            v[k] = cell(k + 1).number(s, |_| true, "a number")?;
        }
        let procs = if v[7] > 0.0 { 8 } else { 5 };
        if v[3] <= 0.0 || v[procs - 1] <= 0.0 {
            continue; // unknown run time or size: skipped, as documented
        }
        let chips = cell(procs).chips(f[procs - 1], opts.size_scale)?;
        let id = |k: usize| cell(k).number(f[k - 1], |x| x.fract() == 0.0, "a whole number").map(|x| x as i64);
        let tenant = match opts.swf_tenant {
            TraceGrouping::User => format!("user{}", id(12)?),
            TraceGrouping::Group => format!("group{}", id(13)?),
            TraceGrouping::Queue => format!("queue{}", id(15)?),
        };
        let walltime_h = (v[8] > 0.0).then(|| v[8] / 3600.0);
        jobs.push(TraceJob { submit_h: v[1], tenant, chips, run_h: v[3] / 3600.0, walltime_h, ckpt_h: None, line });
    }
    let first = jobs.iter().map(|j| j.submit_h).fold(f64::INFINITY, f64::min);
    for j in &mut jobs {
        j.submit_h = (j.submit_h - first) / 3600.0;
    }
    Ok(jobs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(text: &str) -> Result<Vec<TraceJob>, InputError> {
        parse_trace("t.csv", text, false, &TraceOptions::default())
    }
    fn swf(text: &str, swf_tenant: TraceGrouping) -> Result<Vec<TraceJob>, InputError> {
        parse_trace("t.swf", text, true, &TraceOptions { swf_tenant, ..Default::default() })
    }

    #[test]
    fn csv_columns_in_any_order_extra_ignored_comments_skipped() {
        let t = "# provenance\n\ntenant,run_h,note,chips,walltime_h,submit_h,ckpt_h\n# more\nacademia,2.5,x y,8,3,0.5,\n\nindustry,1,,1,,2,0.25\n";
        let j = csv(t).unwrap();
        assert_eq!(j.len(), 2);
        let a = TraceJob { submit_h: 0.5, tenant: "academia".into(), chips: 8, run_h: 2.5, walltime_h: Some(3.0), ckpt_h: None, line: 5 };
        assert_eq!(j[0], a);
        assert_eq!((j[1].walltime_h, j[1].ckpt_h, j[1].line), (None, Some(0.25), 7));
    }

    #[test]
    fn csv_rows_are_sorted_stably_by_submit_time() {
        let j = csv("submit_h,tenant,chips,run_h,walltime_h\n5,a,1,1,\n1,b,1,1,\n5,c,1,1,\n0,d,1,1,\n").unwrap();
        let order: Vec<&str> = j.iter().map(|j| j.tenant.as_str()).collect();
        assert_eq!(order, ["d", "b", "a", "c"]);
    }

    #[test]
    fn csv_missing_column_names_it_and_the_header_line() {
        let e = csv("# c\nsubmit_h,tenant,chips,run_h\n0,a,1,1\n").unwrap_err();
        assert_eq!((e.line_col, e.field.as_deref()), (Some((2, 1)), Some("walltime_h")));
        assert!(e.to_string().contains("no column `walltime_h`"), "{e}");
        let e = csv("submit_h,tenant,chips,run_h,walltime_h,chips\n").unwrap_err();
        assert_eq!((e.line_col, e.field.as_deref()), (Some((1, 6)), Some("chips")));
    }

    #[test]
    fn csv_bad_values_name_line_column_value_and_what_is_allowed() {
        let head = "submit_h,tenant,chips,run_h,walltime_h\n";
        let e = csv(&format!("{head}0,a,1,1,\n0,a,1,abc,\n")).unwrap_err();
        assert_eq!((e.line_col, e.field.as_deref()), (Some((3, 4)), Some("run_h")));
        assert_eq!(e.to_string(), "t.csv:3:4: field `run_h`: got `abc` in CSV column 4; allowed: a number > 0");
        let e = csv(&format!("{head}0,a,-4,1,\n")).unwrap_err();
        assert_eq!((e.line_col, e.field.as_deref()), (Some((2, 3)), Some("chips")));
        assert!(e.message.contains("`-4`") && e.message.contains("a whole number >= 1"), "{e}");
        for (row, col) in [("-1,a,1,1,", 1), ("0,,1,1,", 2), ("0,a,1.5,1,", 3), ("0,a,1,0,", 4), ("0,a,1,1,0", 5), ("0,a,1,1,inf", 5)] {
            assert_eq!(csv(&format!("{head}{row}\n")).unwrap_err().line_col, Some((2, col)), "{row}");
        }
        assert_eq!(csv(&format!("{head}0,a,1,1\n")).unwrap_err().line_col, Some((2, 5)));
        assert_eq!(csv(&format!("# a\n{head}# b\n\n0,a,1,abc,\n")).unwrap_err().line_col, Some((5, 4)));
        let crlf = head.replace('\n', "\r\n");
        assert_eq!(csv(&format!("{crlf}# c\r\n0,a,-4,1,\r\n")).unwrap_err().line_col, Some((3, 3)));
        assert!(csv("").unwrap_err().message.contains("found: nothing"));
    }

    #[test]
    fn scaling_multiplies_submit_times_and_chips_only() {
        let t = "submit_h,tenant,chips,run_h,walltime_h\n4,a,8,2,3\n2,b,1,1,\n";
        let o = TraceOptions { time_scale: 0.5, size_scale: 0.3, ..Default::default() };
        let j = parse_trace("t.csv", t, false, &o).unwrap();
        assert_eq!((j[0].submit_h, j[0].chips, j[0].run_h), (1.0, 1, 1.0)); // 1 x 0.3 rounds to 0: at least 1
        assert_eq!((j[1].submit_h, j[1].chips, j[1].run_h, j[1].walltime_h), (2.0, 2, 2.0, Some(3.0)));
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let e = parse_trace("t.csv", t, false, &TraceOptions { time_scale: bad, ..Default::default() }).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("time_scale"));
            let e = parse_trace("t.csv", t, false, &TraceOptions { size_scale: bad, ..Default::default() }).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("size_scale"));
        }
        let o: TraceOptions = crate::config::parse_ron("o.ron", "(time_scale: 0.5, swf_tenant: Queue)").unwrap();
        assert_eq!((o.time_scale, o.size_scale, o.swf_tenant), (0.5, 1.0, TraceGrouping::Queue));
        assert!(crate::config::parse_ron::<TraceOptions>("o.ron", "(speed: 2)").is_err());
    }

    //   job submit wait run alloc cpu mem req_p req_t req_m status user group exe queue part prec think
    const SWF: &str = "; Version: 2.2\n;\n\
        1 100 5 3600 4 -1 -1 8 7200 -1 1 3 7 1 2 -1 -1 -1\n\
        2 40 0 1800 16 -1 -1 -1 -1 -1 1 5 7 1 1 -1 -1 -1\n\
        3 50 0 -1 4 -1 -1 4 60 -1 0 3 7 1 1 -1 -1 -1\n\
        4 60 0 60 -1 -1 -1 -1 60 -1 0 3 7 1 1 -1 -1 -1\n";

    #[test]
    fn swf_fields_tenants_skipped_jobs_and_relative_submit_times() {
        let j = swf(SWF, TraceGrouping::User).unwrap();
        assert_eq!(j.len(), 2, "jobs 3 (run -1) and 4 (size -1) are skipped");
        let first = TraceJob { submit_h: 0.0, tenant: "user5".into(), chips: 16, run_h: 0.5, walltime_h: None, ckpt_h: None, line: 4 };
        assert_eq!(j[0], first);
        assert_eq!((j[1].submit_h, j[1].chips, j[1].run_h, j[1].walltime_h, j[1].line), (60.0 / 3600.0, 8, 1.0, Some(2.0), 3));
        assert_eq!(swf(SWF, TraceGrouping::Group).unwrap()[1].tenant, "group7");
        assert_eq!(swf(SWF, TraceGrouping::Queue).unwrap()[1].tenant, "queue2");
    }

    #[test]
    fn swf_short_rows_and_non_numbers_name_line_and_field() {
        let e = swf(";h\n1 100 5 3600 4\n", TraceGrouping::User).unwrap_err();
        assert_eq!((e.line_col, e.field.as_deref()), (Some((2, 6)), Some("average_cpu_time")));
        assert!(e.message.contains("5 fields"), "{e}");
        let e = swf("1 100 5 3600 4 -1 -1 8 7200 -1 1 x 7 1 2 -1 -1 -1\n", TraceGrouping::User).unwrap_err();
        assert_eq!(e.to_string(), "t.swf:1:12: field `user_id`: got `x` in SWF field 12; allowed: a number");
    }

    #[test]
    fn read_trace_picks_the_format_by_name_and_refuses_non_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("log.SWF");
        std::fs::write(&p, SWF).unwrap();
        assert_eq!(read_trace(&p, &TraceOptions::default()).unwrap().len(), 2);
        let e = read_trace(dir.path(), &TraceOptions::default()).unwrap_err();
        assert!(e.message.contains("not a regular file"), "{e}");
        if cfg!(unix) {
            let e = read_trace(Path::new("/dev/zero"), &TraceOptions::default()).unwrap_err();
            assert!(e.message.contains("not a regular file"), "{e}");
        }
        let p = dir.path().join("bad.csv");
        std::fs::write(&p, b"submit_h,tenant,chips,run_h,walltime_h\n0,\xff,1,1,\n").unwrap();
        assert_eq!(read_trace(&p, &TraceOptions::default()).unwrap_err().line_col, Some((2, 3)));
    }

    #[test]
    fn the_shipped_philly_excerpt_parses() {
        let text = include_str!("../../models/traces/philly-excerpt.csv");
        let j = csv(text).unwrap();
        let rows = text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).count() - 1;
        assert_eq!(j.len(), rows);
        let mut tenants: Vec<&str> = j.iter().map(|j| j.tenant.as_str()).collect();
        tenants.sort_unstable();
        tenants.dedup();
        assert!(tenants.len() >= 2, "{tenants:?}");
        assert!(j.iter().any(|j| j.walltime_h.is_some_and(|w| w < j.run_h)));
        assert!(j.iter().all(|j| j.walltime_h.is_some()));
    }
}
