//! Which day-table columns show at a given width, and how wide each is.
//!
//! Fixed columns (time, status, reminders, reply, SMS, portal) take what their longest value
//! needs; patient, clinician and type share the rest 5:2:3 above readable minimums. From about
//! 119 cells the reminder, SMS and portal cells use words ("delivered", "✓ opted in"); below,
//! symbols ("✓✓", "✓ in"). When the share is short of the minimums (80 cells and less) the
//! type column goes first — long labels cut to "Follow-u…" help nobody — then portal, reply
//! and clinician. The detail line under the table names them all for the selected row.

use super::text::{fit, width};

/// Cells between columns.
pub const GAP: u16 = 1;
/// The selection marker in front of each row.
pub const MARKER_SYMBOL: &str = "▶ ";
const MARKER: u16 = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    Time,
    Patient,
    Clinician,
    Type,
    Status,
    /// The n-th configured reminder offset.
    Reminder(usize),
    Reply,
    Sms,
    Portal,
}

/// The columns to draw, with widths, and whether cells use words (`wide`) or symbols.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnPlan {
    pub columns: Vec<(Column, u16)>,
    pub wide: bool,
}

/// Width of a fixed column, or `None` for the three that share the rest.
fn fixed(c: Column, wide: bool) -> Option<u16> {
    Some(match (c, wide) {
        (Column::Time, _) => 5,
        (Column::Status, _) => 9,
        (Column::Reminder(_), true) => 9,
        (Column::Reminder(_), false) => 3,
        (Column::Reply, _) => 5,
        (Column::Sms, true) => 11,
        (Column::Sms, false) => 5,
        (Column::Portal, _) => 6,
        (Column::Patient | Column::Clinician | Column::Type, _) => return None,
    })
}

/// (minimum, weight, maximum) of the sharing columns.
fn flex(c: Column) -> (u16, u16, u16) {
    match c {
        Column::Patient => (16, 5, 34),
        Column::Clinician => (9, 2, 20),
        _ => (12, 3, 26),
    }
}

const DROP_ORDER: [Column; 4] = [
    Column::Type,
    Column::Portal,
    Column::Reply,
    Column::Clinician,
];
/// Share needed before the words-not-symbols layout is used.
const WIDE_FLEX: u16 = 54;

fn all(reminders: usize) -> Vec<Column> {
    let mut cols = vec![
        Column::Time,
        Column::Patient,
        Column::Clinician,
        Column::Type,
        Column::Status,
    ];
    cols.extend((0..reminders).map(Column::Reminder));
    cols.extend([Column::Reply, Column::Sms, Column::Portal]);
    cols
}

/// What is left for the sharing columns once fixed columns, gaps and marker are placed.
fn share(cols: &[Column], width: u16, wide: bool) -> u16 {
    let fixed_sum: u16 = cols.iter().filter_map(|&c| fixed(c, wide)).sum();
    let gaps = GAP.saturating_mul(cols.len().saturating_sub(1) as u16);
    width.saturating_sub(MARKER + fixed_sum + gaps)
}

fn min_share(cols: &[Column]) -> u16 {
    cols.iter()
        .filter(|&&c| fixed(c, false).is_none())
        .map(|&c| flex(c).0)
        .sum()
}

/// Plan the table for `width` cells and `reminders` offset columns.
pub fn plan(width: u16, reminders: usize) -> ColumnPlan {
    let mut cols = all(reminders);
    let wide = share(&cols, width, true) >= WIDE_FLEX;
    if !wide {
        for drop in DROP_ORDER {
            if share(&cols, width, false) >= min_share(&cols) {
                break;
            }
            cols.retain(|&c| c != drop);
        }
    }
    // Minimums first, then the rest by weight (capped), leftovers to the patient's name.
    let sharing: Vec<Column> = cols
        .iter()
        .copied()
        .filter(|&c| fixed(c, wide).is_none())
        .collect();
    let total = share(&cols, width, wide);
    let mins: u16 = sharing.iter().map(|&c| flex(c).0).sum();
    let spare = total.saturating_sub(mins);
    let weights: u16 = sharing.iter().map(|&c| flex(c).1).sum::<u16>().max(1);
    let mut widths: Vec<(Column, u16)> = sharing
        .iter()
        .map(|&c| {
            let (min, weight, max) = flex(c);
            let extra = (u32::from(spare) * u32::from(weight) / u32::from(weights)) as u16;
            (c, min.saturating_add(extra).min(max))
        })
        .collect();
    // Below the minimums (tiny terminals) shrink from the right so nothing overflows.
    let mut over = widths
        .iter()
        .map(|&(_, w)| w)
        .sum::<u16>()
        .saturating_sub(total);
    for (_, w) in widths.iter_mut().rev() {
        let cut = over.min(*w);
        *w -= cut;
        over -= cut;
    }
    let rest = total.saturating_sub(widths.iter().map(|&(_, w)| w).sum());
    if let Some((c, w)) = widths.first_mut() {
        let extra = rest.min(flex(*c).2.saturating_sub(*w));
        *w += extra;
    }
    let columns = cols
        .into_iter()
        .map(|c| {
            let w = fixed(c, wide)
                .unwrap_or_else(|| widths.iter().find(|&&(s, _)| s == c).map_or(0, |&(_, w)| w));
            (c, w)
        })
        .collect();
    ColumnPlan { columns, wide }
}

