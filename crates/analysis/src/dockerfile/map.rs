//! Which Dockerfile instruction made which step of the image's history.
//!
//! Builders record a step's text differently: the classic builder writes
//! `/bin/sh -c #(nop)  ENV A=1` and `COPY dir:<hash> in /app/`, buildkit
//! `RUN /bin/sh -c make # buildkit` and `COPY app/ /app/ # buildkit`,
//! buildah the classic spellings plus `/bin/sh -c ["exec", "form"]`. All
//! record `ENV` values expanded and `RUN` commands as written. So each
//! instruction becomes a pattern (whitespace, quotes and brackets ignored;
//! `$VAR` of an `ENV` expanded, of an `ARG` matching anything) and the
//! instructions of the final stage are aligned with the history in order,
//! preferring the latest steps: what precedes them is the base image's, and
//! steps no instruction matches (base image, `ONBUILD` triggers) get no line.

use std::collections::HashMap;

use super::parse::{Dockerfile, Instruction};
use crate::steps::Step;

/// Steps × instructions compared at most (a hostile history or Dockerfile
/// must not cost unbounded time or memory).
const MAX_CELLS: usize = 1_000_000;
/// Texts longer than this are compared literally, without wildcards.
const MAX_GLOB: usize = 4096;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    /// For each history step, the instruction (index into
    /// [`Dockerfile::instructions`]) that made it.
    pub instruction_of_step: Vec<Option<usize>>,
    /// Layer-making instructions (`RUN`, `COPY`, `ADD`) of the final stage
    /// that matched no step.
    pub unmatched: Vec<usize>,
    /// Steps after the first mapped one that no instruction explains.
    pub stray: Vec<usize>,
}

impl Mapping {
    /// Every layer-making instruction of the final stage found its step.
    pub fn complete(&self) -> bool {
        self.unmatched.is_empty()
            && self.stray.is_empty()
            && self.instruction_of_step.iter().any(Option::is_some)
    }
}

pub fn map_history(df: &Dockerfile, steps: &[Step]) -> Mapping {
    let chain = df.final_chain();
    let patterns: Vec<Pattern> = {
        let mut env: HashMap<String, Option<String>> = HashMap::new();
        chain
            .iter()
            .map(|&i| {
                let ins = &df.instructions[i];
                let p = pattern(ins, &env);
                learn(ins, &mut env);
                p
            })
            .collect()
    };
    let subjects: Vec<(String, String)> = steps.iter().map(|s| subject(&s.instruction)).collect();
    let n = subjects.len();
    let m = if n.saturating_mul(patterns.len()) > MAX_CELLS {
        // Too large to align in bounded memory: nothing is mapped.
        0
    } else {
        patterns.len()
    };
    let hits: Vec<bool> = (0..n * m)
        .map(|k| matches(&patterns[k % m], &subjects[k / m]))
        .collect();
    let hit = |i: usize, j: usize| hits[i * m + j];
    // Longest common subsequence over suffixes, so the forward walk below
    // can skip early steps (the base image's) in favour of later ones.
    let mut dp = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            dp[i][j] = if hit(i, j) {
                1 + dp[i + 1][j + 1]
            } else {
                dp[i + 1][j].max(dp[i][j + 1])
            };
        }
    }
    let mut instruction_of_step = vec![None; n];
    let mut matched = vec![false; m];
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        if hit(i, j) && dp[i][j] == 1 + dp[i + 1][j + 1] {
            instruction_of_step[i] = Some(chain[j]);
            matched[j] = true;
            i += 1;
            j += 1;
        } else if dp[i + 1][j] >= dp[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    let unmatched = chain
        .iter()
        .zip(&matched)
        .filter(|&(&k, &hit)| {
            !hit && matches!(df.instructions[k].keyword.as_str(), "RUN" | "COPY" | "ADD")
        })
        .map(|(&k, _)| k)
        .collect();
    let first = instruction_of_step.iter().position(Option::is_some);
    let stray = first.map_or_else(Vec::new, |f| {
        (f..n)
            .filter(|&i| instruction_of_step[i].is_none())
            .collect()
    });
    Mapping {
        instruction_of_step,
        unmatched,
        stray,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    Lit(char),
    Any,
}

struct Pattern {
    keyword: String,
    toks: Vec<Tok>,
    /// `COPY`/`ADD`: the destination, for the classic `dir:<hash> in /dest`.
    dest: Option<Vec<Tok>>,
}

/// Characters that builders add, drop or respell.
fn kept(c: char) -> bool {
    !(c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '[' | ']'))
}

