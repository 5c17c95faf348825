//! A Dockerfile parser that keeps what the mapping and the patch writer
//! need: each instruction's keyword, flags, arguments and line range.
//!
//! Follows the reference syntax: parser directives (`# escape=`, `# syntax=`)
//! only before anything else; comment lines, also inside a continuation;
//! the escape character (`\` or `` ` ``) at the end of a line continues it;
//! heredocs (`RUN <<EOF` … `EOF`, also `<<-EOF` and quoted markers) belong
//! to their instruction; `FROM … AS name` starts a named stage.

/// One instruction, continuation lines joined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instruction {
    /// Upper-case: `RUN`, `COPY`, `FROM` …
    pub keyword: String,
    /// `--from=build`, `--chown=1000:1000` … as written, in order.
    pub flags: Vec<String>,
    /// The arguments after the flags, continuation lines joined with a
    /// space, comment lines dropped.
    pub args: String,
    /// Heredoc bodies, in order, each without its end marker.
    pub heredocs: Vec<String>,
    /// 1-based first and last line, heredocs included.
    pub line: usize,
    pub end_line: usize,
    /// Index into [`Dockerfile::stages`]; instructions before the first
    /// `FROM` (global `ARG`s) have none.
    pub stage: Option<usize>,
}

impl Instruction {
    /// The value of `--name=value`, if the flag is present.
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags.iter().find_map(|f| {
            f.strip_prefix("--")
                .and_then(|f| f.strip_prefix(name))
                .and_then(|f| f.strip_prefix('='))
        })
    }

    /// `RUN ["a", "b"]`: the exec (JSON) form.
    pub fn is_exec_form(&self) -> bool {
        self.args.trim_start().starts_with('[')
    }
}

/// `FROM image [AS name]` and what follows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stage {
    pub name: Option<String>,
    /// The image (or earlier stage) as written after `FROM` and its flags.
    pub base: String,
    /// The earlier stage `base` names, if it names one.
    pub parent: Option<usize>,
    /// Index of the `FROM` instruction.
    pub from: usize,
    /// Indexes of the stage's instructions after `FROM`.
    pub instructions: std::ops::Range<usize>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dockerfile {
    /// Parser directives, lower-case name and value.
    pub directives: Vec<(String, String)>,
    pub escape: char,
    pub instructions: Vec<Instruction>,
    pub stages: Vec<Stage>,
}

impl Dockerfile {
    /// The stage a build produces by default: the last one.
    pub fn final_stage(&self) -> Option<&Stage> {
        self.stages.last()
    }

    /// The instructions of the final stage preceded by those of the earlier
    /// stages it is built `FROM`, in build order (their `FROM`s excluded).
    pub fn final_chain(&self) -> Vec<usize> {
        let mut chain = Vec::new();
        let mut at = self.stages.len().checked_sub(1);
        let mut seen = 0;
        while let Some(s) = at {
            let stage = &self.stages[s];
            chain.splice(0..0, stage.instructions.clone());
            at = stage.parent;
            seen += 1;
            if seen > self.stages.len() {
                break;
            }
        }
        chain
    }

