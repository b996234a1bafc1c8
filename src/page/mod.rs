//! `report.html`: one self-contained page per run or sweep folder, built from the
//! files in the folder (summary.json or sweep.json and points.csv, `charts/*.svg`,
//! the model copies under `inputs/` that the provenance block names) and a
//! [`Context`] (the command line and the time), so that rebuilding a folder gives
//! the same page but for those two.
//!
//! The page needs no network and no script: CSS is inline, charts are the
//! folder's SVGs inlined (scaled to the page's width), model files are
//! preformatted text in `<details>`. Every string read from a file is escaped.

mod html;
mod run;
mod sweep;

use anyhow::{Context as _, Result};
use html::{Table, esc, num, text};
use serde_json::Value;
use std::fmt::Write;
use std::path::{Component, Path};

/// The page's file name in a run or sweep folder.
pub const PAGE: &str = "report.html";

/// What produced a page, passed in by the caller: the only parts of a page that
/// are not read from its folder. `None` leaves a line out (a library caller).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Context {
    /// The command line, as a person would type it.
    pub command: Option<String>,
    /// When the page was written, e.g. "2026-11-26 20:35:51 UTC".
    pub generated_at: Option<String>,
}

impl Context {
    /// This process's command line, and the time now.
    pub fn now() -> Self {
        let args: Vec<String> = std::env::args_os().map(|a| shell_word(&a.to_string_lossy())).collect();
        // The program as its file name: the path it was started by is no part of the command.
        let mut args = args;
        if let Some(first) = args.first_mut()
            && let Some(name) = Path::new(first.as_str()).file_name().and_then(|n| n.to_str())
        {
            *first = name.to_string();
        }
        Context { command: Some(args.join(" ")), generated_at: Some(utc_now()) }
    }
}

/// `w` quoted for a POSIX shell when it needs it.
fn shell_word(w: &str) -> String {
    let plain = !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%[]".contains(c));
    if plain { w.to_string() } else { format!("'{}'", w.replace('\'', "'\\''")) }
}

/// The time now in UTC, to the second.
fn utc_now() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    utc(secs)
}

/// Seconds since 1970 as "YYYY-MM-DD hh:mm:ss UTC" (proleptic Gregorian calendar).
fn utc(secs: u64) -> String {
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC", rem / 3600, rem / 60 % 60, rem % 60)
}

/// Build the page of the run in `dir` (summary.json and the CSVs; the model copies
/// its provenance names). `charts` is the folder its charts were drawn into, or
/// `None` when they were not drawn.
pub fn run_page(dir: &Path, charts: Option<&Path>, ctx: &Context) -> Result<String> {
    run::page(dir, charts, ctx)
}

/// Build the page of the sweep in `dir` (sweep.json, points.csv or, for a shard,
/// runs.csv). `charts` as for [`run_page`].
pub fn sweep_page(dir: &Path, charts: Option<&Path>, ctx: &Context) -> Result<String> {
    sweep::page(dir, charts, ctx)
}

/// Write [`run_page`] as `dir/report.html` (atomically); returns its path.
pub fn write_run_page(dir: &Path, charts: Option<&Path>, ctx: &Context) -> Result<std::path::PathBuf> {
    let p = dir.join(PAGE);
    crate::output::write_atomic(&p, run_page(dir, charts, ctx)?.as_bytes())?;
    Ok(p)
}

/// Write [`sweep_page`] as `dir/report.html` (atomically); returns its path.
pub fn write_sweep_page(dir: &Path, charts: Option<&Path>, ctx: &Context) -> Result<std::path::PathBuf> {
    let p = dir.join(PAGE);
    crate::output::write_atomic(&p, sweep_page(dir, charts, ctx)?.as_bytes())?;
    Ok(p)
}

// ---------------------------------------------------------------- reading

/// The largest file the page reads (summary.json, a model copy): bigger ones are refused or cut.
const MAX_READ: u64 = 64 << 20;

/// A file of the folder as text; an error names it (bad input, as `gigasim plot` reports it).
fn read(path: &Path) -> Result<String> {
    crate::config::read_text(path, MAX_READ).map_err(|e| {
        crate::config::InputError::new(path.display().to_string(), None, format!("cannot read: {e}; allowed: the file as gigasim wrote it"))
            .into()
    })
}

