//! What each patient was texted over the five years, and what they answered, decided with
//! the product's own rules: consent at the moment of sending (SPEC §5.2), quiet hours in the
//! patient's zone (`domain::reminder::next_allowed`, §5.5), the frequency caps with room kept
//! for every appointment's last reminder (`cap_check_ahead`, §5.6), one text per patient per
//! day listing every appointment due that day (§5.7), nothing after an opt-out, and replies
//! whose effects (confirmed, cancelled after a call-back, call-back flag, opt-out with its
//! one confirmation) the appointments and consent then show.
//!
//! Pure: one random stream per patient, so the plan does not depend on the threads that
//! make it.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::Span;
use super::book::Appt;
use super::people::Person;
use crate::domain::appointment::AppointmentStatus;
use crate::domain::message::MessageKind;
use crate::domain::reminder::{
    QuietHours, RecentSend, cap_check_ahead, kind_for_offset, next_allowed,
};
use crate::domain::reply::ReplyKind;

/// At most this many appointments in one text (a same-day double booking plus the next
/// day's first reminder).
pub const MAX_PARTS: usize = 3;
const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;

/// The practice's sending rules, from its config.
#[derive(Clone, Debug)]
pub struct Rules {
    /// Reminder offsets, largest first; the last is the one that always goes.
    pub offsets: Vec<u32>,
    pub quiet: QuietHours,
    pub caps: (u32, u32),
    pub min_lead: i64,
    pub practice_zone: Tz,
}

/// What became of a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    Delivered,
    Sent,
    /// Carrier filtering (30007): not a number problem, so the number is not flagged.
    Undelivered,
    Failed,
    /// An inbound reply: how it reads, which wording, whether staff dealt with it.
    Received {
        class: ReplyKind,
        wording: u8,
        handled: bool,
    },
}

/// One message (outbound unless its kind is `Reply`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Text {
    pub at: i64,
    pub patient: u32,
    pub kind: MessageKind,
    /// Book indexes of the appointments it is about, in start order, with their offsets.
    pub parts: [u32; MAX_PARTS],
    pub offsets: [u8; MAX_PARTS],
    pub n: u8,
    pub fate: Fate,
}

impl Text {
    pub fn parts(&self) -> impl Iterator<Item = (u32, u8)> + '_ {
        (0..usize::from(self.n)).map(|i| (self.parts[i], self.offsets[i]))
    }
}

/// A change a reply made to an appointment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    Confirmed {
        appt: u32,
        at: i64,
    },
    /// Rescheduled by phone after an "R": the booking was cancelled.
    Cancelled {
        appt: u32,
        at: i64,
    },
    Callback {
        appt: u32,
    },
}

/// Everything one patient's history adds.
#[derive(Debug, Default)]
pub struct History {
    pub texts: Vec<Text>,
    pub effects: Vec<Effect>,
    /// Opt-outs by reply: when, and the inbound message's provider id (the evidence).
    pub opt_outs: Vec<(u32, i64)>,
}

/// How patients really word each kind of reply; `domain::reply::classify` reads each one as
/// its class (a test holds it to that).
pub fn wordings(class: ReplyKind) -> &'static [&'static str] {
    match class {
        ReplyKind::Confirm => &["C", "c", "C ", "Confirm", "1", "Yes"],
        ReplyKind::Reschedule => &["R", "2", "Reschedule please"],
        ReplyKind::OptOut => &["STOP", "Stop", "stop texting me", "No more texts please"],
        ReplyKind::Help => &["HELP", "help", "Info"],
        _ => &[
            "Running about 10 minutes late, sorry!",
            "Is there parking at the building?",
            "Can my husband come in with me?",
            "¿Puedo llevar a mi hija a la cita?",
            "Do I need to bring my insurance card?",
            "What floor is the office on?",
        ],
    }
}

/// The provider id of an inbound message (also the opt-out's evidence).
pub fn inbound_id(patient: u32, at: i64) -> String {
    format!("DEMO-IN-{}-{at}", patient + 1)
}

fn utc(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(t, 0).unwrap_or(DateTime::UNIX_EPOCH)
}

