//! Classifies the lines of a unified diff for the coloured diff viewer, with the old and new
//! line numbers of each line.

/// What a diff line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// A file header or anything outside a hunk (`--- a/x`, `Binary files differ`).
    Meta,
    /// `@@ -1,3 +1,4 @@`.
    Hunk,
    /// `+added`.
    Add,
    /// `-removed`.
    Del,
    /// ` unchanged`.
    Context,
    /// `\ No newline at end of file`.
    Note,
}

impl LineKind {
    /// The CSS class of the line.
    pub fn class(self) -> &'static str {
        match self {
            LineKind::Meta => "diff-meta",
            LineKind::Hunk => "diff-hunk",
            LineKind::Add => "diff-add",
            LineKind::Del => "diff-del",
            LineKind::Context => "diff-ctx",
            LineKind::Note => "diff-note",
        }
    }
}

/// One classified line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    /// What it is.
    pub kind: LineKind,
    /// Its number in the old file (removed and context lines).
    pub old: Option<u32>,
    /// Its number in the new file (added and context lines).
    pub new: Option<u32>,
    /// The line as in the diff, marker included.
    pub text: String,
}

/// The start and length of the old and new ranges of a hunk header
/// (`@@ -12,3 +12,4 @@ fn x`), lengths defaulting to 1.
pub fn parse_hunk_header(line: &str) -> Option<(u32, u32, u32, u32)> {
    let rest = line.strip_prefix("@@ -")?;
    let (ranges, _) = rest.split_once(" @@")?;
    let (old, new) = ranges.split_once(" +")?;
    let range = |r: &str| -> Option<(u32, u32)> {
        match r.split_once(',') {
            Some((start, len)) => Some((start.parse().ok()?, len.parse().ok()?)),
            None => Some((r.parse().ok()?, 1)),
        }
    };
    let (old_start, old_len) = range(old)?;
    let (new_start, new_len) = range(new)?;
    Some((old_start, old_len, new_start, new_len))
}

