//! Property test: for random layer stacks (files, directories, whiteouts,
//! opaque directories, the same path twice, hard links whose original is
//! later removed, replaced or hidden by an opaque directory), the merged
//! tree after every layer equals a plain reference model that applies each
//! layer to a map. Sizes are checked per inode, as a runtime stores them: a
//! hard link's content counts once, at the first name still present.

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
    /// A hard link: (path, target).
    Link(String, String),
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
        2 => (path(), path()).prop_map(|(p, t)| Op::Link(p, t)),
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
            Op::Link(p, t) => {
                h.set_entry_type(tar::EntryType::Link);
                h.set_link_name(t).expect("link name");
                (p.clone(), Vec::new())
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

/// The reference: a path map, plus which inode each file name is bound to
/// and when the binding was made.
#[derive(Clone, Default)]
struct Model {
    m: BTreeMap<String, Kind>,
    /// name → (inode, order of binding)
    bind: BTreeMap<String, (usize, u64)>,
    inode_size: Vec<u64>,
    seq: u64,
}

impl Model {
    fn sync(&mut self) {
        let m = &self.m;
        self.bind
            .retain(|k, _| matches!(m.get(k), Some(Kind::File(_))));
    }

    /// Sizes as a runtime's disk usage counts them: each inode once, at
    /// its earliest binding still present; directories sum what is below.
    fn sizes(&self) -> BTreeMap<String, u64> {
        let mut carrier: BTreeMap<usize, (u64, &str)> = BTreeMap::new();
        for (name, &(inode, seq)) in &self.bind {
            let c = carrier.entry(inode).or_insert((seq, name));
            if seq < c.0 {
                *c = (seq, name);
            }
        }
        let mut out: BTreeMap<String, u64> = self.m.keys().map(|k| (k.clone(), 0)).collect();
        out.insert(String::new(), 0);
        for (inode, (_, name)) in carrier {
            let size = self.inode_size[inode];
            let mut p = name.to_string();
            loop {
                *out.get_mut(&p).expect("bound names are present") += size;
                if p.is_empty() {
                    break;
                }
                p = p
                    .rsplit_once('/')
                    .map_or(String::new(), |(d, _)| d.to_string());
            }
        }
        out
    }
}

/// Applies one layer to the model: whiteouts act on the layers below, then
/// entries apply in order; a file replacing a directory hides what was
/// under it. Returns the ops kept: a hard link to a path that is not a file
/// at that point is dropped (a runtime refuses it).
fn apply(model: &mut Model, ops: &[Op]) -> Vec<Op> {
    let below = model.m.clone();
    for op in ops {
        match op {
            Op::Whiteout(p) if below.contains_key(p) => {
                model.m.remove(p);
                remove_under(&mut model.m, p);
            }
            Op::Opaque(p) if below.get(p) == Some(&Kind::Dir) => remove_under(&mut model.m, p),
            _ => {}
        }
    }
    model.sync();
    let mut kept = Vec::new();
    for op in ops {
        let m = &mut model.m;
        match op {
            Op::File(p, c) => {
                if let Some((dir, _)) = p.rsplit_once('/') {
                    ensure_parents(m, dir);
                }
                remove_under(m, p);
                m.insert(p.clone(), Kind::File(*c));
                model.inode_size.push(u64::from(*c) + 1);
                model.seq += 1;
                model
                    .bind
                    .insert(p.clone(), (model.inode_size.len() - 1, model.seq));
            }
            Op::Link(p, t) => {
                let related =
                    p == t || p.starts_with(&format!("{t}/")) || t.starts_with(&format!("{p}/"));
                let Some(&Kind::File(c)) = m.get(t).filter(|_| !related) else {
                    continue;
                };
                let inode = model.bind[t].0;
                if let Some((dir, _)) = p.rsplit_once('/') {
                    ensure_parents(m, dir);
                }
                remove_under(m, p);
                m.insert(p.clone(), Kind::File(c));
                model.seq += 1;
                model.bind.insert(p.clone(), (inode, model.seq));
            }
            Op::Dir(p) | Op::Opaque(p) => ensure_parents(m, p),
            Op::Whiteout(p) => {
                if let Some((dir, _)) = p.rsplit_once('/') {
                    ensure_parents(m, dir);
                }
            }
        }
        model.sync();
        kept.push(op.clone());
    }
    kept
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
                    let mut e = st.entry.expect("files have entries");
                    if e.kind == ballast::index::layer::EntryKind::Hardlink {
                        let ei = st.version.entry_index().expect("an entry");
                        let (l, f) = tree
                            .link_inode(st.version.layer as usize, ei)
                            .expect("every kept link names a file");
                        e = &layers[l].entries[f];
                    }
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
        let mut filter = Model::default();
        let stack: Vec<Vec<Op>> = stack.iter().map(|ops| apply(&mut filter, ops)).collect();
        let mut layers: Vec<LayerIndex> = stack
            .iter()
            .map(|ops| index_layer(Cursor::new(tar_of(ops)), IndexOptions::default()).expect("index"))
            .collect();
        let tree = merge(&mut layers);
        let mut model = Model::default();
        for (i, ops) in stack.iter().enumerate() {
            apply(&mut model, ops);
            prop_assert_eq!(&observed(&layers, &tree, i), &model.m, "after layer {}", i);
            let sizes = tree.sizes_at(&layers, i);
            let mut seen: BTreeMap<String, u64> = model
                .m
                .keys()
                .map(|k| (k.clone(), sizes[tree.lookup(k.as_bytes()).expect("present") as usize]))
                .collect();
            seen.insert(String::new(), sizes[0]);
            prop_assert_eq!(seen, model.sizes(), "sizes after layer {}", i);
        }
    }
}