/// When the patient may be texted: opted in with evidence, not yet opted out.
fn may_text(p: &Person, at: i64) -> bool {
    p.opt_in.is_some_and(|(since, _)| since <= at) && p.verbal_opt_out.is_none_or(|o| at < o)
}

/// A reminder candidate: when it would go, which appointment, which offset, is it the last.
type Candidate = (i64, u32, u8, bool);

/// One patient's history.
pub fn history(
    seed: u64,
    (index, p): (u32, &Person),
    (book, mine): (&[Appt], &[u32]),
    rules: &Rules,
    span: Span,
) -> History {
    let mut out = History::default();
    if p.mobile.is_none() || p.opt_in.is_none() {
        return out;
    }
    let zone = p.zone.unwrap_or(rules.practice_zone);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7E47_0000_0000 ^ u64::from(index));
    let candidates = candidates(p, zone, (book, mine), rules, span.now);
    let mut texts = by_day(index, zone, &candidates, book);
    if let Some((at, _)) = p.opt_in.filter(|&(at, _)| at >= span.first) {
        let at = next_allowed(utc(at + 300), zone, &rules.quiet).timestamp();
        if at < span.now && may_text(p, at) {
            texts.push((single(index, at, MessageKind::Welcome, None), false));
        }
    }
    texts.sort_by_key(|(t, _)| t.at);
    let mut sends = capped(texts, zone, rules.caps);
    sends.extend(prompts(
        &mut rng,
        (index, p),
        (book, mine),
        (zone, rules),
        span,
    ));
    sends.sort_by_key(|t| t.at);
    walk(
        &mut rng,
        (index, p),
        sends,
        (book, rules, span.now),
        &mut out,
    );
    out
}

/// Every reminder moment already past: due (or, booked late, soon after the booking),
/// deferred out of quiet hours, not too close to the start, not after a cancellation, and
/// while the patient may be texted.
fn candidates(
    p: &Person,
    zone: Tz,
    (book, mine): (&[Appt], &[u32]),
    rules: &Rules,
    now: i64,
) -> Vec<Candidate> {
    let last = rules.offsets.last().copied().unwrap_or(24);
    let mut out = Vec::new();
    for &ai in mine {
        let a = &book[ai as usize];
        for &off in &rules.offsets {
            let due = a.start - i64::from(off) * HOUR;
            let is_last = off == last;
            // A late booking gets its last reminder if there is still half the time left;
            // an earlier reminder whose moment passed is not sent late (a later one is due).
            let moment = if due >= a.booked {
                due
            } else if is_last && a.booked + 600 <= a.start - i64::from(off) * HOUR / 2 {
                a.booked + 600
            } else {
                continue;
            };
            let at = next_allowed(utc(moment), zone, &rules.quiet).timestamp();
            let cancelled = a.cancelled.is_some_and(|c| c <= at);
            if at >= now || at > a.start - rules.min_lead || cancelled || !may_text(p, at) {
                continue;
            }
            out.push((at, ai, off as u8, is_last));
        }
    }
    out.sort_unstable();
    out
}

fn single(patient: u32, at: i64, kind: MessageKind, part: Option<(u32, u8)>) -> Text {
    let mut t = Text {
        at,
        patient,
        kind,
        parts: [0; MAX_PARTS],
        offsets: [0; MAX_PARTS],
        n: 0,
        fate: Fate::Delivered,
    };
    if let Some((a, off)) = part {
        (t.parts[0], t.offsets[0], t.n) = (a, off, 1);
    }
    t
}

/// One text per local day: every reminder due that day goes in the day's first text (when
/// the appointment was booked by then).
/// Returns each text with whether it carries an appointment's last reminder (then it goes
/// whatever the caps say).
fn by_day(patient: u32, zone: Tz, candidates: &[Candidate], book: &[Appt]) -> Vec<(Text, bool)> {
    let day = |t: i64| utc(t).with_timezone(&zone).date_naive();
    let mut out: Vec<(Text, bool)> = Vec::new();
    for &(at, ai, off, is_last) in candidates {
        match out.last_mut() {
            // Only an appointment already booked when the day's text went can be listed in
            // it; one booked later gets a text of its own (its last reminder always goes).
            Some((t, last)) if day(t.at) == day(at) && book[ai as usize].booked <= t.at => {
                if usize::from(t.n) == MAX_PARTS {
                    continue; // never in practice: four visits reminded on one day
                }
                let n = usize::from(t.n);
                (t.parts[n], t.offsets[n], t.n) = (ai, off, t.n + 1);
                *last |= is_last;
            }
            _ => out.push((
                single(
                    patient,
                    at,
                    kind_for_offset(u32::from(off)),
                    Some((ai, off)),
                ),
                is_last,
            )),
        }
    }
    for (t, _) in &mut out {
        sort_parts(t, book);
        if t.n > 1 {
            t.kind = MessageKind::SameDayDouble;
        }
    }
    out
}

