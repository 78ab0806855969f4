//! Drawing the closure notice screen: the window fields with what each reads as, the notice
//! as it will go out (findings highlighted in place, the verdict and the segment counter),
//! then the list — who gets it, who does not and why — or what the send did.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{ClosureState, Field, Phase, bound};
use crate::tui::shared::Shared;
use crate::tui::strings::closure as words;
use crate::tui::strings::desk;
use crate::tui::theme;
use crate::tui::widgets::text::{fit, pad, width};
use crate::workflow::closure_desk::ClosureLine;

pub fn draw(s: &ClosureState, frame: &mut Frame, body: Rect, shared: &Shared) {
    let (top, notice_rows) = top_lines(s, shared, body.width);
    let height = u16::try_from(top.len() + notice_rows)
        .unwrap_or(body.height)
        .min(body.height);
    let top_rect = Rect { height, ..body };
    frame.render_widget(Paragraph::new(top).wrap(Wrap { trim: false }), top_rect);
    let rest = Rect {
        y: body.y + height,
        height: body.height - height,
        ..body
    };
    let list = list_lines(s, shared, rest.width);
    let room = usize::from(rest.height);
    let shown: Vec<Line> = list.into_iter().take(room).collect();
    frame.render_widget(Paragraph::new(shown), rest);
}

/// The fields, the notice and its verdict; and how many extra rows the notice wraps onto.
fn top_lines(s: &ClosureState, shared: &Shared, w: u16) -> (Vec<Line<'static>>, usize) {
    let mut out = vec![
        when_line(s, Field::From, &s.from, shared),
        when_line(s, Field::To, &s.to, shared),
        who_line(s),
        label_line(s.field == Field::Text, words::NOTICE, words::NOTICE_HINT),
    ];
    let notice = notice_line(s, shared);
    let cells: usize = notice.spans.iter().map(|sp| width(&sp.content)).sum();
    let extra = cells.saturating_sub(1) / usize::from(w.max(1));
    out.push(notice);
    for m in s.compose.check.marks.iter().filter(|m| !m.allowed) {
        let word = s.compose.text.get(m.range.clone()).unwrap_or_default();
        out.push(Line::from(Span::styled(
            format!("  ⚠ \"{word}\" looks like {}", m.category),
            theme::warning(),
        )));
    }
    let check = &s.compose.check;
    let verdict = match &check.refusal {
        _ if s.compose.text.trim().is_empty() => Span::styled(words::EMPTY_NOTICE, theme::dim()),
        Some(r) => Span::styled(
            format!(
                "Not sendable: {}",
                r.trim_end_matches(" — send a portal prompt instead")
            ),
            theme::warning(),
        ),
        None => Span::styled(words::GATE_OK, theme::online(Some(true))),
    };
    out.push(Line::from(vec![Span::raw("  "), verdict]));
    out.push(Line::from(Span::styled(
        format!(
            "  {}",
            desk::segments(check.encoding, check.segments, check.left)
        ),
        theme::dim(),
    )));
    out.push(Line::from(Span::styled(
        "─".repeat(usize::from(w)),
        theme::dim(),
    )));
    (out, extra)
}

/// "Who  ◀ everyone booked ▶" or a clinician: whose visits the notice is about.
fn who_line(s: &ClosureState) -> Line<'static> {
    let active = s.field == Field::Who;
    let style = if active {
        theme::selected()
    } else {
        theme::section()
    };
    let chosen = s
        .clinician()
        .map_or(words::EVERYONE.to_string(), |(_, n)| words::only(n));
    let (l, r) = if active {
        ("◀ ", " ▶")
    } else {
        ("  ", "  ")
    };
    Line::from(vec![
        Span::styled(format!(" {} ", pad(words::WHO, 6)), style),
        Span::raw(format!(" {l}{chosen}{r}")),
        Span::styled(format!("  {}", words::WHO_HINT), theme::dim()),
    ])
}

fn label_line(active: bool, label: &str, hint: &str) -> Line<'static> {
    let style = if active {
        theme::selected()
    } else {
        theme::section()
    };
    Line::from(vec![
        Span::styled(format!(" {} ", pad(label, 6)), style),
        Span::styled(format!(" {hint}"), theme::dim()),
    ])
}

