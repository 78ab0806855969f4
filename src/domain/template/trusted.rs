//! Rendering with the spans filled from the database marked as trusted for the PHI gate
//! (SPEC §5.1), and the placeholder form of a template the save check reads once.

use std::ops::Range;

use super::{
    OPT_OUT_NOTICE, Piece, Placeholder, REPLY_OPTIONS, RenderContext, Template, TemplateError,
};
use super::{segments, tidy_spaces, value};

/// A rendered body and the byte spans of it filled from the database ([`Placeholder::is_trusted`]),
/// in text order, for the PHI gate (`phi::Gate::check_with`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rendered {
    pub body: String,
    pub trusted: Vec<Range<usize>>,
}

/// Private-use characters that bracket a trusted value while the body is tidied and
/// normalised (neither step touches them; values cannot contain them: [`value`] drops them).
pub(super) const OPEN: char = '\u{E000}';
pub(super) const CLOSE: char = '\u{E001}';

impl Template {
    /// [`Template::render`], with the byte spans of the body filled from the database. Each
    /// trusted value is bracketed by marks while the body is tidied and normalised, so a
    /// curly quote or a dash in a name or the practice's name moves the spans with it. If
    /// the marked body ever differed from the plain one the spans are left out: then the
    /// gate reads every word (it fails closed).
    pub fn render_marked(&self, ctx: &RenderContext<'_>) -> Result<Rendered, TemplateError> {
        let plain = self.render(ctx)?;
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => out.extend(t.chars().filter(|&c| c != OPEN && c != CLOSE)),
                Piece::Slot(p) => {
                    let v = value(*p, ctx)?;
                    if p.is_trusted() && !v.is_empty() {
                        out.push(OPEN);
                        out.push_str(&v);
                        out.push(CLOSE);
                    } else {
                        out.push_str(&v);
                    }
                }
            }
        }
        let marked = unmark(&segments::normalise(&tidy_spaces(&out)));
        if marked.body == plain {
            Ok(marked)
        } else {
            Ok(Rendered {
                body: plain,
                trusted: Vec::new(),
            })
        }
    }

    /// The template as the save check reads it (SPEC §3.6): each placeholder written as
    /// itself ("{first_name}") and trusted where its value will come from the database, the
    /// fixed wordings ([`REPLY_OPTIONS`], [`OPT_OUT_NOTICE`]) written out. Checked once, the
    /// verdict does not depend on sample names.
    pub fn with_placeholders(&self) -> Rendered {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => out.extend(t.chars().filter(|&c| c != OPEN && c != CLOSE)),
                Piece::Slot(p) if p.is_trusted() => {
                    out.push(OPEN);
                    out.push('{');
                    out.push_str(p.name());
                    out.push('}');
                    out.push(CLOSE);
                }
                Piece::Slot(Placeholder::ReplyOptions) => out.push_str(REPLY_OPTIONS),
                Piece::Slot(Placeholder::OptOut) => out.push_str(OPT_OUT_NOTICE),
                Piece::Slot(p) => {
                    out.push('{');
                    out.push_str(p.name());
                    out.push('}');
                }
            }
        }
        unmark(&segments::normalise(&tidy_spaces(&out)))
    }
}

/// Take the marks out of a marked body, noting where each marked value now stands.
fn unmark(marked: &str) -> Rendered {
    let mut body = String::with_capacity(marked.len());
    let mut trusted = Vec::new();
    let mut start = None;
    for c in marked.chars() {
        match c {
            OPEN => start = Some(body.len()),
            CLOSE => {
                if let Some(s) = start.take()
                    && s < body.len()
                {
                    trusted.push(s..body.len());
                }
            }
            _ => body.push(c),
        }
    }
    Rendered { body, trusted }
}

/// Where `values` (cleaned and normalised as the renderer cleans them) stand in `body`, as
/// whole words: the trusted spans of a body rendered earlier and stored without them (the
/// outbox re-check).
pub fn spans_of_values(body: &str, values: &[&str]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for v in values {
        let cleaned: String = v
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let cleaned = segments::normalise(cleaned.trim()).into_owned();
        if cleaned.is_empty() {
            continue;
        }
        for (at, _) in body.match_indices(cleaned.as_str()) {
            let end = at + cleaned.len();
            let before = body[..at].chars().next_back();
            let after = body[end..].chars().next();
            if !before.is_some_and(char::is_alphanumeric)
                && !after.is_some_and(char::is_alphanumeric)
            {
                out.push(at..end);
            }
        }
    }
    out.sort_by_key(|r| r.start);
    out
}