fn read_json(path: &Path) -> Result<Value> {
    serde_json::from_str(&read(path)?).map_err(|e| {
        crate::config::InputError::new(
            path.display().to_string(),
            None,
            format!("cannot parse: {e}; allowed: the file as gigasim wrote it"),
        )
        .into()
    })
}

/// The value at a dotted path (`power.drops.per_day_over_mw.10`; array items by index).
fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, k| match v {
        Value::Object(m) => m.get(k),
        Value::Array(a) => k.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    })
}

fn f64_at(v: &Value, path: &str) -> Option<f64> {
    at(v, path).and_then(Value::as_f64)
}

fn str_at<'a>(v: &'a Value, path: &str) -> Option<&'a str> {
    at(v, path).and_then(Value::as_str)
}

// ---------------------------------------------------------------- layout

/// A section of the page: its anchor, its heading, its HTML.
struct Section {
    id: &'static str,
    title: String,
    body: String,
}

const CSS: &str = r#"
:root{--ink:#1f2328;--muted:#59636e;--rule:#d8dee4;--band:#f6f8fa;--accent:#2f5f8f}
*{box-sizing:border-box}
body{margin:0;color:var(--ink);background:#fff;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
main{max-width:1180px;margin:0 auto;padding:24px 32px 64px}
header{border-bottom:3px solid var(--accent);padding-bottom:12px;margin-bottom:16px}
h1{font-size:30px;line-height:1.2;margin:0 0 6px}
.sub{color:var(--muted);margin:0}
h2{font-size:22px;margin:40px 0 12px;padding-bottom:4px;border-bottom:1px solid var(--rule)}
h3{font-size:17px;margin:24px 0 8px}
nav{background:var(--band);border:1px solid var(--rule);border-radius:6px;padding:10px 16px;margin:16px 0;display:flex;flex-wrap:wrap;gap:4px 16px}
nav b{margin-right:4px}
nav a{color:var(--accent);text-decoration:none;white-space:nowrap}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:10px;margin:12px 0 16px}
.tile{border:1px solid var(--rule);border-radius:6px;padding:8px 12px;background:var(--band)}
.tile .v{font-size:24px;font-weight:600;font-variant-numeric:tabular-nums}
.tile .k{color:var(--muted);font-size:13px}
dl.lines{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:8px 0}
dl.lines dt{font-weight:600;color:var(--muted)}
dl.lines dd{margin:0}
.scroll{overflow-x:auto;margin:8px 0 16px}
table{border-collapse:collapse;font-size:14.5px}
.pair{display:flex;flex-wrap:wrap;gap:0 32px}
caption{text-align:left;color:var(--muted);padding:0 0 4px}
th,td{padding:4px 12px;border-bottom:1px solid var(--rule);text-align:left;vertical-align:top}
th{background:var(--band);font-weight:600;border-bottom:2px solid var(--rule)}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.kv td:first-child{white-space:nowrap;color:var(--muted)}
table.kv{border-top:1px solid var(--rule)}
tr.sub td:first-child{padding-left:28px;color:var(--muted)}
figure{margin:16px 0 28px;border:1px solid var(--rule);border-radius:6px;padding:8px}
figure svg{display:block;width:100%;height:auto}
figcaption{color:var(--muted);font-size:14px;padding:6px 4px 0}
figcaption b{color:var(--ink)}
code,pre{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:13px}
pre{background:var(--band);border:1px solid var(--rule);border-radius:6px;padding:10px 12px;overflow-x:auto;white-space:pre}
details{margin:6px 0}
summary{cursor:pointer;color:var(--accent)}
.note{color:var(--muted)}
footer{margin-top:48px;color:var(--muted);font-size:13px;border-top:1px solid var(--rule);padding-top:8px}
@media print{nav{display:none}figure{break-inside:avoid}}
"#;

/// The whole page: head, title, contents, sections, footer.
fn document(title: &str, subtitle: &str, sections: &[Section]) -> String {
    let mut s = String::with_capacity(1 << 20);
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"gigasim {}\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n\
         <header><h1>{}</h1><p class=\"sub\">{}</p></header>\n<nav><b>Contents</b>",
        env!("CARGO_PKG_VERSION"),
        esc(title),
        esc(title),
        esc(subtitle)
    );
    for sec in sections {
        let _ = write!(s, "\n<a href=\"#{}\">{}</a>", sec.id, esc(&sec.title));
    }
    s.push_str("</nav>\n");
    for sec in sections {
        let _ = write!(s, "<section id=\"{}\">\n<h2>{}</h2>\n{}</section>\n", sec.id, esc(&sec.title), sec.body);
    }
    let _ = write!(
        s,
        "<footer>Written by gigasim {} from the files in this folder. Self-contained: no script, nothing fetched.</footer>\n</main>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    s
}

/// Key figures as tiles: (value, label).
fn tiles(items: &[(String, &str)]) -> String {
    let mut s = String::from("<div class=\"tiles\">");
    for (v, k) in items {
        let _ = write!(s, "<div class=\"tile\"><div class=\"v\">{}</div><div class=\"k\">{}</div></div>", esc(v), esc(k));
    }
    s.push_str("</div>\n");
    s
}

/// The "About this page" section: the command, version and time, and the files of the folder.
fn about(ctx: &Context, files: &[&str]) -> Section {
    // The command and time between two comments: `gigasim rerun` and
    // scripts/same-outputs.sh compare the page without them.
    let mut c = Table::new(&[("", false), ("", false)]);
    c.row(vec![
        text("Command"),
        html::raw(
            ctx.command
                .as_deref()
                .map_or("<span class=\"note\">not recorded (written by a program using the gigasim library)</span>".into(), |c| {
                    format!("<code>{}</code>", esc(c))
                }),
        ),
    ]);
    c.row(vec![text("Written at"), text(ctx.generated_at.as_deref().unwrap_or("not recorded"))]);
    let mut t = Table::new(&[("", false), ("", false)]);
    t.row(vec![text("gigasim version"), text(env!("CARGO_PKG_VERSION"))]);
    t.row(vec![text("Data files"), html::raw(files.iter().map(|f| format!("<code>{}</code>", esc(f))).collect::<Vec<_>>().join(", "))]);
    let (start, end) = (crate::provenance::CONTEXT_START, crate::provenance::CONTEXT_END);
    Section { id: "about", title: "About this page".into(), body: format!("\n{start}\n{}\n{end}\n{}", c.html(), t.html()) }
}

// ---------------------------------------------------------------- charts

/// Charts inlined as SVG, each with a caption; `captions` gives a chart's caption by
/// its stem (else the chart's own title is used). The SVGs are ordered by `rank` of
/// their file name, then by name.
fn charts_section(
    charts: Option<&Path>,
    rank: &dyn Fn(&str) -> usize,
    captions: &dyn Fn(&str) -> Option<&'static str>,
    not_drawn: &str,
) -> Result<Section> {
    let mut body = String::new();
    let Some(dir) = charts else {
        body = format!("<p class=\"note\">{not_drawn}</p>\n");
        return Ok(Section { id: "charts", title: "Charts".into(), body });
    };
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => {
            entries.flatten().filter_map(|e| e.file_name().to_str().map(str::to_string)).filter(|n| n.ends_with(".svg")).collect()
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    names.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
    if names.is_empty() {
        body.push_str("<p class=\"note\">No charts in <code>charts/</code>.</p>\n");
    } else {
        body.push_str("<p class=\"note\">Each chart as drawn into <code>charts/</code> (there also as a PNG).</p>\n");
    }
    for (i, name) in names.iter().enumerate() {
        let p = dir.join(name);
        let svg = read(&p)?;
        let stem = name.trim_end_matches(".svg");
        let title = chart_title(&svg);
        let caption = match (captions(stem), &title) {
            (Some(c), _) => esc(c),
            (None, Some(t)) => esc(t),
            (None, None) => String::new(),
        };
        let _ = write!(body, "<figure id=\"chart-{}\">", esc(&crate::plot::sanitize(stem)));
        match inline_svg(&svg, title.as_deref().unwrap_or(stem)) {
            Some(inline) => body.push_str(&inline),
            None => {
                let _ = write!(body, "<p class=\"note\">{} is not shown: it is not an SVG as gigasim draws it.</p>", esc(name));
            }
        }
        let _ = writeln!(
            body,
            "<figcaption><b>Figure {}.</b> {caption} <span class=\"note\">(<code>charts/{}</code>)</span></figcaption></figure>",
            i + 1,
            esc(name)
        );
    }
    Ok(Section { id: "charts", title: "Charts".into(), body })
}

/// The first text of an SVG drawn by plotters: the chart's title.
fn chart_title(svg: &str) -> Option<String> {
    let start = svg.find("<text")?;
    let open_end = start + svg[start..].find('>')? + 1;
    let close = open_end + svg[open_end..].find("</text>")?;
    let t = svg[open_end..close].trim();
    (!t.is_empty()).then(|| unescape_xml(t))
}

fn unescape_xml(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&#39;", "'").replace("&amp;", "&")
}

/// An SVG file's markup for inlining: its root's width and height dropped (CSS
/// scales it to the page), a label added; or `None` when it holds anything
/// plotters never writes and a page must not run or fetch (scripts, links,
/// external references, event handlers, ids that could clash).
fn inline_svg(svg: &str, label: &str) -> Option<String> {
    let start = svg.find("<svg")?;
    let open_end = start + svg[start..].find('>')?;
    let open = &svg[start..open_end];
    let end = svg.rfind("</svg>")?;
    if end < open_end {
        return None;
    }
    let body = &svg[open_end + 1..end];
    let lower = body.to_ascii_lowercase();
    let banned = ["<script", "foreignobject", "href", "url(", "<!", "<?", "<style", "<iframe", "<svg", " id=", "@import", "javascript:"];
    if banned.iter().any(|b| lower.contains(b)) || has_handler(&lower) {
        return None;
    }
    let view_box = attr(open, "viewBox").filter(|v| v.chars().all(|c| c.is_ascii_digit() || c == ' ' || c == '.' || c == '-'))?;
    Some(format!(
        "<svg viewBox=\"{view_box}\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"{}\">{body}</svg>",
        esc(label)
    ))
}

/// Whether markup holds an attribute named on…= (an event handler).
fn has_handler(lower: &str) -> bool {
    let b = lower.as_bytes();
    lower.match_indices("on").any(|(i, _)| {
        let before = i > 0 && b[i - 1].is_ascii_whitespace();
        let rest = &b[i + 2..];
        let letters = rest.iter().take_while(|c| c.is_ascii_alphabetic()).count();
        before && letters > 0 && rest[letters..].iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'=')
    })
}

/// The value of attribute `name` in an opening tag.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let i = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let j = i + tag[i..].find('"')?;
    Some(&tag[i..j])
}

