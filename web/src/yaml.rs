//! A small YAML tokenizer for syntax highlighting, one line at a time.
//!
//! It is not a parser: it splits each line into spans a stylesheet can colour (comments, keys,
//! strings, list dashes, scalars, punctuation) and never fails. The spans of a line concatenate
//! back to the line exactly, so highlighting never changes the text. Block scalars (`key: |`)
//! are tracked across lines, which is the only state YAML highlighting needs.

/// What a span of YAML is, for colouring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Whitespace or anything not worth colouring.
    Plain,
    /// `# ...` to the end of the line.
    Comment,
    /// A mapping key (without its colon).
    Key,
    /// A quoted string, or a line of a block scalar.
    String,
    /// The `-` of a list item.
    Dash,
    /// A plain scalar (a word, a glob, a `/regex/`).
    Scalar,
    /// A number.
    Number,
    /// `true`, `false`, `null`, `~`.
    Constant,
    /// `:`, `,`, `[`, `]`, `{`, `}`, `|`, `>`, `---`.
    Punct,
}

impl Kind {
    /// The CSS class of the span (`None` for plain text).
    pub fn class(self) -> Option<&'static str> {
        match self {
            Kind::Plain => None,
            Kind::Comment => Some("yaml-comment"),
            Kind::Key => Some("yaml-key"),
            Kind::String => Some("yaml-string"),
            Kind::Dash => Some("yaml-dash"),
            Kind::Scalar => Some("yaml-scalar"),
            Kind::Number => Some("yaml-number"),
            Kind::Constant => Some("yaml-const"),
            Kind::Punct => Some("yaml-punct"),
        }
    }
}

/// A span of a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// What it is.
    pub kind: Kind,
    /// Its text.
    pub text: String,
}

/// Tokenizes a whole document: one token list per line (`str::lines` splitting).
pub fn tokenize(yaml: &str) -> Vec<Vec<Token>> {
    // The indentation of the key that opened a block scalar, while inside one.
    let mut block_parent: Option<usize> = None;
    yaml.lines()
        .map(|line| {
            let indent = line.len() - line.trim_start_matches(' ').len();
            if let Some(parent) = block_parent {
                if line.trim().is_empty() {
                    return vec![tok(Kind::Plain, line)];
                }
                if indent > parent {
                    return vec![
                        tok(Kind::Plain, &line[..indent]),
                        tok(Kind::String, &line[indent..]),
                    ];
                }
                block_parent = None;
            }
            let tokens = tokenize_line(line);
            if opens_block_scalar(&tokens) {
                block_parent = Some(item_indent(&tokens));
            }
            tokens
        })
        .collect()
}

/// Tokenizes one line on its own (no block scalar context).
pub fn tokenize_line(line: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut rest = line;
    take_ws(&mut rest, &mut out);
    if rest == "---" || rest == "..." || rest.starts_with("--- ") {
        let end = 3;
        out.push(tok(Kind::Punct, &rest[..end]));
        rest = &rest[end..];
        take_ws(&mut rest, &mut out);
        value(rest, &mut out);
        return out;
    }
    // List dashes, possibly nested (`- - a`).
    while rest == "-" || rest.starts_with("- ") || rest.starts_with("-\t") {
        out.push(tok(Kind::Dash, "-"));
        rest = &rest[1..];
        take_ws(&mut rest, &mut out);
    }
    if rest.starts_with('#') {
        out.push(tok(Kind::Comment, rest));
        return out;
    }
    if let Some(key_len) = key_length(rest) {
        out.push(tok(Kind::Key, &rest[..key_len]));
        out.push(tok(Kind::Punct, ":"));
        rest = &rest[key_len + 1..];
        take_ws(&mut rest, &mut out);
    }
    value(rest, &mut out);
    out
}

fn tok(kind: Kind, text: &str) -> Token {
    Token {
        kind,
        text: text.to_owned(),
    }
}

/// Moves leading spaces and tabs of `rest` into a plain token.
fn take_ws(rest: &mut &str, out: &mut Vec<Token>) {
    let trimmed = rest.trim_start_matches([' ', '\t']);
    let n = rest.len() - trimmed.len();
    if n > 0 {
        push(out, Kind::Plain, &rest[..n]);
        *rest = trimmed;
    }
}

/// Pushes a token, merging it into the previous one when both are plain.
fn push(out: &mut Vec<Token>, kind: Kind, text: &str) {
    if text.is_empty() {
        return;
    }
    if kind == Kind::Plain
        && let Some(last) = out.last_mut()
        && last.kind == Kind::Plain
    {
        last.text.push_str(text);
        return;
    }
    out.push(tok(kind, text));
}