fn norm(s: &str) -> String {
    s.chars().filter(|&c| kept(c)).collect()
}

/// `$NAME` and `${NAME…}`: an `ENV` value known from the Dockerfile is
/// put in, anything else (an `ARG`, a variable of the base image) matches
/// any text.
fn tokens(s: &str, env: &HashMap<String, Option<String>>) -> Vec<Tok> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '$' && i + 1 < chars.len() {
            let (name, next) = if chars[i + 1] == '{' {
                let end = chars[i + 2..]
                    .iter()
                    .position(|&c| c == '}')
                    .map_or(chars.len(), |p| i + 2 + p);
                let inner: String = chars[i + 2..end.min(chars.len())].iter().collect();
                let name = inner
                    .split([':', '-', '+'])
                    .next()
                    .unwrap_or("")
                    .to_string();
                (name, (end + 1).min(chars.len()))
            } else {
                let end = chars[i + 1..]
                    .iter()
                    .position(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
                    .map_or(chars.len(), |p| i + 1 + p);
                (chars[i + 1..end].iter().collect(), end)
            };
            if !name.is_empty() {
                match env.get(&name) {
                    Some(Some(v)) => out.extend(v.chars().filter(|&c| kept(c)).map(Tok::Lit)),
                    _ => out.push(Tok::Any),
                }
                i = next;
                continue;
            }
        }
        if kept(c) {
            out.push(Tok::Lit(c));
        }
        i += 1;
    }
    out
}

fn pattern(ins: &Instruction, env: &HashMap<String, Option<String>>) -> Pattern {
    let keyword = ins.keyword.clone();
    let lead_any = matches!(
        keyword.as_str(),
        "RUN" | "CMD" | "ENTRYPOINT" | "COPY" | "ADD"
    );
    let mut toks = Vec::new();
    if lead_any {
        toks.push(Tok::Any);
    }
    match keyword.as_str() {
        // `RUN` is recorded as written: the shell expands it later.
        "RUN" => {
            let mut text = ins.args.clone();
            for h in &ins.heredocs {
                text.push_str(h);
            }
            toks.extend(norm(&text).chars().map(Tok::Lit));
            if !ins.heredocs.is_empty() {
                // The end marker, recorded by some builders.
                toks.push(Tok::Any);
            }
        }
        "ENV" => toks.extend(tokens(&env_pairs(&ins.args), env)),
        _ => toks.extend(tokens(&ins.args, env)),
    }
    let dest = matches!(keyword.as_str(), "COPY" | "ADD")
        .then(|| last_word(&ins.args).map(|d| tokens(d.trim_end_matches('/'), env)))
        .flatten();
    Pattern {
        keyword,
        toks,
        dest,
    }
}

fn last_word(s: &str) -> Option<&str> {
    if s.trim_start().starts_with('[') {
        // `COPY ["a", "b"]`
        return s
            .trim()
            .trim_end_matches(']')
            .rsplit(',')
            .next()
            .map(|w| w.trim().trim_matches('"'));
    }
    s.split_whitespace().last()
}

/// `ENV A 1` (the old form) as `A=1`, the way builders record it.
fn env_pairs(args: &str) -> String {
    let (first, rest) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
    if first.contains('=') {
        args.to_string()
    } else {
        format!("{first}={}", rest.trim())
    }
}

/// `ENV` values are known from here on; `ARG` values depend on the build.
fn learn(ins: &Instruction, env: &mut HashMap<String, Option<String>>) {
    match ins.keyword.as_str() {
        "ENV" => {
            let pairs = env_pairs(&ins.args);
            for pair in shell_words(&pairs) {
                if let Some((k, v)) = pair.split_once('=') {
                    let expanded: String = if v.contains('$') {
                        // A value built from another variable: unknown.
                        env.insert(k.to_string(), None);
                        continue;
                    } else {
                        v.to_string()
                    };
                    env.insert(k.to_string(), Some(expanded));
                }
            }
        }
        "ARG" => {
            for w in ins.args.split_whitespace() {
                let name = w.split('=').next().unwrap_or(w);
                env.insert(name.to_string(), None);
            }
        }
        _ => {}
    }
}

