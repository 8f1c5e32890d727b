//! A value read from the environment (`token_env`): it belongs in the one declaration Apple
//! needs it in and nowhere else. The type has no `Display`, and its `Debug` shows only the
//! variable's name, so no diagnostic, explanation, report or log can print it by accident.

/// A secret and the environment variable it was read from.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    variable: String,
    value: String,
}

impl Secret {
    /// `None` for an unset or empty variable: an empty seeding token is no token.
    pub fn read(variable: &str, lookup: &(dyn Fn(&str) -> Option<String> + Sync)) -> Option<Secret> {
        let value = lookup(variable).filter(|v| !v.is_empty())?;
        Some(Secret { variable: variable.to_owned(), value })
    }

    pub fn variable(&self) -> &str {
        &self.variable
    }

    /// What stands for the secret wherever people read: `$BETA_TOKEN`.
    pub fn placeholder(&self) -> String {
        placeholder(&self.variable)
    }

    /// The value itself: only for the bytes that go to Apple.
    pub fn expose(&self) -> &str {
        &self.value
    }
}

/// `$NAME`: how a value from the environment variable `NAME` is shown.
pub fn placeholder(variable: &str) -> String {
    format!("${variable}")
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret(${})", self.variable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_names_the_variable_not_the_value() {
        let secret = Secret::read("BETA", &|_| Some("s3cr3t-value".into())).expect("set");
        let shown = format!("{secret:?} {}", secret.placeholder());
        assert_eq!(shown, "Secret($BETA) $BETA");
        assert_eq!(secret.expose(), "s3cr3t-value");
    }

    #[test]
    fn an_empty_variable_is_no_secret() {
        assert!(Secret::read("BETA", &|_| Some(String::new())).is_none());
        assert!(Secret::read("BETA", &|_| None).is_none());
    }
}
