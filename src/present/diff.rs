//! A unified diff of two texts, line by line, with `a/` and `b/` names so
//! `patch -p1` applies it. Small and exact: common ends are trimmed, the
//! middle is aligned by longest common subsequence (or replaced whole when
//! it is too large to align cheaply).

use std::fmt::Write as _;

const CONTEXT: usize = 3;
/// Above this many cells the middle is one replacement.
const MAX_CELLS: usize = 4_000_000;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Op {
    Keep,
    Del,
    Add,
}

/// `old` as `--- a/<name>` (or `/dev/null` when `None`), `new` as
/// `+++ b/<name>`. Empty when the texts are equal.
pub fn unified(name: &str, old: Option<&str>, new: &str) -> String {
    let o: Vec<&str> = old.map_or_else(Vec::new, |t| t.split_inclusive('\n').collect());
    let n: Vec<&str> = new.split_inclusive('\n').collect();
    if o == n {
        return String::new();
    }
    let ops = align(&o, &n);
    let mut out = String::new();
    let from = if old.is_some() {
        format!("a/{name}")
    } else {
        "/dev/null".to_string()
    };
    let _ = writeln!(out, "--- {from}\n+++ b/{name}");
    // Positions of each op in old and new.
    let mut pos = Vec::with_capacity(ops.len());
    let (mut oi, mut ni) = (0, 0);
    for op in &ops {
        pos.push((oi, ni));
        match op {
            Op::Keep => {
                oi += 1;
                ni += 1;
            }
            Op::Del => oi += 1,
            Op::Add => ni += 1,
        }
    }
    let changed: Vec<usize> = (0..ops.len()).filter(|&k| ops[k] != Op::Keep).collect();
    let mut k = 0;
    while k < changed.len() {
        let start = changed[k].saturating_sub(CONTEXT);
        let mut last = changed[k];
        while k + 1 < changed.len() && changed[k + 1] <= last + 2 * CONTEXT + 1 {
            k += 1;
            last = changed[k];
        }
        let end = (last + CONTEXT + 1).min(ops.len());
        let (os, ns) = pos[start];
        let olen = ops[start..end].iter().filter(|o| **o != Op::Add).count();
        let nlen = ops[start..end].iter().filter(|o| **o != Op::Del).count();
        let _ = writeln!(out, "@@ -{} +{} @@", range(os, olen), range(ns, nlen));
        for (op, &(oi, ni)) in ops[start..end].iter().zip(&pos[start..end]) {
            let (mark, line) = match op {
                Op::Keep => (' ', o[oi]),
                Op::Del => ('-', o[oi]),
                Op::Add => ('+', n[ni]),
            };
            out.push(mark);
            out.push_str(line);
            if !line.ends_with('\n') {
                out.push_str("\n\\ No newline at end of file\n");
            }
        }
        k += 1;
    }
    out
}

fn range(start: usize, len: usize) -> String {
    match len {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        _ => format!("{},{len}", start + 1),
    }
}

fn align(o: &[&str], n: &[&str]) -> Vec<Op> {
    let pre = o.iter().zip(n).take_while(|(a, b)| a == b).count();
    let suf = o[pre..]
        .iter()
        .rev()
        .zip(n[pre..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let (om, nm) = (&o[pre..o.len() - suf], &n[pre..n.len() - suf]);
    let mut ops = vec![Op::Keep; pre];
    if om.len().saturating_mul(nm.len()) > MAX_CELLS {
        ops.extend(std::iter::repeat_n(Op::Del, om.len()));
        ops.extend(std::iter::repeat_n(Op::Add, nm.len()));
    } else {
        let mut dp = vec![vec![0u32; nm.len() + 1]; om.len() + 1];
        for i in (0..om.len()).rev() {
            for j in (0..nm.len()).rev() {
                dp[i][j] = if om[i] == nm[j] {
                    dp[i + 1][j + 1] + 1
                } else {
                    dp[i + 1][j].max(dp[i][j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < om.len() || j < nm.len() {
            if i < om.len() && j < nm.len() && om[i] == nm[j] {
                ops.push(Op::Keep);
                i += 1;
                j += 1;
            } else if i < om.len() && (j == nm.len() || dp[i + 1][j] >= dp[i][j + 1]) {
                ops.push(Op::Del);
                i += 1;
            } else {
                ops.push(Op::Add);
                j += 1;
            }
        }
    }
    ops.extend(std::iter::repeat_n(Op::Keep, suf));
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunks_have_context_and_counts() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let new = "a\nb\nc\nD\ne\nf\ng\nh\n";
        assert_eq!(
            unified("F", Some(old), new),
            "--- a/F\n+++ b/F\n@@ -1,7 +1,7 @@\n a\n b\n c\n-d\n+D\n e\n f\n g\n"
        );
        assert_eq!(unified("F", Some(old), old), "");
        assert_eq!(
            unified(".i", None, "x\n"),
            "--- /dev/null\n+++ b/.i\n@@ -0,0 +1 @@\n+x\n"
        );
    }
}
