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
/// - any other compound operand is parenthesised, an `All` inside an `Any` as much as an
///   `Any` inside an `All`: Apple documents no precedence for NSPredicate's AND and OR, and
///   parsers other than Apple's were seen to bind OR tighter, so nothing may rest on it.
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
    /// Negation, rendered `NOT (…)`.
    Not(Box<Predicate>),
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

    /// The device runs an OS version numerically below `major.minor.patch`: the negation of
    /// [`Predicate::os_at_least`] (a version string the floor's regex does not accept is
    /// below it; a device always reports a version).
    pub fn os_below(major: u16, minor: u16, patch: u16) -> Predicate {
        Predicate::Not(Box::new(Predicate::os_at_least(major, minor, patch)))
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
                write!(f, "@status({item}) == {}", Quoted(value))
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
                    write!(f, "{}", Quoted(value))?;
                }
                f.write_str("}")
            }
            Predicate::StatusMatches { item, regex } => {
                write!(f, "@status({item}) MATCHES {}", Quoted(regex))
            }
            Predicate::Not(p) => write!(f, "NOT ({p})"),
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
    Quoted(s).to_string()
}

/// [`quote`] written straight into a formatter: a predicate is rendered for every
/// configuration of every policy.
struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write as _;
        f.write_char('\'')?;
        if !self.0.chars().any(|c| matches!(c, '\\' | '\'') || c.is_control()) {
            f.write_str(self.0)?;
            return f.write_char('\'');
        }
        for c in self.0.chars() {
            match c {
                '\\' => f.write_str("\\\\")?,
                '\'' => f.write_str("\\'")?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                c if c.is_control() => write!(f, "\\u{:04X}", u32::from(c))?,
                c => f.write_char(c)?,
            }
        }
        f.write_char('\'')
    }
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
    // Thousands of policies share a handful of floors: each is built once per thread.
    thread_local! {
        static BUILT: std::cell::RefCell<foldhash::HashMap<(u16, u16, u16), String>> = Default::default();
    }
    BUILT.with(|built| {
        built.borrow_mut().entry((major, minor, patch)).or_insert_with(|| build_at_least(major, minor, patch)).clone()
    })
}

fn build_at_least(major: u16, minor: u16, patch: u16) -> String {
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
mod tests;