fn sort_parts(t: &mut Text, book: &[Appt]) {
    let mut parts: Vec<(u32, u8)> = t.parts().collect();
    parts.sort_by_key(|&(a, _)| (book[a as usize].start, a));
    for (i, (a, off)) in parts.into_iter().enumerate() {
        (t.parts[i], t.offsets[i]) = (a, off);
    }
}

/// The caps (SPEC §5.6): texts with a last reminder always go; any other reminder-class
/// text goes only if the product's own `cap_check_ahead` lets it, counting what went before
/// and keeping room for the last reminders still to come.
fn capped(texts: Vec<(Text, bool)>, zone: Tz, caps: (u32, u32)) -> Vec<Text> {
    let reserved: Vec<DateTime<Utc>> = texts
        .iter()
        .filter(|(_, last)| *last)
        .map(|(t, _)| utc(t.at))
        .collect();
    let mut sent: Vec<RecentSend> = Vec::new();
    let mut out = Vec::with_capacity(texts.len());
    for (t, last) in texts {
        let at = utc(t.at);
        let keep = last || {
            let from = sent.partition_point(|s| s.at <= at - Duration::days(8));
            let ahead_from = reserved.partition_point(|&r| r <= at);
            let ahead_to = reserved.partition_point(|&r| r <= at + Duration::days(8));
            cap_check_ahead(
                at,
                zone,
                &sent[from..],
                &reserved[ahead_from..ahead_to],
                caps,
            )
            .is_ok()
        };
        if keep {
            sent.push(RecentSend { at, kind: t.kind });
            out.push(t);
        }
    }
    out
}

/// Portal prompts: "your results are ready" after some completed visits, the next day, and a
/// "new message" every few months — inside the allowed hours (operational: consent and quiet
/// hours, never the caps), at most one of a kind per patient per day.
fn prompts(
    rng: &mut ChaCha8Rng,
    (index, p): (u32, &Person),
    (book, mine): (&[Appt], &[u32]),
    (zone, rules): (Tz, &Rules),
    span: Span,
) -> Vec<Text> {
    let now = span.now;
    let mut out: Vec<Text> = Vec::new();
    for &ai in mine {
        let a = &book[ai as usize];
        if a.status != AppointmentStatus::Completed || !rng.random_bool(0.6) {
            continue;
        }
        let wanted = a.start + 20 * HOUR + rng.random_range(0..6 * HOUR);
        let at = next_allowed(utc(wanted), zone, &rules.quiet).timestamp();
        let day = |t: i64| utc(t).with_timezone(&zone).date_naive();
        // One prompt of a kind per patient per day (its key says so).
        if at >= now || !may_text(p, at) || out.last().is_some_and(|t| day(t.at) == day(at)) {
            continue;
        }
        out.push(single(index, at, MessageKind::PortalResultsReady, None));
    }
    // A clinician's secure message now and then: "you have a new message in the portal".
    let mut t =
        p.opt_in.map_or(now, |(since, _)| since.max(span.first)) + rng.random_range(20..120) * DAY;
    while t < now {
        let at = next_allowed(utc(t), zone, &rules.quiet).timestamp();
        if at < now && may_text(p, at) {
            out.push(single(index, at, MessageKind::PortalNewMessage, None));
        }
        t += rng.random_range(40..130) * DAY + rng.random_range(0..DAY);
    }
    out
}