/// Classifies every line of a unified diff. Inside a hunk the header's line counts say where
/// it ends, so a removed line reading `-- x` (shown `--- x`) is not taken for a file header.
pub fn classify(diff: &str) -> Vec<DiffLine> {
    let mut out = Vec::new();
    // Lines left in the current hunk, old and new side; `None` outside a hunk.
    let mut hunk: Option<(u32, u32)> = None;
    let (mut old_no, mut new_no) = (0u32, 0u32);
    for text in diff.lines() {
        let line = |kind, old, new| DiffLine {
            kind,
            old,
            new,
            text: text.to_owned(),
        };
        if let Some((old_left, new_left)) = hunk {
            let first = text.chars().next();
            let entry = match first {
                Some('+') if new_left > 0 => {
                    new_no += 1;
                    hunk = Some((old_left, new_left - 1));
                    Some(line(LineKind::Add, None, Some(new_no)))
                }
                Some('-') if old_left > 0 => {
                    old_no += 1;
                    hunk = Some((old_left - 1, new_left));
                    Some(line(LineKind::Del, Some(old_no), None))
                }
                // Some tools strip the space of an empty context line.
                Some(' ') | None if old_left > 0 && new_left > 0 => {
                    old_no += 1;
                    new_no += 1;
                    hunk = Some((old_left - 1, new_left - 1));
                    Some(line(LineKind::Context, Some(old_no), Some(new_no)))
                }
                Some('\\') => Some(line(LineKind::Note, None, None)),
                _ => None,
            };
            if let Some(entry) = entry {
                out.push(entry);
                if hunk == Some((0, 0)) {
                    hunk = None;
                }
                continue;
            }
            hunk = None;
        }
        if text.starts_with("\\ ") {
            out.push(line(LineKind::Note, None, None));
        } else if let Some((old_start, old_len, new_start, new_len)) = parse_hunk_header(text) {
            old_no = old_start.saturating_sub(1);
            new_no = new_start.saturating_sub(1);
            // An empty side of a hunk starts at the line before it (`-0,0`, `+5,0`).
            if old_len == 0 {
                old_no = old_start;
            }
            if new_len == 0 {
                new_no = new_start;
            }
            hunk = (old_len > 0 || new_len > 0).then_some((old_len, new_len));
            out.push(line(LineKind::Hunk, None, None));
        } else {
            out.push(line(LineKind::Meta, None, None));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(diff: &str) -> Vec<LineKind> {
        classify(diff).iter().map(|l| l.kind).collect()
    }

    #[test]
    fn hunk_headers_parse_with_and_without_lengths() {
        assert_eq!(parse_hunk_header("@@ -1,3 +1,4 @@"), Some((1, 3, 1, 4)));
        assert_eq!(parse_hunk_header("@@ -5 +7 @@ fn x()"), Some((5, 1, 7, 1)));
        assert_eq!(parse_hunk_header("@@ -0,0 +1,2 @@"), Some((0, 0, 1, 2)));
        assert_eq!(parse_hunk_header("@@ nonsense @@"), None);
        assert_eq!(parse_hunk_header("--- a/x"), None);
    }

    #[test]
    fn lines_are_classified_and_numbered() {
        let diff = "--- a/auth.js\n+++ b/auth.js\n@@ -1,3 +1,3 @@\n const a = 1;\n-const d = process.env.AUTH0_DOMAIN;\n+const d = process.env.COGNITO_USER_POOL_ID;\n const b = 2;\n";
        let lines = classify(diff);
        assert_eq!(
            lines.iter().map(|l| l.kind).collect::<Vec<_>>(),
            [
                LineKind::Meta,
                LineKind::Meta,
                LineKind::Hunk,
                LineKind::Context,
                LineKind::Del,
                LineKind::Add,
                LineKind::Context,
            ]
        );
        assert_eq!((lines[3].old, lines[3].new), (Some(1), Some(1)));
        assert_eq!((lines[4].old, lines[4].new), (Some(2), None));
        assert_eq!((lines[5].old, lines[5].new), (None, Some(2)));
        assert_eq!((lines[6].old, lines[6].new), (Some(3), Some(3)));
        assert_eq!(lines[1].text, "+++ b/auth.js");
    }

    #[test]
    fn a_removed_line_that_looks_like_a_header_stays_removed() {
        // The removed line is `-- comment`: the diff shows `--- comment`.
        let diff = "--- a/q.sql\n+++ b/q.sql\n@@ -1,2 +1,1 @@\n--- comment\n select 1;\n--- a/next\n+++ b/next\n";
        assert_eq!(
            kinds(diff),
            [
                LineKind::Meta,
                LineKind::Meta,
                LineKind::Hunk,
                LineKind::Del,
                LineKind::Context,
                LineKind::Meta,
                LineKind::Meta,
            ]
        );
    }

    #[test]
    fn several_hunks_new_files_notes_and_binaries() {
        let diff = "@@ -0,0 +1,2 @@\n+a\n+b\n\\ No newline at end of file\n@@ -10,2 +11,2 @@\n x\n-y\n+z\n\nBinary files a/i.png and b/i.png differ";
        let lines = classify(diff);
        assert_eq!(
            lines.iter().map(|l| l.kind).collect::<Vec<_>>(),
            [
                LineKind::Hunk,
                LineKind::Add,
                LineKind::Add,
                LineKind::Note,
                LineKind::Hunk,
                LineKind::Context,
                LineKind::Del,
                LineKind::Add,
                LineKind::Meta,
                LineKind::Meta,
            ]
        );
        assert_eq!(lines[1].new, Some(1));
        assert_eq!(lines[5].old, Some(10));
        assert_eq!(lines[5].new, Some(11));
        assert_eq!(lines[7].new, Some(12));
        // An empty line inside a hunk is a context line whose space was stripped.
        let lines = classify("@@ -1,3 +1,3 @@\n a\n\n-b\n+c\n");
        assert_eq!(lines[2].kind, LineKind::Context);
        assert_eq!(lines[2].old, Some(2));
        assert!(classify("").is_empty());
    }

    #[test]
    fn classes_are_the_viewer_hooks() {
        assert_eq!(LineKind::Add.class(), "diff-add");
        assert_eq!(LineKind::Del.class(), "diff-del");
        assert_eq!(LineKind::Hunk.class(), "diff-hunk");
        assert_eq!(LineKind::Context.class(), "diff-ctx");
    }
}
