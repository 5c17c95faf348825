//! The waste categories a budget may name: those the findings code assigns
//! itself, plus every category of the rule table in force (built-in and the
//! user's rules). A budget on a category nothing can produce would always
//! pass ("cachee waste is 0 B"), so it is refused instead.

use std::collections::BTreeSet;

use super::budget::Budgets;
use super::rules::RuleSet;

/// Categories assigned in code, not by the rule table (see `findings` and
/// `ml`). `tests/it/ci.rs` checks every category
/// the sample images produce is in [`known`].
pub const CODE_CATEGORIES: &[&str] = &[
    "build-order",
    "debug-symbols",
    "deleted-later",
    "duplicate-content",
    "duplicate-cuda",
    "duplicate-package",
    "metadata-copy",
    "overwritten",
    "reproducibility",
];

/// Every category a finding can carry under `rules`, sorted.
#[must_use]
pub fn known(rules: &RuleSet) -> BTreeSet<String> {
    CODE_CATEGORIES
        .iter()
        .map(|c| (*c).to_string())
        .chain(rules.rules.iter().map(|r| r.category.clone()))
        .filter(|c| !c.is_empty())
        .collect()
}

/// The first category in `budgets` that no finding can carry, as a message
/// listing the known ones.
pub fn check_budgets(budgets: &Budgets, rules: &RuleSet) -> Result<(), String> {
    let known = known(rules);
    match budgets.max_category.keys().find(|c| !known.contains(*c)) {
        None => Ok(()),
        Some(unknown) => Err(format!(
            "unknown category {unknown:?} (known: {})",
            known.into_iter().collect::<Vec<_>>().join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelt_category_is_refused_with_the_known_ones() {
        let rules = RuleSet::load(None).expect("built-in rules");
        let mut b = Budgets::default();
        b.max_category.insert("cache".into(), 1);
        assert_eq!(check_budgets(&b, &rules), Ok(()));
        b.max_category.insert("cachee".into(), 1);
        let e = check_budgets(&b, &rules).unwrap_err();
        assert!(e.starts_with("unknown category \"cachee\""), "{e}");
        assert!(
            e.contains("cache, debug-symbols, deleted-later") && e.contains("vcs-and-junk"),
            "{e}"
        );
    }

    #[test]
    fn user_rules_add_categories() {
        let rules = RuleSet::load(Some(
            "[[rule]]\nid = \"logs\"\ncategory = \"logs\"\npaths = [\"**/*.log\"]\nmessage = \"m\"\nsuggestion = \"s\"\n",
        ))
        .expect("rules");
        assert!(known(&rules).contains("logs"));
    }
}
