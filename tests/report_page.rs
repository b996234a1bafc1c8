//! report.html in a real browser: headless Chromium loads the page of a run and of a
//! sweep, and the rendered DOM holds the headings, the key numbers of summary.json as
//! the page formats them, every chart as an inline `<svg>`, a model file's markup as
//! text, and nothing fetched from the network; its screenshot is a real picture.
//!
//! Needs /usr/bin/chromium (`.ci/run` installs it): without it these tests fail.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_gigasim");
const CHROMIUM: &str = "/usr/bin/chromium";

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn gigasim(args: &[&str], dir: &Path) -> Output {
    let out = Command::new(BIN).args(args).current_dir(dir).stdin(Stdio::null()).output().unwrap();
    assert!(out.status.success(), "gigasim {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// Headless Chromium on `page` with `extra` arguments, killed after 60 s (a hung
/// browser fails the test rather than hanging it); its stdout.
fn chromium(page: &Path, extra: &[String]) -> String {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: the report page is tested in a real browser; `.ci/run` installs it (apt-get install -y chromium)"
    );
    let profile = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(CHROMIUM);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .args(extra)
    .arg(format!("file://{}", page.display()))
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("starting {CHROMIUM}: {e}"));
    let t0 = Instant::now();
    // Read stdout on a thread: a large DOM would fill the pipe and block the browser.
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).map(|_| s)
    });
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "chromium on {}: {status}", page.display());
            break;
        }
        if t0.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 60 s on {}", page.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader.join().unwrap().unwrap()
}

fn dump_dom(page: &Path) -> String {
    let dom = chromium(page, &["--dump-dom".into()]);
    assert!(dom.contains("</html>"), "no DOM from chromium: {}", &dom[..dom.len().min(500)]);
    dom
}

/// A screenshot of the page at 1280×2000: it exists, has that size, and is a picture
/// (many colours), not a blank or an error page.
fn screenshot(page: &Path, png: &Path) {
    chromium(page, &[format!("--screenshot={}", png.display()), "--window-size=1280,2000".into()]);
    let meta = std::fs::metadata(png).unwrap_or_else(|e| panic!("no screenshot {}: {e}", png.display()));
    assert!(meta.len() > 20_000, "a screenshot of {} bytes is nearly empty", meta.len());
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(png).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (1280, 2000));
    let bpp = info.color_type.samples() * if info.bit_depth == png::BitDepth::Sixteen { 2 } else { 1 };
    let colours: std::collections::BTreeSet<&[u8]> = buf[..info.buffer_size()].chunks(bpp).collect();
    assert!(colours.len() > 100, "the screenshot has {} colours: blank?", colours.len());
}

/// Every value of a `src` or `href` attribute in the DOM.
fn links(dom: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in [" src=\"", " href=\"", " src='", " href='"] {
        for (i, _) in dom.match_indices(attr) {
            let rest = &dom[i + attr.len()..];
            let end = rest.find(['"', '\'']).unwrap_or(rest.len());
            out.push(rest[..end].to_string());
        }
    }
    out
}

/// The text of a DOM (tags dropped, entities of the page's escaping undone), spaces collapsed.
fn text_of(dom: &str) -> String {
    let mut s = String::new();
    let mut in_tag = false;
    for c in dom.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                s.push(' ');
            }
            c if !in_tag => s.push(c),
            _ => {}
        }
    }
    let s = s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&");
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Checks shared by both pages: loaded, no script, nothing from the network, charts
/// inline, no id twice.
fn common_checks(dom: &str, charts: usize) {
    assert!(!dom.contains("<script"), "a script element in the page");
    for l in links(dom) {
        assert!(!l.contains("http") && !l.contains("//"), "the page links to the network: {l}");
    }
    assert_eq!(dom.matches("<svg").count(), charts, "one inline <svg> per chart in charts/");
    let mut ids: Vec<&str> = dom.match_indices(" id=\"").map(|(i, _)| &dom[i + 5..i + 5 + dom[i + 5..].find('"').unwrap()]).collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "an id used twice");
}

/// "1,234.5": as the page writes numbers.
fn grouped(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    let (int, frac) = s.split_once('.').map_or((s.as_str(), None), |(i, f)| (i, Some(f)));
    let mut g = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            g.push(',');
        }
        g.push(c);
    }
    frac.map_or(g.clone(), |f| format!("{g}.{f}"))
}

fn svg_count(charts: &Path) -> usize {
    std::fs::read_dir(charts).map_or(0, |d| d.flatten().filter(|e| e.file_name().to_string_lossy().ends_with(".svg")).count())
}

