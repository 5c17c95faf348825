//! Property test: for random layer stacks (files, directories, whiteouts,
//! opaque directories, the same path twice), the merged tree after every
//! layer equals a plain reference model that applies each layer to a map.

use std::collections::BTreeMap;
use std::io::Cursor;

use ballast::index::layer::{IndexOptions, LayerIndex, index_layer};
use ballast::index::tree::merge;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    File(String, u8),
    Dir(String),
    Whiteout(String),
    Opaque(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    File(u8),
    Dir,
}

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(vec!["a", "b", "c"]), 1..=3)
        .prop_map(|v| v.join("/"))
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (path(), 0u8..3).prop_map(|(p, c)| Op::File(p, c)),
        2 => path().prop_map(Op::Dir),
        2 => path().prop_map(Op::Whiteout),
        1 => path().prop_map(Op::Opaque),
    ]
}

fn tar_of(ops: &[Op]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for op in ops {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        let (name, data): (String, Vec<u8>) = match op {
            Op::File(p, c) => {
                h.set_entry_type(tar::EntryType::Regular);
                (p.clone(), vec![*c; usize::from(*c) + 1])
            }
            Op::Dir(p) => {
                h.set_entry_type(tar::EntryType::Directory);
                (format!("{p}/"), Vec::new())
            }
            Op::Whiteout(p) => {
                h.set_entry_type(tar::EntryType::Regular);
                let (dir, base) = p.rsplit_once('/').map_or(("", p.as_str()), |(d, b)| (d, b));
                let name = if dir.is_empty() {
                    format!(".wh.{base}")
                } else {
                    format!("{dir}/.wh.{base}")
                };
                (name, Vec::new())
            }
            Op::Opaque(p) => {
                h.set_entry_type(tar::EntryType::Regular);
                (format!("{p}/.wh..wh..opq"), Vec::new())
            }
        };
        h.set_size(data.len() as u64);
        b.append_data(&mut h, name, &data[..]).expect("append");
    }
    b.into_inner().expect("tar")
}

fn remove_under(m: &mut BTreeMap<String, Kind>, p: &str) {
    let prefix = format!("{p}/");
    m.retain(|k, _| !k.starts_with(&prefix));
}

fn ensure_parents(m: &mut BTreeMap<String, Kind>, p: &str) {
    let mut acc = String::new();
    for comp in p.split('/') {
        if !acc.is_empty() {
            acc.push('/');
        }
        acc.push_str(comp);
        if m.get(&acc) != Some(&Kind::Dir) {
            m.insert(acc.clone(), Kind::Dir);
        }
    }
}

/// The reference: whiteouts act on the layers below, then entries apply in
/// order; a file replacing a directory hides what was under it.
fn apply(m: &mut BTreeMap<String, Kind>, ops: &[Op]) {
    let below = m.clone();
    for op in ops {
        match op {
            Op::Whiteout(p) if below.contains_key(p) => {
                m.remove(p);
                remove_under(m, p);
            }
            Op::Opaque(p) if below.get(p) == Some(&Kind::Dir) => remove_under(m, p),
            _ => {}
        }
    }
    for op in ops {
        match op {
            Op::File(p, c) => {
                if let Some((dir, _)) = p.rsplit_once('/') {
                    ensure_parents(m, dir);
                }
                remove_under(m, p);
                m.insert(p.clone(), Kind::File(*c));
            }
            Op::Dir(p) | Op::Opaque(p) => ensure_parents(m, p),
            Op::Whiteout(p) => {
                if let Some((dir, _)) = p.rsplit_once('/') {
                    ensure_parents(m, dir);
                }
            }
        }
    }
}

fn observed(
    layers: &[LayerIndex],
    tree: &ballast::index::tree::MergedTree,
    at: usize,
) -> BTreeMap<String, Kind> {
    let mut out = BTreeMap::new();
    let mut stack = vec![ballast::index::tree::ROOT];
    while let Some(id) = stack.pop() {
        for c in tree.children(id) {
            if let Some(st) = tree.state_at(layers, c, at) {
                let p = String::from_utf8(tree.path(c)).expect("utf-8");
                if st.is_dir() {
                    out.insert(p, Kind::Dir);
                    stack.push(c);
                } else {
                    let e = st.entry.expect("files have entries");
                    out.insert(p, Kind::File(u8::try_from(e.size - 1).expect("small")));
                }
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn merged_tree_matches_the_reference_model(stack in prop::collection::vec(prop::collection::vec(op(), 0..8), 1..5)) {
        let mut layers: Vec<LayerIndex> = stack
            .iter()
            .map(|ops| index_layer(Cursor::new(tar_of(ops)), IndexOptions::default()).expect("index"))
            .collect();
        let tree = merge(&mut layers);
        let mut model = BTreeMap::new();
        for (i, ops) in stack.iter().enumerate() {
            apply(&mut model, ops);
            prop_assert_eq!(&observed(&layers, &tree, i), &model, "after layer {}", i);
        }
    }
}
