//! What a patient's reply means (SPEC §5.3–§5.4): [`classify`] maps an inbound text to a
//! [`ReplyKind`].
//!
//! Pure: std, serde, regex. The rules, in the order they win:
//!
//! 1. **Opt-outs are read generously** (FCC 2024: any reasonable means of revoking counts).
//!    The reply is first normalised: Unicode compatibility forms folded (NFKC — full-width
//!    "ＳＴＯＰ" is "STOP"), accents removed ("no más" is "no mas"), case folded, zero-width
//!    characters dropped, letters stretched three times or more shortened ("stooop").
//!    Then: the whole reply — punctuation, emoji and courtesy words ("please", "thanks", "por
//!    favor") set aside — equal to STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE,
//!    OPTOUT, OPT OUT, NO MORE (or Spanish BAJA, PARAR, PARA, ALTO, BASTA, DETENER, FIN, NO
//!    MAS, CANCELAR); such a keyword as the first clause ("Stop. Wrong person"); STOP or
//!    UNSUBSCRIBE shouted in capitals ("ok thanks STOP", "I SAID STOP"); or plain wording in
//!    English or Spanish ("stop texting me", "remove me from your list", "no más mensajes",
//!    "dejen de escribirme", "wrong number").
//!    A clause that *negates* stopping is not an opt-out: "don't stop my reminders", "no
//!    dejen de mandarme mensajes" go to the reply inbox for a person, consent unchanged (a
//!    person who wants to keep their texts must never be unsubscribed on a guess; one who
//!    wants out and wrote it oddly can be opted out by the desk the same day). "Stop by the
//!    office?" is about a visit, not the texts: the inbox too.
//!    CANCEL (and CANCELAR) alone is [`ReplyKind::Cancel`]: an opt-out *and* a call-back; so is
//!    an opt-out phrase together with a call-back request ("stop texting, just call me").
//! 2. HELP, INFO, AYUDA → [`ReplyKind::Help`]; START, UNSTOP → [`ReplyKind::OptIn`].
//! 3. With a reminder awaiting an answer: C, 1, CONFIRM, YES, SI → [`ReplyKind::Confirm`];
//!    R, 2 → [`ReplyKind::Reschedule`]. Without one, YES/SI opt in and C/1/R/2 mean nothing.
//! 4. RESCHEDULE, "call me", "llámame", "cancel my appointment", "cancel appointment",
//!    "cancelar cita", "can't make it" → [`ReplyKind::Reschedule`]: a call-back flag, never an
//!    opt-out — English and Spanish alike, with or without "my"/"mi".
//! 5. Anything else is [`ReplyKind::Other`] and waits in the reply inbox: confirmations are
//!    not guessed from free text, so "I'll stop by at 3" stays a message for a person to read.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// The meaning of an inbound SMS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyKind {
    /// C, 1, CONFIRM, YES answering a reminder.
    Confirm,
    /// R, 2, RESCHEDULE, "call me": flag for call-back.
    Reschedule,
    /// STOP and every other opt-out wording.
    OptOut,
    /// CANCEL: an opt-out *and* a call-back flag (they may have meant the appointment).
    Cancel,
    /// START, UNSTOP, YES when not answering a reminder.
    OptIn,
    /// HELP, INFO.
    Help,
    /// Anything else: kept for the reply inbox.
    Other,
}

impl ReplyKind {
    pub const ALL: [Self; 7] = [
        Self::Confirm,
        Self::Reschedule,
        Self::OptOut,
        Self::Cancel,
        Self::OptIn,
        Self::Help,
        Self::Other,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confirm => "confirm",
            Self::Reschedule => "reschedule",
            Self::OptOut => "opt_out",
            Self::Cancel => "cancel",
            Self::OptIn => "opt_in",
            Self::Help => "help",
            Self::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
    /// The day view's short tag: C, R, STOP, other.
    pub fn tag(self) -> &'static str {
        match self {
            Self::Confirm => "C",
            Self::Reschedule => "R",
            Self::OptOut | Self::Cancel => "STOP",
            Self::OptIn => "START",
            Self::Help => "HELP",
            Self::Other => "other",
        }
    }
}

