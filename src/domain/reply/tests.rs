use super::*;
use rstest::rstest;

const OPEN: ReplyContext = ReplyContext {
    awaiting_reminder_answer: true,
};
const NONE: ReplyContext = ReplyContext {
    awaiting_reminder_answer: false,
};

#[test]
fn every_phrase_pattern_compiles() {
    for (name, p) in [
        ("opt-out", &OPT_OUT_PHRASE),
        ("call me", &CALL_ME),
        ("no call", &NO_CALL),
        ("reschedule", &RESCHEDULE_PHRASE),
    ] {
        assert!(p.is_some(), "{name} pattern does not compile");
    }
}

/// The CTIA/FCC keywords: whole reply, any case, accents, surrounding punctuation and emoji.
#[rstest]
#[case("STOP")]
#[case("stop")]
#[case("  Stop  ")]
#[case("Stop.")]
#[case("STOP!!!")]
#[case("stop 🛑")]
#[case("🛑STOP🛑")]
#[case("\"STOP\"")]
#[case("StopAll")]
#[case("STOP ALL")]
#[case("Unsubscribe")]
#[case("END")]
#[case("end.")]
#[case("Quit")]
#[case("REVOKE")]
#[case("OPTOUT")]
#[case("opt out")]
#[case("Opt-Out")]
#[case("opt_out")]
#[case("ÉND")]
#[case("stöp")]
#[case("Stop please")]
#[case("please stop")]
#[case("STOP. Thank you")]
#[case("Stop stop stop")]
#[case("ok stop")]
#[case("just stop")]
#[case("stop it")]
#[case("STOP por favor")]
#[case("Baja")]
#[case("PARAR")]
#[case("alto")]
#[case("Basta ya")]
fn keyword_opt_outs(#[case] text: &str) {
    assert_eq!(classify(text, OPEN), ReplyKind::OptOut, "{text:?}");
    assert_eq!(classify(text, NONE), ReplyKind::OptOut, "{text:?}");
}

#[rstest]
#[case("CANCEL")]
#[case("cancel")]
#[case("Cancel.")]
#[case("cancel please")]
#[case("Cancél")]
#[case("CANCELAR")]
#[case("Cancel, I'll call to rebook")]
#[case("stop texting me and call me instead")]
#[case("No more texts please, call me")]
#[case("dejen de escribirme, llámenme")]
fn cancel_is_an_opt_out_and_a_call_back(#[case] text: &str) {
    assert_eq!(classify(text, OPEN), ReplyKind::Cancel, "{text:?}");
    assert_eq!(classify(text, NONE), ReplyKind::Cancel, "{text:?}");
}

/// Plain wording a reasonable person would read as "stop texting me" (FCC 2024).
#[rstest]
#[case("stop texting me")]
#[case("Please stop texting me!")]
#[case("STOP SENDING ME THESE")]
#[case("can you stop sending me texts")]
#[case("Stop messaging me")]
#[case("quit texting me")]
#[case("stop the texts")]
#[case("I want to stop receiving these")]
#[case("please remove me")]
#[case("Remove me from your list")]
#[case("remove my number")]
#[case("take me off your list")]
#[case("Take me off this list please")]
#[case("no more texts")]
#[case("No more messages!!")]
#[case("no more reminders thx")]
#[case("don't text me")]
#[case("Dont text me anymore")]
#[case("do not contact me")]
#[case("Don’t message me again")]
#[case("I don't want these texts")]
#[case("I do not want any more messages")]
#[case("unsubscribe me please")]
#[case("Please unsubscribe this number")]
#[case("how do I unsubscribe?")]
#[case("opt me out")]
#[case("cancel these texts")]
#[case("Cancel my subscription")]
#[case("leave me alone")]
#[case("wrong number")]
#[case("Wrong number, I don't know who this is")]
#[case("I'm not your patient")]
#[case("Stop. Wrong person")]
#[case("End, please")]
#[case("why do you keep texting me STOP")]
#[case("I SAID STOP")]
#[case("ok thanks, STOP now")]
// Spanish
#[case("no más mensajes")]
#[case("No mas mensajes por favor")]
#[case("NO MÁS TEXTOS")]
#[case("dejen de escribirme")]
#[case("Dejen de enviarme mensajes")]
#[case("deja de mandarme mensajes")]
#[case("no me manden mensajes")]
#[case("No me escriban más")]
#[case("no me envíen más mensajes, gracias")]
#[case("no quiero recibir mensajes")]
#[case("no quiero más mensajes")]
#[case("quítenme de la lista")]
#[case("bórrenme por favor")]
#[case("darme de baja")]
#[case("Quiero darme de baja")]
#[case("número equivocado")]
#[case("no soy su paciente")]
fn plain_language_opt_outs(#[case] text: &str) {
    assert_eq!(classify(text, OPEN), ReplyKind::OptOut, "{text:?}");
    assert_eq!(classify(text, NONE), ReplyKind::OptOut, "{text:?}");
}