/// Send in time order: what became of each text, the replies to the last reminders and what
/// they changed; nothing after an opt-out but its one confirmation.
fn walk(
    rng: &mut ChaCha8Rng,
    (index, p): (u32, &Person),
    sends: Vec<Text>,
    (book, rules, now): (&[Appt], &Rules, i64),
    out: &mut History,
) {
    let last = rules.offsets.last().copied().unwrap_or(24) as u8;
    let mut stopped: Option<i64> = None;
    for mut t in sends {
        if stopped.is_some_and(|s| s <= t.at) || !may_text(p, t.at) {
            continue;
        }
        let roll: f64 = rng.random();
        t.fate = match roll {
            r if r < 0.93 => Fate::Delivered,
            r if r < 0.97 => Fate::Sent,
            r if r < 0.99 => Fate::Undelivered,
            _ => Fate::Failed,
        };
        out.texts.push(t);
        // Patients answer the text that carries a visit's last reminder, if it reached them.
        let answered = t.parts().find(|&(_, off)| off == last).map(|(a, _)| a);
        if let (Fate::Delivered, Some(appt)) = (t.fate, answered)
            && let Some(stop) = reply(rng, (index, &t, appt), book, now, out)
        {
            stopped = Some(stop);
        }
    }
}

/// Maybe a reply to a delivered last reminder, and what it changed. Returns the moment of an
/// opt-out.
fn reply(
    rng: &mut ChaCha8Rng,
    (index, t, appt): (u32, &Text, u32),
    book: &[Appt],
    now: i64,
    out: &mut History,
) -> Option<i64> {
    let at = t.at + rng.random_range(3..240) * 60;
    let a = &book[appt as usize];
    if at >= now || at >= a.start {
        return None;
    }
    let roll: f64 = rng.random();
    let class = match roll {
        r if r < 0.45 => ReplyKind::Confirm,
        r if r < 0.50 => ReplyKind::Reschedule,
        r if r < 0.535 => ReplyKind::Other,
        r if r < 0.543 => ReplyKind::OptOut,
        r if r < 0.547 => ReplyKind::Help,
        _ => return None,
    };
    let handled = class != ReplyKind::Other || now - at > 36 * HOUR;
    let wording = rng.random_range(0..wordings(class).len()) as u8;
    let mut inbound = single(index, at, MessageKind::Reply, Some((appt, 0)));
    inbound.fate = Fate::Received {
        class,
        wording,
        handled,
    };
    out.texts.push(inbound);
    let answer = |kind| {
        let mut a = single(index, at + 60, kind, None);
        a.fate = Fate::Delivered;
        a
    };
    match class {
        ReplyKind::Confirm => {
            for (ai, _) in t.parts() {
                let b = &book[ai as usize];
                if b.start > at && b.cancelled.is_none_or(|c| c > at) {
                    out.effects.push(Effect::Confirmed { appt: ai, at });
                }
            }
        }
        ReplyKind::Reschedule if at + HOUR < now.min(a.start) && a.cancelled.is_none() => {
            out.effects.push(Effect::Cancelled {
                appt,
                at: at + HOUR,
            });
        }
        ReplyKind::Reschedule => out.effects.push(Effect::Callback { appt }),
        ReplyKind::OptOut => {
            out.opt_outs.push((index, at));
            out.texts.push(answer(MessageKind::OptOutConfirmation));
            return Some(at);
        }
        ReplyKind::Help => out.texts.push(answer(MessageKind::HelpReply)),
        _ => {}
    }
    None
}

/// Apply the replies' effects to the book.
pub fn apply(book: &mut [Appt], effects: &[Effect]) {
    for e in effects {
        match *e {
            Effect::Confirmed { appt, at } => {
                let a = &mut book[appt as usize];
                a.confirmed = Some(a.confirmed.map_or(at, |c| c.min(at)));
                // A visit already seen keeps its outcome; one still booked is now confirmed.
                if a.status == AppointmentStatus::Booked {
                    (a.status, a.changed) = (AppointmentStatus::Confirmed, Some(at));
                }
            }
            Effect::Cancelled { appt, at } => {
                let a = &mut book[appt as usize];
                (a.status, a.changed, a.cancelled) =
                    (AppointmentStatus::Cancelled, Some(at), Some(at));
            }
            Effect::Callback { appt } => book[appt as usize].callback = true,
        }
    }
}