/// What the classifier needs to know besides the text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplyContext {
    /// The patient has an open reminder (an upcoming appointment was reminded and not yet
    /// answered): YES/C/1 confirm it and R/2 ask for a call-back. Otherwise YES opts in.
    pub awaiting_reminder_answer: bool,
}

/// The meaning of an inbound SMS; see the module docs for the rules.
pub fn classify(text: &str, ctx: ReplyContext) -> ReplyKind {
    let text = normalise(text);
    let text = text.as_str();
    let words = words_of(text);
    let core = core_words(&words);
    let core = core.join(" ");
    let all = words.join(" ");

    // 1. Opt-outs, generously — except in a clause that says *not* to stop.
    if let Some(kind) = opt_out_keyword(&core) {
        return kind;
    }
    let clauses: Vec<&str> = text.split(CLAUSE_ENDS).collect();
    let first_clause = clauses
        .iter()
        .map(|c| core_words(&words_of(c)).join(" "))
        .find(|c| !c.is_empty())
        .unwrap_or_default();
    if let Some(kind) = opt_out_keyword(&first_clause) {
        return kind;
    }
    let affirmed: Vec<&str> = clauses
        .iter()
        .copied()
        .filter(|c| !matches(&NEGATED_STOP, &words_of(c).join(" ")))
        .collect();
    let affirmed_words = words_of(&affirmed.join(". ")).join(" ");
    if affirmed.iter().any(|c| shouted_stop(c)) || matches(&OPT_OUT_PHRASE, &affirmed_words) {
        return if wants_call(&all) {
            ReplyKind::Cancel
        } else {
            ReplyKind::OptOut
        };
    }
    // 2.–3. The other keywords.
    match core.as_str() {
        "help" | "info" | "information" | "ayuda" | "informacion" => return ReplyKind::Help,
        "start" | "unstop" => return ReplyKind::OptIn,
        "yes" | "y" | "si" if !ctx.awaiting_reminder_answer => return ReplyKind::OptIn,
        "c" | "1" | "confirm" | "confirmed" | "yes" | "y" | "si" | "confirmo" | "confirmado"
        | "confirmar"
            if ctx.awaiting_reminder_answer =>
        {
            return ReplyKind::Confirm;
        }
        "r" | "2" if ctx.awaiting_reminder_answer => return ReplyKind::Reschedule,
        _ => {}
    }
    // 4. Call-back requests.
    if wants_call(&all) || matches(&RESCHEDULE_PHRASE, &all) {
        return ReplyKind::Reschedule;
    }
    ReplyKind::Other
}

/// Where a clause ends: a negation ("don't stop") binds only within its clause.
const CLAUSE_ENDS: [char; 8] = ['.', '!', '?', ',', ';', ':', '\n', '¡'];

/// Unicode compatibility forms folded (NFKC: full-width "ＳＴＯＰ", ligatures, superscripts),
/// accents removed (canonical decomposition, combining marks dropped), zero-width characters
/// dropped, and runs of three or more of one letter shortened to one ("stooop", "baaaja").
/// Case is kept: capitals carry meaning ([`shouted_stop`]).
fn normalise(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    let folded: Vec<char> = text
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .filter(|c| !matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}'))
        .collect();
    let mut out = String::with_capacity(folded.len());
    let mut i = 0;
    while i < folded.len() {
        let c = folded[i];
        let same = |d: &char| d.to_lowercase().eq(c.to_lowercase());
        let run = folded[i..].iter().take_while(|d| same(d)).count();
        if c.is_alphabetic() && run >= 3 {
            out.push(c);
        } else {
            out.extend(&folded[i..i + run]);
        }
        i += run;
    }
    out
}