    /// The stage called `name` (or with that index) as `COPY --from`
    /// names it.
    pub fn stage_named(&self, name: &str) -> Option<usize> {
        self.stages
            .iter()
            .position(|s| {
                s.name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
            .or_else(|| {
                name.parse::<usize>()
                    .ok()
                    .filter(|&i| i < self.stages.len())
            })
    }
}

/// Parses a Dockerfile. Never fails: a line that is no instruction is kept
/// as one with its first word as keyword, so line numbers stay right.
pub fn parse(text: &str) -> Dockerfile {
    let lines: Vec<&str> = text.lines().collect();
    let mut df = Dockerfile {
        escape: '\\',
        ..Dockerfile::default()
    };
    let mut i = 0;
    // Parser directives: `# name=value` lines before anything else.
    while i < lines.len() {
        let Some(d) = directive(lines[i]) else { break };
        if d.0 == "escape" && (d.1 == "`" || d.1 == "\\") {
            df.escape = d.1.chars().next().unwrap_or('\\');
        }
        df.directives.push(d);
        i += 1;
    }
    while i < lines.len() {
        let trimmed = lines[i].trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            i += 1;
            continue;
        }
        let start = i;
        let mut logical = String::new();
        loop {
            let line = lines[i];
            let t = line.trim_end();
            if let Some(body) = t.strip_suffix(df.escape) {
                logical.push_str(body);
                logical.push(' ');
                i += 1;
                // Comment and empty lines inside a continuation are skipped.
                while i < lines.len() {
                    let n = lines[i].trim();
                    if n.starts_with('#') || n.is_empty() {
                        i += 1;
                    } else {
                        break;
                    }
                }
                if i >= lines.len() {
                    break;
                }
            } else {
                logical.push_str(t);
                i += 1;
                break;
            }
        }
        let mut end = i;
        let (keyword, rest) = split_word(logical.trim());
        let keyword = keyword.to_ascii_uppercase();
        let (flags, args) = split_flags(rest);
        let mut heredocs = Vec::new();
        if matches!(keyword.as_str(), "RUN" | "COPY" | "ADD") {
            for (marker, strip_tabs) in heredoc_markers(&args) {
                let mut body = String::new();
                while end < lines.len() {
                    let l = lines[end];
                    end += 1;
                    let cmp = if strip_tabs {
                        l.trim_start_matches('\t')
                    } else {
                        l
                    };
                    if cmp == marker {
                        break;
                    }
                    body.push_str(cmp);
                    body.push('\n');
                }
                heredocs.push(body);
            }
        }
        i = end;
        df.instructions.push(Instruction {
            keyword,
            flags,
            args,
            heredocs,
            line: start + 1,
            end_line: end,
            stage: None,
        });
    }
    assign_stages(&mut df);
    df
}

fn assign_stages(df: &mut Dockerfile) {
    for idx in 0..df.instructions.len() {
        if df.instructions[idx].keyword == "FROM" {
            if let Some(last) = df.stages.last_mut() {
                last.instructions.end = idx;
            }
            let ins = &df.instructions[idx];
            let words: Vec<&str> = ins.args.split_whitespace().collect();
            let base = words.first().copied().unwrap_or("").to_string();
            let name = match words.as_slice() {
                [_, as_, name, ..] if as_.eq_ignore_ascii_case("as") => Some((*name).to_string()),
                _ => None,
            };
            let parent = df.stages.iter().position(|s| {
                s.name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(&base))
            });
            df.stages.push(Stage {
                name,
                base,
                parent,
                from: idx,
                instructions: idx + 1..df.instructions.len(),
            });
        }
        if let Some(s) = df.stages.len().checked_sub(1) {
            df.instructions[idx].stage = Some(s);
        }
    }
}

/// `# escape=\``: a parser directive, lower-cased name.
fn directive(line: &str) -> Option<(String, String)> {
    let rest = line.trim().strip_prefix('#')?;
    let (name, value) = rest.split_once('=')?;
    let name = name.trim();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    Some((name.to_ascii_lowercase(), value.trim().to_string()))
}

fn split_word(s: &str) -> (&str, &str) {
    match s.split_once(char::is_whitespace) {
        Some((w, rest)) => (w, rest.trim_start()),
        None => (s, ""),
    }
}

/// Leading `--name[=value]` flags, then the rest.
fn split_flags(mut s: &str) -> (Vec<String>, String) {
    let mut flags = Vec::new();
    while s.starts_with("--") {
        let (flag, rest) = split_word(s);
        flags.push(flag.to_string());
        s = rest;
    }
    (flags, s.trim().to_string())
}

