//! Reads dive's `.dive-ci` file ([`parse_ci_rules`]): the flat YAML subset
//! dive's files use, read as yaml.v3 reads it into dive's struct, and
//! anything beyond that subset refused rather than guessed at. What each
//! rule value means is the analysis's (`dive::CiRule`); reading the file is
//! a setting's job, so it lives here.

use ballast::analyze::dive::{CiRule, CiRules, CiRulesError, IgnoredKey, parse_ratio, parse_size};

/// What a `key:` line carries after the colon.
pub(crate) enum YamlValue {
    /// Nothing (or `~`/`null`): a YAML null. Into dive's string fields a null
    /// changes nothing, so the default stays.
    Null,
    /// `{}`: an empty mapping.
    EmptyMap,
    Text(String),
}

/// Where the line parser is.
enum Block {
    /// At the top level; indented lines are an error.
    Top,
    /// Inside `rules:`; `indent` is fixed by its first key.
    Rules { indent: Option<usize> },
    /// `rules:` had an inline value, so it can have no indented keys.
    RulesClosed { line: usize },
    /// Inside a key dive does not read; its contents are not inspected.
    Skipped,
}

/// Parses a `.dive-ci` file.
///
/// Understands the flat YAML dive's files use: an optional `---`, a `rules:`
/// mapping of `key: value` lines indented alike, comments, plain, `'single'`
/// and `"double"` quoted scalars. Like dive (yaml.v3 into a struct): keys are
/// case-sensitive, unknown keys are ignored (and listed in
/// [`CiRules::ignored_keys`]), a repeated key is an error, a key with an
/// empty or `null` value keeps its default (only a quoted `""` disables), and
/// only the first document counts. Anchors, tags, flow collections other
/// than `{}`, block scalars and multi-line scalars are refused rather than
/// guessed at.
///
/// # Errors
/// A [`CiRulesError`] naming the line, for malformed YAML or an invalid value.
pub fn parse_ci_rules(text: &str) -> Result<CiRules, CiRulesError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut parser = CiFileParser {
        rules: CiRules::default(),
        block: Block::Top,
        top_keys: Vec::new(),
        rule_keys: Vec::new(),
        skip_deeper_than: None,
        started: false,
    };
    for (line_index, raw_line) in text.split('\n').enumerate() {
        let line_no = line_index + 1;
        let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
        let Some(indent) = line.find(|c: char| c != ' ' && c != '\t') else {
            continue;
        };
        let content = &line[indent..];
        if content.starts_with('#') {
            continue;
        }
        let outcome = if line[..indent].contains('\t') {
            Err("tabs cannot indent YAML; use spaces".to_owned())
        } else if indent == 0 {
            parser.top_level_line(line_no, content)
        } else {
            parser
                .indented_line(line_no, indent, content)
                .map(|()| true)
        };
        match outcome {
            Ok(true) => {}
            Ok(false) => break,
            Err(message) => {
                return Err(CiRulesError {
                    line: Some(line_no),
                    message,
                });
            }
        }
    }
    Ok(parser.rules)
}

/// State of [`parse_ci_rules`] between lines.
struct CiFileParser {
    rules: CiRules,
    block: Block,
    top_keys: Vec<(String, usize)>,
    rule_keys: Vec<(String, usize)>,
    /// Set after an unknown rule key with no inline value: its nested lines are skipped.
    skip_deeper_than: Option<usize>,
    started: bool,
}