// ---------------------------------------------------------------- inputs

/// The scenario and model files the provenance block names, with their text from
/// the copies in the folder; "not recorded" without one.
fn inputs_section(dir: &Path, doc: &Value, what: &str) -> Section {
    let mut body = String::new();
    let Some(prov) = doc.get("provenance").filter(|p| p.is_object()) else {
        body = format!("<p class=\"note\">Model files: not recorded (this {what} has no provenance block).</p>\n");
        return Section { id: "inputs", title: "Inputs".into(), body };
    };
    let mut t = Table::new(&[("", false), ("", false)]);
    if let Some(v) = prov.get("version").and_then(Value::as_str) {
        t.row(vec![text("gigasim version"), text(v)]);
    }
    let commit = prov.get("commit").and_then(Value::as_str).unwrap_or("not recorded");
    t.row(vec![text("Commit"), html::raw(format!("<code>{}</code>", esc(commit)))]);
    if let Some(seed) = prov.get("seed").and_then(Value::as_u64) {
        t.row(vec![text("Seed"), num(seed.to_string())]);
    }
    let sets: Vec<String> = prov
        .get("sets")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(|s| format!("<code>{}</code>", esc(s))).collect())
        .unwrap_or_default();
    t.row(vec![text("Overrides (--set)"), html::raw(if sets.is_empty() { "none".into() } else { sets.join(" ") })]);
    body.push_str(&t.html());
    let files: Vec<(&String, &Value)> = prov.get("files").and_then(Value::as_object).map(|m| m.iter().collect()).unwrap_or_default();
    if files.is_empty() {
        body.push_str("<p class=\"note\">Model files: not recorded.</p>\n");
        return Section { id: "inputs", title: "Inputs".into(), body };
    }
    // The scenario first, then by path.
    let mut files = files;
    files.sort_by_key(|(path, f)| (f.get("role").and_then(Value::as_str) != Some("scenario"), path.as_str()));
    let mut ft = Table::new(&[("File", false), ("Role", false), ("SHA-256", false), ("Bytes", true)]);
    for (path, f) in &files {
        let sha = f.get("sha256").and_then(Value::as_str).unwrap_or("");
        ft.row(vec![
            html::raw(format!("<code>{}</code>", esc(path))),
            text(f.get("role").and_then(Value::as_str).unwrap_or("")),
            html::raw(format!("<code title=\"{}\">{}</code>", esc(sha), esc(&sha.chars().take(12).collect::<String>()))),
            num(f.get("bytes").and_then(Value::as_u64).map(crate::output::thousands).unwrap_or_default()),
        ]);
    }
    body.push_str(&ft.html());
    body.push_str("<p class=\"note\">Each file's text, with its comments, from the copy kept in this folder:</p>\n");
    for (i, (path, f)) in files.iter().enumerate() {
        let role = f.get("role").and_then(Value::as_str).unwrap_or("");
        let content = match f.get("copy").and_then(Value::as_str) {
            None => "<p class=\"note\">No copy recorded.</p>".to_string(),
            Some(copy) => match inside(dir, copy) {
                None => format!("<p class=\"note\">Copy <code>{}</code> not shown: not a path inside this folder.</p>", esc(copy)),
                Some(p) => match read(&p) {
                    Ok(text) if text.len() > MAX_SHOWN => {
                        // A long trace would swell the page: its head, and where the rest is.
                        let mut cut = MAX_SHOWN;
                        while !text.is_char_boundary(cut) {
                            cut -= 1;
                        }
                        format!(
                            "<pre>{}</pre><p class=\"note\">The first {} of {} bytes; the whole file is <code>{}</code>.</p>",
                            esc(&text[..cut]),
                            crate::output::thousands(cut as u64),
                            crate::output::thousands(text.len() as u64),
                            esc(copy)
                        )
                    }
                    Ok(text) => format!("<pre>{}</pre>", esc(&text)),
                    Err(_) => format!("<p class=\"note\">Copy <code>{}</code> is missing or unreadable.</p>", esc(copy)),
                },
            },
        };
        let _ = writeln!(
            body,
            "<details{}><summary><code>{}</code> ({})</summary>{content}</details>",
            if i == 0 && role == "scenario" { " open" } else { "" },
            esc(path),
            esc(role)
        );
    }
    Section { id: "inputs", title: "Inputs".into(), body }
}

