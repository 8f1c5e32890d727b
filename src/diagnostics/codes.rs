//! Stable diagnostic codes, so that CI scripts, SARIF consumers and MDM importers can match on
//! them: one table gives each its name and what it means (the SARIF rules and the README's
//! list come from it).

use serde::Serialize;

macro_rules! codes {
    ($( $variant:ident = $id:literal: $summary:literal, )*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum Code {
            $( #[doc = $summary] $variant, )*
        }

        impl Code {
            /// Every code, in the table's order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $id,)* }
            }

            /// What the code means, in one sentence.
            pub fn summary(self) -> &'static str {
                match self { $(Code::$variant => $summary,)* }
            }
        }
    };
}

codes! {
    Syntax = "syntax": "The file is not valid YAML or JSON (or not UTF-8 text).",
    DuplicateKey = "duplicate-key": "A key appears twice in one mapping.",
    UnknownKey = "unknown-key": "A key the policy format or Apple's schema does not have.",
    MissingKey = "missing-key": "A required key is absent.",
    WrongType = "wrong-type": "A value of the wrong type (a string where a boolean belongs, a fraction where a whole number does).",
    InvalidValue = "invalid-value": "A value outside the allowed set (an enum, a pattern, a combination Apple forbids).",
    OutOfRange = "out-of-range": "A number outside its range, or text longer than its limit.",
    InvalidFormat = "invalid-format": "A version, build, date-time or URL written in the wrong form.",
    DuplicateId = "duplicate-id": "Two policies (or declarations) share an id or Identifier.",
    ReservedId = "reserved-id": "A policy id ddmc reserves for its own declarations.",
    IdentifierTooLong = "identifier-too-long": "An Identifier longer than Apple's 64 octets.",
    AppleRule = "apple-rule": "A rule Apple states in its schema prose (beta programs, automatic downloads).",
    EnforcePlatform = "enforce-platform": "An `enforce` entry whose platform is missing or not targeted.",
    Unsupported = "unsupported": "A field that has no meaning on a targeted platform, OS version or enrollment, or a policy that produces nothing.",
    TokenEnvUnset = "token-env-unset": "The environment variable named by `token_env` is unset or empty.",
    Conflict = "conflict": "Policies that disagree for the same devices, or an enforcement target that can never apply.",
    NoPolicies = "no-policies": "The repository has no policy files.",
    Template = "template": "A template in a policy string that cannot be rendered, or one used without `--env`.",
    Catalog = "catalog": "Apple's catalog is missing where needed, unreadable, stale, or disagrees with a target.",
    Usage = "usage": "A command line that asks for something impossible (a missing folder, an unknown group or environment, an output that would replace the sources).",
    Stale = "stale": "Generated files that differ from what ddmc would write now (`apple-schemas --check`).",
    Io = "io": "A file that cannot be read or written.",
    Internal = "internal": "A bug in ddmc (output that would not validate against Apple's schema).",
    UnsafePath = "unsafe-path": "A policy file or ddmc.yaml that is a link leaving the repository, a dangling or looping link, or not a regular file.",
    TooLarge = "too-large": "An input over one of ddmc's size, depth or count limits.",
    UnsafeOutput = "unsafe-output": "An `output:` that leaves the repository or would replace its sources.",
    DefaultPrefix = "default-prefix": "Identifiers built from the default `com.example.ddm` prefix.",
    NotAFile = "not-a-file": "A path that is not a regular file (a FIFO, a device, a socket): never opened.",
    ControlCharacter = "control-character": "A character XML 1.0 cannot carry (control characters other than tab, LF and CR).",
    TooManyProblems = "too-many-problems": "Stands for the problems of one file beyond the first 50 shown.",
    PastDeadline = "past-deadline": "An enforcement deadline that has already passed on the clock (or `--now`).",
}

#[cfg(test)]
mod tests {
    use super::Code;

    /// The names are the serialised form, unique, and each is documented in the README.
    #[test]
    fn every_code_is_unique_serialised_as_named_and_documented() {
        let readme = include_str!("../../README.md");
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.as_str()), "{} twice", code.as_str());
            assert_eq!(serde_json::to_value(code).ok(), Some(serde_json::json!(code.as_str())));
            assert!(readme.contains(&format!("| `{}` |", code.as_str())), "README lists no `{}`", code.as_str());
        }
    }
}
