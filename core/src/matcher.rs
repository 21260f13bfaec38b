//! How one spec term matches one indexed value.
//!
//! Two forms exist, as in the original tool:
//! - a plain term (`auth0`, `jwt.sign`, `onEdit={() => {}}`) matches case-insensitively, with a
//!   word boundary required only at an end of the term that is a word character. So `auth0` does
//!   not match `loginWithAuth0` or `auth0x`, but `onEdit={() => {}}` matches wherever it occurs;
//! - a term written `/.../` is a case-insensitive regular expression (Rust `regex`, linear time).
//!
//! Both compile to one [`regex::Regex`], so matching is linear in the value whatever the term.

use regex::Regex;

/// A compiled term.
#[derive(Debug, Clone)]
pub struct Pattern {
    regex: Regex,
    needle: Option<String>,
    is_regex: bool,
}

/// Why a term could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// The term is empty (or `//`).
    #[error("the term is empty")]
    Empty,
    /// The text between slashes is not a valid regular expression.
    #[error("invalid regular expression: {0}")]
    Regex(String),
}

/// Whether `c` counts as part of a word for boundary purposes: exactly regex's Unicode `\w`,
/// so that the boundaries we add agree with the regex that enforces them.
pub fn is_word_char(c: char) -> bool {
    regex_syntax::try_is_word_character(c).unwrap_or_else(|_| c.is_alphanumeric() || c == '_')
}

/// Whether `term` is written as a regular expression (`/.../`).
pub fn is_regex_term(term: &str) -> bool {
    term.len() >= 2 && term.starts_with('/') && term.ends_with('/')
}

impl Pattern {
    /// Compiles a term as written in a spec.
    pub fn new(term: &str) -> Result<Pattern, PatternError> {
        if is_regex_term(term) {
            let body = &term[1..term.len() - 1];
            if body.is_empty() {
                return Err(PatternError::Empty);
            }
            let regex = regex::RegexBuilder::new(body)
                .case_insensitive(true)
                .build()
                .map_err(|e| PatternError::Regex(first_line_of_regex_error(&e)))?;
            return Ok(Pattern {
                regex,
                needle: None,
                is_regex: true,
            });
        }
        if term.is_empty() {
            return Err(PatternError::Empty);
        }
        let mut source = String::with_capacity(term.len() + 8);
        // `\b` before a word character is exactly "the previous character is not a word
        // character"; likewise after. Non-word ends get no boundary at all.
        if term.chars().next().is_some_and(is_word_char) {
            source.push_str(r"\b");
        }
        source.push_str(&regex::escape(term));
        if term.chars().next_back().is_some_and(is_word_char) {
            source.push_str(r"\b");
        }
        let regex = regex::RegexBuilder::new(&source)
            .case_insensitive(true)
            .build()
            .map_err(|e| PatternError::Regex(first_line_of_regex_error(&e)))?;
        let needle = term.is_ascii().then(|| term.to_ascii_lowercase());
        Ok(Pattern {
            regex,
            needle,
            is_regex: false,
        })
    }

    /// Whether the term matches somewhere in `value`.
    pub fn is_match(&self, value: &str) -> bool {
        self.regex.is_match(value)
    }

    /// The byte ranges of every non-overlapping match in `value`, left to right.
    pub fn find_spans<'v>(
        &'v self,
        value: &'v str,
    ) -> impl Iterator<Item = std::ops::Range<usize>> + 'v {
        self.regex
            .find_iter(value)
            .filter(|m| !m.is_empty())
            .map(|m| m.range())
    }

    /// A lowercase literal that every matching value contains, for a store to prefilter with.
    pub fn needle(&self) -> Option<&str> {
        self.needle.as_deref()
    }

    /// Whether the term was written as `/regex/`.
    pub fn is_regex(&self) -> bool {
        self.is_regex
    }
}

