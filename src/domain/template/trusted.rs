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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, TimeZone, Utc};

    fn start() -> DateTime<Utc> {
        chrono_tz::America::New_York
            .with_ymd_and_hms(2026, 11, 25, 10, 30, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn ctx<'a>(
        first: &'a str,
        practice: &'a str,
        clinician: &'a str,
        starts: &'a [DateTime<Utc>],
    ) -> RenderContext<'a> {
        RenderContext {
            first_name: first,
            practice_name: practice,
            practice_phone: "555-555-0100",
            portal_url: "https://portal.example.org",
            location: "12 Main St",
            tz: chrono_tz::America::New_York,
            starts,
            clinician: Some(clinician),
            survey_url: None,
            opt_out_notice: true,
        }
    }

    const REMINDER: &str = "{practice_name}: {first_name}, see you {date} at {time} with \
        {clinician} at {location}. {reply_options} {practice_phone} {opt_out}";

    fn spanned(r: &Rendered) -> Vec<&str> {
        r.trusted.iter().map(|s| &r.body[s.clone()]).collect()
    }

    #[test]
    fn spans_cover_exactly_the_values_from_the_database() {
        let starts = [start()];
        let c = ctx("Heather", "Maple Street Clinic", "Dr. Lindqvist", &starts);
        let t = Template::parse(REMINDER).unwrap();
        let r = t.render_marked(&c).unwrap();
        assert_eq!(r.body, t.render(&c).unwrap());
        assert_eq!(
            spanned(&r),
            [
                "Maple Street Clinic",
                "Heather",
                "Wed Nov 25",
                "10:30 AM",
                "Dr. Lindqvist",
                "12 Main St"
            ]
        );
        // The phone, the portal and the fixed wordings are not from a patient's record.
        for s in &r.trusted {
            assert!(!r.body[s.clone()].contains("555"));
        }
    }

    #[test]
    fn spans_stay_right_through_the_gsm7_normalisation() {
        let starts = [start()];
        let c = ctx(
            "D\u{2019}Arcy\u{2014}Lee",
            "O\u{2019}Brien\u{2019}s Family Practice \u{2013} Main St",
            "Dr. Ng\u{169}g\u{129} \u{201C}Jim\u{201D} Thiong\u{2019}o",
            &starts,
        );
        let t = Template::parse(REMINDER).unwrap();
        let r = t.render_marked(&c).unwrap();
        assert_eq!(
            r.body,
            t.render(&c).unwrap(),
            "same body as the plain render"
        );
        assert_eq!(
            spanned(&r)[..2],
            ["O'Brien's Family Practice - Main St", "D'Arcy-Lee"]
        );
        assert_eq!(spanned(&r)[4], "Dr. Ng\u{169}g\u{129} \"Jim\" Thiong'o");
        // An ellipsis grows by two bytes; later spans move with it.
        let c = ctx("Ana\u{2026}", "Riverside", "Dr. Okafor", &starts);
        let r = t.render_marked(&c).unwrap();
        assert_eq!(spanned(&r)[1], "Ana...");
        assert_eq!(spanned(&r)[4], "Dr. Okafor");
    }

    #[test]
    fn marks_cannot_be_smuggled_in() {
        let starts = [start()];
        // A value holding a mark character: the mark becomes a space like a control character.
        let c = ctx("Ana\u{E001}Bo", "Riverside", "Dr. Okafor", &starts);
        let t = Template::parse(REMINDER).unwrap();
        let r = t.render_marked(&c).unwrap();
        assert_eq!(spanned(&r)[1], "Ana Bo");
        // Template text holding one: the marked body would differ, so no span is trusted.
        let t = Template::parse("{practice_name}: \u{E000}{first_name} {practice_phone}").unwrap();
        let r = t.render_marked(&c).unwrap();
        assert_eq!(r.body, t.render(&c).unwrap());
        assert!(r.trusted.is_empty());
    }

    #[test]
    fn the_save_form_shows_placeholders_and_trusts_only_database_values() {
        let t = Template::parse(REMINDER).unwrap();
        let r = t.with_placeholders();
        assert_eq!(
            spanned(&r),
            [
                "{practice_name}",
                "{first_name}",
                "{date}",
                "{time}",
                "{clinician}",
                "{location}"
            ]
        );
        assert!(r.body.contains(REPLY_OPTIONS) && r.body.contains(OPT_OUT_NOTICE));
        assert!(r.body.contains("{practice_phone}"));
    }

    #[test]
    fn values_are_found_again_in_a_stored_body() {
        let body = "Maple Street Clinic: Heather, see you. Heather's ride is at 9; Heatherly too.";
        let spans = spans_of_values(body, &["Heather", " Maple Street Clinic ", ""]);
        let found: Vec<&str> = spans.iter().map(|s| &body[s.clone()]).collect();
        assert_eq!(found, ["Maple Street Clinic", "Heather", "Heather"]);
        let curly = "O'Brien's Family: see you";
        let spans = spans_of_values(curly, &["O\u{2019}Brien\u{2019}s Family"]);
        assert_eq!((spans.len(), spans[0].clone()), (1, 0..16));
    }
}
