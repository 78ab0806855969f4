//! Drawing the templates screen: the list, the text (with the cursor when editing), the text
//! as it would be sent on the sample appointment with the gate's findings marked, encoding
//! and segments, and whether it may be saved. Reads the state only.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::super::super::shared::Shared;
use super::super::super::theme;
use super::super::super::widgets::text::{fit, pad};
use super::TemplatesState;
use crate::domain::segments::Encoding;
use crate::phi::Finding;
use crate::workflow::template_editor::TemplatePreview;

pub fn draw(frame: &mut Frame, body: Rect, s: &TemplatesState, shared: &Shared) {
    let Some(list) = &s.list else {
        let text = s
            .error
            .as_ref()
            .map_or(" Loading…".to_string(), |e| format!(" Cannot load: {e}"));
        frame.render_widget(Paragraph::new(text), body);
        return;
    };
    let list_h = (list.len() as u16).min((body.height / 3).max(3));
    let first = s
        .selected
        .saturating_sub(usize::from(list_h).saturating_sub(1));
    let mut lines: Vec<Line> = list
        .iter()
        .enumerate()
        .skip(first)
        .take(usize::from(list_h))
        .map(|(i, t)| {
            let who = match (&t.updated_by, t.updated_at) {
                // The defaults are written by `system` when the practice is set up.
                (Some(by), Some(at)) if t.stored && by != "system" => format!(
                    "saved by {by}, {}",
                    at.with_timezone(&shared.tz).format("%a %-d %b %Y")
                ),
                _ => "built-in wording".to_string(),
            };
            let chosen = i == s.selected;
            let text = format!(
                "{}{} {}",
                if chosen { "›" } else { " " },
                pad(t.kind.as_str(), 24),
                who
            );
            let style = if chosen && s.editing.is_none() {
                theme::selected()
            } else if chosen {
                theme::title()
            } else {
                Style::new()
            };
            Line::styled(fit(&text, body.width), style)
        })
        .collect();
    let heading = if s.editing.is_some() {
        " Text — type to change it; Ctrl-S saves, Esc leaves it as it was"
    } else {
        " Text — Enter edits"
    };
    lines.push(Line::styled(fit(heading, body.width), theme::section()));
    let text = match (&s.editing, list.get(s.selected)) {
        (Some(e), _) => e.with_cursor(),
        (None, Some(t)) => t.body.clone(),
        (None, None) => String::new(),
    };
    lines.push(Line::raw(format!(" {text}")));
    lines.push(Line::styled(
        fit(" As sent, on a sample appointment", body.width),
        theme::section(),
    ));
    match &s.preview {
        Some(p) => lines.extend(preview_lines(p)),
        None => lines.push(Line::styled(" Checking…", theme::dim())),
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), body);
}

fn preview_lines(p: &TemplatePreview) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    match &p.rendered {
        Some(text) => {
            let mut spans = vec![Span::raw(" ")];
            for (part, found) in highlight(text, &p.verdict.findings) {
                let style = if found {
                    theme::warning().add_modifier(Modifier::UNDERLINED | Modifier::BOLD)
                } else {
                    Style::new()
                };
                spans.push(Span::styled(part, style));
            }
            out.push(Line::from(spans));
        }
        None => out.push(Line::styled(" (does not render)", theme::dim())),
    }
    let encoding = match p.encoding {
        Some(Encoding::Gsm7) => "GSM-7",
        Some(Encoding::Ucs2) => "UCS-2 (a character outside GSM-7: fewer characters per segment)",
        None => "—",
    };
    out.push(Line::raw(format!(
        " {encoding} · {} segment{} ({} with a long name)",
        p.segments,
        if p.segments == 1 { "" } else { "s" },
        p.longest_segments
    )));
    out.push(Line::raw(format!(" PHI check: {}", p.verdict.summary())));
    for f in p.verdict.findings.iter().filter(|f| !f.allowed) {
        out.push(Line::styled(
            format!(
                "   \"{}\" looks like {} ({})",
                f.text,
                f.category.label(),
                f.rule
            ),
            theme::warning(),
        ));
    }
    out.push(match &p.refusal {
        // The gate's own words are above; no need to say them twice.
        Some(why) if p.verdict.blocked && *why == p.verdict.summary() => Line::styled(
            " Cannot be saved: the PHI check blocks it (see above).",
            theme::warning(),
        ),
        Some(why) => Line::styled(format!(" Cannot be saved: {why}"), theme::warning()),
        None => Line::styled(" Can be saved.", theme::online(Some(true))),
    });
    out
}

/// `text` cut into pieces, each marked when a blocking finding covers it. Findings are byte
/// ranges of `text`; ranges that overlap, run past the end or split a character are clipped
/// or skipped, never a panic.
pub fn highlight(text: &str, findings: &[Finding]) -> Vec<(String, bool)> {
    let mut ranges: Vec<(usize, usize)> = findings
        .iter()
        .filter(|f| !f.allowed)
        .map(|f| (f.start.min(text.len()), f.end.min(text.len())))
        .filter(|(a, b)| a < b && text.is_char_boundary(*a) && text.is_char_boundary(*b))
        .collect();
    ranges.sort_unstable();
    let mut out = Vec::new();
    let mut at = 0;
    for (a, b) in ranges {
        let a = a.max(at);
        if a >= b {
            continue;
        }
        if a > at {
            out.push((text[at..a].to_string(), false));
        }
        out.push((text[a..b].to_string(), true));
        at = b;
    }
    if at < text.len() {
        out.push((text[at..].to_string(), false));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phi::Category;
    use rstest::rstest;

    fn f(start: usize, end: usize, allowed: bool) -> Finding {
        Finding {
            start,
            end,
            category: Category::Procedure,
            rule: "test",
            text: String::new(),
            allowed,
        }
    }

    #[rstest]
    #[case("your chemo is", vec![f(5, 10, false)], vec![("your ", false), ("chemo", true), (" is", false)])]
    #[case("abc", vec![], vec![("abc", false)])]
    #[case("abc", vec![f(0, 3, true)], vec![("abc", false)])] // allowed: not marked
    #[case("abcdef", vec![f(1, 4, false), f(2, 5, false)], vec![("a", false), ("bcd", true), ("e", true), ("f", false)])]
    #[case("abc", vec![f(2, 99, false)], vec![("ab", false), ("c", true)])]
    #[case("é", vec![f(1, 2, false)], vec![("é", false)])] // splits a character: skipped
    fn findings_are_marked(
        #[case] text: &str,
        #[case] findings: Vec<Finding>,
        #[case] want: Vec<(&str, bool)>,
    ) {
        let got = highlight(text, &findings);
        let got: Vec<(&str, bool)> = got.iter().map(|(s, b)| (s.as_str(), *b)).collect();
        assert_eq!(got, want);
    }
}
