//! `ballast fix`: the findings of a report turned into edits of the
//! Dockerfile that made the image, written as a unified diff.
//!
//! Pure: the report, the Dockerfile's text and the `.dockerignore` beside
//! it (if any) go in; a [`Plan`] comes out. Only edits whose effect the
//! findings establish are made, each preceded by a `# ballast:` comment
//! naming the finding and what it saves; what cannot be changed safely
//! (an exec-form or heredoc `RUN`, a symbolic chmod, an unknown tag) is
//! listed in [`Plan::manual`], never guessed.

use std::collections::BTreeMap;

use crate::analyze::dockerfile::{Dockerfile, parse};
use crate::analyze::findings::Finding;
use crate::analyze::packages::PackageInfo;
use crate::analyze::report::{Report, StepInfo};
use crate::analyze::units::human;

/// The edits for one Dockerfile (and its `.dockerignore`).
#[derive(Debug, Default)]
pub struct Plan {
    /// The Dockerfile's new text (equal to the old when nothing changes).
    pub dockerfile: String,
    /// The `.dockerignore`'s new text, when entries are added.
    pub dockerignore: Option<String>,
    /// Changes a person has to make: one line each.
    pub manual: Vec<String>,
    /// What the edits promise to save, each finding once, by step index.
    pub promised: BTreeMap<usize, u64>,
}

/// One instruction's new text, built up by the fix kinds.
#[derive(Clone, Default)]
struct Change {
    text: Option<String>,
    deleted: bool,
    comments: Vec<String>,
}

struct Ctx<'a> {
    df: Dockerfile,
    lines: Vec<&'a str>,
    /// Instruction index of each step, from the report's mapping.
    ins_of_step: BTreeMap<usize, usize>,
    changes: BTreeMap<usize, Change>,
    manual: Vec<String>,
    promised: BTreeMap<usize, u64>,
    path: String,
}

impl Ctx<'_> {
    fn raw(&self, i: usize) -> String {
        let ins = &self.df.instructions[i];
        self.lines[ins.line - 1..ins.end_line].join("\n")
    }
    fn current(&self, i: usize) -> String {
        self.changes
            .get(&i)
            .and_then(|c| c.text.clone())
            .unwrap_or_else(|| self.raw(i))
    }
    fn set(&mut self, i: usize, text: String) {
        self.changes.entry(i).or_default().text = Some(text);
    }
    fn comment(&mut self, i: usize, f: &Finding, what: &str) {
        let note = format!(
            "# ballast: {} ({}): {what}, saves {} ({} bytes)",
            f.rule,
            f.category,
            human(f.bytes),
            f.bytes
        );
        self.changes.entry(i).or_default().comments.push(note);
        if let Some(s) = f.step_index {
            *self.promised.entry(s).or_default() += f.bytes;
        }
    }
    fn at(&self, i: usize) -> String {
        format!("{}:{}", self.path, self.df.instructions[i].line)
    }
    /// A shell-form, heredoc-free RUN: one we can append to.
    fn editable_run(&mut self, i: usize, f: &Finding) -> bool {
        let ins = &self.df.instructions[i];
        if ins.keyword != "RUN" {
            return false;
        }
        if ins.is_exec_form() || !ins.heredocs.is_empty() {
            self.manual.push(format!(
                "{}: {} ({}): an exec-form or heredoc RUN is not rewritten; apply the fix by hand: {}",
                self.at(i),
                f.rule,
                human(f.bytes),
                f.suggestion
            ));
            return false;
        }
        true
    }
}

/// What the planner reads of a report.
#[derive(Clone, Copy)]
pub struct Inputs<'a> {
    pub findings: &'a [Finding],
    /// With their Dockerfile lines mapped.
    pub steps: &'a [StepInfo],
    pub packages: &'a [PackageInfo],
}

impl<'a> From<&'a Report> for Inputs<'a> {
    fn from(r: &'a Report) -> Self {
        Inputs {
            findings: &r.findings,
            steps: &r.steps,
            packages: &r.packages.list,
        }
    }
}

