//! The pipeline's layering, checked from `cargo metadata`: the image crate
//! knows nothing of analysis or terminals, the analysis crate nothing of
//! terminals, flags or printers. The compiler enforces each crate's own
//! imports; this test keeps the dependency lists from drifting.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;

/// The host's target triple, so metadata needs no other platform's crates.
fn host_triple() -> String {
    let out = Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("run rustc -vV");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV names the host")
        .to_string()
}

/// Normal (non-dev) dependencies of every package, by package name.
fn dependency_graph() -> BTreeMap<String, BTreeSet<String>> {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--offline"])
        .args(["--filter-platform", &host_triple()])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).expect("metadata JSON");
    let name_of: BTreeMap<&str, &str> = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            (
                p["id"].as_str().expect("id"),
                p["name"].as_str().expect("name"),
            )
        })
        .collect();
    let mut graph = BTreeMap::new();
    for node in meta["resolve"]["nodes"].as_array().expect("resolve nodes") {
        let name = name_of[node["id"].as_str().expect("id")].to_string();
        let deps: BTreeSet<String> = node["deps"]
            .as_array()
            .expect("deps")
            .iter()
            .filter(|d| {
                d["dep_kinds"]
                    .as_array()
                    .expect("dep_kinds")
                    .iter()
                    .any(|k| k["kind"].as_str() != Some("dev"))
            })
            .map(|d| name_of[d["pkg"].as_str().expect("pkg")].to_string())
            .collect();
        graph.entry(name).or_insert_with(BTreeSet::new).extend(deps);
    }
    graph
}

fn reachable(graph: &BTreeMap<String, BTreeSet<String>>, from: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![from.to_string()];
    while let Some(p) = todo.pop() {
        for d in graph.get(&p).into_iter().flatten() {
            if seen.insert(d.clone()) {
                todo.push(d.clone());
            }
        }
    }
    seen
}

#[test]
fn crates_depend_one_way_along_the_pipeline() {
    let graph = dependency_graph();
    let ui = ["ratatui", "crossterm", "clap", "indicatif"];
    let image = reachable(&graph, "ballast-image");
    for banned in ["ballast-analysis", "ballast"].iter().chain(&ui) {
        assert!(
            !image.contains(*banned),
            "ballast-image depends on {banned}"
        );
    }
    let analysis = reachable(&graph, "ballast-analysis");
    assert!(
        analysis.contains("ballast-image"),
        "analysis reads the index"
    );
    for banned in ["ballast"].iter().chain(&ui) {
        assert!(
            !analysis.contains(*banned),
            "ballast-analysis depends on {banned}"
        );
    }
    let binary = reachable(&graph, "ballast");
    assert!(binary.contains("ballast-analysis") && binary.contains("ratatui"));
}
