//! The key footer, generated from the keymap: as many items as fit in the given lines, the
//! essential ones (help, quit, close) always.

use ratatui::text::{Line, Span};

use super::super::keymap::{self, Context, FooterItem};
use super::super::msg::Action;
use super::super::theme;
use super::text::width;

const SEP: usize = 2;

fn item_width(i: &FooterItem) -> usize {
    width(&i.keys) + 1 + width(i.label)
}

/// Place items greedily into `lines` lines of `cols` cells, room kept for the essentials.
fn pack(items: &[FooterItem], cols: usize, lines: usize) -> Vec<Vec<&FooterItem>> {
    let mut essential_width: usize = items
        .iter()
        .filter(|i| i.essential)
        .map(|i| item_width(i) + SEP)
        .sum();
    let mut out: Vec<Vec<&FooterItem>> = vec![Vec::new(); lines.max(1)];
    let mut used = vec![0usize; out.len()];
    let last = out.len() - 1;
    for item in items {
        let w = item_width(item) + SEP;
        // The last line keeps room for the essentials that come at the end of the table.
        let slot = (0..out.len()).find(|&l| {
            let reserve = if l == last && !item.essential {
                essential_width
            } else {
                0
            };
            used[l] + w <= cols + SEP && used[l] + w + reserve <= cols + SEP
        });
        if let Some(l) = slot {
            out[l].push(item);
            used[l] += w;
        }
        // An essential placed needs no more room kept for it (reception: the keys after
        // help and quit were dropped although they fitted).
        if item.essential {
            essential_width = essential_width.saturating_sub(w);
        }
    }
    out
}

/// How many footer lines `context` needs at `cols` cells (1 or 2).
pub fn lines_needed(context: Context, cols: u16) -> u16 {
    let items = keymap::footer(context);
    let all: usize = items.iter().map(|i| item_width(i) + SEP).sum();
    if all <= usize::from(cols) + SEP { 1 } else { 2 }
}

/// The footer lines for `context`.
pub fn lines(context: Context, cols: u16, lines: u16) -> Vec<Line<'static>> {
    lines_where(context, cols, lines, &|_| true)
}

/// The footer lines for `context`, with only the keys whose action `shown` allows.
pub fn lines_where(
    context: Context,
    cols: u16,
    lines: u16,
    shown: &dyn Fn(Action) -> bool,
) -> Vec<Line<'static>> {
    let items = keymap::footer_where(context, shown);
    pack(&items, usize::from(cols), usize::from(lines))
        .into_iter()
        .map(|line| {
            let mut spans = Vec::new();
            for (n, item) in line.into_iter().enumerate() {
                if n > 0 {
                    spans.push(Span::raw(" ".repeat(SEP)));
                }
                spans.push(Span::styled(item.keys.clone(), theme::key()));
                spans.push(Span::styled(format!(" {}", item.label), theme::key_label()));
            }
            Line::from(spans)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: &[Line<'_>]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn everything_fits_on_two_lines_at_80() {
        assert_eq!(lines_needed(Context::Day, 80), 2);
        let t = text(&lines(Context::Day, 80, 2));
        let joined = t.join(" ");
        for label in [
            "day", "today", "arrived", "done", "no-show", "cancel", "search", "help", "quit",
        ] {
            assert!(joined.contains(label), "{label} missing in {t:?}");
        }
        assert!(t.iter().all(|l| width(l) <= 80), "{t:?}");
    }

    #[test]
    fn essentials_survive_a_narrow_footer() {
        let t = text(&lines(Context::Day, 30, 1));
        assert!(t[0].contains("? help") && t[0].contains("q quit"), "{t:?}");
        assert!(width(&t[0]) <= 30, "{t:?}");
    }
}