impl CiFileParser {
    /// Returns whether to read on (`false` at the end of the first document).
    fn top_level_line(&mut self, line_no: usize, content: &str) -> Result<bool, String> {
        self.skip_deeper_than = None;
        if is_document_marker(content, "---") {
            // yaml.v3's Unmarshal reads the first document only.
            let first = !self.started;
            self.started = true;
            return Ok(first);
        }
        if is_document_marker(content, "...") {
            return Ok(false);
        }
        if content.starts_with('%') {
            return Err("YAML directives are not supported".to_owned());
        }
        self.started = true;
        let (key, rest) = split_key(content)?;
        if let Some((_, first)) = self.top_keys.iter().find(|(seen, _)| *seen == key) {
            return Err(format!("key {key:?} is already defined on line {first}"));
        }
        self.top_keys.push((key.clone(), line_no));
        if key != "rules" {
            self.rules
                .ignored_keys
                .push(IgnoredKey { line: line_no, key });
            self.block = Block::Skipped;
            return Ok(true);
        }
        self.block = match parse_value(rest)? {
            YamlValue::Null if has_no_value(rest) => Block::Rules { indent: None },
            YamlValue::Null | YamlValue::EmptyMap => Block::RulesClosed { line: line_no },
            YamlValue::Text(_) => {
                return Err("`rules` must be a mapping of rule names to values".to_owned());
            }
        };
        Ok(true)
    }

    fn indented_line(
        &mut self,
        line_no: usize,
        indent: usize,
        content: &str,
    ) -> Result<(), String> {
        let expected = match self.block {
            Block::Top => {
                return Err("unexpected indentation (expected a top-level `rules:`)".to_owned());
            }
            Block::Skipped => return Ok(()),
            Block::RulesClosed { line } => {
                return Err(format!(
                    "`rules` already has a value on line {line}, so it cannot have indented keys"
                ));
            }
            Block::Rules { indent } => indent,
        };
        if let Some(limit) = self.skip_deeper_than {
            if indent > limit {
                return Ok(());
            }
            self.skip_deeper_than = None;
        }
        match expected {
            None => {
                self.block = Block::Rules {
                    indent: Some(indent),
                };
            }
            Some(expected) if indent > expected => {
                return Err("unexpected indentation: rule values cannot be nested".to_owned());
            }
            Some(expected) if indent < expected => {
                return Err(format!(
                    "inconsistent indentation: rule keys above are indented by {expected}"
                ));
            }
            Some(_) => {}
        }
        let (key, rest) = split_key(content)?;
        if let Some((_, first)) = self.rule_keys.iter().find(|(seen, _)| *seen == key) {
            return Err(format!("rule {key:?} is already defined on line {first}"));
        }
        self.rule_keys.push((key.clone(), line_no));
        let rule = match key.as_str() {
            "lowestEfficiency" => CiRule::LowestEfficiency,
            "highestWastedBytes" => CiRule::HighestWastedBytes,
            "highestUserWastedPercent" => CiRule::HighestUserWastedPercent,
            _ => {
                if has_no_value(rest) {
                    self.skip_deeper_than = Some(indent);
                }
                self.rules.ignored_keys.push(IgnoredKey {
                    line: line_no,
                    key: format!("rules.{key}"),
                });
                return Ok(());
            }
        };
        let value = match parse_value(rest)? {
            YamlValue::Null => return Ok(()),
            YamlValue::EmptyMap => {
                return Err(format!(
                    "{} expects a single value, not a mapping",
                    rule.key()
                ));
            }
            YamlValue::Text(value) => value,
        };
        match rule {
            CiRule::LowestEfficiency => {
                self.rules.lowest_efficiency = parse_ratio(rule, &value)?;
            }
            CiRule::HighestWastedBytes => {
                self.rules.highest_wasted_bytes = parse_size(&value)?;
            }
            CiRule::HighestUserWastedPercent => {
                self.rules.highest_user_wasted_percent = parse_ratio(rule, &value)?;
            }
        }
        Ok(())
    }
}

/// True when nothing but whitespace or a comment follows `key:`.
pub(crate) fn has_no_value(rest: &str) -> bool {
    rest.trim_start_matches([' ', '\t']).is_empty() || is_comment(rest)
}

pub(crate) fn is_document_marker(content: &str, marker: &str) -> bool {
    content
        .strip_prefix(marker)
        .is_some_and(|rest| rest.trim_start().is_empty() || is_comment(rest))
}

/// True when `rest` is only whitespace followed by a `#` comment.
fn is_comment(rest: &str) -> bool {
    rest.starts_with([' ', '\t']) && rest.trim_start().starts_with('#')
}

/// Characters that start YAML syntax this parser does not take on.
const UNSUPPORTED_STARTS: [char; 9] = ['[', '{', '&', '*', '!', '|', '>', '@', '`'];

