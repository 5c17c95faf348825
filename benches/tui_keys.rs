//! Keypress-to-frame time of the terminal UI on a 300k-file image.
//!
//!     CARGO_TARGET_DIR=/work/target-tui cargo bench --bench tui_keys
//!     BALLAST_BENCH_FILES=100000 cargo bench --bench tui_keys   # other sizes
//!
//! Writes a docker-archive with that many files (cached next to the build,
//! so later runs skip it), loads it, then drives the real app the way a
//! user would: each key is handled and a full 160×48 frame drawn (into
//! ratatui's `TestBackend`, which diffs like a terminal backend), and the
//! time of each is recorded. Keys that are meant to cost a pass over the
//! tree (typing a filter, opening everything) are reported apart.
//!
//! To show that a frame does no work proportional to the tree, the same
//! frame is drawn on a tenth of the image too: the times should match.
//!
//! Exits 1 when the median navigation keypress takes 16 ms or more.

#![allow(clippy::unwrap_used)] // a test may panic on what it did not expect

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sha2::{Digest, Sha256};

use ballast::archive::Input;
use ballast::present::tui::{App, Model, Theme, widgets};

const FRAME_BUDGET: Duration = Duration::from_millis(16);

fn main() {
    let files: usize = std::env::var("BALLAST_BENCH_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300_000);
    let big = archive(files);
    let small = archive(files / 10);

    let (model, load_time) = timed(|| load(&big));
    let nodes = model.tree().node_count();
    println!(
        "image: {files} files, {nodes} tree nodes, {} layers; loaded and analyzed in {:.1} s",
        model.layers().len(),
        load_time.as_secs_f64()
    );
    let mut app = App::new(model, Theme::colored());
    app.resize(160, 48);
    let mut term = Terminal::new(TestBackend::new(160, 48)).expect("terminal");
    draw(&mut term, &app);

    let mut nav = Vec::new();
    let mut bulk = Vec::new();
    let mut slowest: Vec<(Duration, String)> = Vec::new();
    let mut press =
        |app: &mut App, term: &mut Terminal<TestBackend>, ev: Event, into: &mut Vec<Duration>| {
            let before = format!("{:?}/{:?}", app.focus(), app.selected_step());
            let ((), t) = timed(|| {
                app.handle(&ev);
                draw(term, app);
            });
            into.push(t);
            if let Event::Key(k) = &ev {
                slowest.push((t, format!("{:?} in {before}", k.code)));
            }
        };

    for _round in 0..3 {
        // Steps: walk every step up and down (each one re-sizes the tree).
        for _ in 0..6 {
            press(&mut app, &mut term, key(KeyCode::Up), &mut nav);
        }
        for _ in 0..6 {
            press(&mut app, &mut term, key(KeyCode::Down), &mut nav);
        }
        // The tree: move, open and close directories, page, sort, views.
        press(&mut app, &mut term, key(KeyCode::Tab), &mut nav);
        for _ in 0..40 {
            press(&mut app, &mut term, key(KeyCode::Char(' ')), &mut nav);
            press(&mut app, &mut term, key(KeyCode::Right), &mut nav);
            press(&mut app, &mut term, key(KeyCode::Down), &mut nav);
        }
        for code in [
            KeyCode::PageDown,
            KeyCode::PageDown,
            KeyCode::End,
            KeyCode::PageUp,
            KeyCode::Home,
        ] {
            press(&mut app, &mut term, key(code), &mut nav);
        }
        for c in [
            's', 's', 'a', 'j', 'j', 'a', 'w', 'j', 'w', 'b', 'b', 'u', 'u',
        ] {
            press(&mut app, &mut term, key(KeyCode::Char(c)), &mut nav);
        }
        for _ in 0..30 {
            press(&mut app, &mut term, key(KeyCode::Up), &mut nav);
        }
        // Findings: move and jump.
        press(&mut app, &mut term, key(KeyCode::Tab), &mut nav);
        for _ in 0..3 {
            press(&mut app, &mut term, key(KeyCode::Down), &mut nav);
            press(&mut app, &mut term, key(KeyCode::Enter), &mut nav);
            press(&mut app, &mut term, key(KeyCode::Tab), &mut nav);
        }
        press(&mut app, &mut term, key(KeyCode::Tab), &mut nav);
        press(&mut app, &mut term, key(KeyCode::Tab), &mut nav);

        // Meant to cost a pass over the paths: typing a filter, clearing it.
        press(&mut app, &mut term, key(KeyCode::Char('/')), &mut nav);
        for c in "shard_01".chars() {
            press(&mut app, &mut term, key(KeyCode::Char(c)), &mut bulk);
        }
        press(&mut app, &mut term, key(KeyCode::Enter), &mut nav);
        for _ in 0..20 {
            press(&mut app, &mut term, key(KeyCode::Down), &mut nav);
        }
        press(&mut app, &mut term, key(KeyCode::Char('/')), &mut nav);
        press(&mut app, &mut term, ctrl('u'), &mut bulk);
        press(&mut app, &mut term, key(KeyCode::Enter), &mut nav);
        // Opening every directory of the image, and closing them again.
        press(&mut app, &mut term, key(KeyCode::Home), &mut nav);
        press(&mut app, &mut term, ctrl(' '), &mut bulk);
        for code in [
            KeyCode::PageDown,
            KeyCode::PageDown,
            KeyCode::End,
            KeyCode::Up,
            KeyCode::Home,
        ] {
            press(&mut app, &mut term, key(code), &mut nav);
        }
        press(&mut app, &mut term, ctrl(' '), &mut bulk);
        press(&mut app, &mut term, key(KeyCode::BackTab), &mut nav);
    }

    if std::env::var_os("BALLAST_BENCH_VERBOSE").is_some() {
        slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
        for (t, what) in slowest.iter().take(25) {
            println!("  {:>7.2} ms  {what}", ms(*t));
        }
    }
    report("navigation keys (steps, tree, views, findings)", &mut nav);
    report("whole-tree keys (filter typing, open/close all)", &mut bulk);

    // A frame alone, on the full image and on a tenth of it.
    let frame_big = frame_times(&mut app, &mut term);
    let mut small_app = App::new(load(&small), Theme::colored());
    small_app.resize(160, 48);
    let frame_small = frame_times(&mut small_app, &mut term);
    println!(
        "a frame alone (no key): median {:.3} ms on {} nodes, {:.3} ms on {} nodes",
        ms(median(&frame_big)),
        nodes,
        ms(median(&frame_small)),
        small_app.model().tree().node_count()
    );

    let m = median(&nav);
    if m >= FRAME_BUDGET {
        println!("FAIL: median navigation keypress {:.2} ms >= 16 ms", ms(m));
        std::process::exit(1);
    }
    println!("ok: median navigation keypress {:.2} ms < 16 ms", ms(m));
}

fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ctrl(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn draw(term: &mut Terminal<TestBackend>, app: &App) {
    term.draw(|f| widgets::draw(f, &app.props())).expect("draw");
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let out = f();
    (out, t.elapsed())
}

fn frame_times(app: &mut App, term: &mut Terminal<TestBackend>) -> Vec<Duration> {
    // Open a few directories so the frame is full of rows.
    app.handle(&key(KeyCode::Tab));
    for _ in 0..10 {
        app.handle(&key(KeyCode::Right));
        app.handle(&key(KeyCode::Down));
    }
    (0..200)
        .map(|_| {
            // Force a full redraw: a blank frame first, then the real one.
            term.clear().expect("clear");
            timed(|| draw(term, app)).1
        })
        .collect()
}

fn median(v: &[Duration]) -> Duration {
    let mut s = v.to_vec();
    s.sort();
    s.get(s.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn report(what: &str, v: &mut [Duration]) {
    v.sort();
    let pct = |p: usize| {
        v.get((v.len() * p / 100).min(v.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!(
        "{what}: {} presses, median {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        v.len(),
        ms(pct(50)),
        ms(pct(95)),
        ms(v.last().copied().unwrap_or_default())
    );
}

fn load(path: &Path) -> Model {
    Model::load(
        &Input::Path(path.to_path_buf()),
        &ballast::Options::default(),
    )
    .expect("bench image loads")
}

// --- the synthetic image ---

/// The archive for `files` files, written once and kept in the build dir.
fn archive(files: usize) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("bench-images");
    let dir =
        std::env::var_os("CARGO_TARGET_DIR").map_or(dir, |t| PathBuf::from(t).join("bench-images"));
    std::fs::create_dir_all(&dir).expect("bench dir");
    let path = dir.join(format!("tui-{files}.docker.tar"));
    if !path.exists() {
        let ((), t) = timed(|| write_archive(&path, files));
        println!("wrote {} in {:.1} s", path.display(), t.as_secs_f64());
    }
    path
}

/// A small deterministic generator, so sizes vary but runs compare.
fn size_of(i: usize) -> usize {
    let h = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
    if i.is_multiple_of(997) {
        16 * 1024 + (h as usize % 4096)
    } else {
        16 + (h as usize % 480)
    }
}

fn content(i: usize, size: usize) -> Vec<u8> {
    let seed = (i as u64).to_le_bytes();
    (0..size).map(|k| seed[k % 8] ^ (k as u8)).collect()
}

struct LayerTar {
    builder: tar::Builder<Vec<u8>>,
}

impl LayerTar {
    fn new() -> LayerTar {
        LayerTar {
            builder: tar::Builder::new(Vec::new()),
        }
    }
    fn file(&mut self, path: &str, i: usize, mode: u32) {
        let size = size_of(i);
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(size as u64);
        h.set_mode(mode);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(1_700_000_000);
        self.builder
            .append_data(&mut h, path, content(i, size).as_slice())
            .expect("tar entry");
    }
    fn empty(&mut self, path: &str) {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(0);
        h.set_mode(0o644);
        h.set_mtime(1_700_000_000);
        self.builder
            .append_data(&mut h, path, &[][..])
            .expect("tar entry");
    }
    fn finish(self) -> Vec<u8> {
        self.builder.into_inner().expect("tar end")
    }
}

/// Four layers: a package tree (half the files), a data set in shards (a
/// third), a step that chmods, deletes and leaves a pip cache, and one
/// directory with a great many files in it.
fn write_archive(path: &Path, files: usize) {
    let base = files / 2;
    let data = files / 3;
    let changed = files / 30;
    let cache = files / 20;
    let flat = files.saturating_sub(base + data + cache).max(1);
    let mut layers: Vec<(String, Vec<u8>)> = Vec::new();

    let mut l0 = LayerTar::new();
    for i in 0..base {
        l0.file(&pkg_path(i), i, 0o644);
    }
    layers.push(("RUN pip install -r requirements.txt".into(), l0.finish()));

    let mut l1 = LayerTar::new();
    for i in 0..data {
        l1.file(
            &format!("data/shard_{:03}/part_{:05}.bin", i / 1000, i % 1000),
            base + i,
            0o644,
        );
    }
    layers.push(("COPY data/ /data/".into(), l1.finish()));

    let mut l2 = LayerTar::new();
    for i in 0..changed {
        // Same content, new mode: a metadata-only copy.
        l2.file(&pkg_path(i * 7), i * 7, 0o600);
    }
    for i in 0..changed / 2 {
        let p = pkg_path(i * 11 + 3);
        let (dir, name) = p.rsplit_once('/').unwrap_or(("", &p));
        l2.empty(&format!("{dir}/.wh.{name}"));
    }
    for i in 0..cache {
        l2.file(
            &format!(
                "root/.cache/pip/http-v2/{:x}/{:x}/{i:08x}.body",
                i % 16,
                (i / 16) % 16
            ),
            files + i,
            0o644,
        );
    }
    layers.push((
        "RUN chmod -R go-rwx /usr/lib && pip install extra".into(),
        l2.finish(),
    ));

    let mut l3 = LayerTar::new();
    for i in 0..flat {
        l3.file(&format!("var/spool/flat/item_{i:07}"), 2 * files + i, 0o644);
    }
    layers.push(("COPY spool/ /var/spool/".into(), l3.finish()));

    let diff_ids: Vec<String> = layers
        .iter()
        .map(|(_, bytes)| {
            format!(
                "sha256:{}",
                ballast::index::layer::hex(&Sha256::digest(bytes))
            )
        })
        .collect();
    let history: Vec<serde_json::Value> = layers
        .iter()
        .map(|(step, _)| serde_json::json!({ "created_by": format!("/bin/sh -c {step}") }))
        .collect();
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {},
        "rootfs": { "type": "layers", "diff_ids": diff_ids },
        "history": history,
    });
    let layer_names: Vec<String> = (0..layers.len())
        .map(|i| format!("layer{i}/layer.tar"))
        .collect();
    let manifest = serde_json::json!([{
        "Config": "config.json",
        "RepoTags": [format!("bench:{files}")],
        "Layers": layer_names,
    }]);

    let tmp = path.with_extension("partial");
    let out = BufWriter::new(File::create(&tmp).expect("create archive"));
    let mut outer = tar::Builder::new(out);
    let mut add = |name: &str, bytes: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_700_000_000);
        outer
            .append_data(&mut h, name, bytes)
            .expect("archive entry");
    };
    for (name, (_, bytes)) in layer_names.iter().zip(&layers) {
        add(name, bytes);
    }
    add("config.json", config.to_string().as_bytes());
    add("manifest.json", manifest.to_string().as_bytes());
    let mut out = outer.into_inner().expect("archive end");
    out.flush().expect("flush");
    drop(out);
    std::fs::rename(&tmp, path).expect("rename archive");
}

fn pkg_path(i: usize) -> String {
    format!(
        "usr/lib/python3.11/site-packages/pkg{:04}/mod{}/file_{:02}.py",
        i / 100,
        (i / 10) % 10,
        i % 10
    )
}