/// Plans the edits. `path` names the Dockerfile in messages.
pub fn plan(report: Inputs<'_>, path: &str, text: &str, dockerignore: Option<&str>) -> Plan {
    let df = parse(text);
    let ins_of_step = report
        .steps
        .iter()
        .filter_map(|s| {
            let d = s.dockerfile.as_ref()?;
            let i = df.instructions.iter().position(|ins| ins.line == d.line)?;
            Some((s.index, i))
        })
        .collect();
    let mut cx = Ctx {
        df,
        lines: text.lines().collect(),
        ins_of_step,
        changes: BTreeMap::new(),
        manual: Vec::new(),
        promised: BTreeMap::new(),
        path: path.to_string(),
    };
    let mut ignore: Vec<(String, String)> = Vec::new();
    let mut apt_done = false;
    let mut tooling_done = false;
    for f in report.findings {
        let Some(i) = f.step_index.and_then(|s| cx.ins_of_step.get(&s).copied()) else {
            if f.bytes > 0 && f.step_index.is_some() {
                cx.manual.push(format!(
                    "step {}: {} ({}): the step maps to no line of {path} (a base-image step?): {}",
                    f.step_index.unwrap_or(0),
                    f.rule,
                    human(f.bytes),
                    f.suggestion
                ));
            }
            continue;
        };
        match f.rule.as_str() {
            "pip-cache" if cx.df.instructions[i].is_exec_form() => {
                // Nothing to add a flag to: pip reads the same setting
                // from its environment.
                let t = cx.current(i);
                cx.set(i, format!("ENV PIP_NO_CACHE_DIR=1\n{t}"));
                cx.comment(
                    i,
                    f,
                    "ENV PIP_NO_CACHE_DIR=1 before the exec-form pip install",
                );
            }
            "pip-cache" => {
                if cx.editable_run(i, f) {
                    let t = cx.current(i);
                    let new =
                        add_flag_after(&t, &["pip install", "pip3 install"], "--no-cache-dir");
                    if new == t {
                        cx.manual.push(format!("{}: pip-cache: no `pip install` to add --no-cache-dir to; set ENV PIP_NO_CACHE_DIR=1", cx.at(i)));
                    } else {
                        cx.set(i, new);
                        cx.comment(i, f, "pip install --no-cache-dir");
                    }
                }
            }
            "apk-cache" => {
                if cx.editable_run(i, f) {
                    let t = cx.current(i);
                    let new = add_flag_after(&t, &["apk add"], "--no-cache");
                    if new != t {
                        cx.set(i, new);
                        cx.comment(i, f, "apk add --no-cache");
                    }
                }
            }
            "conda-pkgs" | "npm-cache" | "uv-cache" => {
                let (needle, clean) = match f.rule.as_str() {
                    "conda-pkgs" => ("conda clean", "conda clean -afy"),
                    "npm-cache" => ("npm cache clean", "npm cache clean --force"),
                    _ => ("uv cache clean", "uv cache clean"),
                };
                if cx.editable_run(i, f) {
                    let t = cx.current(i);
                    if !t.contains(needle) {
                        cx.set(i, append_command(&t, clean));
                        cx.comment(i, f, clean);
                    }
                }
            }
            "apt-lists" | "apt-archives" => {
                if cx.editable_run(i, f) {
                    if !apt_done {
                        fix_apt(&mut cx, i);
                        apt_done = true;
                    }
                    cx.comment(i, f, "apt-get update, install and clean-up in one RUN");
                }
            }
            "deleted-later" => fold_rm(&mut cx, i, f),
            "metadata-copy" => chown_to_copy(&mut cx, i, f),
            // `**/`: the files may come from a subdirectory of the context.
            "git-directory" => ignore.push(("**/.git".into(), note(f))),
            "copied-venv" => {
                for p in f.paths.iter().take(1) {
                    let name = venv_dir(&p.display());
                    ignore.push((format!("**/{name}"), note(f)));
                }
            }
            "python-dev-junk" => {
                for e in ["__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache"] {
                    ignore.push((format!("**/{e}"), note(f)));
                }
            }
            "build-toolchain" | "compilers" | "build-systems" | "headers" | "static-libraries"
            | "cuda-devel" => {
                if !tooling_done {
                    tooling_done = true;
                    build_stage_skeleton(&mut cx, i, f, report);
                }
            }
            "unpinned-install" => pin(&mut cx, i, f, report),
            _ => {
                if f.bytes > 0 {
                    cx.manual.push(format!(
                        "{}: {} ({}): {}",
                        cx.at(i),
                        f.rule,
                        human(f.bytes),
                        f.suggestion
                    ));
                }
            }
        }
    }
    reproducibility_checks(&mut cx);
    let dockerignore = ignore_file(dockerignore, &ignore);
    let new_text = render(&cx, text);
    Plan {
        dockerfile: new_text,
        dockerignore,
        manual: cx.manual,
        promised: cx.promised,
    }
}

