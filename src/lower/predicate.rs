//! Activation predicates: the `Predicate` strings of `com.apple.activation.simple`
//! declarations.
//!
//! A predicate is an NSPredicate format string (Apple's *Predicate Programming Guide*)
//! evaluated on the device against its status items, e.g.
//! `@status(device.operating-system.family) == 'macOS'`. ddmc never pastes policy text
//! into a predicate: it builds a [`Predicate`] tree whose key paths come from the closed
//! [`StatusItem`] set and whose values are rendered through [`quote`], so no value can
//! change the predicate's structure.
//!
//! OS floors need care: NSPredicate compares version strings as strings
//! (`'15.10' < '15.4'`), so a floor is written as `MATCHES` against a regular expression
//! that accepts exactly the version strings numerically at or above it
//! ([`version_at_least`]).

use std::fmt;

/// A device status item that a predicate may read with `@status(...)`.
///
/// A closed set rather than a string so that no policy text ever becomes a key path:
/// key paths are not quoted in NSPredicate syntax, so they cannot be escaped, only
/// chosen from a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StatusItem {
    /// `device.operating-system.family`: `macOS`, `iOS`, `iPadOS`, `tvOS`, `visionOS`, ...
    OperatingSystemFamily,
    /// `device.operating-system.version`: a dotted version string such as `15.1` or
    /// `26.3.1`.
    OperatingSystemVersion,
}

impl StatusItem {
    /// The status item's key path exactly as Apple names it.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusItem::OperatingSystemFamily => "device.operating-system.family",
            StatusItem::OperatingSystemVersion => "device.operating-system.version",
        }
    }
}

impl fmt::Display for StatusItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An activation predicate as a small expression tree; [`Display`](fmt::Display) renders
/// Apple's format.
///
/// Rendering rules, chosen so that admins reading a declaration need no knowledge of
/// operator precedence:
/// - an `All`/`Any` with exactly one operand renders as that operand (no redundant
///   parentheses), and with none as `TRUEPREDICATE`/`FALSEPREDICATE`, the identities of
///   AND and OR;
/// - an `All` or `Any` nested directly in the same kind renders without parentheses
///   (AND and OR are associative);
/// - any other compound operand is parenthesised. For an `Any` inside an `All` that is
///   required; for an `All` inside an `Any` it is redundant (AND binds tighter than OR)
///   but spares the reader the question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Predicate {
    /// `@status(item) == 'value'`
    StatusEquals { item: StatusItem, value: String },
    /// `@status(item) IN {'a', 'b'}`. With no values it renders as `FALSEPREDICATE` (the
    /// same meaning), since an empty aggregate literal is not something Apple documents.
    StatusIn { item: StatusItem, values: Vec<String> },
    /// `@status(item) MATCHES 'regex'`: the ICU regex must match the whole value.
    StatusMatches { item: StatusItem, regex: String },
    /// Conjunction (`AND`); empty renders as `TRUEPREDICATE`.
    All(Vec<Predicate>),
    /// Disjunction (`OR`); empty renders as `FALSEPREDICATE`.
    Any(Vec<Predicate>),
}

impl Predicate {
    /// The device runs an OS version numerically at or above `major.minor.patch`.
    ///
    /// Rendered as `MATCHES` with [`version_at_least`] rather than `>=`, because `>=`
    /// would compare the version strings lexicographically.
    pub fn os_at_least(major: u16, minor: u16, patch: u16) -> Predicate {
        Predicate::StatusMatches {
            item: StatusItem::OperatingSystemVersion,
            regex: version_at_least(major, minor, patch),
        }
    }

    /// The device reports exactly this OS version string.
    ///
    /// This is string equality, so the caller must pass the form devices report
    /// (`26.3.1`, `18.0`): `18` would not match a device reporting `18.0`.
    pub fn os_equals(version: &str) -> Predicate {
        Predicate::StatusEquals { item: StatusItem::OperatingSystemVersion, value: version.to_owned() }
    }