/// `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'` in an instruction's arguments,
/// in order; `true` when tabs before the end marker are stripped.
pub fn heredoc_markers(args: &str) -> Vec<(String, bool)> {
    if args.trim_start().starts_with('[') {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut rest = args;
    while let Some(at) = rest.find("<<") {
        let mut after = &rest[at + 2..];
        let strip = after.starts_with('-');
        if strip {
            after = &after[1..];
        }
        let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'');
        if let Some(q) = quote {
            after = &after[1..];
            let end = after.find(q).unwrap_or(after.len());
            if end > 0 {
                out.push((after[..end].to_string(), strip));
            }
            rest = &after[end..];
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if end > 0 {
                out.push((after[..end].to_string(), strip));
            }
            rest = &after[end..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuations_comments_and_line_ranges() {
        let df = parse(
            "# syntax=docker/dockerfile:1\n\
             FROM debian:12 AS base\n\
             # a comment\n\
             RUN apt-get update && \\\n\
             # inside\n\
             \x20   apt-get install -y curl\n\
             \n\
             COPY --chown=1:1 a b\n",
        );
        assert_eq!(
            df.directives,
            vec![("syntax".into(), "docker/dockerfile:1".into())]
        );
        let run = &df.instructions[1];
        assert_eq!(run.keyword, "RUN");
        assert_eq!((run.line, run.end_line), (4, 6));
        assert_eq!(
            run.args.split_whitespace().collect::<Vec<_>>().join(" "),
            "apt-get update && apt-get install -y curl"
        );
        let copy = &df.instructions[2];
        assert_eq!((copy.line, copy.end_line), (8, 8));
        assert_eq!(copy.flag("chown"), Some("1:1"));
        assert_eq!(copy.args, "a b");
        assert_eq!(df.stages[0].name.as_deref(), Some("base"));
    }

    #[test]
    fn escape_directive_changes_the_continuation_character() {
        let df = parse("# escape=`\nFROM x\nRUN dir c:\\ `\n  /s\nCMD a\n");
        assert_eq!(df.escape, '`');
        assert_eq!(
            (df.instructions[1].line, df.instructions[1].end_line),
            (3, 4)
        );
        assert_eq!(df.instructions[2].line, 5);
    }

    #[test]
    fn a_directive_after_a_comment_is_a_comment() {
        let df = parse("# hello\n# escape=`\nFROM x\nRUN a \\\n b\n");
        assert!(df.directives.is_empty());
        assert_eq!(df.escape, '\\');
        assert_eq!(df.instructions[1].end_line, 5);
    }

    #[test]
    fn heredocs_belong_to_their_instruction() {
        let df = parse(
            "FROM x\nRUN <<EOF\napt-get update\napt-get install -y a\nEOF\nCOPY <<-\"END\" /f\n\thello\n\tEND\nUSER 1\n",
        );
        let run = &df.instructions[1];
        assert_eq!((run.line, run.end_line), (2, 5));
        assert_eq!(run.heredocs, vec!["apt-get update\napt-get install -y a\n"]);
        let copy = &df.instructions[2];
        assert_eq!((copy.line, copy.end_line), (6, 8));
        assert_eq!(copy.heredocs, vec!["hello\n"]);
        assert_eq!(df.instructions[3].line, 9);
    }

    #[test]
    fn stages_chain_through_named_bases() {
        let df = parse(
            "ARG V=1\nFROM python:3.12 AS build\nRUN pip wheel .\nFROM build AS test\nRUN pytest\nFROM debian:12\nCOPY --from=build /w /w\n",
        );
        assert_eq!(df.instructions[0].stage, None);
        assert_eq!(df.stages.len(), 3);
        assert_eq!(df.stages[1].parent, Some(0));
        assert_eq!(df.final_chain(), vec![6]);
        assert_eq!(df.stage_named("BUILD"), Some(0));
        assert_eq!(df.instructions[6].flag("from"), Some("build"));
        let df2 = parse("FROM a AS one\nRUN x\nFROM one\nRUN y\n");
        assert_eq!(df2.final_chain(), vec![1, 3]);
    }
}