/// Whether a clinician column of `cells` should drop titles: when any name on the day would
/// not fit whole, all lose the title, so the column reads evenly ("Okafor", "Lindqvist").
pub fn drop_titles<'a>(names: impl IntoIterator<Item = &'a str>, cells: u16) -> bool {
    names.into_iter().any(|n| width(n) > usize::from(cells))
}

/// A clinician's name for the column: "Dr. Okafor" becomes "Okafor" when titles are dropped,
/// rather than "Dr. Oka…".
pub fn short_name(name: &str, cells: u16, drop_title: bool) -> String {
    if !drop_title {
        return fit(name, cells);
    }
    match name.split_once(' ') {
        Some((title, rest)) if title.len() <= 5 && !rest.trim().is_empty() => {
            fit(rest.trim(), cells)
        }
        _ => fit(name, cells),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn total(p: &ColumnPlan) -> u16 {
        p.columns.iter().map(|&(_, w)| w).sum::<u16>() + GAP * (p.columns.len() as u16 - 1) + MARKER
    }

    fn names(p: &ColumnPlan) -> Vec<Column> {
        p.columns.iter().map(|&(c, _)| c).collect()
    }

    fn width_of(p: &ColumnPlan, c: Column) -> u16 {
        p.columns.iter().find(|x| x.0 == c).map_or(0, |x| x.1)
    }

    #[test]
    fn at_80_type_gives_way_and_names_fit() {
        let p = plan(80, 2);
        assert!(!p.wide);
        let mut expected = all(2);
        expected.retain(|&c| c != Column::Type);
        assert_eq!(names(&p), expected);
        assert!(total(&p) <= 80, "{}", total(&p));
        assert!(width_of(&p, Column::Patient) >= 22, "{p:?}");
        assert!(width_of(&p, Column::Clinician) >= 10, "{p:?}");
    }

    #[test]
    fn at_100_every_column_shows() {
        let p = plan(100, 2);
        assert_eq!(names(&p), all(2));
        assert!(width_of(&p, Column::Type) >= 15, "{p:?}");
        assert!(total(&p) <= 100);
    }

    #[test]
    fn at_120_cells_use_words() {
        let p = plan(120, 2);
        assert!(p.wide);
        assert!(total(&p) <= 120);
        assert_eq!(p.columns.iter().find(|c| c.0 == Column::Sms).unwrap().1, 11);
    }

    #[test]
    fn narrow_terminals_drop_type_then_portal() {
        let p = plan(60, 2);
        assert!(!names(&p).contains(&Column::Type));
        assert!(!names(&p).contains(&Column::Portal));
        assert!(names(&p).contains(&Column::Patient));
        assert!(names(&p).contains(&Column::Clinician));
        assert!(total(&p) <= 60);
    }

    #[test]
    fn never_overflows_or_panics() {
        for w in 0..=300 {
            for n in 0..=4 {
                let p = plan(w, n);
                if w >= 60 {
                    assert!(total(&p) <= w, "width {w} reminders {n}");
                }
            }
        }
    }

    #[test]
    fn clinician_titles_go_before_the_name_is_cut() {
        let day = ["Dr. Okafor", "Dr. Lindqvist", "NP Patel"];
        assert!(!drop_titles(day, 13));
        assert!(
            drop_titles(day, 12),
            "one name too long: all lose the title"
        );
        assert_eq!(short_name("Dr. Okafor", 12, false), "Dr. Okafor");
        assert_eq!(short_name("Dr. Okafor", 12, true), "Okafor");
        assert_eq!(short_name("NP Patel", 12, true), "Patel");
        assert_eq!(short_name("Dr. Abernathy-Smith", 8, true), "Abernat…");
        assert_eq!(short_name("Okafor", 4, true), "Oka…");
    }
}
