//! SMS text rules: which encoding a body needs, how many segments carriers bill for it, and
//! the normalisation that keeps ordinary typography out of UCS-2 (SPEC §5.9).
//!
//! Pure: std only. The counting follows 3GPP TS 23.038 / 23.040 as carriers apply it:
//!
//! | encoding | unit               | one segment | per segment when concatenated |
//! |----------|--------------------|-------------|-------------------------------|
//! | GSM-7    | septet             | 160         | 153 (the UDH takes 7 septets) |
//! | UCS-2    | UTF-16 code unit   | 70          | 67 (the UDH takes 3 units)    |
//!
//! A GSM-7 extension character (`^ { } \ [ ~ ] | €` and form feed) is an escape pair costing
//! two septets, and a segment boundary never falls between the escape and its character. An
//! astral character (most emoji) is a surrogate pair costing two UTF-16 units, and a boundary
//! never splits the pair. Either way a segment can end one unit short.

use std::borrow::Cow;

/// The character set a body is sent in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// The GSM 03.38 default alphabet (basic table plus extension table).
    Gsm7,
    /// Anything else forces UCS-2 for the *whole* message.
    Ucs2,
}

impl Encoding {
    /// The stored name (`messages.encoding`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gsm7 => "gsm7",
            Self::Ucs2 => "ucs2",
        }
    }

    /// Parse a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "gsm7" => Some(Self::Gsm7),
            "ucs2" => Some(Self::Ucs2),
            _ => None,
        }
    }

    /// Units that fit in a message sent as a single segment.
    pub fn single_capacity(self) -> u32 {
        match self {
            Self::Gsm7 => 160,
            Self::Ucs2 => 70,
        }
    }

    /// Units per segment once a message is concatenated.
    pub fn multi_capacity(self) -> u32 {
        match self {
            Self::Gsm7 => 153,
            Self::Ucs2 => 67,
        }
    }
}

/// What a body costs to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SmsInfo {
    pub encoding: Encoding,
    /// Segments billed. 0 for an empty body (nothing can be sent).
    pub segments: u32,
    /// Septets (GSM-7) or UTF-16 code units (UCS-2), the unit carriers count in.
    pub units: u32,
    /// Units still free in the last segment before another one is needed; the counter the
    /// editor shows. (Adding an extension character or an emoji takes two of them.)
    pub chars_left_in_segment: u32,
}

/// SPEC §5.9: never more than this many segments.
pub const MAX_SEGMENTS: u32 = 3;

impl SmsInfo {
    /// Within SPEC §5.9's hard limit (and not empty).
    pub fn within_limit(&self) -> bool {
        self.segments >= 1 && self.segments <= MAX_SEGMENTS
    }
}

/// Septets a character costs in GSM-7: 1 (basic table), 2 (extension table, sent as ESC + char),
/// or `None` when the character has no GSM-7 form and forces UCS-2.
pub fn gsm7_septets(c: char) -> Option<u32> {
    // Nearly every character of a body is ASCII: one table look-up (the clinic-group
    // generator counts five million bodies).
    if c.is_ascii() {
        let septets = ASCII_SEPTETS[c as usize];
        return (septets > 0).then_some(septets as u32);
    }
    table_septets(c)
}

/// [`table_septets`] for the 128 ASCII characters (0: none).
const ASCII_SEPTETS: [u8; 128] = {
    let mut table = [0; 128];
    let mut i = 0;
    while i < 128 {
        if let Some(septets) = table_septets(i as u8 as char) {
            table[i] = septets as u8;
        }
        i += 1;
    }
    table
};

