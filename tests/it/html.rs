//! `--html` opened in headless Debian `chromium` over the DevTools protocol
//! (`cdp`): it renders with no console error and no network request, the
//! treemap adds up to the report, clicks zoom, search finds paths, hover
//! explains a tile; folded small files keep every byte. `--ncdu` opened in
//! Debian's `ncdu` under tmux shows the report's totals.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::cdp::Browser;
use crate::util::{ballast, sample, stderr};

fn url(p: &Path) -> String {
    format!("file://{}", p.display())
}

/// Runs ballast on `image` writing the JSON report and the page; returns
/// (report, page path).
fn page_of(image: &Path, dir: &Path) -> (Value, PathBuf) {
    let json = dir.join("report.json");
    let html = dir.join("page.html");
    let o = ballast(&[
        image.to_str().expect("utf-8"),
        "--json",
        json.to_str().expect("utf-8"),
        "--html",
        html.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report = serde_json::from_slice(&std::fs::read(&json).expect("report")).expect("json");
    (report, html)
}

fn browser() -> Option<Browser> {
    match Browser::start(1280, 900) {
        Ok(b) => Some(b),
        Err(e) => {
            eprintln!("SKIPPED: chromium cannot start: {e}");
            None
        }
    }
}

/// Sum of `data-bytes` over the tiles matching `selector`.
fn tile_sum(b: &mut Browser, selector: &str) -> u64 {
    let v = b.eval(&format!(
        "[...document.querySelectorAll('{selector}')].reduce((s, r) => s + Number(r.dataset.bytes), 0)"
    ));
    v.as_f64().expect("number") as u64
}

fn assert_clean(b: &Browser, page: &Path) {
    let errors = b.errors();
    assert!(errors.is_empty(), "console errors: {errors:?}");
    let requests = b.requests();
    assert_eq!(
        requests,
        vec![url(page)],
        "the page requested more than itself"
    );
}

#[test]
fn html_report_renders_offline_adds_up_zooms_and_searches() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (report, page) = page_of(&sample("ml-mistakes.docker.tar"), dir.path());
    let Some(mut b) = browser() else { return };
    b.open(&url(&page)).expect("load");
    assert!(
        b.wait_true(
            "document.body.dataset.ready === '1'",
            Duration::from_secs(30)
        ),
        "the page never finished drawing"
    );

    // Every tile names its path and bytes; the zoomed-out view's own tiles
    // are the whole final tree.
    let untagged = b.eval(
        "[...document.querySelectorAll('#treemap rect')].filter(r => !r.dataset.path || r.dataset.bytes === undefined).length",
    );
    assert_eq!(untagged, 0);
    let final_size = report["image"]["final_size_bytes"].as_u64().expect("size");
    assert!(final_size > 0);
    assert_eq!(
        tile_sum(&mut b, "#treemap rect[data-depth=\"1\"]"),
        final_size
    );
    let header = b.eval("document.getElementById('stats').textContent");
    assert!(
        header.as_str().expect("text").contains("reclaimable"),
        "{header}"
    );
    let steps = b.eval("document.querySelectorAll('#step-chart g.step-bar').length");
    let layered = report["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| !s["layer_index"].is_null())
        .count();
    assert_eq!(steps, layered);
    let findings = b.eval("document.querySelectorAll('#findings tr.finding').length");
    assert_eq!(
        findings,
        report["findings"].as_array().expect("findings").len()
    );

    // A click on the largest top-level directory zooms into it.
    let target = b.eval(
        "(() => { const r = [...document.querySelectorAll('#treemap rect.dir[data-depth=\"1\"]')]
            .sort((a, b) => b.dataset.bytes - a.dataset.bytes)[0];
          const q = r.getBoundingClientRect();
          return {path: r.dataset.path, bytes: Number(r.dataset.bytes), x: q.left + 4, y: q.top + 6}; })()",
    );
    let dir_path = target["path"].as_str().expect("path").to_string();
    b.click(
        target["x"].as_f64().expect("x"),
        target["y"].as_f64().expect("y"),
    );
    assert!(
        b.wait_true(
            &format!(
                "[...document.querySelectorAll('#crumbs a')].pop().dataset.path === {}",
                serde_json::to_string(&dir_path).expect("json")
            ),
            Duration::from_secs(20)
        ),
        "clicking {dir_path} did not zoom into it"
    );
    let outside = b.eval(&format!(
        "[...document.querySelectorAll('#treemap rect[data-depth=\"1\"]')].filter(r => !r.dataset.path.startsWith({})).length",
        serde_json::to_string(&format!("{dir_path}/")).expect("json")
    ));
    assert_eq!(outside, 0, "tiles outside {dir_path} after zooming");
    let children = b.eval("document.querySelectorAll('#treemap rect[data-depth=\"1\"]').length");
    assert!(children.as_u64().expect("count") > 0);
    assert_eq!(
        tile_sum(&mut b, "#treemap rect[data-depth=\"1\"]"),
        target["bytes"].as_u64().expect("bytes")
    );

    // Hovering a tile explains it.
    let tile = b.eval(
        "(() => { const r = [...document.querySelectorAll('#treemap rect.tile:not(.frame)')]
            .sort((a, b) => b.dataset.bytes - a.dataset.bytes)[0];
          const q = r.getBoundingClientRect();
          return {path: r.dataset.path, x: q.left + q.width / 2, y: q.top + q.height / 2}; })()",
    );
    b.hover(
        tile["x"].as_f64().expect("x"),
        tile["y"].as_f64().expect("y"),
    );
    assert!(b.wait_true(
        &format!(
            "!document.getElementById('tip').hidden && document.getElementById('tip').textContent.includes({})",
            serde_json::to_string(tile["path"].as_str().expect("path")).expect("json")
        ),
        Duration::from_secs(20)
    ));

    // The breadcrumb's root goes back up; search finds a file by name.
    b.eval("document.querySelector('#crumbs a').click()");
    assert_eq!(
        tile_sum(&mut b, "#treemap rect[data-depth=\"1\"]"),
        final_size
    );
    b.eval("document.getElementById('search').focus()");
    b.type_text("safetensors");
    assert!(
        b.wait_true(
            "[...document.querySelectorAll('#search-results li')].some(l => l.dataset.path === '/models/model.safetensors')",
            Duration::from_secs(20)
        ),
        "search did not list /models/model.safetensors"
    );
    let hit = b.eval("document.querySelectorAll('#treemap rect.hit').length");
    assert!(hit.as_u64().expect("count") > 0, "no tile highlighted");

    // Each colouring draws.
    for mode in ["package", "manager", "category", "step"] {
        b.eval(&format!(
            "(() => {{ const s = document.getElementById('color-by'); s.value = '{mode}'; s.dispatchEvent(new Event('change')); }})()"
        ));
        let legend = b.eval("document.querySelectorAll('#legend span').length");
        assert!(legend.as_u64().expect("count") > 0, "{mode}: no legend");
    }
    assert_clean(&b, &page);
}