fn note(f: &Finding) -> String {
    format!(
        "# ballast: {} ({}): saves {} ({} bytes)",
        f.rule,
        f.category,
        human(f.bytes),
        f.bytes
    )
}

/// `/app/.venv/lib/…` → `.venv`.
fn venv_dir(path: &str) -> String {
    path.split('/')
        .find(|c| c.contains("venv") || *c == "env")
        .unwrap_or(".venv")
        .to_string()
}

/// `pip install x` → `pip install --no-cache-dir x`, every occurrence.
fn add_flag_after(text: &str, commands: &[&str], flag: &str) -> String {
    let mut out = text.to_string();
    for c in commands {
        let with = format!("{c} {flag}");
        if out.contains(&with) {
            continue;
        }
        let mut result = String::new();
        let mut rest = out.as_str();
        while let Some(at) = rest.find(c) {
            let end = at + c.len();
            let boundary = rest[end..].chars().next().is_none_or(char::is_whitespace);
            result.push_str(&rest[..end]);
            if boundary {
                result.push(' ');
                result.push_str(flag);
            }
            rest = &rest[end..];
        }
        result.push_str(rest);
        out = result;
    }
    out
}

/// Appends `&& cmd` to a shell-form RUN's last line.
fn append_command(text: &str, cmd: &str) -> String {
    format!("{} && {cmd}", text.trim_end())
}

/// Every apt-get RUN of the final stage: `update` in the same RUN,
/// `--no-install-recommends`, and the lists and archives removed at its end.
fn fix_apt(cx: &mut Ctx, first: usize) {
    let chain = cx.df.final_chain();
    for &i in chain.iter().filter(|&&i| i >= first) {
        let ins = &cx.df.instructions[i];
        if ins.keyword != "RUN" || !ins.args.contains("apt-get install") {
            continue;
        }
        if ins.is_exec_form() || !ins.heredocs.is_empty() {
            let at = cx.at(i);
            cx.manual.push(format!(
                "{at}: apt-get in an exec-form or heredoc RUN: add `&& rm -rf /var/lib/apt/lists/*` by hand"
            ));
            continue;
        }
        let mut t = cx.current(i);
        if !t.contains("apt-get update") {
            t = t.replacen("apt-get install", "apt-get update && apt-get install", 1);
        }
        t = add_flag_after(&t, &["apt-get install"], "--no-install-recommends");
        if !t.contains("/var/lib/apt/lists") {
            t = append_command(
                &t,
                "rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb",
            );
        }
        cx.set(i, t);
    }
}

/// `RUN curl -o /tmp/x …` then `RUN rm -f /tmp/x`: the rm joins the first
/// RUN and the later one goes, when it does nothing else.
fn fold_rm(cx: &mut Ctx, i: usize, f: &Finding) {
    if !cx.editable_run(i, f) {
        return;
    }
    let paths: Vec<String> = f
        .paths
        .iter()
        .map(crate::analyze::report::PathBytes::display)
        .collect();
    let chain = cx.df.final_chain();
    let later = chain.iter().copied().filter(|&j| j > i).find(|&j| {
        let ins = &cx.df.instructions[j];
        ins.keyword == "RUN" && paths.iter().any(|p| ins.args.contains(p.as_str()))
    });
    let Some(j) = later else {
        let at = cx.at(i);
        cx.manual.push(format!(
            "{at}: deleted-later ({}): no later RUN names {}; remove the files in this RUN",
            human(f.bytes),
            paths.join(" ")
        ));
        return;
    };
    let ins = &cx.df.instructions[j];
    let only_rm = ins.args.trim_start().starts_with("rm ")
        && !ins.args.contains("&&")
        && !ins.args.contains(';')
        && !ins.args.contains('|')
        && ins.heredocs.is_empty();
    if !only_rm {
        let at = cx.at(j);
        cx.manual.push(format!(
            "{at}: deleted-later ({}): this RUN does more than remove {}; move the removal into {} by hand",
            human(f.bytes),
            paths.join(" "),
            cx.at(i)
        ));
        return;
    }
    let rm = ins.args.split_whitespace().collect::<Vec<_>>().join(" ");
    let t = cx.current(i);
    cx.set(i, append_command(&t, &rm));
    let line = cx.df.instructions[j].line;
    cx.comment(i, f, &format!("the `{rm}` of line {line} folded in"));
    cx.changes.entry(j).or_default().deleted = true;
}

