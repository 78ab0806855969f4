//! Pure chart building for the statistics screen: the rows of a bar chart for the selected
//! number, bars drawn in eighth blocks, percentages, the trend line's points. Strings and
//! numbers only (no ratatui), so each is tested by a table.

use crate::domain::stats::{Bucket, Comparison, Interval};

use super::state::Tile;

/// Below this many in a bar's denominator the bar is drawn dim and marked "few": a rate of
/// 2 of 9 says little (the comparisons' own threshold, SPEC §7).
pub const FEW: u64 = 30;

/// One bar of a chart.
#[derive(Clone, Debug, PartialEq)]
pub struct BarRow {
    pub label: String,
    /// The rate (0–1), or a count for opt-outs; `None`: nothing to divide.
    pub value: Option<f64>,
    pub part: u64,
    pub whole: u64,
    /// Too few behind it to read much into.
    pub few: bool,
}

impl BarRow {
    /// "15.0%", or the count for opt-outs, or "—".
    pub fn value_text(&self, tile: Tile) -> String {
        match tile {
            Tile::OptOuts => self.value.map_or("—".into(), |v| format!("{v:.0}")),
            _ => pct(self.value),
        }
    }

    /// "9/60", or "" for opt-outs.
    pub fn count_text(&self, tile: Tile) -> String {
        match tile {
            Tile::OptOuts => String::new(),
            _ => format!("{}/{}", self.part, self.whole),
        }
    }
}

/// The bars of one breakdown for one number. Opt-outs exist only per week (they belong to
/// patients, not to appointments): other breakdowns give no value for them.
pub fn bar_rows(buckets: &[Bucket], tile: Tile) -> Vec<BarRow> {
    buckets
        .iter()
        .map(|b| {
            let (part, whole) = tile.counts(&b.tally);
            let value = match tile {
                Tile::OptOuts => b.opt_outs.map(|n| n as f64),
                _ => tile.rate(&b.rates),
            };
            BarRow {
                label: b.label.clone(),
                value,
                part,
                whole,
                few: tile != Tile::OptOuts && whole < FEW,
            }
        })
        .collect()
}

/// The largest value of the rows: the bars are drawn against it, so small differences
/// between clinicians show. At least a hair above zero, so nothing divides by zero.
pub fn scale(rows: &[BarRow]) -> f64 {
    rows.iter()
        .filter_map(|r| r.value)
        .fold(0.0_f64, f64::max)
        .max(f64::EPSILON)
}

const EIGHTHS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/// A bar of `value` against `max` in at most `cells` cells, in eighths of a cell. Any value
/// above zero shows at least a sliver; zero and "no value" show nothing.
pub fn bar(value: Option<f64>, max: f64, cells: u16) -> String {
    let Some(v) = value.filter(|v| *v > 0.0 && max > 0.0) else {
        return String::new();
    };
    let total = usize::from(cells) * 8;
    let eighths = ((v / max).min(1.0) * total as f64).round() as usize;
    let eighths = eighths.clamp(1, total.max(1));
    let mut s = "█".repeat(eighths / 8);
    if eighths % 8 > 0 {
        s.push(EIGHTHS[eighths % 8]);
    }
    s
}

/// A rate as a percentage with one decimal; "—" when there is nothing to divide.
pub fn pct(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_string(), |r| format!("{:.1}%", r * 100.0))
}

/// The trend line: (week index, value in percent — or the count for opt-outs) for the
/// weeks that have a value.
pub fn trend_points(rows: &[BarRow], tile: Tile) -> Vec<(f64, f64)> {
    let factor = if tile == Tile::OptOuts { 1.0 } else { 100.0 };
    rows.iter()
        .enumerate()
        .filter_map(|(i, r)| r.value.map(|v| (i as f64, v * factor)))
        .collect()
}

/// "−8.3 points (95% −21.0 to 1.9): no clear difference", or why no interval is given.
pub fn difference_text(c: &Comparison) -> String {
    let points = |x: f64| format!("{:+.1}", x * 100.0).replace('-', "−");
    match (c.difference, c.interval) {
        (Some(d), Some(Interval { low, high })) => format!(
            "difference {} points (95% {} to {}): {}",
            points(d),
            points(low),
            points(high),
            c.verdict.label()
        ),
        (Some(d), None) => format!("difference {} points: {}", points(d), c.verdict.label()),
        (None, _) => c.verdict.label().to_string(),
    }
}