/// Words with double or single quotes removed (enough for `K="a b"`).
fn shell_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote = None;
    for c in s.chars() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            (_, c) => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A step's keyword and normalized text, from its cleaned instruction.
fn subject(instruction: &str) -> (String, String) {
    let (first, rest) = instruction.split_once(' ').unwrap_or((instruction, ""));
    if first.chars().all(|c| c.is_ascii_uppercase()) && !first.is_empty() {
        (first.to_string(), rest.to_string())
    } else {
        ("RUN".to_string(), instruction.to_string())
    }
}

fn matches(p: &Pattern, (keyword, body): &(String, String)) -> bool {
    if &p.keyword != keyword {
        return false;
    }
    if let Some(dest) = &p.dest
        && let Some((_, d)) = body.rsplit_once(" in ")
    {
        // Classic and buildah: `dir:<hash> in /app/`.
        let d: Vec<char> = norm(d.trim().trim_end_matches('/')).chars().collect();
        return glob(dest, &d);
    }
    let subject: Vec<char> = norm(body).chars().collect();
    glob(&p.toks, &subject)
}

/// `Any` matches any run of characters. A pattern with wildcards only at
/// its ends (every `RUN`) is a substring test, linear; others are globbed
/// only when short.
fn glob(p: &[Tok], s: &[char]) -> bool {
    let lead = p.first() == Some(&Tok::Any);
    let trail = p.len() > 1 && p.last() == Some(&Tok::Any);
    let inner = &p[usize::from(lead)..p.len() - usize::from(trail)];
    if inner.iter().all(|t| *t != Tok::Any) {
        let lit: String = inner
            .iter()
            .map(|t| match t {
                Tok::Lit(c) => *c,
                Tok::Any => '*',
            })
            .collect();
        let text: String = s.iter().collect();
        return match (lead, trail) {
            (false, false) => text == lit,
            (true, false) => text.ends_with(&lit),
            (false, true) => text.starts_with(&lit),
            (true, true) => text.contains(&lit),
        };
    }
    if p.len() > MAX_GLOB || s.len() > MAX_GLOB {
        return false;
    }
    glob_backtracking(p, s)
}

