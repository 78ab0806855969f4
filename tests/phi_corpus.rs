//! The PHI gate against the labelled corpus in `tests/data/phi/`: recall on PHI messages
//! ≥ 99 % and false blocks on clean messages ≤ 2 % (issue 3); on all sets together ≥ 99 % and
//! ≤ 1 % (issue 13). Prints every miss.

use std::collections::BTreeMap;

use frontdesk::phi;

fn rows(text: &'static str) -> Vec<(&'static str, &'static str)> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .collect()
}

const PHI: &str = include_str!("data/phi/corpus_phi.tsv");
const CLEAN: &str = include_str!("data/phi/corpus_clean.tsv");

#[test]
fn corpus_is_big_and_balanced() {
    let phi = rows(PHI);
    let clean = rows(CLEAN);
    assert!(
        phi.len() + clean.len() >= 600,
        "{} + {}",
        phi.len(),
        clean.len()
    );
    assert!(phi.len() >= 300 && clean.len() >= 300);
    let mut per: BTreeMap<&str, usize> = BTreeMap::new();
    for (cat, _) in &phi {
        *per.entry(cat).or_default() += 1;
    }
    for c in phi::Category::ALL {
        assert!(
            per.get(c.as_str()).copied().unwrap_or(0) >= 25,
            "too few {c:?}: {per:?}"
        );
    }
    assert!(clean.iter().filter(|(k, _)| *k == "hard").count() >= 100);
}

#[test]
fn recall_on_phi_is_at_least_99_percent() {
    let phi = rows(PHI);
    let mut missed = Vec::new();
    let mut per: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (cat, text) in &phi {
        let v = phi::check(text);
        let e = per.entry(cat).or_default();
        e.1 += 1;
        if v.blocked {
            e.0 += 1;
        } else {
            missed.push(format!("{cat}: {text}"));
        }
    }
    let recall = 1.0 - missed.len() as f64 / phi.len() as f64;
    println!(
        "recall {:.2}% ({} of {} missed)",
        recall * 100.0,
        missed.len(),
        phi.len()
    );
    for (cat, (hit, all)) in &per {
        println!("  {cat:<12} {hit}/{all}");
    }
    for m in &missed {
        println!("MISSED {m}");
    }
    assert!(
        recall >= 0.99,
        "recall {recall:.4}; missed:\n{}",
        missed.join("\n")
    );
}

