//! CSV text (RFC 4180) for exports that managers open in a spreadsheet.
//!
//! Pure. A text field that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, or a
//! tab or carriage return first) is prefixed with `'` (OWASP "CSV injection"): a patient
//! can put anything in a reply, and an export must not execute it. Numbers are written as
//! numbers, unguarded (a negative difference stays a number).

use std::borrow::Cow;

/// One cell.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell<'a> {
    /// Free text: quoted when needed and guarded against formulas.
    Text(Cow<'a, str>),
    /// A number or a fixed token (ids, counts, rates, ISO times): written as is.
    Raw(Cow<'a, str>),
    Empty,
}

impl<'a> Cell<'a> {
    pub fn text(s: impl Into<Cow<'a, str>>) -> Self {
        Self::Text(s.into())
    }

    pub fn raw(s: impl Into<Cow<'a, str>>) -> Self {
        Self::Raw(s.into())
    }

    /// A number, or an empty cell for `None`.
    pub fn num<T: ToString>(n: Option<T>) -> Self {
        n.map_or(Self::Empty, |n| Self::Raw(n.to_string().into()))
    }

    /// Optional text.
    pub fn opt(s: Option<&'a str>) -> Self {
        s.map_or(Self::Empty, |s| Self::Text(s.into()))
    }
}

/// Quote a field when it holds a comma, a quote or a line break.
fn quote(s: &str, out: &mut String) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

/// One record, ending in a line break.
pub fn record(cells: &[Cell<'_>]) -> String {
    let mut out = String::new();
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match c {
            Cell::Empty => {}
            Cell::Raw(s) => quote(s, &mut out),
            Cell::Text(s) => {
                if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                    quote(&format!("'{s}"), &mut out);
                } else {
                    quote(s, &mut out);
                }
            }
        }
    }
    out.push('\n');
    out
}

/// A header record from plain column names.
pub fn header(names: &[&str]) -> String {
    let cells: Vec<Cell<'_>> = names.iter().map(|n| Cell::raw(*n)).collect();
    record(&cells)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("plain", "plain\n")]
    #[case("Okafor, Ada", "\"Okafor, Ada\"\n")]
    #[case("say \"hi\"", "\"say \"\"hi\"\"\"\n")]
    #[case("two\nlines", "\"two\nlines\"\n")]
    #[case("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\"\n")]
    #[case("+1 555", "'+1 555\n")]
    #[case("-rf", "'-rf\n")]
    #[case("@SUM(A1)", "'@SUM(A1)\n")]
    #[case("Peña Ñúñez", "Peña Ñúñez\n")]
    fn text_is_quoted_and_guarded(#[case] input: &str, #[case] want: &str) {
        assert_eq!(record(&[Cell::text(input)]), want);
    }

    #[test]
    fn numbers_and_empties_are_written_as_they_are() {
        let line = record(&[
            Cell::raw("-0.05"),
            Cell::num(Some(3)),
            Cell::num(None::<u32>),
            Cell::Empty,
            Cell::opt(None),
        ]);
        assert_eq!(line, "-0.05,3,,,\n");
        assert_eq!(header(&["id", "start"]), "id,start\n");
    }
}
