//! Fitting text into a number of terminal cells, by display width (accents, CJK, symbols).

use ratatui::text::Span;

/// Display width of `s` in terminal cells.
pub fn width(s: &str) -> usize {
    Span::raw(s).width()
}

fn char_width(c: char) -> usize {
    let mut buf = [0u8; 4];
    width(c.encode_utf8(&mut buf))
}

/// `s` cut to at most `max` cells, ending in "…" when something was cut.
pub fn fit(s: &str, max: u16) -> String {
    let max = usize::from(max);
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = char_width(c);
        if used + w > max - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    // "Follow-up…" reads better than "Follow-up …".
    let kept = out.trim_end().len();
    out.truncate(kept);
    out.push('…');
    out
}

/// `s` fitted to `cells` and padded with spaces to exactly that width.
pub fn pad(s: &str, cells: u16) -> String {
    let mut out = fit(s, cells);
    let w = width(&out);
    out.extend(std::iter::repeat_n(
        ' ',
        usize::from(cells).saturating_sub(w),
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_by_display_width() {
        assert_eq!(fit("Lovelace, Ada", 20), "Lovelace, Ada");
        assert_eq!(fit("Lovelace, Ada", 8), "Lovelac…");
        assert_eq!(fit("Follow-up visit", 11), "Follow-up…");
        assert_eq!(width(&fit("Lovelace, Ada", 8)), 8);
        // Wide characters take two cells; never overflow.
        let cut = fit("山田, 太郎", 5);
        assert!(width(&cut) <= 5, "{cut}");
        assert!(cut.ends_with('…'));
        assert_eq!(fit("abc", 0), "");
        assert_eq!(fit("abc", 1), "…");
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(width(&pad("山田太郎", 5)), 5);
    }
}