/// Ordinary replies that mention a keyword-like word but are not opt-outs.
#[rstest]
#[case("I'll stop by at 3", ReplyKind::Other)]
#[case("Can I stop by the front desk first?", ReplyKind::Other)]
#[case("I'll stop at the pharmacy first", ReplyKind::Other)]
#[case("the bus stop is far, is there parking?", ReplyKind::Other)]
#[case("Is there parking near the end of the street?", ReplyKind::Other)]
#[case("Will the visit end before noon?", ReplyKind::Other)]
#[case("I quit smoking!", ReplyKind::Other)]
#[case("I'LL STOP BY AT 3", ReplyKind::Other)]
#[case("WHERE IS THE BUS STOP NEAR YOU?", ReplyKind::Other)]
#[case("Thanks, see you then", ReplyKind::Other)]
#[case("no problem", ReplyKind::Other)]
#[case("No", ReplyKind::Other)]
#[case("ok", ReplyKind::Other)]
#[case("👍", ReplyKind::Other)]
#[case("", ReplyKind::Other)]
#[case("   ", ReplyKind::Other)]
#[case("Did you get my message?", ReplyKind::Other)]
#[case("Is my cancellation confirmed?", ReplyKind::Other)]
#[case("I'll be 10 minutes late, don't cancel", ReplyKind::Other)]
#[case("¿Dónde estacionó?", ReplyKind::Other)]
#[case("can't make it, can we reschedule", ReplyKind::Reschedule)]
#[case("Can't make it", ReplyKind::Reschedule)]
#[case("I need to cancel my appointment", ReplyKind::Reschedule)]
#[case("please cancel the appointment", ReplyKind::Reschedule)]
#[case("¿Puedo cambiar la cita?", ReplyKind::Reschedule)]
#[case("no puedo ir, llámame", ReplyKind::Reschedule)]
#[case("don't call me, I'll be there", ReplyKind::Other)]
fn not_opt_outs(#[case] text: &str, #[case] expected: ReplyKind) {
    assert_eq!(classify(text, OPEN), expected, "{text:?}");
}

#[rstest]
#[case("C")]
#[case("c")]
#[case("C.")]
#[case("c 👍")]
#[case("1")]
#[case("CONFIRM")]
#[case("Confirmed!")]
#[case("yes")]
#[case("Yes please")]
#[case("YES!!")]
#[case("Y")]
#[case("si")]
#[case("Sí")]
#[case("SÍ")]
#[case("sí, gracias")]
#[case("confirmo")]
#[case("ok, C")]
fn confirmations_when_a_reminder_is_open(#[case] text: &str) {
    assert_eq!(classify(text, OPEN), ReplyKind::Confirm, "{text:?}");
}

#[rstest]
#[case("yes", ReplyKind::OptIn)]
#[case("Yes please", ReplyKind::OptIn)]
#[case("Sí", ReplyKind::OptIn)]
#[case("C", ReplyKind::Other)]
#[case("1", ReplyKind::Other)]
#[case("CONFIRM", ReplyKind::Other)]
#[case("R", ReplyKind::Other)]
#[case("2", ReplyKind::Other)]
fn without_an_open_reminder_yes_opts_in_and_letters_mean_nothing(
    #[case] text: &str,
    #[case] expected: ReplyKind,
) {
    assert_eq!(classify(text, NONE), expected, "{text:?}");
}

#[rstest]
#[case("START")]
#[case("start")]
#[case("Start.")]
#[case("UNSTOP")]
#[case("unstop please")]
fn opt_ins(#[case] text: &str) {
    assert_eq!(classify(text, OPEN), ReplyKind::OptIn, "{text:?}");
    assert_eq!(classify(text, NONE), ReplyKind::OptIn, "{text:?}");
}

#[rstest]
#[case("HELP")]
#[case("help")]
#[case("Help?")]
#[case("INFO")]
#[case("info please")]
#[case("AYUDA")]
#[case("ayuda por favor")]
#[case("Información")]
fn help(#[case] text: &str) {
    assert_eq!(classify(text, OPEN), ReplyKind::Help, "{text:?}");
    assert_eq!(classify(text, NONE), ReplyKind::Help, "{text:?}");
}

#[rstest]
#[case("R", true)]
#[case("r.", true)]
#[case("2", true)]
#[case("RESCHEDULE", false)]
#[case("reschedule please", false)]
#[case("Call me", false)]
#[case("please call me back", false)]
#[case("can someone call me?", false)]
#[case("llámame", false)]
#[case("Llámeme por favor", false)]
#[case("me pueden llamar?", false)]
#[case("reprogramar", false)]
fn reschedule_and_call_back(#[case] text: &str, #[case] needs_open_reminder: bool) {
    assert_eq!(classify(text, OPEN), ReplyKind::Reschedule, "{text:?}");
    let without = if needs_open_reminder {
        ReplyKind::Other
    } else {
        ReplyKind::Reschedule
    };
    assert_eq!(classify(text, NONE), without, "{text:?}");
}

#[test]
fn an_opt_out_wins_over_a_confirmation_in_the_same_reply() {
    assert_eq!(classify("YES STOP", OPEN), ReplyKind::OptOut);
    assert_eq!(classify("yes STOP", OPEN), ReplyKind::OptOut);
    assert_eq!(
        classify("C. Also please stop texting me", OPEN),
        ReplyKind::OptOut
    );
}

proptest::proptest! {
    #![proptest_config(crate::testing::proptest_config(
        "tests/proptest-regressions/domain/reply/tests.txt"
    ))]
    /// Any text at all gets a meaning, without panicking.
    #[test]
    fn any_text_is_classified_without_panicking(s in "\\PC{0,200}") {
        let _ = classify(&s, OPEN);
        let _ = classify(&s, NONE);
    }

    #[test]
    fn keywords_survive_case_punctuation_and_emoji(
        keyword in proptest::sample::select(vec!["stop", "unsubscribe", "quit", "end", "revoke", "optout", "opt out", "stopall"]),
        upper in proptest::bool::ANY,
        before in "[ .!\u{1F6D1}\u{1F44D}]{0,3}",
        after in "[ .!?\u{1F6D1}]{0,3}",
    ) {
        let k = if upper { keyword.to_uppercase() } else { keyword.to_string() };
        let text = format!("{before}{k}{after}");
        proptest::prop_assert_eq!(classify(&text, OPEN), ReplyKind::OptOut, "{:?}", text);
    }
}