fn when_line(s: &ClosureState, field: Field, text: &str, shared: &Shared) -> Line<'static> {
    let active = s.field == field;
    let label = if field == Field::From {
        words::FROM
    } else {
        words::TO
    };
    let style = if active {
        theme::selected()
    } else {
        theme::section()
    };
    let cursor = if active { "▏" } else { " " };
    let mut reading = bound(text, shared).map(|t| words::when(t, shared.tz));
    if field == Field::To
        && let (Ok(from), Ok(to)) = (bound(&s.from, shared), bound(&s.to, shared))
        && to <= from
    {
        reading = Err(words::END_BEFORE_START.to_string());
    }
    let (said, said_style) = match reading {
        Ok(r) => (r, theme::online(Some(true))),
        Err(_) if text.is_empty() => (words::FORMAT_HINT.to_string(), theme::dim()),
        Err(e) if e.contains("clocks change") => {
            (format!("✗ {}", words::NO_SUCH_TIME), theme::warning())
        }
        Err(e) if e == words::END_BEFORE_START => (format!("✗ {e}"), theme::warning()),
        Err(_) => (format!("✗ {}", words::NOT_A_TIME), theme::warning()),
    };
    Line::from(vec![
        Span::styled(format!(" {} ", pad(label, 6)), style),
        Span::raw(format!(" {}", pad(&format!("{text}{cursor}"), 18))),
        Span::styled(said, said_style),
    ])
}

/// The notice as it goes out: the practice's name, then the typed words with the findings
/// highlighted where they are.
fn notice_line(s: &ClosureState, shared: &Shared) -> Line<'static> {
    let text = &s.compose.text;
    let mut spans = vec![Span::styled(
        format!("  {}: ", shared.practice),
        theme::dim(),
    )];
    let mut at = 0;
    for m in &s.compose.check.marks {
        if m.range.start < at || m.range.end > text.len() {
            continue;
        }
        spans.push(Span::raw(text[at..m.range.start].to_string()));
        let style = if m.allowed {
            theme::dim()
        } else {
            theme::toast_error()
        };
        spans.push(Span::styled(text[m.range.clone()].to_string(), style));
        at = m.range.end;
    }
    spans.push(Span::raw(text[at..].to_string()));
    if s.field == Field::Text {
        spans.push(Span::styled("▏", theme::key()));
    }
    Line::from(spans)
}

fn list_lines(s: &ClosureState, shared: &Shared, w: u16) -> Vec<Line<'static>> {
    let note = |t: &str, style: Style| vec![Line::from(Span::styled(fit(t, w), style))];
    let current = s.list_is_current(shared);
    let Some((_, view)) = &s.view else {
        return match (s.phase, &s.error) {
            (Phase::Previewing, _) => note(words::LOADING, theme::dim()),
            (_, Some(e)) => note(e, theme::warning()),
            _ => note(words::PREVIEW_HINT, theme::dim()),
        };
    };
    let mut out = Vec::new();
    match s.phase {
        Phase::Previewing => out.extend(note(words::LOADING, theme::dim())),
        Phase::Editing if !current => out.extend(note(words::EDITED, theme::warning())),
        _ => {}
    }
    if view.lines.is_empty() {
        out.extend(note(words::NOTHING_BOOKED, theme::dim()));
        return out;
    }
    out.push(Line::from(Span::styled(
        fit(&words::summary(view), w),
        theme::section(),
    )));
    let name_w = if w >= 100 { 24 } else { 18 };
    for l in view.lines.iter().skip(s.scroll) {
        out.push(line(l, shared, w, name_w, current));
    }
    out
}

fn line(l: &ClosureLine, shared: &Shared, w: u16, name_w: u16, current: bool) -> Line<'static> {
    let (mark, style) = match (l.reaches(), current) {
        (_, false) => (if l.reaches() { "✓" } else { "✗" }, theme::dim()),
        (true, true) => ("✓", theme::online(Some(true))),
        (false, true) => ("✗", theme::warning()),
    };
    let when = l.start.map_or_else(String::new, |t| {
        t.with_timezone(&shared.tz).format("%a %H:%M").to_string()
    });
    let rebook = if l.rebook { " · rebook" } else { "" };
    let text = format!(
        " {mark} {when:<9} {} {}{rebook}",
        pad(&l.name, name_w),
        words::outcome(l)
    );
    Line::from(Span::styled(fit(&text, w), style))
}