/// The GSM 03.38 tables, character by character.
const fn table_septets(c: char) -> Option<u32> {
    match c {
        // Basic table (3GPP TS 23.038 §6.2.1), grouped as it is laid out there.
        '@' | '£' | '$' | '¥' | 'è' | 'é' | 'ù' | 'ì' | 'ò' | 'Ç' | '\n' | 'Ø' | 'ø' | '\r'
        | 'Å' | 'å' => Some(1),
        'Δ' | '_' | 'Φ' | 'Γ' | 'Λ' | 'Ω' | 'Π' | 'Ψ' | 'Σ' | 'Θ' | 'Ξ' | 'Æ' | 'æ' | 'ß' | 'É' => {
            Some(1)
        }
        ' ' | '!' | '"' | '#' | '¤' | '%' | '&' | '\'' | '(' | ')' | '*' | '+' | ',' | '-'
        | '.' | '/' => Some(1),
        '0'..='9' | ':' | ';' | '<' | '=' | '>' | '?' => Some(1),
        '¡' | 'A'..='Z' | 'Ä' | 'Ö' | 'Ñ' | 'Ü' | '§' => Some(1),
        '¿' | 'a'..='z' | 'ä' | 'ö' | 'ñ' | 'ü' | 'à' => Some(1),
        // Extension table (§6.2.1.1): escape + character.
        '^' | '{' | '}' | '\\' | '[' | '~' | ']' | '|' | '€' | '\u{0C}' => Some(2),
        _ => None,
    }
}

/// The characters (with their byte offsets) that force `text` into UCS-2 even after
/// [`normalise`], so the editor can point at them.
pub fn ucs2_chars(text: &str) -> Vec<(usize, char)> {
    text.char_indices()
        .filter(|&(_, c)| gsm7_septets(c).is_none())
        .collect()
}

/// Encoding, segment count and remaining room for `text` exactly as it would be sent (call
/// [`normalise`] first; this function does not change the text).
///
/// Two passes over the characters and no allocation: the clinic-group generator counts five
/// million bodies with it (a vector of costs per body was a measurable share of its time).
pub fn analyse(text: &str) -> SmsInfo {
    let gsm: Option<u32> = text.chars().map(gsm7_septets).sum();
    let (encoding, units) = match gsm {
        Some(septets) => (Encoding::Gsm7, septets),
        None => (Encoding::Ucs2, text.encode_utf16().count() as u32),
    };
    if units == 0 {
        return SmsInfo {
            encoding,
            segments: 0,
            units: 0,
            chars_left_in_segment: encoding.single_capacity(),
        };
    }
    if units <= encoding.single_capacity() {
        return SmsInfo {
            encoding,
            segments: 1,
            units,
            chars_left_in_segment: encoding.single_capacity() - units,
        };
    }
    // Concatenated: fill segments greedily; an indivisible unit pair that does not fit in
    // what is left of a segment starts the next one.
    let cost = |c: char| match encoding {
        Encoding::Gsm7 => gsm7_septets(c).unwrap_or(1),
        Encoding::Ucs2 => c.len_utf16() as u32,
    };
    let cap = encoding.multi_capacity();
    let mut segments = 1;
    let mut used = 0;
    for c in text.chars() {
        let cost = cost(c);
        if used + cost > cap {
            segments += 1;
            used = 0;
        }
        used += cost;
    }
    SmsInfo {
        encoding,
        segments,
        units,
        chars_left_in_segment: cap - used,
    }
}

/// The GSM-7 stand-in for a character that forces UCS-2 only by typography, or `None`.
fn gsm7_equivalent(c: char) -> Option<&'static str> {
    // The only ASCII characters with a stand-in are the tab and the backtick.
    if c.is_ascii() && c != '\t' && c != '`' {
        return None;
    }
    Some(match c {
        // Quotes and primes.
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{2035}'
        | '\u{02BC}' | '\u{00B4}' | '\u{0060}' | '\u{2039}' | '\u{203A}' => "'",
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{2036}'
        | '\u{00AB}' | '\u{00BB}' => "\"",
        // Hyphens, dashes and the minus sign.
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
        | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}' => "-",
        '\u{2026}' => "...",
        '\u{2022}' | '\u{00B7}' | '\u{2027}' => "-",
        // Spaces of every width, and the tab.
        '\t' | '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => " ",
        // Invisible characters that only cost units: zero-width space, word joiner, BOM,
        // soft hyphen. (Zero-width *joiners* stay: they hold emoji sequences together.)
        '\u{200B}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' => "",
        // Full-width ASCII punctuation that keyboards on phones sometimes produce.
        '\u{FF01}' => "!",
        '\u{FF0C}' => ",",
        '\u{FF0E}' => ".",
        '\u{FF1A}' => ":",
        '\u{FF1F}' => "?",
        _ => return None,
    })
}