/// The opt-out keyword `core` is, if it is one (repeats allowed: "stop stop").
fn opt_out_keyword(core: &str) -> Option<ReplyKind> {
    let kind = |w: &str| match w {
        "cancel" | "cancelar" => Some(ReplyKind::Cancel),
        "stop" | "stopall" | "stop all" | "unsubscribe" | "end" | "quit" | "revoke" | "optout"
        | "opt out" | "stop it" | "no more" | "stop texting" | "stop texts" | "baja" | "parar"
        | "para" | "pare" | "paren" | "alto" | "basta" | "detener" | "fin" | "no mas"
        | "ya no mas" | "desuscribir" | "desuscribirme" => Some(ReplyKind::OptOut),
        _ => None,
    };
    if let Some(k) = kind(core) {
        return Some(k);
    }
    let mut tokens = core.split(' ');
    let first = tokens.next()?;
    (tokens.clone().next().is_some() && tokens.all(|t| t == first))
        .then(|| kind(first))
        .flatten()
}

/// STOP, STOPALL or UNSUBSCRIBE in capitals as a word of its own, where the capitals mean
/// something: the rest of the reply has lower case in it ("why do you keep texting me STOP"),
/// or it is the last word ("I SAID STOP"). An all-capitals "I'LL STOP BY AT 3" is not one.
fn shouted_stop(text: &str) -> bool {
    let words: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let is_keyword = |w: &&str| matches!(*w, "STOP" | "STOPALL" | "UNSUBSCRIBE");
    let has_lower = text.chars().any(char::is_lowercase);
    words.last().is_some_and(is_keyword) || (has_lower && words.iter().any(is_keyword))
}

fn wants_call(all: &str) -> bool {
    matches(&CALL_ME, all) && !matches(&NO_CALL, all)
}

/// Lower case, apostrophes dropped ("don't" → "dont"), everything that is not a letter or
/// digit (punctuation, emoji) a separator. `text` is already [`normalise`]d.
fn words_of(text: &str) -> Vec<String> {
    let mut folded = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            '\'' | '\u{2019}' | '\u{2018}' | '`' | '\u{00B4}' | '\u{02BC}' => {}
            c => folded.push(c),
        }
    }
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The words without courtesy and filler ("please", "thanks", "ok", "por favor", "hi").
fn core_words(words: &[String]) -> Vec<&str> {
    words
        .iter()
        .map(String::as_str)
        .filter(|w| {
            !matches!(
                *w,
                "please"
                    | "pls"
                    | "plz"
                    | "plez"
                    | "now"
                    | "thanks"
                    | "thank"
                    | "you"
                    | "thx"
                    | "ty"
                    | "ok"
                    | "okay"
                    | "just"
                    | "hi"
                    | "hello"
                    | "por"
                    | "favor"
                    | "gracias"
                    | "hola"
                    | "ya"
            )
        })
        .collect()
}

/// A phrase pattern; `None` only if a pattern in this file fails to compile, which the tests
/// rule out (and which would make the phrase match nothing rather than take the desk down).
type Phrase = LazyLock<Option<Regex>>;

fn matches(phrase: &Phrase, text: &str) -> bool {
    phrase.as_ref().is_some_and(|re| re.is_match(text))
}

