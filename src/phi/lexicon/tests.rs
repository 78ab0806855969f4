use super::*;

#[test]
fn builtin_compiles_with_every_file() {
    let lex = Lexicon::builtin();
    assert!(lex.phrases.len() > 10_000, "{}", lex.phrases.len());
    let id = lex
        .word("chemotherapy")
        .expect("chemotherapy is in procedures.txt");
    assert!(!lex.starting_with(id).is_empty());
    assert!(lex.word_class[lex.word("your").expect("a cue") as usize] & class::CUE != 0);
}