#[test]
fn false_blocks_on_clean_are_at_most_2_percent() {
    let clean = rows(CLEAN);
    let mut wrong = Vec::new();
    for (kind, text) in &clean {
        let v = phi::check(text);
        if v.blocked {
            wrong.push(format!("{kind}: {text}\n    {}", v.summary()));
        }
    }
    let rate = wrong.len() as f64 / clean.len() as f64;
    println!(
        "false blocks {:.2}% ({} of {})",
        rate * 100.0,
        wrong.len(),
        clean.len()
    );
    for w in &wrong {
        println!("FALSE {w}");
    }
    assert!(
        rate <= 0.02,
        "false-block rate {rate:.4}:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn phi_findings_have_the_expected_category_mostly() {
    // The category a message was written for should be among its findings (not asserted
    // per message: "stop taking warfarin" is an instruction and names a medication).
    let phi = rows(PHI);
    let agree = phi
        .iter()
        .filter(|(cat, text)| {
            phi::check(text)
                .findings
                .iter()
                .any(|f| f.category.as_str() == *cat)
        })
        .count();
    let share = agree as f64 / phi.len() as f64;
    println!("category agreement {:.1}%", share * 100.0);
    assert!(share >= 0.8, "{share}");
}

const HOLDOUT_PHI: &str = include_str!("data/phi/holdout_phi.tsv");
const HOLDOUT_CLEAN: &str = include_str!("data/phi/holdout_clean.tsv");
const HOLDOUT2_PHI: &str = include_str!("data/phi/holdout2_phi.tsv");
const HOLDOUT2_CLEAN: &str = include_str!("data/phi/holdout2_clean.tsv");
const HOLDOUT3_PHI: &str = include_str!("data/phi/holdout3_phi.tsv");
const HOLDOUT3_CLEAN: &str = include_str!("data/phi/holdout3_clean.tsv");
const HOLDOUT4_PHI: &str = include_str!("data/phi/holdout4_phi.tsv");
const HOLDOUT4_CLEAN: &str = include_str!("data/phi/holdout4_clean.tsv");
const HOLDOUT5_PHI: &str = include_str!("data/phi/holdout5_phi.tsv");
const HOLDOUT5_CLEAN: &str = include_str!("data/phi/holdout5_clean.tsv");
const HOLDOUT6_PHI: &str = include_str!("data/phi/holdout6_phi.tsv");
const HOLDOUT6_CLEAN: &str = include_str!("data/phi/holdout6_clean.tsv");
const HOLDOUT7_PHI: &str = include_str!("data/phi/holdout7_phi.tsv");
const HOLDOUT7_CLEAN: &str = include_str!("data/phi/holdout7_clean.tsv");
const HOLDOUT8_PHI: &str = include_str!("data/phi/holdout8_phi.tsv");
const HOLDOUT8_CLEAN: &str = include_str!("data/phi/holdout8_clean.tsv");

/// Messages written after the gate's first version and not used to tune it: an honest
/// estimate of how it does on text nobody tuned it for. Looser bounds than the corpus.
#[test]
fn holdout_rates() {
    holdout("holdout", HOLDOUT_PHI, HOLDOUT_CLEAN);
}

#[test]
fn second_holdout_rates() {
    holdout("holdout 2", HOLDOUT2_PHI, HOLDOUT2_CLEAN);
}

#[test]
fn third_holdout_rates() {
    holdout("holdout 3", HOLDOUT3_PHI, HOLDOUT3_CLEAN);
}

#[test]
fn fourth_holdout_rates() {
    holdout("holdout 4", HOLDOUT4_PHI, HOLDOUT4_CLEAN);
}

/// Written before the second round of vocabulary work; first run: recall 93.5 %, false
/// blocks 1.2 % (assets/phi/README.md). Bounds reflect the rates after that work.
#[test]
fn fifth_holdout_rates() {
    let (recall, false_rate) = holdout("holdout 5", HOLDOUT5_PHI, HOLDOUT5_CLEAN);
    assert!(recall >= 0.99, "{recall}");
    assert!(false_rate <= 0.01, "{false_rate}");
}

/// Written after the second round and measured once before its own fixes: first run
/// recall 91.1 %, false blocks 2.4 % (the estimate for unseen text, assets/phi/README.md).
#[test]
fn sixth_holdout_rates() {
    let (recall, false_rate) = holdout("holdout 6", HOLDOUT6_PHI, HOLDOUT6_CLEAN);
    assert!(recall >= 0.99, "{recall}");
    assert!(false_rate <= 0.01, "{false_rate}");
}

/// Written after held-out 6's fixes and run once: recall 93.1 %, false blocks 7.0 % (its
/// hard negatives name departments, charities and jobs). Bounds reflect the fixes since.
#[test]
fn seventh_holdout_rates() {
    let (recall, false_rate) = holdout("holdout 7", HOLDOUT7_PHI, HOLDOUT7_CLEAN);
    assert!(recall >= 0.98, "{recall}");
    assert!(false_rate <= 0.03, "{false_rate}");
}

/// Written for issue 13 before any of its changes and run once: recall 91.1 %, false blocks
/// 17.2 % (assets/phi/README.md). Bounds reflect the third round's fixes.
#[test]
fn eighth_holdout_rates() {
    let (recall, false_rate) = holdout("holdout 8", HOLDOUT8_PHI, HOLDOUT8_CLEAN);
    assert!(recall >= 0.99, "{recall}");
    assert!(false_rate <= 0.01, "{false_rate}");
}

/// Every labelled set together (issue 13): at least 99 % of clinical messages blocked and at
/// most 1 % of ordinary ones.
#[test]
fn all_sets_together_reach_99_percent_recall_and_1_percent_false_blocks() {
    let sets = [
        (PHI, CLEAN),
        (HOLDOUT_PHI, HOLDOUT_CLEAN),
        (HOLDOUT2_PHI, HOLDOUT2_CLEAN),
        (HOLDOUT3_PHI, HOLDOUT3_CLEAN),
        (HOLDOUT4_PHI, HOLDOUT4_CLEAN),
        (HOLDOUT5_PHI, HOLDOUT5_CLEAN),
        (HOLDOUT6_PHI, HOLDOUT6_CLEAN),
        (HOLDOUT7_PHI, HOLDOUT7_CLEAN),
        (HOLDOUT8_PHI, HOLDOUT8_CLEAN),
    ];
    let (mut phi_all, mut missed, mut clean_all, mut wrong) = (0, 0, 0, 0);
    for (p, c) in sets {
        let p = rows(p);
        let c = rows(c);
        phi_all += p.len();
        clean_all += c.len();
        missed += p.iter().filter(|(_, t)| !phi::check(t).blocked).count();
        wrong += c.iter().filter(|(_, t)| phi::check(t).blocked).count();
    }
    let recall = 1.0 - missed as f64 / phi_all as f64;
    let false_rate = wrong as f64 / clean_all as f64;
    println!(
        "all sets: recall {:.2}% ({missed} of {phi_all} missed), false blocks {:.2}% ({wrong} of {clean_all})",
        recall * 100.0,
        false_rate * 100.0
    );
    assert!(recall >= 0.99, "{recall}");
    assert!(false_rate <= 0.01, "{false_rate}");
}

#[test]
fn newer_holdouts_are_large_enough() {
    let five = (rows(HOLDOUT5_PHI).len(), rows(HOLDOUT5_CLEAN).len());
    let six = (rows(HOLDOUT6_PHI).len(), rows(HOLDOUT6_CLEAN).len());
    assert!(five.0 >= 150 && five.1 >= 150, "{five:?}");
    assert!(six.0 >= 100 && six.1 >= 100, "{six:?}");
    let seven = (rows(HOLDOUT7_PHI).len(), rows(HOLDOUT7_CLEAN).len());
    assert!(seven.0 >= 100 && seven.1 >= 100, "{seven:?}");
    let eight = (rows(HOLDOUT8_PHI).len(), rows(HOLDOUT8_CLEAN).len());
    assert!(
        eight.0 + eight.1 >= 300 && eight.0 >= 150 && eight.1 >= 150,
        "{eight:?}"
    );
}

/// Prints the rates and every miss; asserts the loose bounds every held-out set keeps
/// (recall ≥ 95 %, false blocks ≤ 5 %) and returns (recall, false-block rate).
fn holdout(name: &str, phi_text: &'static str, clean_text: &'static str) -> (f64, f64) {
    let phi = rows(phi_text);
    let clean = rows(clean_text);
    let missed: Vec<_> = phi.iter().filter(|(_, t)| !phi::check(t).blocked).collect();
    let wrong: Vec<_> = clean
        .iter()
        .filter(|(_, t)| phi::check(t).blocked)
        .collect();
    let recall = 1.0 - missed.len() as f64 / phi.len() as f64;
    let false_rate = wrong.len() as f64 / clean.len() as f64;
    println!(
        "{name}: recall {:.1}% ({} of {} missed), false blocks {:.1}% ({} of {})",
        recall * 100.0,
        missed.len(),
        phi.len(),
        false_rate * 100.0,
        wrong.len(),
        clean.len()
    );
    for m in &missed {
        println!("{name} MISSED {}: {}", m.0, m.1);
    }
    for w in &wrong {
        println!(
            "{name} FALSE {}: {}  [{}]",
            w.0,
            w.1,
            phi::check(w.1).summary()
        );
    }
    assert!(recall >= 0.95, "{recall}");
    assert!(false_rate <= 0.05, "{false_rate}");
    (recall, false_rate)
}
