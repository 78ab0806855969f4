//! Issue 8, item 3: opt-outs as people really write them — English and Spanish, with and
//! without accents, any Unicode width or case, with punctuation and emoji around them — and
//! the wordings that must *not* opt anyone out. One table, read both with a reminder awaiting
//! an answer and without (the meaning of an opt-out never depends on it).

use super::*;
use rstest::rstest;

use ReplyKind::{Cancel, Confirm, OptOut, Other, Reschedule};

#[rstest]
// Width, case, emoji, stretching, invisible characters.
#[case("ＳＴＯＰ", OptOut)]
#[case("Ｓｔｏｐ！", OptOut)]
#[case("🛑ＳＴＯＰ🛑", OptOut)]
#[case("ｓｔｏｐ ｐｌｅａｓｅ", OptOut)]
#[case("STOPPP", OptOut)]
#[case("stooop", OptOut)]
#[case("Stop 🙏", OptOut)]
#[case("✋🏽 stop", OptOut)]
#[case("S\u{200B}TOP", OptOut)]
#[case("\u{FEFF}Stop.", OptOut)]
// The per-se keywords and their plain forms.
#[case("Unsubscribe", OptOut)]
#[case("UNSUBSCRIBE ME", OptOut)]
#[case("opt-out", OptOut)]
#[case("Opt out please", OptOut)]
#[case("END.", OptOut)]
#[case("quit", OptOut)]
#[case("Revoke", OptOut)]
#[case("stop all", OptOut)]
#[case("STOPALL", OptOut)]
#[case("Stop it!", OptOut)]
#[case("stop. wrong person", OptOut)]
#[case("no more", OptOut)]
#[case("No more!!", OptOut)]
#[case("no more please", OptOut)]
#[case("Stop texting me please", OptOut)]
#[case("Please stop sending me messages", OptOut)]
#[case("remove me from this list", OptOut)]
#[case("take me off your list", OptOut)]
#[case("I don't want these texts anymore", OptOut)]
#[case("do not text me again", OptOut)]
#[case("Dont txt me", OptOut)]
#[case("wrong number", OptOut)]
#[case("Who is this? Wrong number", OptOut)]
// Spanish, with and without accents.
#[case("no más", OptOut)]
#[case("No mas", OptOut)]
#[case("NO MÁS", OptOut)]
#[case("Ya no más", OptOut)]
#[case("no más, gracias", OptOut)]
#[case("No más recordatorios", OptOut)]
#[case("Para", OptOut)]
#[case("PARAR", OptOut)]
#[case("Alto", OptOut)]
#[case("Basta ya", OptOut)]
#[case("Baja", OptOut)]
#[case("Fin", OptOut)]
#[case("Detener", OptOut)]
#[case("Desuscribirme", OptOut)]
#[case("darme de baja por favor", OptOut)]
#[case("dejen de enviarme mensajes", OptOut)]
#[case("No me manden más mensajes", OptOut)]
#[case("no quiero más textos", OptOut)]
#[case("ya no quiero recibir mensajes", OptOut)]
// CANCEL alone: an opt-out and a call-back, in any width.
#[case("CANCEL", Cancel)]
#[case("Cancelar", Cancel)]
#[case("ＣＡＮＣＥＬ", Cancel)]
// About the appointment, English and Spanish alike: a call-back, never an opt-out.
#[case("Cancel appointment", Reschedule)]
#[case("cancelar cita", Reschedule)]
#[case("Cancel my appointment", Reschedule)]
#[case("Cancelar mi cita", Reschedule)]
#[case("cancel appt", Reschedule)]
#[case("Cancela la cita por favor", Reschedule)]
#[case("quiero cancelar mi cita", Reschedule)]
// Must not opt out: a person reads them in the reply inbox (decided in the module docs).
#[case("don't stop my reminders", Other)]
#[case("Please don't stop the reminders, they help", Other)]
#[case("DON'T STOP", Other)]
#[case("no dejen de mandarme mensajes", Other)]
#[case("stop by the office?", Other)]
#[case("Can I stop by the office?", Other)]
#[case("I'll stop by at 3", Other)]
#[case("No thanks", Other)]
#[case("No", Other)]
#[case("the end of the hallway?", Other)]
#[case("Is it the building at the end of Main St?", Other)]
#[case("no problem, see you then", Other)]
#[case("Nomás quería confirmar la hora", Other)]
#[case("¿Para cuándo es mi cita?", Other)]
#[case("is there a stop sign at the corner?", Other)]
fn wordings_people_really_send(#[case] text: &str, #[case] expected: ReplyKind) {
    const OPEN: ReplyContext = ReplyContext {
        awaiting_reminder_answer: true,
    };
    const NONE: ReplyContext = ReplyContext {
        awaiting_reminder_answer: false,
    };
    assert_eq!(
        classify(text, OPEN),
        expected,
        "{text:?} answering a reminder"
    );
    assert_eq!(classify(text, NONE), expected, "{text:?} out of the blue");
}

#[test]
fn full_width_and_accented_answers_to_a_reminder_confirm() {
    let open = ReplyContext {
        awaiting_reminder_answer: true,
    };
    for text in ["Ｃ", "ｃ", "Sí", "SÍ", "１"] {
        assert_eq!(classify(text, open), Confirm, "{text:?}");
    }
}

#[test]
fn the_table_has_at_least_sixty_wordings() {
    let source = include_str!("wordings.rs");
    let cases = source
        .lines()
        .filter(|l| l.trim_start().starts_with("#[case("))
        .count();
    assert!(cases >= 60, "{cases} wordings");
}