/// `COPY app/ /app/` then `RUN chown -R 1000:1000 /app`: `--chown` on the
/// COPY, and the RUN goes.
fn chown_to_copy(cx: &mut Ctx, i: usize, f: &Finding) {
    let ins = cx.df.instructions[i].clone();
    let words: Vec<&str> = ins.args.split_whitespace().collect();
    let (flag, value, dir) = match words.as_slice() {
        ["chown", "-R", owner, dir] => ("chown", (*owner).to_string(), *dir),
        ["chmod", "-R", mode, dir] if mode.chars().all(|c| c.is_ascii_digit()) => {
            ("chmod", (*mode).to_string(), *dir)
        }
        _ => {
            let at = cx.at(i);
            cx.manual.push(format!(
                "{at}: metadata-copy ({}): not a plain `chown -R OWNER DIR` or `chmod -R OCTAL DIR`; set --chown/--chmod on the COPY by hand",
                human(f.bytes)
            ));
            return;
        }
    };
    let dir = dir.trim_end_matches('/');
    let chain = cx.df.final_chain();
    let copies: Vec<usize> = chain
        .iter()
        .copied()
        .filter(|&j| j < i)
        .filter(|&j| {
            let c = &cx.df.instructions[j];
            matches!(c.keyword.as_str(), "COPY" | "ADD")
                && !c.is_exec_form()
                && c.args
                    .split_whitespace()
                    .last()
                    .is_some_and(|d| d.trim_end_matches('/') == dir)
        })
        .collect();
    // Only when the files the RUN changes all came from one COPY.
    let [j] = copies.as_slice() else {
        let at = cx.at(i);
        cx.manual.push(format!(
            "{at}: metadata-copy ({}): {} copies into {dir} (need exactly one); set --{flag} by hand",
            human(f.bytes),
            copies.len()
        ));
        return;
    };
    let j = *j;
    if cx.df.instructions[j].flag(flag).is_some() {
        return;
    }
    let t = cx.current(j);
    let kw = &cx.df.instructions[j].keyword;
    let at = t.find(kw.as_str()).map_or(0, |p| p + kw.len());
    let new = format!("{} --{flag}={value}{}", &t[..at], &t[at..]);
    cx.set(j, new);
    let line = cx.df.instructions[i].line;
    cx.comment(
        j,
        f,
        &format!("--{flag} here replaces `RUN {flag} -R` of line {line}"),
    );
    cx.changes.entry(i).or_default().deleted = true;
}

/// A toolchain left in the runtime image: a commented build-stage
/// skeleton, for review (what to copy out cannot be known from here).
fn build_stage_skeleton(cx: &mut Ctx, i: usize, f: &Finding, report: Inputs<'_>) {
    let bytes: u64 = report
        .findings
        .iter()
        .filter(|g| g.category == "build-tooling")
        .map(|g| g.bytes)
        .sum();
    let base = cx
        .df
        .final_stage()
        .map_or("IMAGE".to_string(), |s| s.base.clone());
    let ch = cx.changes.entry(i).or_default();
    ch.comments.push(format!(
        "# ballast: {} ({}): NEEDS REVIEW: a toolchain stays in the runtime image; build in a stage of its own, saves up to {} ({bytes} bytes):",
        f.rule,
        f.category,
        human(bytes)
    ));
    for l in [
        format!("#   FROM {base} AS build"),
        "#   RUN <this install> && <your build>".to_string(),
        format!("#   FROM {base}"),
        "#   COPY --from=build <built artifacts> <destination>".to_string(),
    ] {
        ch.comments.push(l);
    }
    let at = cx.at(i);
    cx.manual.push(format!(
        "{at}: build-tooling ({}): move the toolchain to a build stage (skeleton added as a comment, needs review)",
        human(bytes)
    ));
}