/// Iterative wildcard matching with one backtrack point.
fn glob_backtracking(p: &[Tok], s: &[char]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(Tok::Lit(c)) if *c == s[si] => {
                pi += 1;
                si += 1;
            }
            Some(Tok::Any) => {
                star = Some((pi, si));
                pi += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|t| *t == Tok::Any)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dockerfile::parse;
    use crate::steps::clean_instruction;

    fn steps(created_by: &[&str]) -> Vec<Step> {
        created_by
            .iter()
            .enumerate()
            .map(|(index, c)| Step {
                index,
                created_by: (*c).to_string(),
                instruction: clean_instruction(c),
                empty_layer: false,
                layer_index: None,
            })
            .collect()
    }

    fn lines(df: &Dockerfile, m: &Mapping) -> Vec<Option<usize>> {
        m.instruction_of_step
            .iter()
            .map(|i| i.map(|i| df.instructions[i].line))
            .collect()
    }

    #[test]
    fn classic_nop_history_with_base_steps_and_env_expansion() {
        let df = parse::parse(
            "FROM debian:12\nENV APP=/srv/app\nWORKDIR $APP\nCOPY . $APP/\nRUN pip install \\\n   -r requirements.txt\nCMD python main.py\n",
        );
        let h = steps(&[
            "/bin/sh -c #(nop) ADD file:abc in / ",
            "/bin/sh -c #(nop)  CMD [\"bash\"]",
            "/bin/sh -c #(nop)  ENV APP=/srv/app",
            "/bin/sh -c #(nop) WORKDIR /srv/app",
            "/bin/sh -c #(nop) COPY dir:0123 in /srv/app/ ",
            "/bin/sh -c pip install    -r requirements.txt",
            "/bin/sh -c #(nop)  CMD [\"/bin/sh\" \"-c\" \"python main.py\"]",
        ]);
        let m = map_history(&df, &h);
        assert_eq!(
            lines(&df, &m),
            vec![None, None, Some(2), Some(3), Some(4), Some(5), Some(7)]
        );
        assert!(m.complete());
    }

    #[test]
    fn buildkit_history_with_args_heredoc_and_onbuild_triggers() {
        let df = parse::parse(
            "ARG BASE=python:3.12\nFROM $BASE\nARG VERSION=1.2\nRUN pip install app==$VERSION\nRUN <<EOF\nset -e\nmake\nEOF\nCOPY --chown=1:1 src/ /src/\nUSER 1\n",
        );
        let h = steps(&[
            "/bin/sh -c #(nop) ADD file:abc in / ",
            "RUN /bin/sh -c make onbuild-trigger # buildkit",
            "ARG VERSION=1.2",
            "RUN |1 VERSION=2.0 /bin/sh -c pip install app==$VERSION # buildkit",
            "RUN /bin/sh -c <<EOF\nset -e\nmake\nEOF # buildkit",
            "COPY src/ /src/ # buildkit",
            "USER 1",
        ]);
        let m = map_history(&df, &h);
        assert_eq!(
            lines(&df, &m),
            vec![None, None, Some(3), Some(4), Some(5), Some(9), Some(10)]
        );
        assert!(m.complete());
    }

    #[test]
    fn multi_stage_maps_only_the_final_stage() {
        let df = parse::parse(
            "FROM golang:1.22 AS build\nRUN go build -o /out/app .\nFROM debian:12-slim\nRUN apt-get update\nCOPY --from=build /out/app /usr/local/bin/app\nENTRYPOINT [\"app\"]\n",
        );
        let h = steps(&[
            "/bin/sh -c #(nop) ADD file:deb in / ",
            "RUN /bin/sh -c apt-get update # buildkit",
            "COPY /out/app /usr/local/bin/app # buildkit",
            "ENTRYPOINT [\"app\"]",
        ]);
        let m = map_history(&df, &h);
        assert_eq!(lines(&df, &m), vec![None, Some(4), Some(5), Some(6)]);
        let copy = &df.instructions[m.instruction_of_step[2].unwrap_or(0)];
        assert_eq!(df.stage_named(copy.flag("from").unwrap_or("")), Some(0));
    }

    #[test]
    fn a_dockerfile_of_another_image_does_not_match() {
        let df = parse::parse("FROM x\nRUN make\nCOPY a /a\n");
        let h = steps(&["/bin/sh -c apt-get install -y curl"]);
        let m = map_history(&df, &h);
        assert!(!m.complete());
        assert_eq!(m.unmatched, vec![1, 2]);
    }

    #[test]
    fn glob_handles_stars_and_literals() {
        let p: Vec<Tok> = [Tok::Any, Tok::Lit('a'), Tok::Any, Tok::Lit('b')].to_vec();
        assert!(glob(&p, &['x', 'a', 'y', 'b']));
        assert!(!glob(&p, &['x', 'a', 'y', 'c']));
        assert!(glob(&[Tok::Any], &[]));
        assert!(!glob(&[Tok::Lit('a')], &[]));
        assert!(glob(&[Tok::Lit('a'), Tok::Any], &['a', 'b']));
        assert!(!glob(&[Tok::Any, Tok::Lit('a')], &['a', 'b']));
    }

    #[test]
    fn a_huge_dockerfile_is_not_aligned_and_does_not_hang() {
        let text: String = std::iter::once("FROM x\n".to_string())
            .chain((0..2000).map(|i| format!("RUN echo {i}\n")))
            .collect();
        let df = parse::parse(&text);
        let created: Vec<String> = (0..600).map(|i| format!("/bin/sh -c echo {i}")).collect();
        let refs: Vec<&str> = created.iter().map(String::as_str).collect();
        let m = map_history(&df, &steps(&refs));
        assert!(m.instruction_of_step.iter().all(Option::is_none));
        assert!(!m.complete());
    }
}
