//! 95 % confidence intervals for a proportion (Wilson score) and for the difference of two
//! independent proportions (Newcombe's hybrid score interval, built from the two Wilson
//! intervals: method 10 of Newcombe 1998).
//!
//! Why these: the plain Wald interval (p ± 1.96·SE) collapses to zero width at 0 % and
//! 100 %, escapes [0, 1], and undercovers badly for the small counts a practice has per
//! clinician or type; Wilson and Newcombe stay inside the range and keep close to their
//! nominal 95 % even for small groups (Newcombe, Statistics in Medicine 1998;17:857–872 and
//! 873–890). Pure arithmetic; no continuity correction.

use serde::{Deserialize, Serialize};

/// The 97.5th percentile of the standard normal distribution (two-sided 95 %).
pub const Z95: f64 = 1.959_963_984_540_054;

/// A closed interval `[low, high]`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

impl Interval {
    pub fn contains(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }
}

/// Wilson score interval for `events` out of `n` at normal quantile `z`; `None` when `n` is 0
/// (no data, no interval).
pub fn wilson(events: u64, n: u64, z: f64) -> Option<Interval> {
    if n == 0 || events > n {
        return None;
    }
    let (n, p) = (n as f64, events as f64 / n as f64);
    let z2 = z * z;
    let centre = p + z2 / (2.0 * n);
    let spread = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    let denom = 1.0 + z2 / n;
    Some(Interval {
        // At 0 and n events the exact bound is 0 or 1; the formula gets there up to rounding.
        low: if events == 0 {
            0.0
        } else {
            ((centre - spread) / denom).max(0.0)
        },
        high: if events as f64 == n {
            1.0
        } else {
            ((centre + spread) / denom).min(1.0)
        },
    })
}

/// Newcombe's hybrid score interval for `a/m − b/n`; `None` when either group is empty.
pub fn newcombe(a: u64, m: u64, b: u64, n: u64, z: f64) -> Option<Interval> {
    let (w1, w2) = (wilson(a, m, z)?, wilson(b, n, z)?);
    let (p1, p2) = (a as f64 / m as f64, b as f64 / n as f64);
    let d = p1 - p2;
    Some(Interval {
        low: d - ((p1 - w1.low).powi(2) + (w2.high - p2).powi(2)).sqrt(),
        high: d + ((w1.high - p1).powi(2) + (p2 - w2.low).powi(2)).sqrt(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    /// Four decimals, as the published tables give them.
    fn close(got: f64, want: f64) {
        assert!((got - want).abs() < 0.000_05, "got {got:.6}, want {want}");
    }

    /// Newcombe RG. Two-sided confidence intervals for the single proportion: comparison of
    /// seven methods. Stat Med 1998;17:857–872, Table I, method 3 (Wilson score, no
    /// continuity correction).
    #[rstest]
    #[case(81, 263, 0.2553, 0.3662)]
    #[case(15, 148, 0.0624, 0.1605)]
    #[case(0, 20, 0.0, 0.1611)]
    #[case(1, 29, 0.0061, 0.1718)]
    fn wilson_matches_newcombe_1998_table_i(
        #[case] r: u64,
        #[case] n: u64,
        #[case] low: f64,
        #[case] high: f64,
    ) {
        let w = wilson(r, n, Z95).unwrap();
        close(w.low, low);
        close(w.high, high);
    }

    /// Newcombe RG. Interval estimation for the difference between independent proportions:
    /// comparison of eleven methods. Stat Med 1998;17:873–890, Table II, method 10 (score
    /// interval, no continuity correction), examples (a)–(h).
    #[rstest]
    #[case(56, 70, 48, 80, 0.0524, 0.3339)]
    #[case(9, 10, 3, 10, 0.1705, 0.8090)]
    #[case(6, 7, 2, 7, 0.0582, 0.8062)]
    #[case(5, 56, 0, 29, -0.0381, 0.1926)]
    #[case(0, 10, 0, 20, -0.1611, 0.2775)]
    #[case(0, 10, 0, 10, -0.2775, 0.2775)]
    #[case(10, 10, 0, 20, 0.6791, 1.0)]
    #[case(10, 10, 0, 10, 0.6075, 1.0)]
    fn newcombe_matches_newcombe_1998_table_ii(
        #[case] a: u64,
        #[case] m: u64,
        #[case] b: u64,
        #[case] n: u64,
        #[case] low: f64,
        #[case] high: f64,
    ) {
        let ci = newcombe(a, m, b, n, Z95).unwrap();
        close(ci.low, low);
        close(ci.high, high);
    }

    #[test]
    fn swapping_the_groups_mirrors_the_interval() {
        let ab = newcombe(12, 140, 30, 160, Z95).unwrap();
        let ba = newcombe(30, 160, 12, 140, Z95).unwrap();
        close(ab.low, -ba.high);
        close(ab.high, -ba.low);
    }

    #[test]
    fn empty_groups_have_no_interval() {
        assert_eq!(wilson(0, 0, Z95), None);
        assert_eq!(newcombe(1, 10, 0, 0, Z95), None);
        assert_eq!(wilson(3, 2, Z95), None, "more events than trials");
    }

    #[test]
    fn bounds_stay_inside_the_range() {
        for n in 1..60 {
            for k in 0..=n {
                let w = wilson(k, n, Z95).unwrap();
                assert!(0.0 <= w.low && w.low <= w.high && w.high <= 1.0, "{k}/{n}");
                let p = k as f64 / n as f64;
                assert!(w.contains(p), "{k}/{n} inside its own interval");
            }
        }
    }
}
