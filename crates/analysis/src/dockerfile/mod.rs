//! Dockerfiles and Containerfiles: the parsed instructions with their line
//! ranges ([`mod@parse`]), and which instruction made which step of an image's
//! history ([`mod@map`]).
//!
//! Pure: the caller reads the file and hands in its text; nothing here
//! touches the disk.

pub mod map;
pub mod parse;

pub use map::{Mapping, map_history};
pub use parse::{Dockerfile, Instruction, Stage, parse};

/// A Dockerfile the user named (`--dockerfile`) or one found in the working
/// directory, as text.
#[derive(Clone, Debug)]
pub struct Source {
    /// As the report shows it (`Dockerfile`, `docker/app.Dockerfile`).
    pub path: String,
    pub text: String,
    /// Named by the user; a found one is only used when it matches.
    pub explicit: bool,
}

/// Puts each step's Dockerfile line into `steps` when `source` fits the
/// history; returns what the report's warnings should say about it.
pub fn annotate(
    source: &Source,
    history: &[crate::steps::Step],
    steps: &mut [crate::report::StepInfo],
) -> Vec<String> {
    let df = parse(&source.text);
    let mapping = map_history(&df, history);
    let path = &source.path;
    let mut notes = Vec::new();
    if !mapping.complete() {
        let lines: Vec<String> = mapping
            .unmatched
            .iter()
            .take(5)
            .map(|&i| df.instructions[i].line.to_string())
            .collect();
        let mut what = Vec::new();
        if !lines.is_empty() {
            what.push(format!(
                "the instructions at lines {} made no step",
                lines.join(", ")
            ));
        }
        if !mapping.stray.is_empty() {
            let steps: Vec<String> = mapping
                .stray
                .iter()
                .take(5)
                .map(ToString::to_string)
                .collect();
            what.push(format!("no instruction made steps {}", steps.join(", ")));
        }
        if what.is_empty() {
            what.push("no instruction made a step".to_string());
        }
        let which = what.join("; ");
        if !source.explicit {
            notes.push(format!(
                "{path} in the working directory does not match the image's history ({which}); not used (name one with --dockerfile)"
            ));
            return notes;
        }
        notes.push(format!(
            "{path} does not match the image's history everywhere ({which}); the other steps are mapped"
        ));
    } else if !source.explicit {
        notes.push(format!(
            "{path} in the working directory matches the image's history: steps are mapped to its lines"
        ));
    }
    for (step, ins) in steps.iter_mut().zip(&mapping.instruction_of_step) {
        step.dockerfile = ins.map(|i| crate::report::DockerfileLine {
            path: path.clone(),
            line: df.instructions[i].line,
            end_line: df.instructions[i].end_line,
        });
    }
    notes
}
