//! Dockerfile steps from the config's `history`: which step made which layer
//! (steps marked `empty_layer` made none) and the instruction as a person
//! wrote it, without the `/bin/sh -c`, `#(nop)` and buildkit noise.

use oci_spec::image::History;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub index: usize,
    pub created_by: String,
    pub instruction: String,
    pub empty_layer: bool,
    pub layer_index: Option<usize>,
}

pub struct StepMap {
    pub steps: Vec<Step>,
    /// For each layer, the step that made it.
    pub step_of_layer: Vec<usize>,
    pub warnings: Vec<String>,
}

/// Matches history to layers in order. A history that does not fit is
/// matched as far as it goes and reported, never fatal.
pub fn map_steps(history: &[History], layer_count: usize) -> StepMap {
    let mut steps = Vec::with_capacity(history.len());
    let mut step_of_layer = Vec::with_capacity(layer_count);
    let mut warnings = Vec::new();
    for h in history {
        let created_by = h.created_by().clone().unwrap_or_default();
        let empty = h.empty_layer().unwrap_or(false);
        let layer_index = if !empty && step_of_layer.len() < layer_count {
            step_of_layer.push(steps.len());
            Some(step_of_layer.len() - 1)
        } else {
            None
        };
        let instruction = if created_by.is_empty() {
            h.comment().clone().unwrap_or_default()
        } else {
            clean_instruction(&created_by)
        };
        steps.push(Step {
            index: steps.len(),
            created_by,
            instruction,
            // A non-empty step with no layer left to claim is shown as empty.
            empty_layer: layer_index.is_none(),
            layer_index,
        });
    }
    let with_layers = history
        .iter()
        .filter(|h| !h.empty_layer().unwrap_or(false))
        .count();
    if !history.is_empty() && with_layers != layer_count {
        warnings.push(format!(
            "the image history lists {with_layers} steps that made layers, but the image has {layer_count} layers; steps were matched in order"
        ));
    }
    while step_of_layer.len() < layer_count {
        let layer = step_of_layer.len();
        step_of_layer.push(steps.len());
        steps.push(Step {
            index: steps.len(),
            created_by: String::new(),
            instruction: format!("(layer {layer}: no history)"),
            empty_layer: false,
            layer_index: Some(layer),
        });
    }
    StepMap {
        steps,
        step_of_layer,
        warnings,
    }
}

/// `/bin/sh -c pip install x` → `RUN pip install x`;
/// `/bin/sh -c #(nop)  CMD ["sh"]` → `CMD ["sh"]`;
/// `RUN |2 A=1 B=2 /bin/sh -c make # buildkit` → `RUN make`.
pub fn clean_instruction(created_by: &str) -> String {
    let one_line: String = created_by.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut s = one_line.as_str();
    s = s.strip_suffix("# buildkit").unwrap_or(s).trim_end();
    let mut keyword = None;
    if let Some(rest) = s.strip_prefix("RUN ") {
        keyword = Some("RUN");
        s = rest;
    }
    // Build arguments recorded as `|N K=V ...` before the shell.
    if let Some(rest) = s.strip_prefix('|')
        && let Some((n, after)) = rest.split_once(' ')
        && let Ok(n) = n.parse::<usize>()
    {
        let mut tail = after;
        for _ in 0..n {
            tail = tail.split_once(' ').map_or("", |(_, t)| t);
        }
        s = tail;
        keyword.get_or_insert("RUN");
    }
    for shell in [
        "/bin/sh -c ",
        "/bin/bash -c ",
        "/bin/sh -o pipefail -c ",
        "/bin/bash -o pipefail -c ",
        "sh -c ",
    ] {
        if let Some(rest) = s.strip_prefix(shell) {
            if let Some(nop) = rest.strip_prefix("#(nop)") {
                return nop.trim().to_string();
            }
            return format!("RUN {}", rest.trim());
        }
    }
    match keyword {
        Some(k) => format!("{k} {}", s.trim()),
        None => s.trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_the_builders_spellings() {
        let cases = [
            (
                "/bin/sh -c mkdir -p /root/example/really/nested",
                "RUN mkdir -p /root/example/really/nested",
            ),
            ("/bin/sh -c #(nop)  CMD [\"sh\"]", "CMD [\"sh\"]"),
            (
                "/bin/sh -c #(nop) ADD file:ce02 in / ",
                "ADD file:ce02 in /",
            ),
            (
                "RUN /bin/sh -c pip install torch # buildkit",
                "RUN pip install torch",
            ),
            (
                "COPY README.md /README.md # buildkit",
                "COPY README.md /README.md",
            ),
            (
                "RUN |2 A=1 B=2 /bin/sh -c make all # buildkit",
                "RUN make all",
            ),
            ("|1 V=3 /bin/sh -c echo $V", "RUN echo $V"),
            (
                "RUN mkdir -p /root/example/really/nested",
                "RUN mkdir -p /root/example/really/nested",
            ),
            (
                "/bin/sh -c apt-get update &&\n\tapt-get install -y gcc",
                "RUN apt-get update && apt-get install -y gcc",
            ),
        ];
        for (raw, want) in cases {
            assert_eq!(clean_instruction(raw), want, "{raw}");
        }
    }

    fn hist(created_by: &str, empty: bool) -> History {
        let mut h = History::default();
        h.set_created_by(Some(created_by.into()));
        h.set_empty_layer(empty.then_some(true));
        h
    }

    #[test]
    fn empty_layer_steps_take_no_layer() {
        let m = map_steps(
            &[
                hist("/bin/sh -c #(nop) ADD x in /", false),
                hist("/bin/sh -c #(nop) ENV A=1", true),
                hist("/bin/sh -c make", false),
            ],
            2,
        );
        assert_eq!(m.step_of_layer, vec![0, 2]);
        assert_eq!(m.steps[1].layer_index, None);
        assert!(m.warnings.is_empty());
    }

    #[test]
    fn mismatched_history_warns_and_fills_in() {
        let m = map_steps(&[hist("/bin/sh -c a", false)], 3);
        assert_eq!(m.step_of_layer, vec![0, 1, 2]);
        assert_eq!(m.steps.len(), 3);
        assert!(m.warnings[0].contains("history"));
        let m = map_steps(&[hist("a", false), hist("b", false)], 1);
        assert_eq!(m.steps[1].layer_index, None);
        assert!(m.warnings[0].contains("2 steps"));
    }
}