/// Splits `key: rest`, the key unquoted.
pub(crate) fn split_key(content: &str) -> Result<(String, &str), String> {
    if content == "-" || content.starts_with("- ") {
        return Err("lists are not supported here; expected `key: value`".to_owned());
    }
    if content == "?" || content.starts_with("? ") {
        return Err("complex keys are not supported; expected `key: value`".to_owned());
    }
    if content.starts_with(UNSUPPORTED_STARTS) || content.starts_with('%') {
        return Err(format!(
            "unsupported YAML syntax {content:?}; expected `key: value`"
        ));
    }
    let (key, after_key) = if let Some(quoted) = content.strip_prefix('"') {
        parse_double_quoted(quoted)?
    } else if let Some(quoted) = content.strip_prefix('\'') {
        parse_single_quoted(quoted)?
    } else {
        let colon = find_value_colon(content)
            .ok_or_else(|| format!("expected `key: value`, found {content:?}"))?;
        let key = content[..colon].trim_end();
        if key.contains(" #") || key.contains("\t#") {
            return Err(format!("expected `key: value`, found {content:?}"));
        }
        (key.to_owned(), &content[colon..])
    };
    let Some(rest) = after_key.trim_start_matches([' ', '\t']).strip_prefix(':') else {
        return Err(format!("expected `:` after the key {key:?}"));
    };
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return Err(format!("expected a space after `{key}:`"));
    }
    if key.is_empty() {
        return Err("empty key".to_owned());
    }
    Ok((key, rest))
}

/// The `:` that ends a plain key: followed by whitespace or the line's end.
fn find_value_colon(content: &str) -> Option<usize> {
    content
        .match_indices(':')
        .map(|(i, _)| i)
        .find(|&i| content[i + 1..].is_empty() || content[i + 1..].starts_with([' ', '\t']))
}

/// The value after `key:`.
pub(crate) fn parse_value(rest: &str) -> Result<YamlValue, String> {
    let value = rest.trim_start_matches([' ', '\t']);
    if value.is_empty() || value.starts_with('#') {
        return Ok(YamlValue::Null);
    }
    if let Some(quoted) = value.strip_prefix('"') {
        let (text, after) = parse_double_quoted(quoted)?;
        return end_of_scalar(after).map(|()| YamlValue::Text(text));
    }
    if let Some(quoted) = value.strip_prefix('\'') {
        let (text, after) = parse_single_quoted(quoted)?;
        return end_of_scalar(after).map(|()| YamlValue::Text(text));
    }
    if let Some(inner) = value.strip_prefix('{') {
        if let Some(after) = inner.trim_start_matches([' ', '\t']).strip_prefix('}') {
            return end_of_scalar(after).map(|()| YamlValue::EmptyMap);
        }
        return Err("flow mappings (`{...}`) are not supported; use indented lines".to_owned());
    }
    if value == "-" || value.starts_with("- ") {
        return Err("lists are not supported here".to_owned());
    }
    if value.starts_with(UNSUPPORTED_STARTS) || value.starts_with('%') {
        return Err(format!(
            "unsupported YAML syntax {value:?} (anchors, aliases, tags, flow lists and block scalars are not supported)"
        ));
    }
    let end = [" #", "\t#"]
        .iter()
        .filter_map(|marker| value.find(marker))
        .min()
        .unwrap_or(value.len());
    let plain = value[..end].trim_end_matches([' ', '\t']);
    if find_value_colon(plain).is_some() {
        return Err(format!(
            "unexpected `: ` in the value {plain:?}; quote the value"
        ));
    }
    Ok(match plain {
        "~" | "null" | "Null" | "NULL" => YamlValue::Null,
        _ => YamlValue::Text(plain.to_owned()),
    })
}

/// After a closing quote only whitespace and a comment may follow.
fn end_of_scalar(after: &str) -> Result<(), String> {
    if after.trim_start_matches([' ', '\t']).is_empty() || is_comment(after) {
        Ok(())
    } else {
        Err(format!("unexpected text after the value: {after:?}"))
    }
}