/// "(3.4–12.7%)" for a group's own Wilson interval.
pub fn interval_text(i: Option<Interval>) -> String {
    i.map_or_else(String::new, |i| {
        format!("({:.1}–{:.1}%)", i.low * 100.0, i.high * 100.0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::stats::{Factor, comparisons};
    use rstest::rstest;

    #[rstest]
    #[case(Some(0.5), 1.0, 10, "█████")]
    #[case(Some(1.0), 1.0, 4, "████")]
    #[case(Some(0.0625), 1.0, 4, "▎")] // a quarter cell
    #[case(Some(0.001), 1.0, 10, "▏")] // a sliver, never invisible
    #[case(Some(0.0), 1.0, 10, "")]
    #[case(None, 1.0, 10, "")]
    #[case(Some(2.0), 1.0, 3, "███")] // never past the cells
    #[case(Some(0.15), 0.30, 8, "████")] // against the largest
    fn bars_are_drawn_in_eighths(
        #[case] v: Option<f64>,
        #[case] max: f64,
        #[case] cells: u16,
        #[case] want: &str,
    ) {
        assert_eq!(bar(v, max, cells), want);
    }

    #[rstest]
    #[case(Some(0.15), "15.0%")]
    #[case(Some(0.0), "0.0%")]
    #[case(Some(1.0), "100.0%")]
    #[case(Some(0.12345), "12.3%")]
    #[case(None, "—")]
    fn percentages(#[case] rate: Option<f64>, #[case] want: &str) {
        assert_eq!(pct(rate), want);
    }

    fn row(value: Option<f64>, whole: u64) -> BarRow {
        BarRow {
            label: String::new(),
            value,
            part: 0,
            whole,
            few: whole < FEW,
        }
    }

    #[test]
    fn the_scale_is_the_largest_value_and_never_zero() {
        assert_eq!(
            scale(&[row(Some(0.1), 40), row(Some(0.3), 40), row(None, 0)]),
            0.3
        );
        assert!(scale(&[row(None, 0)]) > 0.0);
        assert!(scale(&[]) > 0.0);
    }

    #[test]
    fn the_trend_skips_weeks_without_a_value_and_keeps_their_place() {
        let rows = [row(Some(0.1), 40), row(None, 0), row(Some(0.25), 40)];
        assert_eq!(
            trend_points(&rows, Tile::NoShow),
            vec![(0.0, 10.0), (2.0, 25.0)]
        );
        let counts = [row(Some(3.0), 0)];
        assert_eq!(trend_points(&counts, Tile::OptOuts), vec![(0.0, 3.0)]);
    }

    #[rstest]
    #[case(Tile::NoShow, Some(0.15), 9, 60, "15.0%", "9/60", false)]
    #[case(Tile::NoShow, None, 0, 0, "—", "0/0", true)]
    #[case(Tile::Coverage, Some(0.5), 1, 2, "50.0%", "1/2", true)]
    #[case(Tile::OptOuts, Some(4.0), 0, 0, "4", "", false)]
    fn bar_texts(
        #[case] tile: Tile,
        #[case] value: Option<f64>,
        #[case] part: u64,
        #[case] whole: u64,
        #[case] v: &str,
        #[case] n: &str,
        #[case] few: bool,
    ) {
        let r = BarRow {
            label: "x".into(),
            value,
            part,
            whole,
            few: tile != Tile::OptOuts && whole < FEW,
        };
        assert_eq!(
            (
                r.value_text(tile).as_str(),
                r.count_text(tile).as_str(),
                r.few
            ),
            (v, n, few)
        );
    }

    #[test]
    fn differences_say_their_interval_or_that_there_are_too_few() {
        use comparisons::ArmCounts;
        let arm = |appointments, no_shows| ArmCounts {
            appointments,
            no_shows,
        };
        let clear = comparisons::compare(Factor::Reminded, arm(200, 12), arm(100, 14));
        let text = difference_text(&clear);
        assert!(text.starts_with("difference −8.0 points (95% −"), "{text}");
        assert!(text.ends_with(clear.verdict.label()), "{text}");
        let few = comparisons::compare(Factor::Reminded, arm(10, 1), arm(8, 2));
        assert_eq!(
            difference_text(&few),
            "difference −15.0 points: too few to tell"
        );
        let empty = comparisons::compare(Factor::Confirmed, arm(0, 0), arm(0, 0));
        assert_eq!(difference_text(&empty), "too few to tell");
    }
}