/// Add a provenance block to summary.json, as the run would record it, with a copy
/// of the scenario and of a model file whose text holds markup.
fn add_provenance(dir: &Path) {
    let mut s: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    let mut files = serde_json::Map::new();
    for (role, rel, extra) in [
        ("scenario", "models/scenarios/factory-25k.ron", ""),
        ("facility", "models/facility/gb200-nvl72-25k.ron", "\n// </pre><script>alert('x')</script><b>bold?</b>\n"),
    ] {
        let text = std::fs::read_to_string(repo(rel)).unwrap() + extra;
        let copy = format!("inputs/{rel}");
        std::fs::create_dir_all(dir.join(&copy).parent().unwrap()).unwrap();
        std::fs::write(dir.join(&copy), &text).unwrap();
        files.insert(rel.into(), serde_json::json!({"role": role, "sha256": "0123456789abcdef0123", "bytes": text.len(), "copy": copy}));
    }
    // A copy that would leave the folder is not read.
    files.insert("../../etc/passwd".into(), serde_json::json!({"role": "power", "sha256": "00", "bytes": 1, "copy": "../../etc/passwd"}));
    s["provenance"] =
        serde_json::json!({"version": "0.1.0", "commit": null, "seed": 3, "sets": ["failure.repair.crews=8"], "files": files});
    std::fs::write(dir.join("summary.json"), serde_json::to_string_pretty(&s).unwrap()).unwrap();
}

#[test]
fn a_run_page_renders_its_numbers_charts_and_inputs_in_a_browser() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let scenario = repo("models/scenarios/factory-25k.ron");
    gigasim(&["run", scenario.to_str().unwrap(), "--horizon-days", "4", "--seed", "3", "--out", "o", "-q"], t);
    let o = t.join("o");
    let page = o.join("report.html");
    let bytes = std::fs::metadata(&page).unwrap().len();
    assert!(bytes < 3 << 20, "report.html is {bytes} bytes");

    // The run's own provenance: its files listed, with their text; then a made-up
    // block (with a copy path leading out of the folder), rebuilt by `gigasim plot`.
    let dom = dump_dom(&page);
    let inputs = &dom[dom.find("id=\"inputs\"").unwrap()..dom.find("id=\"about\"").unwrap()];
    assert!(inputs.contains("factory-25k.ron") && inputs.contains("gb200-nvl72-25k.ron"), "the run's files are listed");
    assert!(!text_of(&dom).contains("Model files: not recorded"), "the run recorded its files");
    add_provenance(&o);
    gigasim(&["plot", "o"], t);
    let dom = dump_dom(&page);
    let text = text_of(&dom);
    for h in [
        "At a glance",
        "Time breakdown",
        "Power and energy",
        "Failures",
        "Repair",
        "Frontier jobs",
        "Jobs and tenants",
        "Charts",
        "Inputs",
        "About this page",
    ] {
        assert!(dom.contains(&format!(">{h}</h2>")), "no heading {h}");
        assert!(dom.contains(&format!(">{h}</a>")), "{h} is not in the contents");
    }
    let s: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(o.join("summary.json")).unwrap()).unwrap();
    let f = |p: &str| p.split('.').fold(&s, |v, k| &v[k]).as_f64().unwrap_or_else(|| panic!("{p} in summary.json"));
    let scenario_name = s["scenario"].as_str().unwrap();
    assert!(dom.contains(&format!("<h1>{scenario_name}</h1>")), "title");
    for (what, shown) in [
        ("goodput", grouped(f("goodput"), 3)),
        ("ETTR", grouped(f("ettr"), 3)),
        ("failures", grouped(f("failures.total"), 0)),
        ("facility mean", format!("facility mean {} MW", grouped(f("power.facility_mean_mw"), 1))),
        ("chips", grouped(f("chips"), 0)),
    ] {
        assert!(text.contains(&shown), "{what} shown as {shown} is not on the page");
    }
    let charts = svg_count(&o.join("charts"));
    assert!(charts >= 8, "{charts} charts");
    common_checks(&dom, charts);
    for stem in ["power", "time_breakdown", "failures_per_day"] {
        assert!(dom.contains(&format!("id=\"chart-{stem}\"")), "no figure for {stem}");
    }
    assert!(dom.contains("Figure 1.") && dom.contains(&format!("Figure {charts}.")), "every chart has a numbered caption");
    // The model files: their text, with a line of markup shown as text.
    assert!(text.contains("models/scenarios/factory-25k.ron") && text.contains("failure.repair.crews=8"), "provenance");
    assert!(text.contains("</pre><script>alert('x')</script><b>bold?</b>"), "a model file's markup is shown as text");
    assert!(!dom.contains("<b>bold?</b>"), "a model file's markup became markup");
    assert!(text.contains("not a path inside this folder") && !text.contains("root:x:0"), "a copy outside the folder is not read");
    assert!(text.contains("gigasim plot o"), "the command that wrote the page");
    screenshot(&page, &t.join("run.png"));

    // --no-charts: the page says so, and has no chart.
    gigasim(&["run", scenario.to_str().unwrap(), "--horizon-days", "1", "--out", "n", "--no-charts", "-q"], t);
    let dom = dump_dom(&t.join("n/report.html"));
    let text = text_of(&dom);
    assert!(text.contains("Charts were not drawn for this run") && text.contains("--no-charts"), "no note on missing charts");
    common_checks(&dom, 0);
}