    /// The device's OS family is one of `families`.
    ///
    /// One family renders as `==` and several as `IN {...}`, the most readable form of
    /// each. Duplicates are dropped (first occurrence kept) because they add nothing but
    /// noise; an empty list yields an empty `Any`, i.e. `FALSEPREDICATE`, since no family
    /// is a member of the empty set.
    pub fn family_in(families: &[&str]) -> Predicate {
        let mut values: Vec<String> = Vec::with_capacity(families.len());
        for family in families {
            if !values.iter().any(|v| v == family) {
                values.push((*family).to_owned());
            }
        }
        let item = StatusItem::OperatingSystemFamily;
        if values.len() > 1 {
            Predicate::StatusIn { item, values }
        } else if let Some(value) = values.pop() {
            Predicate::StatusEquals { item, value }
        } else {
            Predicate::Any(Vec::new())
        }
    }

    /// The predicate this one renders as: one-operand `All`/`Any` are transparent.
    fn effective(&self) -> &Predicate {
        let mut p = self;
        while let Predicate::All(ps) | Predicate::Any(ps) = p {
            match ps.as_slice() {
                [only] => p = only,
                _ => break,
            }
        }
        p
    }

    /// Renders the operands of an `All` (`parent_is_all`) or `Any`, joined by `op`,
    /// parenthesising the compound operands of the other kind (see [`Predicate`]).
    fn fmt_operands(f: &mut fmt::Formatter<'_>, operands: &[Predicate], op: &str, parent_is_all: bool) -> fmt::Result {
        for (i, operand) in operands.iter().enumerate() {
            if i > 0 {
                f.write_str(op)?;
            }
            let needs_parens = match operand.effective() {
                Predicate::All(ps) => ps.len() >= 2 && !parent_is_all,
                Predicate::Any(ps) => ps.len() >= 2 && parent_is_all,
                _ => false,
            };
            if needs_parens {
                write!(f, "({operand})")?;
            } else {
                write!(f, "{operand}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Predicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.effective() {
            Predicate::StatusEquals { item, value } => {
                write!(f, "@status({item}) == {}", quote(value))
            }
            Predicate::StatusIn { item, values } => {
                if values.is_empty() {
                    return f.write_str("FALSEPREDICATE");
                }
                write!(f, "@status({item}) IN {{")?;
                for (i, value) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(&quote(value))?;
                }
                f.write_str("}")
            }
            Predicate::StatusMatches { item, regex } => {
                write!(f, "@status({item}) MATCHES {}", quote(regex))
            }
            Predicate::All(ps) if ps.is_empty() => f.write_str("TRUEPREDICATE"),
            Predicate::Any(ps) if ps.is_empty() => f.write_str("FALSEPREDICATE"),
            Predicate::All(ps) => Predicate::fmt_operands(f, ps, " AND ", true),
            Predicate::Any(ps) => Predicate::fmt_operands(f, ps, " OR ", false),
        }
    }
}

/// Renders `s` as a single-quoted NSPredicate string literal.
///
/// The predicate parser interprets backslash escapes inside literals, so `\` becomes
/// `\\` and `'` becomes `\'`; nothing else can end the literal, so no input can change
/// the predicate's structure. `"` needs no escape inside single quotes.
///
/// Control characters are escaped rather than rejected (this function cannot fail):
/// newline, carriage return and tab as `\n`, `\r`, `\t`, every other one (C0, DEL, C1;
/// all in the BMP) as `\uXXXX` with four hex digits. That keeps the predicate on one line
/// and free of characters an XML property list cannot carry. Apple's guide documents
/// none of these escapes, so ddmc's validation should keep control characters out of
/// values in the first place; for the values ddmc actually emits (OS families, version
/// strings, regexes without backslashes) the literal is the text between two quotes.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// One version component: a decimal number without leading zeros.
const COMPONENT: &str = "(0|[1-9][0-9]*)";

/// Regex for up to `max` (1 or 2) further `.component` parts: the components a version
/// string may leave out, which then count as 0.
fn more_components(max: u8) -> String {
    if max == 1 { format!("([.]{COMPONENT})?") } else { format!("([.]{COMPONENT}){{0,{max}}}") }
}

/// A regex accepting exactly the version strings `M`, `M.m` or `M.m.p` (decimal
/// components without leading zeros) that are numerically at or above
/// `major.minor.patch`, missing components counting as 0.
///
/// Used with `MATCHES`, which already requires the whole string to match, so no anchors
/// are emitted; a top-level alternation is still wrapped in one group so the regex stays
/// correct if someone anchors it by hand. The regex contains no backslashes (`[.]` for a
/// dot, `[0-9]` for a digit), so NSPredicate's own escape processing cannot alter it.
/// Component values are not capped at 65535: any digit run is a number, which keeps the
/// regex short and errs towards accepting versions that no device reports.
///
/// The floor 15.0 gives `(1[5-9]|[2-9][0-9]|[1-9][0-9]{2,})([.](0|[1-9][0-9]*)){0,2}`.
pub fn version_at_least(major: u16, minor: u16, patch: u16) -> String {
    if minor == 0 && patch == 0 {
        // With the major at the floor any minor and patch will do, so one range covers
        // both "greater major" and "equal major".
        return format!("{}{}", group(&at_least(major.into())), more_components(2));
    }
    // Given an equal major: (minor, patch) at or above the floor's.
    let rest = if patch == 0 {
        format!("{}{}", group(&at_least(minor.into())), more_components(1))
    } else {
        format!("({}{}|{minor}[.]{})", group(&greater_than(minor)), more_components(1), group(&at_least(patch.into())))
    };
    format!("({}{}|{major}[.]{rest})", group(&greater_than(major)), more_components(2))
}

/// Joins regex alternatives, grouping them only when there is more than one.
fn group(alternatives: &[String]) -> String {
    match alternatives {
        [only] => only.clone(),
        _ => format!("({})", alternatives.join("|")),
    }
}

/// Alternatives matching exactly the decimal numbers (no leading zeros) greater than `n`.
fn greater_than(n: u16) -> Vec<String> {
    // Integers: "> n" is "≥ n + 1", and u32 leaves room for 65535 + 1.
    at_least(u32::from(n) + 1)
}

/// Alternatives matching exactly the decimal numbers (no leading zeros) at least `n`, in
/// ascending order, e.g. for 15: `1[5-9]`, `[2-9][0-9]`, `[1-9][0-9]{2,}`.
///
/// A number of the same length as `n` is at least `n` when it shares `n`'s first `i`
/// digits and has a larger digit at position `i` (anything after), or equals `n`. The
/// "equals" case folds into the position of `n`'s last nonzero digit: with only zeros
/// after it, "that digit or larger, then any digits" is exact. Numbers with more digits
/// than `n` always qualify. This keeps round floors short: 100 gives `[1-9][0-9]{2,}`.
fn at_least(n: u32) -> Vec<String> {
    let digits: Vec<u8> = n.to_string().bytes().map(|b| b.saturating_sub(b'0')).collect();
    let len = digits.len();
    let Some(last_nonzero) = digits.iter().rposition(|&d| d != 0) else {
        // n = 0: every number; a leading zero is allowed only in `0` itself.
        return vec!["0".to_owned(), "[1-9][0-9]*".to_owned()];
    };
    let mut alternatives = Vec::new();
    for (i, &digit) in digits.iter().enumerate().take(last_nonzero + 1).rev() {
        let low = if i == last_nonzero { digit } else { digit + 1 };
        if low > 9 {
            continue;
        }
        let mut alt: String = digits[..i].iter().map(|&d| char::from(b'0' + d)).collect();
        alt.push_str(&digit_range(low));
        alt.push_str(&any_digits(len - 1 - i));
        alternatives.push(alt);
    }
    if last_nonzero == 0 && digits.first() == Some(&1) {
        // n is a power of ten: `[1-9]` then `len - 1` digits is every number of that
        // length, so it merges with the longer ones into a single open-ended repeat.
        alternatives.clear();
        alternatives.push(match len - 1 {
            0 => "[1-9][0-9]*".to_owned(),
            1 => "[1-9][0-9]+".to_owned(),
            k => format!("[1-9][0-9]{{{k},}}"),
        });
    } else if len == 1 {
        alternatives.push("[1-9][0-9]+".to_owned());
    } else {
        alternatives.push(format!("[1-9][0-9]{{{len},}}"));
    }
    alternatives
}

/// A character class for the digits `low..=9`, in its shortest readable form.
fn digit_range(low: u8) -> String {
    match low {
        9 => "9".to_owned(),
        8 => "[89]".to_owned(),
        _ => format!("[{low}-9]"),
    }
}

/// Exactly `count` arbitrary digits.
fn any_digits(count: usize) -> String {
    match count {
        0 => String::new(),
        1 => "[0-9]".to_owned(),
        _ => format!("[0-9]{{{count}}}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::cmp::Ordering;

    // ----- helpers -----

    /// Unescapes one NSPredicate string literal at the start of `s` by the rules `quote`
    /// relies on. Returns the value and the rest of `s` after the closing quote, or
    /// `None` if there is no well-formed literal.
    fn unquote_prefix(s: &str) -> Option<(String, &str)> {
        let mut chars = s.char_indices();
        let (_, open) = chars.next()?;
        if open != '\'' && open != '"' {
            return None;
        }
        let mut value = String::new();
        while let Some((i, c)) = chars.next() {
            match c {
                c if c == open => return Some((value, &s[i + c.len_utf8()..])),
                '\\' => {
                    let (_, e) = chars.next()?;
                    match e {
                        '\\' | '\'' | '"' => value.push(e),
                        'n' => value.push('\n'),
                        'r' => value.push('\r'),
                        't' => value.push('\t'),
                        'u' => {
                            let hex: String = (0..4).filter_map(|_| chars.next()).map(|(_, h)| h).collect();
                            if hex.len() != 4 {
                                return None;
                            }
                            let code = u32::from_str_radix(&hex, 16).ok()?;
                            value.push(char::from_u32(code)?);
                        }
                        _ => return None,
                    }
                }
                c => value.push(c),
            }
        }
        None
    }

    /// The whole of `s` is exactly one literal: it neither ends early nor runs on.
    fn unquote_exact(s: &str) -> Option<String> {
        match unquote_prefix(s)? {
            (value, "") => Some(value),
            _ => None,
        }
    }

    /// Parses a version string by the rules the regex must implement.
    fn parse_version(s: &str) -> Option<Vec<&str>> {
        let parts: Vec<&str> = s.split('.').collect();
        let ok = (1..=3).contains(&parts.len())
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && (*p == "0" || !p.starts_with('0')));
        ok.then_some(parts)
    }

    /// Compares canonical decimal strings of any length numerically.
    fn cmp_decimal(a: &str, b: &str) -> Ordering {
        a.len().cmp(&b.len()).then_with(|| a.cmp(b))
    }

    /// The reference answer: is `s` a version numerically >= `floor`?
    fn reference_at_least(s: &str, floor: (u16, u16, u16)) -> bool {
        let Some(parts) = parse_version(s) else {
            return false;
        };
        let floor = [floor.0.to_string(), floor.1.to_string(), floor.2.to_string()];
        for (i, f) in floor.iter().enumerate() {
            let v = parts.get(i).copied().unwrap_or("0");
            match cmp_decimal(v, f) {
                Ordering::Greater => return true,
                Ordering::Less => return false,
                Ordering::Equal => {}
            }
        }
        true
    }

    /// The version regex compiled with whole-string semantics, as `MATCHES` applies it.
    fn whole(major: u16, minor: u16, patch: u16) -> regex::Regex {
        let pattern = format!("^(?:{})$", version_at_least(major, minor, patch));
        regex::Regex::new(&pattern).expect("version regex compiles")
    }

    fn mac() -> Predicate {
        Predicate::family_in(&["macOS"])
    }

    fn ios() -> Predicate {
        Predicate::family_in(&["iOS", "iPadOS"])
    }

    // ----- rendering -----

    #[test]
    fn status_item_names() {
        assert_eq!(StatusItem::OperatingSystemFamily.as_str(), "device.operating-system.family");
        assert_eq!(StatusItem::OperatingSystemVersion.to_string(), "device.operating-system.version");
    }

    #[test]
    fn renders_status_equals() {
        assert_eq!(mac().to_string(), "@status(device.operating-system.family) == 'macOS'");
        assert_eq!(Predicate::os_equals("26.3.1").to_string(), "@status(device.operating-system.version) == '26.3.1'");
    }

    #[test]
    fn renders_status_in() {
        assert_eq!(ios().to_string(), "@status(device.operating-system.family) IN {'iOS', 'iPadOS'}");
        let single = Predicate::StatusIn { item: StatusItem::OperatingSystemFamily, values: vec!["tvOS".into()] };
        assert_eq!(single.to_string(), "@status(device.operating-system.family) IN {'tvOS'}");
        let empty = Predicate::StatusIn { item: StatusItem::OperatingSystemFamily, values: vec![] };
        assert_eq!(empty.to_string(), "FALSEPREDICATE");
    }

    #[test]
    fn renders_status_matches() {
        assert_eq!(
            Predicate::os_at_least(15, 0, 0).to_string(),
            "@status(device.operating-system.version) MATCHES \
             '(1[5-9]|[2-9][0-9]|[1-9][0-9]{2,})([.](0|[1-9][0-9]*)){0,2}'"
        );
    }

    #[test]
    fn family_in_picks_the_simplest_form() {
        assert!(matches!(mac(), Predicate::StatusEquals { .. }));
        assert!(matches!(ios(), Predicate::StatusIn { .. }));
        assert_eq!(Predicate::family_in(&["macOS", "macOS"]), mac());
        assert_eq!(Predicate::family_in(&["iOS", "iPadOS", "iOS"]).to_string(), ios().to_string());
        assert_eq!(Predicate::family_in(&[]).to_string(), "FALSEPREDICATE");
    }

    #[test]
    fn renders_empty_compounds_as_identities() {
        assert_eq!(Predicate::All(vec![]).to_string(), "TRUEPREDICATE");
        assert_eq!(Predicate::Any(vec![]).to_string(), "FALSEPREDICATE");
        let nested = Predicate::Any(vec![Predicate::All(vec![]), mac()]);
        assert_eq!(nested.to_string(), "TRUEPREDICATE OR @status(device.operating-system.family) == 'macOS'");
    }

    #[test]
    fn single_operand_compounds_are_transparent() {
        let m = mac().to_string();
        assert_eq!(Predicate::All(vec![mac()]).to_string(), m);
        assert_eq!(Predicate::Any(vec![mac()]).to_string(), m);
        assert_eq!(Predicate::Any(vec![Predicate::All(vec![Predicate::Any(vec![mac()])])]).to_string(), m);
        // A one-operand wrapper around a compound takes that compound's parentheses.
        let inner_any = Predicate::All(vec![Predicate::Any(vec![mac(), ios()])]);
        let p = Predicate::All(vec![inner_any, Predicate::os_equals("1")]);
        assert_eq!(p.to_string(), format!("({m} OR {}) AND {}", ios(), Predicate::os_equals("1")));
    }

    #[test]
    fn renders_and_or() {
        let v = Predicate::os_equals("26.3.1");
        let all = Predicate::All(vec![mac(), v.clone()]);
        assert_eq!(all.to_string(), format!("{} AND {}", mac(), v));
        let any = Predicate::Any(vec![mac(), ios()]);
        assert_eq!(any.to_string(), format!("{} OR {}", mac(), ios()));
    }

    #[test]
    fn parenthesises_nested_compounds() {
        let a = Predicate::All(vec![mac(), Predicate::os_at_least(15, 0, 0)]);
        let b = Predicate::All(vec![ios(), Predicate::os_at_least(18, 0, 0)]);
        let any = Predicate::Any(vec![a.clone(), b.clone()]);
        assert_eq!(any.to_string(), format!("({a}) OR ({b})"));

        let either = Predicate::Any(vec![mac(), ios()]);
        let all = Predicate::All(vec![either.clone(), Predicate::os_equals("18.0")]);
        assert_eq!(all.to_string(), format!("({either}) AND {}", Predicate::os_equals("18.0")));
    }

    #[test]
    fn same_kind_nesting_needs_no_parentheses() {
        let v = Predicate::os_equals("1");
        let all = Predicate::All(vec![mac(), Predicate::All(vec![ios(), v.clone()])]);
        assert_eq!(all.to_string(), format!("{} AND {} AND {}", mac(), ios(), v));
        let any = Predicate::Any(vec![Predicate::Any(vec![mac(), ios()]), v.clone()]);
        assert_eq!(any.to_string(), format!("{} OR {} OR {}", mac(), ios(), v));
    }

    // ----- quoting -----

    #[test]
    fn quotes_plain_strings_verbatim() {
        assert_eq!(quote("macOS"), "'macOS'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("say \"hi\""), "'say \"hi\"'");
    }

    #[test]
    fn quotes_hostile_strings() {
        let cases = [
            ("'", r"'\''"),
            ("\\", r"'\\'"),
            ("\\'", r"'\\\''"),
            ("' OR TRUEPREDICATE OR '", r"'\' OR TRUEPREDICATE OR \''"),
            ("a\nb\tc\rd", r"'a\nb\tc\rd'"),
            ("\0\u{7f}\u{85}", r"'\u0000\u007F\u0085'"),
            ("end\\", r"'end\\'"),
        ];
        for (raw, expected) in cases {
            let quoted = quote(raw);
            assert_eq!(quoted, expected, "quoting {raw:?}");
            assert_eq!(unquote_exact(&quoted).as_deref(), Some(raw), "{quoted}");
            assert!(!quoted.chars().any(char::is_control), "{quoted:?}");
        }
    }

    #[test]
    fn hostile_value_stays_inside_its_literal() {
        let p = Predicate::StatusEquals {
            item: StatusItem::OperatingSystemFamily,
            value: "macOS' OR TRUEPREDICATE OR 'x".into(),
        };
        let rendered = p.to_string();
        let literal = rendered.strip_prefix("@status(device.operating-system.family) == ").expect("fixed prefix");
        assert_eq!(unquote_exact(literal).as_deref(), Some("macOS' OR TRUEPREDICATE OR 'x"));

        let p = Predicate::StatusIn {
            item: StatusItem::OperatingSystemFamily,
            values: vec!["a', 'b".into(), "}) OR (TRUEPREDICATE".into()],
        };
        let rendered = p.to_string();
        let mut rest = rendered.strip_prefix("@status(device.operating-system.family) IN {").expect("fixed prefix");
        let (first, after) = unquote_prefix(rest).expect("first literal");
        assert_eq!(first, "a', 'b");
        rest = after.strip_prefix(", ").expect("separator");
        let (second, after) = unquote_prefix(rest).expect("second literal");
        assert_eq!(second, "}) OR (TRUEPREDICATE");
        assert_eq!(after, "}");
    }

    // ----- version regex -----

    #[test]
    fn version_regex_forms_are_readable() {
        let cases = [
            ((15, 0, 0), "(1[5-9]|[2-9][0-9]|[1-9][0-9]{2,})([.](0|[1-9][0-9]*)){0,2}"),
            ((18, 0, 0), "(1[89]|[2-9][0-9]|[1-9][0-9]{2,})([.](0|[1-9][0-9]*)){0,2}"),
            (
                (15, 4, 0),
                "((1[6-9]|[2-9][0-9]|[1-9][0-9]{2,})([.](0|[1-9][0-9]*)){0,2}\
                 |15[.]([4-9]|[1-9][0-9]+)([.](0|[1-9][0-9]*))?)",
            ),
            (
                (26, 3, 1),
                "((2[7-9]|[3-9][0-9]|[1-9][0-9]{2,})([.](0|[1-9][0-9]*)){0,2}\
                 |26[.](([4-9]|[1-9][0-9]+)([.](0|[1-9][0-9]*))?|3[.][1-9][0-9]*))",
            ),
            ((0, 0, 0), "(0|[1-9][0-9]*)([.](0|[1-9][0-9]*)){0,2}"),
            ((1, 0, 0), "[1-9][0-9]*([.](0|[1-9][0-9]*)){0,2}"),
            ((99, 0, 0), "(99|[1-9][0-9]{2,})([.](0|[1-9][0-9]*)){0,2}"),
            ((100, 0, 0), "[1-9][0-9]{2,}([.](0|[1-9][0-9]*)){0,2}"),
            ((20, 0, 0), "([2-9][0-9]|[1-9][0-9]{2,})([.](0|[1-9][0-9]*)){0,2}"),
            (
                (15, 10, 0),
                "((1[6-9]|[2-9][0-9]|[1-9][0-9]{2,})([.](0|[1-9][0-9]*)){0,2}\
                 |15[.][1-9][0-9]+([.](0|[1-9][0-9]*))?)",
            ),
        ];
        for ((major, minor, patch), expected) in cases {
            assert_eq!(version_at_least(major, minor, patch), expected, "floor {major}.{minor}.{patch}");
        }
    }

    #[test]
    fn version_regex_needs_no_predicate_escaping() {
        for floor in [(0, 0, 0), (15, 4, 0), (26, 3, 1), (65535, 65535, 65535)] {
            let regex = version_at_least(floor.0, floor.1, floor.2);
            assert!(!regex.contains(['\\', '\'', '"', '^', '$']), "{regex}");
            assert_eq!(quote(&regex), format!("'{regex}'"));
        }
    }

    #[test]
    fn version_regex_table() {
        let cases: &[((u16, u16, u16), &str, bool)] = &[
            ((15, 4, 0), "15.10", true),
            ((15, 4, 0), "15.3.9", false),
            ((15, 4, 0), "16", true),
            ((15, 4, 0), "9.9", false),
            ((15, 4, 0), "15.4", true),
            ((15, 4, 0), "15.04", false),
            ((15, 4, 0), "15.4.0", true),
            ((15, 4, 0), "15", false),
            ((15, 4, 0), "100.0", true),
            ((15, 4, 0), "15.4.", false),
            ((15, 4, 0), "15.4.1.2", false),
            ((15, 4, 0), "v15.4", false),
            ((15, 4, 0), "", false),
            ((15, 0, 0), "15", true),
            ((15, 0, 0), "15.0.0", true),
            ((15, 0, 0), "14.99.99", false),
            ((15, 0, 0), "015", false),
            ((26, 3, 1), "26.3.1", true),
            ((26, 3, 1), "26.3", false),
            ((26, 3, 1), "26.3.0", false),
            ((26, 3, 1), "26.3.10", true),
            ((26, 3, 1), "26.4", true),
            ((26, 3, 1), "26.10", true),
            ((26, 3, 1), "27", true),
            ((9, 0, 0), "10", true),
            ((10, 0, 0), "9.9.9", false),
            ((10, 0, 0), "100", true),
            ((0, 0, 0), "0", true),
            ((0, 0, 0), "0.0.0", true),
            ((0, 0, 0), "00", false),
            ((0, 0, 1), "0", false),
            ((0, 0, 1), "0.0.1", true),
            ((0, 0, 1), "0.1", true),
        ];
        for &((major, minor, patch), version, expected) in cases {
            assert_eq!(whole(major, minor, patch).is_match(version), expected, "{version} >= {major}.{minor}.{patch}");
            assert_eq!(
                reference_at_least(version, (major, minor, patch)),
                expected,
                "reference disagrees on {version} >= {major}.{minor}.{patch}"
            );
        }
    }

    /// Floor components: mostly small (where real floors are), sometimes anything.
    fn floor_component() -> impl Strategy<Value = u16> {
        prop_oneof![0..=12u16, 0..=120u16, any::<u16>()]
    }

    /// A version component as text: canonical numbers of various sizes, and sometimes
    /// non-canonical or empty ones that must be rejected.
    fn version_component() -> impl Strategy<Value = String> {
        prop_oneof![
            6 => (0..=20u32).prop_map(|n| n.to_string()),
            3 => (0..=1000u32).prop_map(|n| n.to_string()),
            2 => any::<u32>().prop_map(|n| n.to_string()),
            1 => "0[0-9]{1,3}",
            1 => Just(String::new()),
        ]
    }

    /// A version near `floor`: each component the floor's plus a small delta, so the
    /// comparisons at every digit boundary get exercised.
    fn near(floor: u16, delta: i32) -> String {
        (i32::from(floor) + delta).max(0).to_string()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn version_regex_matches_numeric_order(
            floor in (floor_component(), floor_component(), floor_component()),
            parts in prop::collection::vec(version_component(), 1..=4),
        ) {
            let version = parts.join(".");
            prop_assert_eq!(
                whole(floor.0, floor.1, floor.2).is_match(&version),
                reference_at_least(&version, floor),
                "{} >= {:?}", version, floor
            );
        }

        #[test]
        fn version_regex_at_the_boundary(
            floor in (floor_component(), floor_component(), floor_component()),
            deltas in (-2..=2i32, -2..=2i32, -2..=2i32),
            len in 1..=3usize,
        ) {
            let all = [near(floor.0, deltas.0), near(floor.1, deltas.1), near(floor.2, deltas.2)];
            let version = all[..len].join(".");
            prop_assert_eq!(
                whole(floor.0, floor.1, floor.2).is_match(&version),
                reference_at_least(&version, floor),
                "{} >= {:?}", version, floor
            );
        }

        #[test]
        fn version_regex_rejects_junk(
            floor in (floor_component(), floor_component(), floor_component()),
            junk in "[0-9.a ]{0,12}",
        ) {
            prop_assert_eq!(
                whole(floor.0, floor.1, floor.2).is_match(&junk),
                reference_at_least(&junk, floor),
                "{:?} >= {:?}", junk, floor
            );
        }

        #[test]
        fn quote_round_trips_anything(s in any::<String>()) {
            let quoted = quote(&s);
            prop_assert_eq!(unquote_exact(&quoted), Some(s));
            prop_assert!(!quoted.chars().any(char::is_control));
        }

        #[test]
        fn quote_round_trips_quote_heavy_strings(s in "['\\\\\"a \n]{0,16}") {
            prop_assert_eq!(unquote_exact(&quote(&s)), Some(s));
        }
    }
}