/// The byte length of a mapping key at the start of `s` (a plain or quoted key followed by `:`
/// and a space or the end of the line).
fn key_length(s: &str) -> Option<usize> {
    let len = if s.starts_with('"') || s.starts_with('\'') {
        quoted_length(s)?
    } else {
        if s.starts_with(['[', '{', '|', '>', '&', '*', '!', '%', '@', '`']) {
            return None;
        }
        let mut end = None;
        for (i, c) in s.char_indices() {
            if c == ':' && is_value_break(&s[i + 1..]) {
                end = Some(i);
                break;
            }
            if c == '#' && i > 0 && s[..i].ends_with([' ', '\t']) {
                return None;
            }
        }
        end?
    };
    (len > 0 && s[len..].starts_with(':') && is_value_break(&s[len + 1..])).then_some(len)
}

/// Whether what follows a `:` makes it a key separator.
fn is_value_break(after: &str) -> bool {
    after.is_empty() || after.starts_with([' ', '\t'])
}

/// The byte length of the quoted string at the start of `s`, closing quote included (`None`
/// when it is not closed on this line).
fn quoted_length(s: &str) -> Option<usize> {
    let quote = s.chars().next()?;
    let mut chars = s.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        if quote == '"' && c == '\\' {
            chars.next();
        } else if c == quote {
            if quote == '\'' && chars.peek().is_some_and(|&(_, n)| n == '\'') {
                chars.next();
                continue;
            }
            return Some(i + 1);
        }
    }
    None
}

/// Tokenizes a value (what follows a key, a dash or nothing).
fn value(mut rest: &str, out: &mut Vec<Token>) {
    if rest.starts_with(['[', '{']) {
        flow(rest, out);
        return;
    }
    if rest.starts_with('#') {
        push(out, Kind::Comment, rest);
        return;
    }
    if rest.starts_with(['|', '>']) {
        let end = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
        push(out, Kind::Punct, &rest[..end]);
        rest = &rest[end..];
        take_ws(&mut rest, out);
        if !rest.is_empty() {
            push(out, Kind::Comment, rest);
        }
        return;
    }
    if rest.starts_with(['"', '\'']) {
        let len = quoted_length(rest).unwrap_or(rest.len());
        push(out, Kind::String, &rest[..len]);
        rest = &rest[len..];
        take_ws(&mut rest, out);
        if rest.starts_with('#') {
            push(out, Kind::Comment, rest);
        } else {
            push(out, Kind::Plain, rest);
        }
        return;
    }
    // A plain scalar runs to ` #` (a comment) or the end of the line.
    let comment = rest
        .char_indices()
        .find(|&(i, c)| c == '#' && i > 0 && rest[..i].ends_with([' ', '\t']))
        .map(|(i, _)| i);
    let (scalar, comment) = match comment {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let text = scalar.trim_end();
    push(out, scalar_kind(text), text);
    push(out, Kind::Plain, &scalar[text.len()..]);
    push(out, Kind::Comment, comment);
}

/// Tokenizes a flow collection (`[a, "b"]`, `{k: v}`) and whatever follows it on the line.
fn flow(line: &str, out: &mut Vec<Token>) {
    let mut rest = line;
    while !rest.is_empty() {
        take_ws(&mut rest, out);
        let Some(c) = rest.chars().next() else { break };
        if c == '#' {
            push(out, Kind::Comment, rest);
            return;
        }
        if matches!(c, '[' | ']' | '{' | '}' | ',') {
            push(out, Kind::Punct, &rest[..1]);
            rest = &rest[1..];
            continue;
        }
        if c == ':' {
            push(out, Kind::Punct, ":");
            rest = &rest[1..];
            continue;
        }
        if c == '"' || c == '\'' {
            let len = quoted_length(rest).unwrap_or(rest.len());
            let kind = if rest[len..].trim_start().starts_with(':') {
                Kind::Key
            } else {
                Kind::String
            };
            push(out, kind, &rest[..len]);
            rest = &rest[len..];
            continue;
        }
        // A plain scalar inside a flow collection ends at an indicator.
        let end = rest
            .char_indices()
            .find(|&(i, ch)| {
                matches!(ch, ',' | '[' | ']' | '{' | '}')
                    || (ch == ':' && is_flow_break(&rest[i + 1..]))
                    || (ch == '#' && i > 0 && rest[..i].ends_with([' ', '\t']))
            })
            .map_or(rest.len(), |(i, _)| i);
        let word = &rest[..end];
        let text = word.trim_end();
        let kind = if rest[end..].starts_with(':') {
            Kind::Key
        } else {
            scalar_kind(text)
        };
        push(out, kind, text);
        push(out, Kind::Plain, &word[text.len()..]);
        rest = &rest[end..];
    }
}

fn is_flow_break(after: &str) -> bool {
    is_value_break(after) || after.starts_with([',', ']', '}'])
}

/// The kind of a plain scalar.
fn scalar_kind(text: &str) -> Kind {
    match text {
        "true" | "false" | "True" | "False" | "TRUE" | "FALSE" | "null" | "Null" | "NULL" | "~" => {
            Kind::Constant
        }
        _ if is_number(text) => Kind::Number,
        _ => Kind::Scalar,
    }
}

fn is_number(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    !digits.is_empty()
        && digits.chars().any(|c| c.is_ascii_digit())
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '_')
        && digits.matches('.').count() <= 1
}

