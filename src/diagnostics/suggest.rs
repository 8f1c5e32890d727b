//! "Did you mean" suggestions.

/// The candidate closest to `input`, if it is close enough to be a likely typo:
/// a case-insensitive match first, then the smallest edit distance within a third of the
/// word's length.
pub fn did_you_mean<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    let folded = fold(input);
    if let Some(exact) = candidates.iter().find(|c| fold(c) == folded) {
        return Some(exact);
    }
    let limit = (input.chars().count() / 3).max(1);
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(&folded, &fold(c)), *c))
        .filter(|(distance, _)| *distance <= limit)
        .min()
        .map(|(_, c)| c)
}

/// Case, `-` versus `_` and spaces do not make a different word.
fn fold(s: &str) -> String {
    s.chars().filter(|c| !matches!(c, '-' | '_' | ' ')).flat_map(char::to_lowercase).collect()
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    const KEYS: &[&str] = &["automatic_install", "automatic_download", "notifications"];

    #[test]
    fn typo_finds_the_key() {
        assert_eq!(did_you_mean("automatic_instal", KEYS.iter().copied()), Some("automatic_install"));
        assert_eq!(did_you_mean("notifcations", KEYS.iter().copied()), Some("notifications"));
    }

    #[test]
    fn case_and_separators_are_ignored() {
        assert_eq!(did_you_mean("macos", ["macOS", "iOS"]), Some("macOS"));
        assert_eq!(did_you_mean("Automatic-Install", KEYS.iter().copied()), Some("automatic_install"));
        assert_eq!(did_you_mean("AlwaysOn", ["allowed", "always_on", "always_off"]), Some("always_on"));
    }

    #[test]
    fn unrelated_words_get_nothing() {
        assert_eq!(did_you_mean("color", KEYS.iter().copied()), None);
        assert_eq!(did_you_mean("x", ["macOS", "iOS"]), None);
    }
}
