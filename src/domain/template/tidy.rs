//! Tidying a rendered body's spaces: what an empty placeholder leaves behind. Pure; imports
//! nothing.

/// Collapse runs of spaces, drop spaces before a line break or closing punctuation that an
/// empty value left behind, and trim.
pub(super) fn tidy_spaces(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for line in s.lines() {
        if !out.is_empty() {
            out.push('\n');
        }
        let mut prev_space = false;
        for c in line.trim().chars() {
            if c == ' ' {
                prev_space = true;
                continue;
            }
            if prev_space && !matches!(c, '.' | ',' | '!' | '?') {
                out.push(' ');
            }
            prev_space = false;
            out.push(c);
        }
    }
    // Lines are trimmed already; only empty first or last lines can leave a newline at an end.
    let trimmed = out.trim();
    if trimmed.len() == out.len() {
        out
    } else {
        trimmed.to_string()
    }
}
