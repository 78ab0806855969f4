//! Drawing the audit screen: the part tabs, then the part's lines (the log with its filter,
//! the chain's verdict, the compliance findings, the consent review), scrolled. Reads the
//! state only.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::super::super::layout::line;
use super::super::super::shared::Shared;
use super::super::super::theme;
use super::super::super::widgets::text::{fit, pad};
use super::{AuditState, Part, Pending};
use crate::domain::consent_history::ConsentFinding;
use crate::workflow::consent_review::{ConsentReview, ReviewLine};

pub fn draw(frame: &mut Frame, body: Rect, s: &AuditState, shared: &Shared) {
    if body.height < 4 {
        return;
    }
    let mut tabs = vec![Span::raw(" ")];
    for p in Part::ALL {
        let style = if p == s.part {
            theme::selected()
        } else {
            theme::dim()
        };
        tabs.push(Span::styled(format!(" {} ", p.label()), style));
        tabs.push(Span::raw(" "));
    }
    frame.render_widget(Paragraph::new(Line::from(tabs)), line(body, body.y));
    let rest = Rect::new(body.x, body.y + 1, body.width, body.height - 1);
    let lines = match s.part {
        Part::Log => return draw_log(frame, rest, s, shared.tz),
        Part::Chain => chain_lines(s),
        Part::Compliance => compliance_lines(s, shared.tz),
        Part::Consent => {
            // The list follows the selected patient.
            let (lines, at) = consent_lines(s, shared.tz);
            let skip = at.saturating_sub(usize::from(rest.height.saturating_sub(1)));
            let lines: Vec<Line> = lines
                .into_iter()
                .skip(skip)
                .map(|l| fit_line(l, rest.width))
                .collect();
            frame.render_widget(Paragraph::new(lines), rest);
            return;
        }
    };
    let max_scroll = lines.len().saturating_sub(usize::from(rest.height));
    let lines: Vec<Line> = lines
        .into_iter()
        .skip(s.scroll.min(max_scroll))
        .map(|l| fit_line(l, rest.width))
        .collect();
    frame.render_widget(Paragraph::new(lines), rest);
}

/// Cut a one-span line to the width (long JSON details must not wrap into the next row).
fn fit_line(l: Line<'static>, w: u16) -> Line<'static> {
    let style = l.style;
    let text: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
    Line::styled(fit(&text, w), style)
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn when(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%-d %b %Y %H:%M").to_string()
}

/// Lines the selected record's full detail takes at the bottom of the log.
pub const DETAIL_LINES: u16 = 4;

fn log_head(s: &AuditState) -> Line<'static> {
    let filter = if s.filter_text.is_empty() {
        "none (the whole log)".to_string()
    } else {
        s.filter_text.clone()
    };
    match (&s.typing, &s.typing_error, &s.error) {
        (Some(t), None, _) => Line::styled(
            format!(" Filter (staff: action: from: to: patient:): {t}█"),
            theme::selected(),
        ),
        (Some(t), Some(e), _) => Line::styled(format!(" {t}█ — {e}"), theme::warning()),
        (None, _, Some(e)) => Line::styled(format!(" Cannot read the log: {e}"), theme::warning()),
        (None, _, None) => Line::styled(
            format!(
                " Filter: {filter} · {} shown{}",
                plural(s.records.len(), "record"),
                match (s.loading, s.exhausted) {
                    (true, _) => " · loading…",
                    (false, false) => " · m: older",
                    (false, true) => "",
                }
            ),
            theme::section(),
        ),
    }
}

/// The log: filter, column heads, a window of records with the selected one marked, and the
/// selected record's whole detail (a template's old and new text, an export's rows) below.
fn draw_log(frame: &mut Frame, area: Rect, s: &AuditState, tz: Tz) {
    if area.height < 3 {
        return;
    }
    let w = area.width;
    frame.render_widget(Paragraph::new(fit_line(log_head(s), w)), line(area, area.y));
    let detail_w = w.saturating_sub(1 + 18 + 11 + 21 + 13);
    let head = format!(
        " {} {} {} {} {}",
        pad("when", 17),
        pad("who", 10),
        pad("action", 20),
        pad("about", 12),
        "detail"
    );
    frame.render_widget(
        Paragraph::new(fit(&head, w)).style(theme::table_header()),
        line(area, area.y + 1),
    );
    let detail_h = if area.height >= DETAIL_LINES + 5 {
        DETAIL_LINES
    } else {
        0
    };
    let list = Rect::new(area.x, area.y + 2, w, area.height - 2 - detail_h);
    let mut rows: Vec<Line> = s
        .records
        .iter()
        .enumerate()
        .skip(s.scroll)
        .take(usize::from(list.height))
        .map(|(i, r)| {
            let e = &r.entry;
            let text = format!(
                "{}{} {} {} {} {}",
                if i == s.selected { "›" } else { " " },
                pad(&when(e.at, tz), 17),
                pad(&e.actor, 10),
                pad(&e.action, 20),
                pad(&e.subject, 12),
                fit(&e.detail, detail_w)
            );
            let style = if i == s.selected {
                theme::selected()
            } else {
                Style::new()
            };
            Line::styled(fit(&text, w), style)
        })
        .collect();
    if s.records.is_empty() && !s.loading && s.error.is_none() {
        rows.push(Line::raw(" No records match."));
    }
    frame.render_widget(Paragraph::new(rows), list);
    if let (Some(r), true) = (s.records.get(s.selected), detail_h > 0) {
        let at = Rect::new(area.x, list.y + list.height, w, detail_h);
        let title = format!(
            " record {} · {} · {} · {} ",
            r.id,
            r.entry.action,
            r.entry.subject,
            when(r.entry.at, tz)
        );
        let text = vec![
            Line::styled(fit(&title, w), theme::table_header()),
            Line::raw(format!(" {}", r.entry.detail)),
        ];
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), at);
    }
}

