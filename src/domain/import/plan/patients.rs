//! Patients of the file against stored patients, and the consent that came with them.

use std::collections::HashMap;

use super::{ConsentChange, Known, KnownPatient, PatientChange, Plan, Ref, consent_decision};
use crate::domain::consent::ConsentState;
use crate::domain::ids::PatientId;
use crate::domain::import::{PatientRecord, RecordError, Warning};

/// Decide each patient; return every key of the file's patients → the patient it names.
pub(super) fn decide(
    records: Vec<PatientRecord>,
    known: &Known,
    p: &mut Plan,
) -> HashMap<String, Ref<PatientId>> {
    let mut by_key: HashMap<String, Ref<PatientId>> = HashMap::new();
    let mut seen: HashMap<String, PatientRecord> = HashMap::new();
    for r in records {
        // A server's pages may include the same Patient again: the same is fine, a
        // different one under the same id is not.
        if let Some(first) = r.keys.iter().find_map(|k| seen.get(k)) {
            if !same_patient(first, &r) {
                p.errors.push(RecordError::new(
                    r.origin,
                    "identifier",
                    r.keys.first().cloned().unwrap_or_default(),
                    format!(
                        "this id is also on {} with different details; one id, two patients?",
                        first.origin.describe()
                    ),
                ));
                p.patients.rejected += 1;
            }
            continue;
        }
        for k in &r.keys {
            seen.insert(k.clone(), r.clone());
        }
        let Some(stored) = match_stored(&r, known, p) else {
            p.patients.rejected += 1;
            continue;
        };
        let target = match stored {
            Some(k) => update(&r, k, known, p),
            None => {
                p.patients.added += 1;
                p.new_patients.push(r.clone());
                Ref::New(p.new_patients.len() - 1)
            }
        };
        let consent_changed = consent(&r, stored, target, p);
        if consent_changed && matches!(target, Ref::Known(_)) {
            count_consent_as_change(target, p);
        }
        for k in &r.keys {
            by_key.insert(k.clone(), target);
        }
    }
    by_key
}

fn same_patient(a: &PatientRecord, b: &PatientRecord) -> bool {
    a.keys == b.keys
        && a.first_name == b.first_name
        && a.last_name == b.last_name
        && a.birth_date == b.birth_date
        && a.mobile == b.mobile
        && a.consent.map(|c| (c.answer, c.given)) == b.consent.map(|c| (c.answer, c.given))
}

/// The stored patient any of the record's keys names; two different ones is an error.
fn match_stored<'k>(
    r: &PatientRecord,
    known: &'k Known,
    p: &mut Plan,
) -> Option<Option<&'k KnownPatient>> {
    let mut found: Option<&KnownPatient> = None;
    for k in &r.keys {
        if let Some(kp) = known.patients.get(k) {
            if found.is_some_and(|f| f.id != kp.id) {
                p.errors.push(RecordError::new(
                    r.origin,
                    "identifier",
                    k.clone(),
                    "this patient's ids name two different patients already in frontdesk",
                ));
                return None;
            }
            found = Some(kp);
        }
    }
    Some(found)
}

/// Compare with the stored patient; plan the changes and the ids to remember.
fn update(r: &PatientRecord, k: &KnownPatient, known: &Known, p: &mut Plan) -> Ref<PatientId> {
    let mobile = r.mobile.clone().filter(|m| k.mobile.as_ref() != Some(m));
    let birth_date = r.birth_date.filter(|d| k.birth_date != Some(*d));
    let renamed = r.first_name != k.first_name || r.last_name != k.last_name;
    if renamed || mobile.is_some() || birth_date.is_some() {
        p.patients.changed += 1;
        p.patient_changes.push(PatientChange {
            id: k.id,
            first_name: r.first_name.clone(),
            last_name: r.last_name.clone(),
            birth_date: birth_date.or(k.birth_date),
            mobile,
        });
    } else {
        p.patients.unchanged += 1;
    }
    for key in r
        .keys
        .iter()
        .filter(|key| !known.patients.contains_key(*key))
    {
        p.patient_keys.push((Ref::Known(k.id), key.clone()));
    }
    Ref::Known(k.id)
}

/// Plan the consent event the file's answer calls for. True when one is recorded.
fn consent(
    r: &PatientRecord,
    stored: Option<&KnownPatient>,
    target: Ref<PatientId>,
    p: &mut Plan,
) -> bool {
    let Some(c) = r.consent else { return false };
    let current = stored.map_or(ConsentState::None, |k| k.consent.clone());
    match consent_decision(c.answer, c.given, &current) {
        Ok(Some(kind)) => {
            p.consents.push(ConsentChange {
                patient: target,
                kind,
                given: c.given,
                origin: c.origin,
            });
            true
        }
        Ok(None) => false,
        Err(why) => {
            p.warnings.push(Warning::at(c.origin, why));
            false
        }
    }
}

/// A stored patient whose only change is consent counts as changed, once.
fn count_consent_as_change(target: Ref<PatientId>, p: &mut Plan) {
    let Ref::Known(id) = target else { return };
    if !p.patient_changes.iter().any(|c| c.id == id) && p.patients.unchanged > 0 {
        p.patients.unchanged -= 1;
        p.patients.changed += 1;
    }
}