/// A model file's text shown at most (a trace can be megabytes).
const MAX_SHOWN: usize = 256 << 10;

/// `rel` under `dir` when it is a relative path of plain names (nothing that leaves the folder).
fn inside(dir: &Path, rel: &str) -> Option<std::path::PathBuf> {
    let p = Path::new(rel);
    (!rel.is_empty() && p.components().all(|c| matches!(c, Component::Normal(_)))).then(|| dir.join(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates_and_shell_words() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_795_725_351), "2026-11-26 20:35:51 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(shell_word("failure.repair.crews=8"), "failure.repair.crews=8");
        assert_eq!(shell_word("a b'c"), "'a b'\\''c'");
    }

    #[test]
    fn an_svg_with_a_script_or_handler_is_not_inlined() {
        let ok = "<svg width=\"1400\" height=\"800\" viewBox=\"0 0 1400 800\" xmlns=\"http://www.w3.org/2000/svg\">\n<rect x=\"0\" fill=\"#FFF\"/>\n<text>Power</text></svg>\n";
        let inl = inline_svg(ok, "Power").unwrap();
        assert!(inl.starts_with("<svg viewBox=\"0 0 1400 800\"") && !inl.contains("width=\"1400\""), "{inl}");
        assert_eq!(chart_title(ok).as_deref(), Some("Power"));
        for bad in [
            "<script>x</script>",
            "<rect onload=\"x()\"/>",
            "<a href=\"http://x\">",
            "<rect style=\"fill:url(http://x)\"/>",
            "<rect id=\"a\"/>",
        ] {
            assert!(inline_svg(&ok.replace("<text>", &format!("{bad}<text>")), "x").is_none(), "{bad}");
        }
        assert!(inside(Path::new("d"), "inputs/models/a.ron").is_some());
        for bad in ["../x", "/etc/passwd", "", "inputs/../../x"] {
            assert!(inside(Path::new("d"), bad).is_none(), "{bad}");
        }
    }
}