/// A page whose small files are folded still adds up, byte for byte, and
/// its "N small files" tiles say how many files they hold.
#[test]
fn folded_small_files_keep_every_byte() {
    use ballast::present::html::data::{self, DIR, SMALL};
    let a = ballast::run_pipeline(
        &ballast::archive::Input::parse(sample("ml-mistakes.docker.tar").to_str().expect("utf-8")),
        &ballast::Options::default(),
    )
    .expect("analyze");
    let budget = 30;
    let d = data::image_page_with_budget(&a.report, &a.image, &a.packages, budget);
    let t = &d.tree;
    assert!(t.name.len() <= budget, "{} nodes", t.name.len());
    assert!(t.folded_files > 0 && t.small_below > 0);
    assert_eq!(t.bytes[0], a.report.image.final_size_bytes);
    assert_eq!(t.files[0], a.report.image.file_count);
    let mut sums = vec![(0u64, 0u64); t.name.len()];
    for i in 1..t.name.len() {
        let p = t.parent[i] as usize;
        assert!(p < i, "parent after child");
        sums[p].0 += t.bytes[i];
        sums[p].1 += t.files[i];
    }
    for (i, sum) in sums.iter().enumerate() {
        if t.kind[i] == DIR {
            assert_eq!(*sum, (t.bytes[i], t.files[i]), "node {i} {}", t.name[i]);
        }
    }
    assert!(t.kind.contains(&SMALL));
    // Every finding's files still point at a node.
    for f in &d.findings {
        assert!(f.nodes.iter().all(|&n| (n as usize) < t.name.len()));
    }

    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("folded.html");
    let mut out = Vec::new();
    ballast::present::html::write(&d, &mut out).expect("write");
    std::fs::write(&page, out).expect("write page");
    let Some(mut b) = browser() else { return };
    b.open(&url(&page)).expect("load");
    assert!(b.wait_true(
        "document.body.dataset.ready === '1'",
        Duration::from_secs(30)
    ));
    assert_eq!(
        tile_sum(&mut b, "#treemap rect[data-depth=\"1\"]"),
        a.report.image.final_size_bytes
    );
    let small = b.eval("[...document.querySelectorAll('#treemap rect.small')].every(r => Number(r.dataset.files) > 0)");
    assert_eq!(small, true);
    assert_clean(&b, &page);
}