fn pending<'a, T>(p: &'a Pending<T>, what: &str) -> Result<&'a T, Vec<Line<'static>>> {
    match p {
        Pending::Done(Ok(x)) => Ok(x),
        Pending::Done(Err(e)) => Err(vec![Line::styled(
            format!(" The {what} failed: {e}"),
            theme::warning(),
        )]),
        Pending::Running => Err(vec![Line::raw(format!(" Running the {what}…"))]),
        Pending::NotAsked => Err(vec![Line::raw(format!(" The {what} has not run yet."))]),
    }
}

fn chain_lines(s: &AuditState) -> Vec<Line<'static>> {
    let r = match pending(&s.chain, "verification") {
        Ok(r) => r,
        Err(lines) => return lines,
    };
    match &r.broken {
        None => vec![
            Line::styled(
                format!(
                    " Intact: {}, each chained to the one before.",
                    plural(r.records, "record")
                ),
                theme::online(Some(true)),
            ),
            Line::raw(" No record was changed, removed or reordered. (v: verify again)"),
        ],
        Some(why) => vec![
            Line::styled(
                format!(" BROKEN after {} good records: {why}", r.records),
                theme::warning(),
            ),
            Line::raw(" Keep a copy of this database as it is, and report it."),
        ],
    }
}

fn compliance_lines(s: &AuditState, tz: Tz) -> Vec<Line<'static>> {
    let r = match pending(&s.compliance, "compliance review") {
        Ok(r) => r,
        Err(lines) => return lines,
    };
    let mut out = vec![Line::styled(
        format!(
            " Today's PHI gate over {} templates and {} texts that left or wait to leave:",
            r.templates_checked, r.messages_checked
        ),
        theme::section(),
    )];
    if r.findings.is_empty() {
        out.push(Line::styled(
            " No findings: nothing the gate would refuse today.",
            theme::online(Some(true)),
        ));
    }
    for f in &r.findings {
        out.push(Line::styled(
            format!(
                " {}  {}: {}",
                when(f.when, tz),
                f.place.label(),
                f.problem.label()
            ),
            theme::warning(),
        ));
    }
    out
}

fn finding_words(f: &ConsentFinding, tz: Tz) -> String {
    match f {
        ConsentFinding::StaleOptIn {
            since,
            method,
            evidence,
        } => format!(
            "opted in {} by {} ({evidence})",
            when(*since, tz),
            method.label()
        ),
        ConsentFinding::OptInWithoutEvidence { since } => {
            format!("opt-in of {} has no evidence", when(*since, tz))
        }
        ConsentFinding::SentWithoutConsent {
            message,
            kind,
            sent_at,
            state,
        } => format!(
            "message {message} ({kind}) sent {} while {state}",
            when(*sent_at, tz)
        ),
    }
}

/// One part of the consent review; `next` numbers the patients across the parts (the
/// selection runs through all of them).
struct Sections<'a> {
    out: Vec<Line<'static>>,
    next: usize,
    selected: usize,
    /// The line the selected patient is on.
    selected_line: usize,
    tz: &'a Tz,
}

impl Sections<'_> {
    fn section(&mut self, title: &str, lines: &[ReviewLine], none: &str) {
        self.out.push(Line::styled(
            format!(" {title}: {}", lines.len()),
            theme::section(),
        ));
        if lines.is_empty() {
            self.out
                .push(Line::styled(format!("   {none}"), theme::dim()));
        }
        for l in lines {
            let chosen = self.next == self.selected;
            if chosen {
                self.selected_line = self.out.len();
            }
            self.out.push(Line::styled(
                format!(
                    " {} patient {} {} {}",
                    if chosen { "›" } else { " " },
                    pad(&l.patient_id.to_string(), 6),
                    pad(&l.name, 24),
                    finding_words(&l.finding, *self.tz)
                ),
                if chosen {
                    theme::selected()
                } else {
                    Style::new()
                },
            ));
            self.next += 1;
        }
    }
}

/// The consent review's lines and the line of the selected patient.
fn consent_lines(s: &AuditState, tz: Tz) -> (Vec<Line<'static>>, usize) {
    let r: &ConsentReview = match pending(&s.consent, "consent review") {
        Ok(r) => r,
        Err(lines) => return (lines, 0),
    };
    let mut out = Sections {
        out: vec![Line::raw(format!(
            " Checked {} patients and {} texts sent. p: open the selected patient",
            r.patients_checked, r.texts_checked
        ))],
        next: 0,
        selected: s.review_selected,
        selected_line: 0,
        tz: &tz,
    };
    out.section(
        "Texts sent without consent valid at that moment (must be none)",
        &r.sent_without_consent,
        "none, as it must be",
    );
    if !r.sent_without_consent.is_empty() {
        out.out.push(Line::styled(
            " This must never happen: keep a copy of the database and report it.",
            theme::warning(),
        ));
    }
    out.section(
        "Opt-ins older than 12 months (ask the patient to re-confirm)",
        &r.stale_opt_ins,
        "none",
    );
    out.section(
        "Opt-ins without evidence (no texts go until it is recorded)",
        &r.opt_ins_without_evidence,
        "none",
    );
    (out.out, out.selected_line)
}