/// A `"..."` scalar on one line; `text` starts after the opening quote.
/// Returns the value and what follows the closing quote.
fn parse_double_quoted(text: &str) -> Result<(String, &str), String> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((value, &text[i + 1..])),
            '\\' => {
                let Some((_, escape)) = chars.next() else {
                    break;
                };
                let hex_digits = match escape {
                    'x' => 2,
                    'u' => 4,
                    'U' => 8,
                    _ => 0,
                };
                if hex_digits > 0 {
                    let mut code: u32 = 0;
                    for _ in 0..hex_digits {
                        let digit = chars
                            .next()
                            .and_then(|(_, d)| d.to_digit(16))
                            .ok_or_else(|| format!("invalid \\{escape} escape"))?;
                        code = code * 16 + digit;
                    }
                    value.push(
                        char::from_u32(code)
                            .ok_or_else(|| format!("invalid character code {code:#x}"))?,
                    );
                    continue;
                }
                value.push(match escape {
                    '"' => '"',
                    '\\' => '\\',
                    '/' => '/',
                    ' ' => ' ',
                    '0' => '\0',
                    't' | '\t' => '\t',
                    'n' => '\n',
                    'r' => '\r',
                    other => return Err(format!("unsupported escape \\{other}")),
                });
            }
            other => value.push(other),
        }
    }
    Err("unterminated double-quoted string (multi-line strings are not supported)".to_owned())
}

