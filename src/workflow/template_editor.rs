//! What the templates screen shows while a manager edits (SPEC §3.6): the body rendered on
//! the sample appointment exactly as it would be sent (GSM-7 normalised), the gate's verdict
//! with its findings' spans, encoding and segment count, and — if saving would be refused —
//! why. Saving itself is `workflow::templates::save` (audited with the old and new text).
//!
//! Pure apart from the gate: no database, so it can run on every keystroke.

use serde::Serialize;

use crate::domain::message::MessageKind;
use crate::domain::segments::{Encoding, MAX_SEGMENTS};
use crate::domain::template::{self, SampleSize, Template};
use crate::phi::{Gate, Verdict};
use crate::workflow::record_text;

/// The live preview of a template body.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TemplatePreview {
    pub kind: MessageKind,
    /// The body rendered for a typical patient, as it would be sent; `None` when it does not
    /// parse or render.
    pub rendered: Option<String>,
    /// The gate on `rendered` (finding spans are byte offsets into it).
    pub verdict: Verdict,
    pub encoding: Option<Encoding>,
    pub segments: u32,
    /// Segments for the long sample (long names): what the limit is checked on.
    pub longest_segments: u32,
    /// Why saving would be refused, in words for the manager; `None` when it may be saved.
    pub refusal: Option<String>,
}

/// Render and judge `body` as a template of `kind`.
pub fn preview(gate: &Gate, kind: MessageKind, body: &str) -> TemplatePreview {
    let mut out = TemplatePreview {
        kind,
        rendered: None,
        verdict: Verdict::default(),
        encoding: None,
        segments: 0,
        longest_segments: 0,
        refusal: None,
    };
    let rules = template::validate_for_save(kind, body);
    let renders = Template::parse(body).and_then(|t| {
        // Marked like a real send: the sample's values are trusted, the wording is not.
        let typical = t.render_marked(&template::sample_context(kind, SampleSize::Typical))?;
        let long = t.render_marked(&template::sample_context(kind, SampleSize::Long))?;
        Ok((typical, long))
    });
    let (typical, long) = match renders {
        Ok(x) => x,
        Err(e) => {
            out.refusal = Some(e.to_string());
            return out;
        }
    };
    let t = record_text::screen_rendered(gate, &typical.body, &typical.trusted);
    let l = record_text::screen_rendered(gate, &long.body, &long.trusted);
    out.rendered = Some(t.body);
    out.encoding = Some(t.encoding);
    out.segments = t.segments;
    out.longest_segments = l.segments;
    out.refusal = match (rules, t.verdict.blocked, l.verdict.blocked) {
        (Err(e), _, _) => Some(e.to_string()),
        (_, true, _) => Some(t.verdict.summary()),
        (_, _, true) => Some(format!("with a long name: {}", l.verdict.summary())),
        _ if l.segments > MAX_SEGMENTS => Some(format!(
            "too long: {} SMS segments with a long name (at most {MAX_SEGMENTS})",
            l.segments
        )),
        _ => None,
    };
    out.verdict = t.verdict;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "{practice_name}: {first_name}, see you {date} at {time}. {reply_options} {practice_phone} {opt_out}";

    #[test]
    fn a_good_template_renders_in_one_gsm7_segment_and_may_be_saved() {
        let p = preview(&Gate::default(), MessageKind::Reminder24h, GOOD);
        assert_eq!(p.refusal, None, "{p:?}");
        let text = p.rendered.unwrap();
        assert!(!text.contains('{'), "{text}");
        assert_eq!(p.encoding, Some(Encoding::Gsm7));
        assert!(p.segments >= 1 && p.longest_segments >= p.segments);
        assert!(!p.verdict.blocked);
    }

    #[test]
    fn clinical_words_are_found_with_their_span_and_refuse_the_save() {
        let body = GOOD.replace("see you", "your chemo is");
        let p = preview(&Gate::default(), MessageKind::Reminder24h, &body);
        assert!(p.verdict.blocked);
        let text = p.rendered.as_deref().unwrap();
        let f = &p.verdict.findings[0];
        assert_eq!(&text[f.start..f.end], "chemo");
        assert!(p.refusal.unwrap().contains("chemo"));
    }

    #[test]
    fn missing_opt_out_wording_and_unknown_placeholders_are_refused_with_the_reason() {
        let no_opt_out = GOOD.replace(" {opt_out}", "");
        let p = preview(&Gate::default(), MessageKind::Reminder24h, &no_opt_out);
        assert!(p.refusal.is_some(), "{p:?}");
        assert!(p.rendered.is_some(), "still previewed");
        let p = preview(
            &Gate::default(),
            MessageKind::Reminder24h,
            "{practice_name} {diagnosis}",
        );
        assert!(p.refusal.unwrap().contains("unknown placeholder"));
        assert_eq!(p.rendered, None);
    }

    #[test]
    fn curly_quotes_are_normalised_before_counting() {
        let body = GOOD.replace("see you", "we\u{2019}ll see you");
        let p = preview(&Gate::default(), MessageKind::Reminder24h, &body);
        assert_eq!(p.encoding, Some(Encoding::Gsm7));
        assert!(p.rendered.unwrap().contains("we'll"));
    }
}