#[test]
fn a_sweep_page_renders_its_points_and_charts_in_a_browser() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let text = format!(
        "(name: \"page <test>\", base: \"{}\", set: [\"horizon_days=0.5\"],
          parameters: [
            (path: \"workload.frontier[0].checkpoint.interval_hours\", values: List([0.1, 0.25])),
            (path: \"failure.repair.crews\", values: List([2, 4])),
          ],
          replications: 2, metrics: [\"ettr\", \"power.facility_mean_mw\"])",
        repo("models/scenarios/factory-25k.ron").display()
    );
    std::fs::write(t.join("s.ron"), text).unwrap();
    gigasim(&["sweep", "s.ron", "--out", "sw", "-q", "-j", "2"], t);
    let page = t.join("sw/report.html");
    let dom = dump_dom(&page);
    let body = text_of(&dom);
    for h in ["The sweep", "Results by point", "Charts", "Inputs", "About this page"] {
        assert!(dom.contains(&format!(">{h}</h2>")), "no heading {h}");
    }
    assert!(dom.contains("<h1>Sweep page &lt;test&gt;</h1>"), "the sweep's name, escaped");
    assert!(!body.contains("Model files: not recorded"), "the sweep recorded its files");
    let inputs = &dom[dom.find("id=\"inputs\"").unwrap()..dom.find("id=\"about\"").unwrap()];
    assert!(inputs.contains("s.ron") && inputs.contains("factory-25k.ron"), "the sweep's files are listed");
    // One row per point, with its n and both parameters in their display units.
    let points = std::fs::read_to_string(t.join("sw/points.csv")).unwrap();
    let rows = points.lines().count() - 1;
    assert_eq!(rows, 4);
    let table = &dom[dom.find("id=\"points\"").unwrap()..dom.find("id=\"charts\"").unwrap()];
    assert_eq!(table.matches("<tr>").count(), rows + 1, "a header and one row per point");
    assert!(body.contains("Checkpoint interval (min)") && body.contains("ETTR"), "human labels");
    for row in points.lines().skip(1) {
        let cells: Vec<&str> = row.split(',').collect();
        let minutes = cells[1].parse::<f64>().unwrap() * 60.0;
        assert!(table.contains(&format!(">{}</td>", minutes.round())), "the interval in minutes: {row}");
    }
    let charts = svg_count(&t.join("sw/charts"));
    assert!(charts >= 4, "{charts} sweep charts");
    common_checks(&dom, charts);
    screenshot(&page, &t.join("sweep.png"));

    // A shard's page: no points yet, and it says why.
    gigasim(&["sweep", "s.ron", "--out", "sh", "-q", "--shard", "0/2"], t);
    let dom = dump_dom(&t.join("sh/report.html"));
    assert!(text_of(&dom).contains("this folder is a shard or an unfinished sweep, with 4 runs in runs.csv"), "shard note");
    common_checks(&dom, 0);
}

/// Rebuilding a folder's page (`gigasim plot`, or the library) with the same context
/// gives the same bytes as the run wrote: the page is a function of the folder.
#[test]
fn a_page_is_rebuilt_byte_for_byte_from_its_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("o");
    let scenario = gigasim::config::load_scenario(&gigasim::config::FileSystem, &repo("models/scenarios/factory-25k.ron")).unwrap();
    let mut scenario = gigasim::config::apply_sets(&scenario, &["horizon_days=1".to_string()]).unwrap();
    scenario.seed = 5;
    let report = gigasim::Simulation::new(&scenario).run();
    let ctx = gigasim::page::Context { command: Some("gigasim run x".into()), generated_at: Some("2026-01-01 00:00:00 UTC".into()) };
    let written = gigasim::output::replace_run_with(&report, &dir, true, None, &ctx).unwrap();
    assert!(written.contains(&dir.join("report.html")), "the run lists its page");
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert_eq!(page, gigasim::page::run_page(&dir, Some(&dir.join("charts")), &ctx).unwrap());
    assert!(page.contains("<code>gigasim run x</code>") && page.contains("2026-01-01 00:00:00 UTC"), "the context is shown");
    // The library's replace_run records no command or time.
    gigasim::output::replace_run(&report, &dir, false).unwrap();
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(page.contains("not recorded (written by a program using the gigasim library)"), "library context");
    assert!(!page.contains("<svg"), "no charts drawn, none inlined");
}