/// What ncdu shows at the bottom of its screen: (disk usage, apparent
/// size, items) as printed, e.g. ("1.2 MiB", "1.2 MiB", "42").
fn ncdu_status(screen: &str) -> Option<(String, String, u64)> {
    let line = screen.lines().find(|l| l.contains("Total disk usage:"))?;
    let after = |key: &str| -> Option<String> {
        let rest = &line[line.find(key)? + key.len()..];
        let v: String = rest.trim_start().split("  ").next()?.trim().to_string();
        Some(v)
    };
    let items = after("Items:")?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()?;
    Some((after("Total disk usage:")?, after("Apparent size:")?, items))
}

/// ncdu's own rounding of a byte count (binary units, one decimal).
fn ncdu_human(bytes: u64) -> (f64, &'static str) {
    let b = bytes as f64;
    if b < 1000.0 {
        (b, "B")
    } else if b < 1023e3 {
        (b / 1024.0, "KiB")
    } else if b < 1023e6 {
        (b / 1_048_576.0, "MiB")
    } else {
        (b / 1_073_741_824.0, "GiB")
    }
}

fn same_size(shown: &str, bytes: u64) -> bool {
    let mut parts = shown.split_whitespace();
    let (Some(v), Some(unit)) = (parts.next(), parts.next()) else {
        return false;
    };
    let Ok(v) = v.parse::<f64>() else {
        return false;
    };
    let (want, want_unit) = ncdu_human(bytes);
    unit == want_unit && (v - want).abs() <= 0.051
}

struct Tmux(String);

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.0, "kill-server"])
            .status();
    }
}