/// Whether a tokenized line ends with a block scalar indicator (`key: |`, `- >-`).
fn opens_block_scalar(tokens: &[Token]) -> bool {
    let meaningful: Vec<&Token> = tokens
        .iter()
        .filter(|t| t.kind != Kind::Plain && t.kind != Kind::Comment)
        .collect();
    meaningful
        .last()
        .is_some_and(|t| t.kind == Kind::Punct && t.text.starts_with(['|', '>']))
}

/// The indentation a block scalar's lines must exceed: that of the key (or dash) opening it.
fn item_indent(tokens: &[Token]) -> usize {
    let mut col = 0;
    for t in tokens {
        if t.kind == Kind::Key {
            return col;
        }
        col += t.text.len();
    }
    tokens
        .first()
        .filter(|t| t.kind == Kind::Plain)
        .map_or(0, |t| t.text.len())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly.
mod tests {
    use super::*;

    /// The non-plain spans of a line as `(kind, text)`.
    fn spans(line: &str) -> Vec<(Kind, String)> {
        let tokens = tokenize_line(line);
        let joined: String = tokens.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(joined, line, "tokens must concatenate back to the line");
        tokens
            .into_iter()
            .filter(|t| t.kind != Kind::Plain)
            .map(|t| (t.kind, t.text))
            .collect()
    }

    fn s(kind: Kind, text: &str) -> (Kind, String) {
        (kind, text.to_owned())
    }

    #[test]
    fn comments_whole_and_trailing() {
        assert_eq!(spans("# a comment"), [s(Kind::Comment, "# a comment")]);
        assert_eq!(spans("   # indented"), [s(Kind::Comment, "# indented")]);
        assert_eq!(
            spans("severity: high # worst"),
            [
                s(Kind::Key, "severity"),
                s(Kind::Punct, ":"),
                s(Kind::Scalar, "high"),
                s(Kind::Comment, "# worst"),
            ]
        );
        // A `#` inside a word is not a comment.
        assert_eq!(
            spans("url: a#b"),
            [
                s(Kind::Key, "url"),
                s(Kind::Punct, ":"),
                s(Kind::Scalar, "a#b")
            ]
        );
    }

    #[test]
    fn keys_and_scalars() {
        assert_eq!(
            spans("refactor_name: Auth0 to Cognito"),
            [
                s(Kind::Key, "refactor_name"),
                s(Kind::Punct, ":"),
                s(Kind::Scalar, "Auth0 to Cognito"),
            ]
        );
        assert_eq!(
            spans("rules:"),
            [s(Kind::Key, "rules"), s(Kind::Punct, ":")]
        );
        assert_eq!(
            spans("version: 1"),
            [
                s(Kind::Key, "version"),
                s(Kind::Punct, ":"),
                s(Kind::Number, "1")
            ]
        );
        assert_eq!(
            spans("on: true"),
            [
                s(Kind::Key, "on"),
                s(Kind::Punct, ":"),
                s(Kind::Constant, "true")
            ]
        );
        // A colon without a space after it is part of a scalar, not a key.
        assert_eq!(spans("http://x"), [s(Kind::Scalar, "http://x")]);
        assert_eq!(
            spans("a: b: c"),
            [
                s(Kind::Key, "a"),
                s(Kind::Punct, ":"),
                s(Kind::Scalar, "b: c")
            ]
        );
    }

    #[test]
    fn strings_single_and_double() {
        assert_eq!(
            spans(r#"description: "say \"hi\"" # c"#),
            [
                s(Kind::Key, "description"),
                s(Kind::Punct, ":"),
                s(Kind::String, r#""say \"hi\"""#),
                s(Kind::Comment, "# c"),
            ]
        );
        assert_eq!(
            spans("- 'it''s'"),
            [s(Kind::Dash, "-"), s(Kind::String, "'it''s'")]
        );
        // An unclosed quote runs to the end of the line.
        assert_eq!(
            spans("a: \"open"),
            [
                s(Kind::Key, "a"),
                s(Kind::Punct, ":"),
                s(Kind::String, "\"open")
            ]
        );
        assert_eq!(
            spans("\"quoted key\": v"),
            [
                s(Kind::Key, "\"quoted key\""),
                s(Kind::Punct, ":"),
                s(Kind::Scalar, "v")
            ]
        );
    }

    #[test]
    fn list_dashes() {
        assert_eq!(
            spans("  - id: auth0-config"),
            [
                s(Kind::Dash, "-"),
                s(Kind::Key, "id"),
                s(Kind::Punct, ":"),
                s(Kind::Scalar, "auth0-config"),
            ]
        );
        assert_eq!(
            spans("- - x"),
            [s(Kind::Dash, "-"), s(Kind::Dash, "-"), s(Kind::Scalar, "x")]
        );
        assert_eq!(spans("-"), [s(Kind::Dash, "-")]);
        // A negative number is not a dash.
        assert_eq!(spans("-3"), [s(Kind::Number, "-3")]);
        assert_eq!(
            spans("- /auth0_id/"),
            [s(Kind::Dash, "-"), s(Kind::Scalar, "/auth0_id/")]
        );
    }

    #[test]
    fn flow_collections() {
        assert_eq!(
            spans("identifiers: [auth0, 'Get Token', \"x\"]"),
            [
                s(Kind::Key, "identifiers"),
                s(Kind::Punct, ":"),
                s(Kind::Punct, "["),
                s(Kind::Scalar, "auth0"),
                s(Kind::Punct, ","),
                s(Kind::String, "'Get Token'"),
                s(Kind::Punct, ","),
                s(Kind::String, "\"x\""),
                s(Kind::Punct, "]"),
            ]
        );
        assert_eq!(
            spans("m: {a: 1, b: x} # c"),
            [
                s(Kind::Key, "m"),
                s(Kind::Punct, ":"),
                s(Kind::Punct, "{"),
                s(Kind::Key, "a"),
                s(Kind::Punct, ":"),
                s(Kind::Number, "1"),
                s(Kind::Punct, ","),
                s(Kind::Key, "b"),
                s(Kind::Punct, ":"),
                s(Kind::Scalar, "x"),
                s(Kind::Punct, "}"),
                s(Kind::Comment, "# c"),
            ]
        );
        assert_eq!(
            spans("include: [\"backend/**\"]"),
            [
                s(Kind::Key, "include"),
                s(Kind::Punct, ":"),
                s(Kind::Punct, "["),
                s(Kind::String, "\"backend/**\""),
                s(Kind::Punct, "]"),
            ]
        );
    }

    #[test]
    fn block_scalars_span_lines() {
        let doc = "guidance: |\n  Use # this\n    and: that\n\nnext: 1\n";
        let lines = tokenize(doc);
        assert_eq!(lines.len(), 5);
        assert_eq!(lines[0].last().unwrap().kind, Kind::Punct);
        assert_eq!(lines[1][1], tok(Kind::String, "Use # this"));
        assert_eq!(lines[2][1], tok(Kind::String, "and: that"));
        assert_eq!(lines[4][0], tok(Kind::Key, "next"));
        // A block under a list item's key ends at the next item.
        let doc = "- a: >-\n    folded\n- b\n";
        let lines = tokenize(doc);
        assert_eq!(lines[1][1].kind, Kind::String);
        assert_eq!(lines[2][0].kind, Kind::Dash);
    }

    #[test]
    fn documents_and_odd_input_round_trip() {
        assert_eq!(spans("---"), [s(Kind::Punct, "---")]);
        for line in [
            "",
            "   ",
            "\t- x",
            "key:",
            "a:b",
            ": x",
            "[unclosed",
            "{a: [1, {b: 'c'}]}",
            "é: ü # ß",
            "- \"a\" trailing",
            "x: |+ # keep",
            "'\"",
        ] {
            spans(line);
        }
        let doc = "a: 1\r\nb: 2";
        assert_eq!(tokenize(doc).len(), 2);
    }
}