/// A `'...'` scalar on one line (`''` is a quote); `text` starts after the
/// opening quote. Returns the value and what follows the closing quote.
fn parse_single_quoted(text: &str) -> Result<(String, &str), String> {
    let mut value = String::new();
    let mut rest = text;
    while let Some(quote) = rest.find('\'') {
        value.push_str(&rest[..quote]);
        let after = &rest[quote + 1..];
        if let Some(escaped) = after.strip_prefix('\'') {
            value.push('\'');
            rest = escaped;
        } else {
            return Ok((value, after));
        }
    }
    Err("unterminated single-quoted string (multi-line strings are not supported)".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_line(text: &str) -> (Option<usize>, String) {
        let error = parse_ci_rules(text).expect_err("should be refused");
        (error.line, error.message)
    }

    #[test]
    fn defaults_when_file_is_empty_or_has_no_rules() {
        for text in [
            "",
            "\n\n# only a comment\n",
            "---\n",
            "rules:\n",
            "rules: ~\n",
            "rules: {}\n",
        ] {
            let rules = parse_ci_rules(text).expect(text);
            assert_eq!(rules, CiRules::default(), "{text:?}");
        }
        let d = CiRules::default();
        assert_eq!(d.lowest_efficiency, Some(0.9));
        assert_eq!(d.highest_wasted_bytes, None);
        assert_eq!(d.highest_user_wasted_percent, Some(0.1));
    }

    #[test]
    fn parses_a_typical_file() {
        let text = "\u{feff}# dive CI\r\nrules:\r\n  # If the efficiency is measured below X%, mark as failed.\r\n  lowestEfficiency: 0.95  # ratio\r\n  highestWastedBytes: \"20MB\"\r\n  highestUserWastedPercent: '0.20'\r\n";
        let rules = parse_ci_rules(text).expect("valid");
        assert_eq!(rules.lowest_efficiency, Some(0.95));
        assert_eq!(rules.highest_wasted_bytes, Some(20_000_000));
        assert_eq!(rules.highest_user_wasted_percent, Some(0.2));
        assert!(rules.ignored_keys.is_empty());
    }

    #[test]
    fn absent_keys_keep_defaults() {
        let rules = parse_ci_rules("rules:\n  highestWastedBytes: 1GiB\n").expect("valid");
        assert_eq!(rules.lowest_efficiency, Some(0.9));
        assert_eq!(rules.highest_wasted_bytes, Some(1 << 30));
        assert_eq!(rules.highest_user_wasted_percent, Some(0.1));
    }

    #[test]
    fn disabling_values() {
        for value in [
            "disabled",
            "off",
            "false",
            "\"\"",
            "''",
            "Disabled",
            "OFF",
            "' false '",
        ] {
            let text = format!(
                "rules:\n  lowestEfficiency: {value}\n  highestWastedBytes: {value}\n  highestUserWastedPercent: {value}\n"
            );
            let rules = parse_ci_rules(&text).expect(&text);
            assert_eq!(rules.lowest_efficiency, None, "{value}");
            assert_eq!(rules.highest_wasted_bytes, None, "{value}");
            assert_eq!(rules.highest_user_wasted_percent, None, "{value}");
        }
    }

    #[test]
    fn null_values_keep_the_default_as_yaml_v3_does() {
        let text = "rules:\n  lowestEfficiency:\n  highestUserWastedPercent: ~\n  highestWastedBytes: null # x\n";
        assert_eq!(parse_ci_rules(text).expect("valid"), CiRules::default());
    }

    #[test]
    fn unknown_keys_are_ignored_but_reported() {
        let text = "image: foo\nrules:\n  lowestEfficency: 0.99\n  custom:\n    nested: 1\n  lowestEfficiency: 0.8\nother:\n  - a\n";
        let rules = parse_ci_rules(text).expect("valid");
        assert_eq!(rules.lowest_efficiency, Some(0.8));
        let keys: Vec<(usize, &str)> = rules
            .ignored_keys
            .iter()
            .map(|k| (k.line, k.key.as_str()))
            .collect();
        assert_eq!(
            keys,
            [
                (1, "image"),
                (3, "rules.lowestEfficency"),
                (4, "rules.custom"),
                (7, "other")
            ]
        );
    }

    #[test]
    fn only_the_first_document_counts() {
        let text = "---\nrules:\n  lowestEfficiency: 0.5\n---\nrules:\n  lowestEfficiency: 0.6\n";
        assert_eq!(
            parse_ci_rules(text).expect("valid").lowest_efficiency,
            Some(0.5)
        );
    }

    #[test]
    fn malformed_files_name_the_line() {
        let cases: [(&str, usize, &str); 14] = [
            ("rules:\n  lowestEfficiency 0.9\n", 2, "key: value"),
            ("rules:\n\tlowestEfficiency: 0.9\n", 2, "tabs"),
            ("  rules:\n", 1, "indentation"),
            (
                "rules:\n  lowestEfficiency: 0.9\n    highestWastedBytes: 1\n",
                3,
                "nested",
            ),
            (
                "rules:\n    lowestEfficiency: 0.9\n  highestWastedBytes: 1\n",
                3,
                "inconsistent",
            ),
            ("rules:\n  lowestEfficiency: \"0.9\n", 2, "unterminated"),
            ("rules:\n  lowestEfficiency: [0.9]\n", 2, "unsupported"),
            (
                "rules:\n  lowestEfficiency: 0.9\n  lowestEfficiency: 0.8\n",
                3,
                "already defined on line 2",
            ),
            ("rules:\nrules:\n", 2, "already defined on line 1"),
            ("rules: 5\n", 1, "mapping"),
            (
                "rules: {}\n  lowestEfficiency: 0.9\n",
                2,
                "cannot have indented keys",
            ),
            ("rules:\n  lowestEfficiency: abc\n", 2, "not a number"),
            (
                "rules:\n  highestWastedBytes: 20 parsecs\n",
                2,
                "unknown size unit",
            ),
            ("rules:\n  lowestEfficiency:0.9\n", 2, "key: value"),
        ];
        for (text, line, phrase) in cases {
            let (got_line, message) = err_line(text);
            assert_eq!(got_line, Some(line), "{text:?}: {message}");
            assert!(
                message.contains(phrase),
                "{text:?}: {message:?} lacks {phrase:?}"
            );
        }
        let error = parse_ci_rules("rules:\n  - a\n").expect_err("list");
        assert!(error.to_string().starts_with("line 2: "), "{error}");
    }
}

/// dive's rules read from files and applied, end to end.
#[cfg(test)]
mod ci_rules_tests {
    use super::parse_ci_rules;
    use ballast::analyze::dive::*;

    fn docker_fixture_metrics() -> DiveMetrics {
        DiveMetrics {
            efficiency: 0.984_421_213_418_430_9,
            wasted_bytes: 32025,
            user_wasted_percent: Some(32025.0 / 66237.0),
            size_bytes: 1_220_598,
            inefficient_files: Vec::new(),
        }
    }

    fn err_line(text: &str) -> (Option<usize>, String) {
        let error = parse_ci_rules(text).expect_err("should be refused");
        (error.line, error.message)
    }

    #[test]
    fn ratios_are_checked() {
        assert_eq!(parse_ratio(CiRule::LowestEfficiency, "1"), Ok(Some(1.0)));
        assert_eq!(parse_ratio(CiRule::LowestEfficiency, "0"), Ok(Some(0.0)));
        assert_eq!(parse_ratio(CiRule::LowestEfficiency, ".5"), Ok(Some(0.5)));
        assert_eq!(parse_ratio(CiRule::LowestEfficiency, "5e-1"), Ok(Some(0.5)));
        for bad in ["1.01", "-0.1", "95%", "NaN", "inf", "0x1p-1", " 0.5"] {
            assert!(
                parse_ratio(CiRule::LowestEfficiency, bad).is_err(),
                "{bad:?} should be refused"
            );
        }
        let (line, message) = err_line("rules:\n  highestUserWastedPercent: 10\n");
        assert_eq!(line, Some(2));
        assert!(message.contains("highestUserWastedPercent"), "{message}");
        assert!(message.contains("between 0 and 1"), "{message}");
    }

    #[test]
    fn verdicts_on_the_docker_fixture_numbers() {
        let m = docker_fixture_metrics();
        let rules = parse_ci_rules(
            "rules:\n  lowestEfficiency: 0.95\n  highestWastedBytes: 20MB\n  highestUserWastedPercent: 0.20\n",
        )
        .expect("valid");
        let verdicts = evaluate_ci_rules(&rules, &m);
        let summary: Vec<(&str, bool)> =
            verdicts.iter().map(|v| (v.rule.key(), v.passed)).collect();
        assert_eq!(
            summary,
            [
                ("highestUserWastedPercent", false),
                ("highestWastedBytes", true),
                ("lowestEfficiency", true),
            ]
        );
        assert_eq!(verdicts[1].actual, Some(CiValue::Bytes(32025)));
        assert_eq!(verdicts[1].limit, CiValue::Bytes(20_000_000));
        assert_eq!(verdicts[1].limit.to_string(), "20000000");
    }

    #[test]
    fn comparisons_are_strict() {
        let m = docker_fixture_metrics();
        let at_the_limit = CiRules {
            lowest_efficiency: Some(m.efficiency),
            highest_wasted_bytes: Some(m.wasted_bytes),
            highest_user_wasted_percent: m.user_wasted_percent,
            ignored_keys: Vec::new(),
        };
        assert!(
            evaluate_ci_rules(&at_the_limit, &m)
                .iter()
                .all(|v| v.passed)
        );
        let just_over = CiRules {
            lowest_efficiency: Some(0.985),
            highest_wasted_bytes: Some(32024),
            highest_user_wasted_percent: Some(0.48),
            ignored_keys: Vec::new(),
        };
        assert!(evaluate_ci_rules(&just_over, &m).iter().all(|v| !v.passed));
    }

    #[test]
    fn disabled_rules_give_no_verdict_and_nan_passes() {
        let mut m = docker_fixture_metrics();
        let rules = parse_ci_rules("rules:\n  lowestEfficiency: off\n").expect("valid");
        let verdicts = evaluate_ci_rules(&rules, &m);
        assert_eq!(verdicts.len(), 1);
        assert_eq!(verdicts[0].rule, CiRule::HighestUserWastedPercent);
        m.user_wasted_percent = None;
        let verdicts = evaluate_ci_rules(&CiRules::default(), &m);
        assert!(verdicts.iter().all(|v| v.passed));
        assert_eq!(verdicts[0].actual, None);
        m.user_wasted_percent = Some(f64::INFINITY);
        assert!(!evaluate_ci_rules(&CiRules::default(), &m)[0].passed);
    }
}