#[test]
fn ncdu_opens_the_export_with_the_reports_totals() {
    let dir = tempfile::tempdir().expect("tempdir");
    let export = dir.path().join("tree.ncdu.json");
    let json = dir.path().join("report.json");
    let o = ballast(&[
        sample("ml-mistakes.docker.tar").to_str().expect("utf-8"),
        "--ncdu",
        export.to_str().expect("utf-8"),
        "--json",
        json.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report: Value = serde_json::from_slice(&std::fs::read(&json).expect("read")).expect("json");
    let final_size = report["image"]["final_size_bytes"].as_u64().expect("size");

    // The export is ncdu's format: [1, 2, {metadata}, [root, children…]].
    let doc: Value = serde_json::from_slice(&std::fs::read(&export).expect("read")).expect("json");
    assert_eq!((doc[0].as_u64(), doc[1].as_u64()), (Some(1), Some(2)));
    assert_eq!(doc[3][0]["name"], "/");
    fn walk(v: &Value, items: &mut u64) -> u64 {
        match v {
            Value::Array(a) => a[1..]
                .iter()
                .map(|c| {
                    *items += 1;
                    walk(c, items)
                })
                .sum(),
            _ => v["asize"].as_u64().unwrap_or(0),
        }
    }
    let mut items = 0;
    assert_eq!(walk(&doc[3], &mut items), final_size);

    if Command::new("ncdu").arg("-v").output().is_err()
        || Command::new("tmux").arg("-V").output().is_err()
    {
        eprintln!("SKIPPED: ncdu or tmux is not installed (Debian packages ncdu, tmux)");
        return;
    }
    let socket = format!("ballast-ncdu-{}", std::process::id());
    let _server = Tmux(socket.clone());
    let started = Command::new("tmux")
        .args(["-L", &socket, "new-session", "-d", "-x", "120", "-y", "40"])
        .arg(format!("ncdu -f '{}'", export.display()))
        .status()
        .expect("tmux");
    assert!(started.success());
    let capture = || {
        let o = Command::new("tmux")
            .args(["-L", &socket, "capture-pane", "-p"])
            .output()
            .expect("capture");
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let mut screen = String::new();
    for _ in 0..100 {
        screen = capture();
        if ncdu_status(&screen).is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let (disk, apparent, shown_items) =
        ncdu_status(&screen).unwrap_or_else(|| panic!("no ncdu status line:\n{screen}"));
    assert!(
        same_size(&disk, final_size),
        "disk usage {disk} vs {final_size}:\n{screen}"
    );
    assert!(
        same_size(&apparent, final_size),
        "apparent {apparent} vs {final_size}:\n{screen}"
    );
    assert_eq!(shown_items, items, "{screen}");

    // The item info window gives the largest top-level directory's exact
    // bytes: the report's largest directory.
    let largest = &report["largest_directories"][0];
    let _ = Command::new("tmux")
        .args(["-L", &socket, "send-keys", "i"])
        .status();
    let want = largest["size_bytes"].as_u64().expect("bytes");
    let name = largest["path"]
        .as_str()
        .expect("path")
        .trim_start_matches('/');
    let mut ok = false;
    for _ in 0..50 {
        screen = capture();
        let exact: Vec<u64> = screen
            .lines()
            .filter(|l| l.contains("Apparent size:") && l.contains('('))
            .filter_map(|l| {
                let inner = &l[l.find('(')? + 1..l.find(" B)")?];
                inner
                    .chars()
                    .filter(char::is_ascii_digit)
                    .collect::<String>()
                    .parse()
                    .ok()
            })
            .collect();
        if screen.contains(&format!("Name: {name}")) && exact.contains(&want) {
            ok = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        ok,
        "ncdu's item info does not show {name} with {want} bytes:\n{screen}"
    );
}

/// The growth page from the clean sample to the ML one (the lead wires it
/// to `ballast diff … --html`): every tile says how its path changed, as
/// the two final trees say, and the tiles add up to both images' sizes.
#[test]
fn diff_page_marks_added_grown_and_removed_paths() {
    use ballast::present::html::data::{self, Side};
    let load = |name: &str| {
        ballast::run_pipeline(
            &ballast::archive::Input::parse(sample(name).to_str().expect("utf-8")),
            &ballast::Options::default(),
        )
        .expect("analyze")
    };
    let (old, new) = (load("clean.docker.tar"), load("ml-mistakes.docker.tar"));
    fn side(a: &ballast::Analysis) -> Side<'_> {
        Side {
            report: &a.report,
            image: &a.image,
            packages: &a.packages,
        }
    }
    let d = data::diff_page(side(&old), side(&new));
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("diff.html");
    let mut out = Vec::new();
    ballast::present::html::write(&d, &mut out).expect("write");
    std::fs::write(&page, out).expect("write page");

    let Some(mut b) = browser() else { return };
    b.open(&url(&page)).expect("load");
    assert!(b.wait_true(
        "document.body.dataset.ready === '1'",
        Duration::from_secs(30)
    ));
    let top = "#treemap rect[data-depth=\"1\"]";
    assert_eq!(tile_sum(&mut b, top), new.report.image.final_size_bytes);
    let old_sum = b.eval(&format!(
        "[...document.querySelectorAll('{top}')].reduce((s, r) => s + Number(r.dataset.oldBytes), 0)"
    ));
    assert_eq!(
        old_sum.as_f64().expect("number") as u64,
        old.report.image.final_size_bytes
    );

    // Every drawn tile's change agrees with the two trees.
    let size_in = |a: &ballast::Analysis, path: &str| -> Option<u64> {
        let rel = path.trim_start_matches('/').as_bytes();
        let id = a.image.tree.lookup(rel)?;
        let last = a.image.layers.len() - 1;
        a.image.tree.state_at(&a.image.layers, id, last)?;
        Some(a.image.tree.sizes_at(&a.image.layers, last)[id as usize])
    };
    let tiles = b.eval(
        "[...document.querySelectorAll('#treemap rect.tile[data-i]:not(.small)')].map(r => [r.dataset.path, r.dataset.change])",
    );
    let tiles = tiles.as_array().expect("tiles");
    assert!(tiles.len() > 10, "{tiles:?}");
    let mut seen = std::collections::BTreeSet::new();
    for t in tiles {
        let (path, change) = (t[0].as_str().expect("path"), t[1].as_str().expect("change"));
        let want = match (size_in(&old, path), size_in(&new, path)) {
            (None, Some(_)) => "added",
            (Some(_), None) => "removed",
            (Some(o), Some(n)) if n > o => "grown",
            (Some(o), Some(n)) if n < o => "shrunk",
            (Some(_), Some(_)) => continue, // unchanged or rewritten: same size
            (None, None) => panic!("{path} is in neither image"),
        };
        assert_eq!(change, want, "{path}");
        seen.insert(want);
    }
    assert!(seen.contains("added") && seen.contains("grown"), "{seen:?}");
    let added = b.eval("document.querySelector('#treemap rect[data-path=\"/models/model.safetensors\"]').dataset.change");
    assert_eq!(added, "added");
    assert_clean(&b, &page);
}

#[test]
fn html_and_ncdu_go_to_stdout_alone_and_bad_paths_fail_cleanly() {
    let image = sample("clean.docker.tar");
    let image = image.to_str().expect("utf-8");
    let o = ballast(&[image, "--html", "-"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = String::from_utf8(o.stdout).expect("utf-8");
    assert!(page.starts_with("<!DOCTYPE html>") && page.trim_end().ends_with("</html>"));
    let o = ballast(&[image, "--ncdu", "-"]);
    let doc: Value = serde_json::from_slice(&o.stdout).expect("stdout is only the export");
    assert_eq!(doc[0], 1);

    let o = ballast(&[image, "--json", "-", "--html", "-"]);
    crate::util::assert_clean_failure(&o, "--html", "stdout");
    let o = ballast(&[image, "--html", "/nonexistent-dir/page.html"]);
    crate::util::assert_clean_failure(&o, "/nonexistent-dir/page.html", "no such file");
}