/// `pip install x` → `pip install x==1.2` with the versions found in the
/// image, for the packages this step installed.
fn pin(cx: &mut Ctx, i: usize, f: &Finding, report: Inputs<'_>) {
    let Some(step) = f.step_index else { return };
    if !cx.editable_run(i, f) {
        return;
    }
    let found: Vec<(&str, &str, &str)> = report
        .packages
        .iter()
        .filter(|p| p.step_index == Some(step))
        .map(|p| (p.manager.name(), p.name.as_str(), p.version.as_str()))
        .collect();
    let t = cx.current(i);
    let mut pinned = Vec::new();
    let mut missing = Vec::new();
    let mut out = String::new();
    let mut installer: Option<&str> = None;
    // Word by word, keeping the whitespace between words.
    let mut rest = t.as_str();
    let mut prev = "";
    while !rest.is_empty() {
        let ws = rest.len() - rest.trim_start().len();
        out.push_str(&rest[..ws]);
        rest = &rest[ws..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let word = &rest[..end];
        rest = &rest[end..];
        if matches!(word, "&&" | "||" | ";" | "|" | "\\") {
            installer = None;
        }
        let mut replaced = None;
        if let Some(mgr) = installer
            && !word.starts_with('-')
            && !word.contains(['=', '<', '>', '/', '$', '.'])
        {
            let (sep, managers): (&str, &[&str]) = match mgr {
                "pip" => ("==", &["pip"]),
                "apt-get" => ("=", &["dpkg"]),
                _ => ("=", &["conda"]),
            };
            let hit = found.iter().find(|(m, n, _)| {
                managers.contains(m)
                    && (n.eq_ignore_ascii_case(word)
                        || n.replace('_', "-")
                            .eq_ignore_ascii_case(&word.replace('_', "-")))
            });
            match hit {
                Some((_, _, v)) => {
                    replaced = Some(format!("{word}{sep}{v}"));
                    pinned.push(format!("{word}{sep}{v}"));
                }
                None => missing.push(word.to_string()),
            }
        }
        out.push_str(replaced.as_deref().unwrap_or(word));
        if word == "install" {
            installer = match prev {
                "pip" | "pip3" => Some("pip"),
                "apt-get" | "apt" => Some("apt-get"),
                "conda" | "mamba" | "micromamba" => Some("conda"),
                _ => None,
            };
        }
        prev = word;
    }
    if !pinned.is_empty() {
        cx.set(i, out);
        let line = format!(
            "# ballast: unpinned-install (reproducibility): pinned to the versions in the image: {}",
            pinned.join(" ")
        );
        cx.changes.entry(i).or_default().comments.push(line);
    }
    if !missing.is_empty() {
        let at = cx.at(i);
        cx.manual.push(format!(
            "{at}: unpinned-install: no version found in the image for {}; pin by hand",
            missing.join(" ")
        ));
    }
}

/// `FROM x:latest`, `ADD https://…` without `--checksum`, `COPY . …`
/// before an install: listed, since the right value is not in the image.
fn reproducibility_checks(cx: &mut Ctx) {
    let mut copy_dot = Vec::new();
    let names: Vec<String> = cx.df.stages.iter().filter_map(|s| s.name.clone()).collect();
    for (i, ins) in cx.df.instructions.iter().enumerate() {
        let at = format!("{}:{}", cx.path, ins.line);
        match ins.keyword.as_str() {
            "FROM" => {
                let base = ins.args.split_whitespace().next().unwrap_or("");
                let is_stage = names.iter().any(|n| n.eq_ignore_ascii_case(base));
                let tag = base.rsplit('/').next().unwrap_or(base).split_once(':');
                if !is_stage && base != "scratch" && !base.contains('@') && !base.contains('$') {
                    match tag {
                        None => cx.manual.push(format!(
                            "{at}: FROM {base} has no tag: pin a tag (or a digest, `{base}@sha256:…`)"
                        )),
                        Some((_, "latest")) => cx.manual.push(format!(
                            "{at}: FROM {base}: `latest` moves; pin a version tag or a digest"
                        )),
                        _ => {}
                    }
                }
            }
            "ADD" if ins.args.contains("://") && ins.flag("checksum").is_none() => {
                cx.manual.push(format!(
                    "{at}: ADD of a URL without --checksum=sha256:…: the download can change under the same Dockerfile"
                ));
            }
            "COPY" if ins.args.split_whitespace().next() == Some(".") => copy_dot.push(i),
            _ => {}
        }
    }
    for i in copy_dot {
        copy_after_install(cx, i);
    }
}

/// `COPY . /app/` then `RUN pip install -r requirements.txt`: the
/// requirements file first, the install, then `COPY .`, so a source change
/// no longer reinstalls. Only when the next instruction is that install
/// and reads nothing but the requirements (or `package*.json` for
/// `npm ci`); otherwise listed.
fn copy_after_install(cx: &mut Ctx, i: usize) {
    let at = cx.at(i);
    let ins = &cx.df.instructions[i];
    let words: Vec<&str> = ins.args.split_whitespace().collect();
    let next = cx.df.instructions.get(i + 1);
    let install = next.filter(|n| n.keyword == "RUN" && !n.is_exec_form() && n.heredocs.is_empty());
    let files = install.and_then(|n| install_reads(&n.args));
    let dest = match words.as_slice() {
        [".", d] if d.ends_with('/') || *d == "." => Some((*d).to_string()),
        _ => None,
    };
    let (Some(files), Some(dest), true, None) =
        (files, dest, ins.flags.is_empty(), cx.changes.get(&i))
    else {
        let reads_deps = next.is_some_and(|n| {
            [
                "pip install",
                "npm ci",
                "npm install",
                "poetry install",
                "uv sync",
            ]
            .iter()
            .any(|c| n.args.contains(c))
        });
        if reads_deps {
            cx.manual.push(format!(
                "{at}: `COPY .` before the dependency install: every source change reinstalls; copy the requirements file first and `COPY .` after the install"
            ));
        }
        return;
    };
    let copy_dot = cx.raw(i);
    let first = format!("COPY {} {dest}", files.join(" "));
    cx.set(i, first);
    cx.changes.entry(i).or_default().comments.push(
        "# ballast: reproducibility: the dependency files first, `COPY .` after the install (a source change no longer reinstalls)".to_string(),
    );
    let run = i + 1;
    let t = cx.current(run);
    cx.set(run, format!("{t}\n{copy_dot}"));
}

/// The context files an install reads, when it reads nothing else:
/// `pip install [-flags] -r FILE` or `npm ci`, joined by `&&`.
fn install_reads(args: &str) -> Option<Vec<String>> {
    let mut files = Vec::new();
    for part in args.split("&&") {
        let w: Vec<&str> = part.split_whitespace().filter(|w| *w != "\\").collect();
        match w.as_slice() {
            ["npm", "ci", rest @ ..] if rest.iter().all(|f| f.starts_with('-')) => {
                files.push("package.json".to_string());
                files.push("package-lock.json".to_string());
            }
            [pip, "install", rest @ ..] if *pip == "pip" || *pip == "pip3" => {
                let mut k = 0;
                let mut any = false;
                while k < rest.len() {
                    let f = rest[k];
                    if (f == "-r" || f == "--requirement") && k + 1 < rest.len() {
                        let file = rest[k + 1];
                        if file.contains('$') || file.starts_with('/') || file.contains("..") {
                            return None;
                        }
                        files.push(file.to_string());
                        any = true;
                        k += 2;
                    } else if f.starts_with('-') && !f.starts_with("-e") && f != "--editable" {
                        k += 1;
                    } else {
                        return None;
                    }
                }
                if !any {
                    return None;
                }
            }
            _ => return None,
        }
    }
    (!files.is_empty()).then_some(files)
}

fn ignore_file(existing: Option<&str>, entries: &[(String, String)]) -> Option<String> {
    let have: Vec<&str> = existing
        .unwrap_or("")
        .lines()
        .map(|l| l.trim().trim_end_matches('/'))
        .collect();
    let mut out = existing.unwrap_or("").to_string();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    let mut added = false;
    let mut seen: Vec<&str> = Vec::new();
    for (entry, why) in entries {
        if have.contains(&entry.as_str()) || seen.contains(&entry.as_str()) {
            continue;
        }
        if !seen
            .iter()
            .any(|s| entries.iter().any(|(e, w)| e == s && w == why))
        {
            out.push_str(why);
            out.push('\n');
        }
        seen.push(entry);
        out.push_str(entry);
        out.push('\n');
        added = true;
    }
    added.then_some(out)
}

/// The Dockerfile with every change applied.
fn render(cx: &Ctx, text: &str) -> String {
    let mut out = String::new();
    let mut line = 1;
    let ends_newline = text.ends_with('\n');
    let emit = |s: &str, out: &mut String| {
        out.push_str(s);
        out.push('\n');
    };
    for (i, ins) in cx.df.instructions.iter().enumerate() {
        let Some(ch) = cx.changes.get(&i) else {
            continue;
        };
        while line < ins.line {
            emit(cx.lines[line - 1], &mut out);
            line += 1;
        }
        for c in &ch.comments {
            emit(c, &mut out);
        }
        if !ch.deleted {
            let t = ch.text.clone().unwrap_or_else(|| cx.raw(i));
            emit(&t, &mut out);
        }
        line = ins.end_line + 1;
    }
    while line <= cx.lines.len() {
        emit(cx.lines[line - 1], &mut out);
        line += 1;
    }
    if !ends_newline && out.ends_with('\n') && !text.is_empty() {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::dockerfile::{Source, annotate};
    use crate::analyze::findings::Severity;
    use crate::analyze::report::PathBytes;
    use crate::analyze::steps::{Step, clean_instruction};

    /// Steps as a builder records them, mapped to `dockerfile` as the
    /// analysis maps them.
    fn steps(dockerfile: &str, created_by: &[&str]) -> Vec<StepInfo> {
        let history: Vec<Step> = created_by
            .iter()
            .enumerate()
            .map(|(index, c)| Step {
                index,
                created_by: (*c).to_string(),
                instruction: clean_instruction(c),
                empty_layer: false,
                layer_index: Some(index),
            })
            .collect();
        let mut infos: Vec<StepInfo> = history
            .iter()
            .map(|s| StepInfo {
                index: s.index,
                created_by: s.created_by.clone(),
                instruction: s.instruction.clone(),
                empty_layer: false,
                layer_index: s.layer_index,
                size_bytes: 0,
                inherited: false,
                dockerfile: None,
            })
            .collect();
        let source = Source {
            path: "Dockerfile".into(),
            text: dockerfile.into(),
            explicit: true,
        };
        let warnings = annotate(&source, &history, &mut infos);
        assert!(warnings.is_empty(), "{warnings:?}");
        infos
    }

    fn finding(rule: &str, category: &str, step: usize, bytes: u64, paths: &[&str]) -> Finding {
        Finding {
            rule: rule.into(),
            category: category.into(),
            severity: Severity::Medium,
            bytes,
            layer_index: Some(step),
            step_index: Some(step),
            paths: paths
                .iter()
                .map(|p| PathBytes(p.as_bytes().to_vec()))
                .collect(),
            path_count: paths.len(),
            message: String::new(),
            suggestion: format!("fix {rule}"),
            items: Vec::new(),
            reclaimable: true,
            keep: None,
            packages: Vec::new(),
        }
    }

    /// The plan as `ballast fix` prints it.
    fn fix(dockerfile: &str, history: &[&str], findings: &[Finding]) -> String {
        let steps = steps(dockerfile, history);
        let p = plan(
            Inputs {
                findings,
                steps: &steps,
                packages: &[],
            },
            "Dockerfile",
            dockerfile,
            None,
        );
        let mut out = String::new();
        for m in &p.manual {
            out.push_str(&format!("manual: {m}\n"));
        }
        out.push_str(&crate::present::diff::unified(
            "Dockerfile",
            Some(dockerfile),
            &p.dockerfile,
        ));
        if let Some(i) = &p.dockerignore {
            out.push_str(&crate::present::diff::unified(".dockerignore", None, i));
        }
        out
    }

    #[test]
    fn alpine_node_conda_and_chmod_fixes() {
        let df = "FROM alpine:3.20\nRUN apk add python3 nodejs npm\nCOPY web/ /web/\nRUN chmod -R 755 /web\nRUN npm ci \\\n    --prefix /web\nRUN conda install -y numpy\nCMD [\"node\", \"/web/index.js\"]\n";
        let history = [
            "/bin/sh -c #(nop) ADD file:abc in / ",
            "/bin/sh -c #(nop)  CMD [\"/bin/sh\"]",
            "RUN /bin/sh -c apk add python3 nodejs npm # buildkit",
            "COPY web/ /web/ # buildkit",
            "RUN /bin/sh -c chmod -R 755 /web # buildkit",
            "RUN /bin/sh -c npm ci     --prefix /web # buildkit",
            "RUN /bin/sh -c conda install -y numpy # buildkit",
            "CMD [\"node\", \"/web/index.js\"]",
        ];
        let findings = [
            finding(
                "apk-cache",
                "cache",
                2,
                4_000_000,
                &["/var/cache/apk/APKINDEX.tar.gz"],
            ),
            finding(
                "metadata-copy",
                "metadata-copy",
                4,
                900_000,
                &["/web/index.js"],
            ),
            finding(
                "npm-cache",
                "cache",
                5,
                12_000_000,
                &["/root/.npm/_cacache/x"],
            ),
            finding(
                "conda-pkgs",
                "cache",
                6,
                80_000_000,
                &["/opt/conda/pkgs/numpy.conda"],
            ),
            // The base image's step: no line to change.
            finding("apt-lists", "cache", 0, 1_000, &["/var/lib/apt/lists/x"]),
        ];
        insta::assert_snapshot!(fix(df, &history, &findings));
    }

    #[test]
    fn copy_dot_moves_after_a_requirements_install_and_unsafe_edits_are_listed() {
        let df = "FROM python:latest\nWORKDIR /app\nCOPY . /app/\nRUN pip install -r requirements.txt\nRUN [\"pip\", \"install\", \"x\"]\nRUN chown -R app:app /app /data\nADD https://example.com/m.bin /m.bin\nCMD python app.py\n";
        let history = [
            "/bin/sh -c #(nop) ADD file:abc in / ",
            "/bin/sh -c #(nop) WORKDIR /app",
            "/bin/sh -c #(nop) COPY dir:123 in /app/ ",
            "/bin/sh -c pip install -r requirements.txt",
            "/bin/sh -c [\"pip\", \"install\", \"x\"]",
            "/bin/sh -c chown -R app:app /app /data",
            "/bin/sh -c #(nop) ADD file:456 in /m.bin ",
            "/bin/sh -c #(nop)  CMD [\"/bin/sh\" \"-c\" \"python app.py\"]",
        ];
        let findings = [
            finding("pip-cache", "cache", 3, 50_000_000, &["/root/.cache/pip/x"]),
            finding("pip-cache", "cache", 4, 1_000_000, &["/root/.cache/pip/y"]),
            finding(
                "metadata-copy",
                "metadata-copy",
                5,
                7_000_000,
                &["/app/a.py"],
            ),
            finding(
                "git-directory",
                "vcs-and-junk",
                2,
                300_000,
                &["/app/.git/index"],
            ),
        ];
        insta::assert_snapshot!(fix(df, &history, &findings));
    }

    #[test]
    fn multi_stage_fix_touches_only_the_final_stage() {
        let df = "FROM golang:1.22 AS build\nRUN go build -o /out/app .\nFROM debian:12-slim\nRUN apt-get update && apt-get install -y ca-certificates\nCOPY --from=build /out/app /usr/local/bin/app\nENTRYPOINT [\"app\"]\n";
        let history = [
            "/bin/sh -c #(nop) ADD file:deb in / ",
            "RUN /bin/sh -c apt-get update && apt-get install -y ca-certificates # buildkit",
            "COPY /out/app /usr/local/bin/app # buildkit",
            "ENTRYPOINT [\"app\"]",
        ];
        let findings = [finding(
            "apt-lists",
            "cache",
            1,
            20_000_000,
            &["/var/lib/apt/lists/x"],
        )];
        insta::assert_snapshot!(fix(df, &history, &findings));
    }

    #[test]
    fn cache_flags_go_after_the_install_command_once() {
        assert_eq!(
            add_flag_after(
                "RUN apk add curl && apk add git",
                &["apk add"],
                "--no-cache"
            ),
            "RUN apk add --no-cache curl && apk add --no-cache git"
        );
        assert_eq!(
            add_flag_after(
                "RUN pip3 install -r r.txt",
                &["pip install", "pip3 install"],
                "--no-cache-dir"
            ),
            "RUN pip3 install --no-cache-dir -r r.txt"
        );
        // Already there: unchanged; `pip installer` is not `pip install`.
        let done = "RUN pip install --no-cache-dir x";
        assert_eq!(
            add_flag_after(done, &["pip install"], "--no-cache-dir"),
            done
        );
        assert_eq!(
            add_flag_after("RUN pip installer", &["pip install"], "--no-cache-dir"),
            "RUN pip installer"
        );
    }

    #[test]
    fn clean_up_commands_end_the_last_continuation_line() {
        assert_eq!(
            append_command(
                "RUN npm ci \\\n    && npm run build\n",
                "npm cache clean --force"
            ),
            "RUN npm ci \\\n    && npm run build && npm cache clean --force"
        );
    }

    #[test]
    fn dockerignore_entries_are_added_once_with_their_reason() {
        let e = vec![
            (".git".to_string(), "# why".to_string()),
            (".git".to_string(), "# why".to_string()),
        ];
        assert_eq!(ignore_file(None, &e).as_deref(), Some("# why\n.git\n"));
        assert_eq!(ignore_file(Some("node_modules\n.git/\n"), &e), None);
        assert_eq!(
            ignore_file(Some("x"), &e).as_deref(),
            Some("x\n# why\n.git\n")
        );
        assert_eq!(venv_dir("/app/.venv/lib/python3.12/x.py"), ".venv");
    }
}
