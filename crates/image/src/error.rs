//! Why an image could not be analyzed, worded for the person who ran ballast.
//! Every message is one line that names the file and the problem; callers
//! map any `LoadError` to exit code 2.

/// A load failure: the input it concerns and what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {problem}")]
pub struct LoadError {
    pub file: String,
    pub problem: Problem,
}

#[derive(Debug, thiserror::Error)]
pub enum Problem {
    #[error("no such file or directory")]
    NotFound,
    #[error("{0}")]
    Io(std::io::Error),
    #[error("the file is empty")]
    Empty,
    #[error("not an image archive: {0}")]
    NotAnImage(String),
    #[error("{0}")]
    Archive(String),
    #[error("{what} is not valid JSON of the expected shape: {detail}")]
    BadJson { what: String, detail: String },
    #[error("{what} names {name}, which is not in the archive")]
    MissingBlob { what: String, name: String },
    #[error("layer {index} ({name}) is unreadable: {detail}")]
    BadLayer {
        index: usize,
        name: String,
        detail: String,
    },
    #[error("{what} matches several images; pick one with {flag}: {}", choices.join(", "))]
    Ambiguous {
        what: String,
        flag: &'static str,
        choices: Vec<String>,
    },
    #[error("no image matches {what}; the archive has: {}", choices.join(", "))]
    NoMatch { what: String, choices: Vec<String> },
    #[error("digest mismatch: {0}")]
    Digest(String),
}

impl Problem {
    /// A layer that could not be indexed. Going over the image's entry
    /// budget is no fault of that layer (the layers count together, and
    /// which one crosses the line depends on timing): it is said for the
    /// image.
    pub fn bad_layer(index: usize, name: String, detail: String) -> Self {
        match detail.find(crate::index::budget::OVER_BUDGET) {
            Some(at) => Problem::Archive(detail[at..].to_string()),
            None => Problem::BadLayer {
                index,
                name,
                detail,
            },
        }
    }
}

impl LoadError {
    pub fn new(file: impl Into<String>, problem: Problem) -> Self {
        LoadError {
            file: file.into(),
            problem,
        }
    }

    /// The message as one line, whatever bytes a hostile archive put into it.
    pub fn one_line(&self) -> String {
        let s = self.to_string();
        let mut out = String::with_capacity(s.len());
        for c in s.chars() {
            if c.is_control() {
                out.extend(c.escape_default());
            } else {
                out.push(c);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_single_lines_naming_the_file() {
        let e = LoadError::new(
            "img.tar",
            Problem::BadJson {
                what: "manifest.json".into(),
                detail: "expected value\nat line 1".into(),
            },
        );
        let line = e.one_line();
        assert!(line.starts_with("img.tar: manifest.json"));
        assert!(!line.contains('\n'));
    }
}