/// `regex` errors are multi-line with a caret diagram; keep the last, explanatory line.
fn first_line_of_regex_error(error: &regex::Error) -> String {
    let text = error.to_string();
    text.lines()
        .rev()
        .find(|l| l.trim_start().starts_with("error:"))
        .map(|l| {
            l.trim_start()
                .trim_start_matches("error:")
                .trim()
                .to_owned()
        })
        .unwrap_or_else(|| text.lines().last().unwrap_or_default().trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One table row: term, value, whether it must match.
    fn check(cases: &[(&str, &str, bool)]) {
        for &(term, value, expected) in cases {
            let pattern = Pattern::new(term).expect("valid term");
            assert_eq!(
                pattern.is_match(value),
                expected,
                "term {term:?} against value {value:?}"
            );
        }
    }

    #[test]
    fn literal_terms_need_boundaries_only_at_word_ends() {
        check(&[
            ("auth0", "auth0", true),
            ("auth0", "AUTH0", true),
            ("auth0", "import auth0 from 'x'", true),
            ("auth0", "auth0.domain", true),
            ("auth0", "loginWithAuth0", false),
            ("auth0", "auth0x", false),
            ("auth0", "my_auth0", false),
            ("product_id", "old_product_id", false),
            ("product_id", "product_id", true),
            ("product_id", "item.product_id", true),
            ("jwt.sign", "jwt.sign", true),
            ("jwt.sign", "jwt.signature", false),
            ("jwt.sign", "myjwt.sign", false),
            ("onEdit={() => {}}", "<Row onEdit={() => {}} />", true),
            ("onEdit={() => {}}", "onEdit={() => {}}x", true),
            ("onEdit={() => {}}", "xonEdit={() => {}}", false),
            (
                "variant?.retail_price ??",
                "variant?.retail_price ?? 0",
                true,
            ),
            ("/api/v2", "/api/v2/users", true),
            ("/api/v2", "/api/v20", false),
            ("/users", "/api/users", true),
            ("\"", "jwt.sign(p, \"s\")", true),
            ("class User", "class User(Base)", true),
            ("class User", "class Users", false),
            ("Ünïcode", "ünïcode", true),
            ("a.b", "aXb", false),
        ]);
    }

    #[test]
    fn regex_terms_are_case_insensitive_regexes() {
        check(&[
            (r"/.*\.product\.id/", "item.product.id", true),
            (r"/.*\.product\.id/", "item.PRODUCT.id", true),
            (r"/\.product_id/", "qr.product_id", true),
            (r"/\.product_id/", "product_id", false),
            (r"/^auth0$/", "auth0", true),
            (r"/^auth0$/", "auth0x", false),
        ]);
    }

    #[test]
    fn bad_terms_are_errors() {
        assert_eq!(Pattern::new("").unwrap_err(), PatternError::Empty);
        assert_eq!(Pattern::new("//").unwrap_err(), PatternError::Empty);
        let err = Pattern::new("/(unclosed/").unwrap_err();
        assert!(
            matches!(&err, PatternError::Regex(m) if m.contains("unclosed")),
            "{err}"
        );
        // A lone slash is a literal, not an empty regex.
        assert!(Pattern::new("/").unwrap().is_match("a/b"));
    }

    #[test]
    fn needles_only_for_ascii_literals() {
        assert_eq!(Pattern::new("Auth0").unwrap().needle(), Some("auth0"));
        assert_eq!(Pattern::new("/auth0/").unwrap().needle(), None);
        assert_eq!(Pattern::new("Ünï").unwrap().needle(), None);
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            /// A literal word term never matches inside a longer word: with a word character
            /// glued on either side there is no match, and with punctuation around it there is.
            #[test]
            fn literal_never_matches_inside_a_longer_word(
                term in "[A-Za-z_][A-Za-z0-9_]{0,12}",
                prefix in "[A-Za-z0-9_]{1,4}",
                suffix in "[A-Za-z0-9_]{1,4}",
                sep in "[ .(),;:=<>/\\[\\]{}-]",
            ) {
                let p = Pattern::new(&term).unwrap();
                let glued_before = format!("{}{}", prefix, term);
                let glued_after = format!("{}{}", term, suffix);
                let glued_both = format!("{}{}{}", prefix, term, suffix);
                let separated = format!("{}{}{}{}{}", prefix, sep, term, sep, suffix);
                prop_assert!(!p.is_match(&glued_before));
                prop_assert!(!p.is_match(&glued_after));
                prop_assert!(!p.is_match(&glued_both));
                prop_assert!(p.is_match(&separated));
                prop_assert!(p.is_match(&term.to_uppercase()));
            }

            /// Any text at all is accepted as a literal term and matches itself.
            #[test]
            fn any_literal_matches_itself(term in "\\PC{1,20}") {
                prop_assume!(!is_regex_term(&term));
                let p = Pattern::new(&term).unwrap();
                prop_assert!(p.is_match(&term));
            }
        }
    }
}