/// Replace typography that would force UCS-2 without need (curly quotes, dashes, ellipsis,
/// non-breaking and other odd spaces, invisible characters) by GSM-7 equivalents. Letters are
/// never changed: a patient's name keeps its accents even when that costs UCS-2. Borrows when
/// nothing changes.
pub fn normalise(text: &str) -> Cow<'_, str> {
    let Some(first) = text
        .char_indices()
        .find(|&(_, c)| gsm7_equivalent(c).is_some())
    else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..first.0]);
    for c in text[first.0..].chars() {
        match gsm7_equivalent(c) {
            Some(s) => out.push_str(s),
            None => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn info(text: &str) -> (Encoding, u32, u32, u32) {
        let i = analyse(text);
        (i.encoding, i.segments, i.units, i.chars_left_in_segment)
    }

    #[rstest]
    #[case::empty(0, 0, 0, 160)]
    #[case::one(1, 1, 1, 159)]
    #[case::full_single(160, 1, 160, 0)]
    #[case::first_concatenated(161, 2, 161, 145)]
    #[case::two_full(306, 2, 306, 0)]
    #[case::third_begins(307, 3, 307, 152)]
    #[case::three_full(459, 3, 459, 0)]
    #[case::four(460, 4, 460, 152)]
    fn gsm7_boundaries(
        #[case] len: usize,
        #[case] segments: u32,
        #[case] units: u32,
        #[case] left: u32,
    ) {
        assert_eq!(
            info(&"a".repeat(len)),
            (Encoding::Gsm7, segments, units, left)
        );
    }

    #[rstest]
    #[case::full_single(70, 1, 70, 0)]
    #[case::first_concatenated(71, 2, 71, 63)]
    #[case::two_full(134, 2, 134, 0)]
    #[case::third_begins(135, 3, 135, 66)]
    fn ucs2_boundaries(
        #[case] len: usize,
        #[case] segments: u32,
        #[case] units: u32,
        #[case] left: u32,
    ) {
        // 'Ж' is a BMP character outside GSM-7: one UTF-16 unit each.
        assert_eq!(
            info(&"Ж".repeat(len)),
            (Encoding::Ucs2, segments, units, left)
        );
    }

    #[test]
    fn one_ucs2_character_turns_the_whole_message_ucs2() {
        let text = format!("{}Ж", "a".repeat(69));
        assert_eq!(info(&text), (Encoding::Ucs2, 1, 70, 0));
        let text = format!("{}Ж", "a".repeat(70));
        assert_eq!(info(&text), (Encoding::Ucs2, 2, 71, 63));
    }

    #[test]
    fn extension_characters_cost_two_septets() {
        assert_eq!(info("€"), (Encoding::Gsm7, 1, 2, 158));
        assert_eq!(info("{}[]~\\|^"), (Encoding::Gsm7, 1, 16, 144));
        // 159 basic + one extension = 161 septets: over the single-segment limit.
        let text = format!("{}€", "a".repeat(159));
        assert_eq!(info(&text), (Encoding::Gsm7, 2, 161, 145));
        let text = format!("{}€", "a".repeat(158));
        assert_eq!(info(&text), (Encoding::Gsm7, 1, 160, 0));
    }

    #[test]
    fn an_escape_pair_is_never_split_across_segments() {
        // 152 basic septets, then '€' (2): 154 > 153, so the pair moves to segment 2,
        // leaving one septet of segment 1 unused.
        let text = format!("{}€{}", "a".repeat(152), "a".repeat(10));
        let i = analyse(&text);
        assert_eq!((i.segments, i.units), (2, 164));
        assert_eq!(i.chars_left_in_segment, 153 - 12);
        // 151 + '€' fits exactly in 153: no wasted septet.
        let text = format!("{}€{}", "a".repeat(151), "a".repeat(10));
        let i = analyse(&text);
        assert_eq!((i.segments, i.units), (2, 163));
        assert_eq!(i.chars_left_in_segment, 153 - 10);
        // The lost septet can push a message into a further segment: 306 septets fit in two
        // segments only if no pair straddles the boundary.
        let straddling = format!("{}€{}", "a".repeat(152), "a".repeat(152));
        assert_eq!(analyse(&straddling).units, 306);
        assert_eq!(analyse(&straddling).segments, 3);
        let aligned = format!("{}€{}", "a".repeat(151), "a".repeat(153));
        assert_eq!(analyse(&aligned).segments, 2);
    }

    #[test]
    fn emoji_cost_two_units_and_are_never_split() {
        assert_eq!(info("👍"), (Encoding::Ucs2, 1, 2, 68));
        assert_eq!(info(&"👍".repeat(35)), (Encoding::Ucs2, 1, 70, 0));
        // 33 pairs fill 66 of the first 67 units; the 34th moves on: 3 pairs in segment 2.
        assert_eq!(info(&"👍".repeat(36)), (Encoding::Ucs2, 2, 72, 67 - 6));
        // 66 units then an emoji: the pair does not fit in 67 and moves on.
        let text = format!("{}👍{}", "Ж".repeat(66), "Ж".repeat(5));
        let i = analyse(&text);
        assert_eq!((i.segments, i.units, i.chars_left_in_segment), (2, 73, 60));
        let text = format!("{}👍{}", "Ж".repeat(66), "Ж".repeat(66));
        assert_eq!(analyse(&text).units, 134);
        assert_eq!(
            analyse(&text).segments,
            3,
            "a split pair would have fitted 2"
        );
        let text = format!("{}👍{}", "Ж".repeat(65), "Ж".repeat(67));
        assert_eq!(analyse(&text).segments, 2);
    }

    #[test]
    fn accented_letters_in_the_basic_table_stay_gsm7() {
        assert_eq!(
            analyse("José Müller, Ñandu? ¿Qué? àèéìòù ÄÖÜäöü ßÆæØøÅå").encoding,
            Encoding::Gsm7
        );
        // á, í, ó, ú and ç are not in the table.
        for s in ["María", "Martín", "Ramón", "Raúl", "François"] {
            assert_eq!(analyse(s).encoding, Encoding::Ucs2, "{s}");
        }
        assert_eq!(
            ucs2_chars("Hi María, ok"),
            vec![(6, 'í')],
            "the byte offset of the culprit"
        );
    }

    #[test]
    fn normalise_replaces_typography_with_gsm7() {
        let text =
            "Don\u{2019}t forget \u{201C}Suite 2\u{201D} \u{2014} 9\u{2013}10\u{00A0}AM\u{2026}";
        let out = normalise(text);
        assert_eq!(out, "Don't forget \"Suite 2\" - 9-10 AM...");
        assert_eq!(analyse(&out).encoding, Encoding::Gsm7);
        assert_eq!(analyse(text).encoding, Encoding::Ucs2);
        assert_eq!(normalise("a\u{200B}b\u{FEFF}c\td"), "abc d");
    }

    #[test]
    fn normalise_borrows_when_nothing_changes_and_keeps_letters_and_emoji() {
        assert!(matches!(
            normalise("Hi José, see you at 9."),
            Cow::Borrowed(_)
        ));
        assert!(matches!(normalise("María 👍"), Cow::Borrowed(_)));
        // A family emoji keeps its zero-width joiners.
        let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}";
        assert_eq!(normalise(family), family);
        assert_eq!(normalise("María \u{2019}👍"), "María '👍");
    }

    proptest::proptest! {
        #![proptest_config(crate::testing::proptest_config(
            "tests/proptest-regressions/domain/segments.txt"
        ))]
        #[test]
        fn normalise_is_idempotent_and_typography_alone_never_forces_ucs2(
            s in "[a-zA-Z0-9 .,!?'@£$€{}\\[\\]~|^\u{2018}\u{2019}\u{201C}\u{201D}\u{2013}\u{2014}\u{2026}\u{00A0}\u{200B}\t]{0,400}"
        ) {
            let once = normalise(&s).into_owned();
            proptest::prop_assert_eq!(normalise(&once).into_owned(), once.clone());
            proptest::prop_assert_eq!(analyse(&once).encoding, Encoding::Gsm7);
        }

        #[test]
        fn analyse_counts_like_the_list_of_unit_costs(s in "(\\PC|[a-z {}€]){0,500}") {
            // The straightforward reading: each character's cost in the encoding the whole
            // text needs, then segments filled greedily without splitting a pair.
            let gsm: Option<Vec<u32>> = s.chars().map(gsm7_septets).collect();
            let (encoding, costs) = match gsm {
                Some(costs) => (Encoding::Gsm7, costs),
                None => (Encoding::Ucs2, s.chars().map(|c| c.len_utf16() as u32).collect()),
            };
            let units: u32 = costs.iter().sum();
            let single = units <= encoding.single_capacity();
            let cap = if single { encoding.single_capacity() } else { encoding.multi_capacity() };
            let (mut segments, mut used) = (u32::from(units > 0), 0);
            for cost in costs {
                if used + cost > cap {
                    segments += 1;
                    used = 0;
                }
                used += cost;
            }
            let i = analyse(&s);
            proptest::prop_assert_eq!((i.encoding, i.units, i.segments), (encoding, units, segments));
            proptest::prop_assert_eq!(i.chars_left_in_segment, cap - used);
        }

        #[test]
        fn counts_are_consistent_and_grow_with_the_text(s in "\\PC{0,300}", extra in "\\PC") {
            let i = analyse(&s);
            let cap = if i.segments <= 1 { i.encoding.single_capacity() } else { i.encoding.multi_capacity() };
            proptest::prop_assert!(i.chars_left_in_segment <= cap);
            if i.segments > 1 {
                // Every segment but the last can lose at most one unit to an unsplittable pair.
                proptest::prop_assert!(i.units <= i.segments * cap);
                proptest::prop_assert!(i.units > (i.segments - 1) * (cap - 1));
            }
            let longer = analyse(&format!("{s}{extra}"));
            proptest::prop_assert!(longer.segments >= i.segments);
            // Units only compare within one encoding: "{" is 2 GSM-7 septets, "{ý" 2 UCS-2 units.
            if longer.encoding == i.encoding {
                proptest::prop_assert!(longer.units > i.units);
            }
        }
    }

    #[test]
    fn the_ascii_table_agrees_with_the_gsm_tables_for_every_ascii_character() {
        for b in 0u8..128 {
            let c = char::from(b);
            assert_eq!(gsm7_septets(c), table_septets(c), "{c:?}");
        }
        assert_eq!(gsm7_septets('a'), Some(1));
        assert_eq!(gsm7_septets('{'), Some(2));
        assert_eq!(gsm7_septets('`'), None);
        assert_eq!(gsm7_septets('é'), Some(1));
        assert_eq!(gsm7_septets('€'), Some(2));
    }

    #[test]
    fn stored_names_round_trip() {
        for e in [Encoding::Gsm7, Encoding::Ucs2] {
            assert_eq!(Encoding::parse(e.as_str()), Some(e));
        }
    }

    #[test]
    fn within_limit_means_one_to_three_segments() {
        assert!(!analyse("").within_limit());
        assert!(analyse(&"a".repeat(459)).within_limit());
        assert!(!analyse(&"a".repeat(460)).within_limit());
    }
}