/// Plain-language opt-outs, English and Spanish, matched against the folded words joined by
/// single spaces ("dont", "mas", "llamame": apostrophes and accents already gone).
static OPT_OUT_PHRASE: Phrase = LazyLock::new(|| {
    Regex::new(concat!(
        r"\b(?:",
        // English
        r"(?:stop|quit|cease) (?:all )?(?:texting|txting|texing|messaging|msging|sending|contacting|the texts?|these texts?|your texts?|the messages|these messages|your messages|all texts|all messages|texts?|txts?|messages|msgs|reminders|notifications|alerts|sms)",
        r"|(?:stop|quit) (?:receiving|getting) (?:these|this|texts?|messages|them|reminders)",
        r"|(?:dont|do not|never|pls dont|please dont) (?:ever )?(?:text|txt|message|msg|contact|sms|send) (?:me|us|this number|anymore|any more|texts?|messages)",
        r"|(?:dont|do not) send (?:me )?(?:any )?(?:more )?(?:texts?|messages|reminders)",
        r"|(?:dont|do not) want (?:any )?(?:more )?(?:these |your |the )?(?:texts?|messages|reminders|sms)",
        r"|no more (?:texts?|text messages|txts?|messages|msgs|reminders|sms|notifications)",
        r"|(?:remove|delete|erase) (?:me|my number|this number)",
        r"|take (?:me|my number|this number) off",
        r"|unsubscribe|unsub|opt (?:me )?out|optout|stopall",
        r"|cancel (?:all |these |the |my )?(?:texts?|messages|subscription|reminders|notifications|sms|alerts)",
        r"|leave me alone|wrong number|not (?:a|your) patient",
        // Spanish
        r"|no (?:quiero )?(?:recibir )?mas (?:mensajes|textos|msjs|sms|recordatorios|notificaciones)",
        r"|no (?:me )?(?:manden|mande|mandes|envien|envie|envies|escriban|escriba|escribas|textee|texteen|contacten|contacte)",
        r"|(?:deja|dejen|deje|dejar) de (?:escribirme|enviarme|mandarme|textearme|contactarme|escribir|enviar|mandar|textear)",
        r"|no quiero (?:recibir )?(?:mas )?(?:mensajes|textos|recordatorios)",
        r"|quitenme|quiteme|quitame|borrenme|borreme|borrame|eliminenme|elimineme|eliminame|sacame|saquenme|saqueme",
        r"|(?:dar|darme|den|denme|deme|dame|doy) de baja",
        r"|numero equivocado|no soy (?:su )?paciente",
        r")\b",
    ))
    .ok()
});

/// A clause that says *not* to stop the texts ("don't stop my reminders", "no dejen de
/// mandarme mensajes", "never unsubscribe me"): it keeps them, whatever it mentions.
static NEGATED_STOP: Phrase = LazyLock::new(|| {
    Regex::new(concat!(
        r"\b(?:(?:dont|do not|please dont|pls dont|never|didnt|did not|wont|will not) (?:ever )?",
        r"(?:stop|quit|end|cancel|unsubscribe|remove|opt)",
        r"|(?:no|nunca) (?:me )?(?:dejen|deja|deje|dejes|dejar|pares|paren|pare|cancelen|cancele|quiten|quite|borren|borre|den de baja)",
        r")\b",
    ))
    .ok()
});

/// Asking to be called back.
static CALL_ME: Phrase = LazyLock::new(|| {
    Regex::new(concat!(
        r"\b(?:call me|call back|callback|give me a call|can (?:you|someone) call|please call",
        r"|llamame|llameme|llamenme|llamarme|me llaman|me pueden llamar|me puede llamar)\b",
    ))
    .ok()
});

/// "Don't call me" is not a call-back request.
static NO_CALL: Phrase = LazyLock::new(|| {
    Regex::new(r"\b(?:dont|do not|never|no) (?:call|llame|llamen|me llamen)\b").ok()
});

/// About the appointment, not the texts: flag for a call-back.
static RESCHEDULE_PHRASE: Phrase = LazyLock::new(|| {
    Regex::new(concat!(
        r"\b(?:reschedule|re schedule|rebook|re book|change (?:my|the) (?:appointment|appt|time|visit)",
        r"|(?:cancel|move) (?:my |the |this |that |our )?(?:appointment|appt|visit|cita)",
        r"|(?:cant|cannot|can not|wont be able to|unable to) (?:make it|come|attend)",
        r"|reprogramar|cambiar (?:la |mi )?cita|(?:cancelar|cancela|cancele|cancelen|cancelo) (?:la |mi |esta |nuestra )?cita",
        r"|no puedo (?:ir|asistir|llegar)",
        r")\b",
    ))
    .ok()
});

pub mod decision;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod wordings;
