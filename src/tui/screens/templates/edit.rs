//! A template body being edited: the text, a cursor counted in characters (so accented and
//! wide letters move as one), and what it was before. Pure; tested by tables.

use crate::domain::message::MessageKind;

/// Longest body the editor takes (a template is a few SMS segments at most; the save rules
/// refuse long ones with the reason, this only stops a stuck key).
pub const MAX_CHARS: usize = 1_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Editor {
    pub kind: MessageKind,
    pub text: String,
    pub original: String,
    /// Characters before the cursor.
    pub cursor: usize,
    /// The preview load that answered for the current text (the screen compares it with the
    /// newest it asked for).
    pub previewed_generation: u64,
}

impl Editor {
    /// Edit `body`, the cursor at its end.
    pub fn new(kind: MessageKind, body: &str) -> Self {
        Self {
            kind,
            text: body.to_string(),
            original: body.to_string(),
            cursor: body.chars().count(),
            previewed_generation: 0,
        }
    }

    /// Edit `start` as a replacement for `current` (the built-in wording over a saved one).
    pub fn replacing(kind: MessageKind, current: &str, start: &str) -> Self {
        Self {
            original: current.to_string(),
            ..Self::new(kind, start)
        }
    }

    pub fn changed(&self) -> bool {
        self.text != self.original
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.text
            .char_indices()
            .nth(chars)
            .map_or(self.text.len(), |(i, _)| i)
    }

    fn len(&self) -> usize {
        self.text.chars().count()
    }

    /// Type `c` at the cursor. Line breaks are not part of a template: they become spaces.
    pub fn insert(&mut self, c: char) -> bool {
        if self.len() >= MAX_CHARS {
            return false;
        }
        let c = if c.is_control() { ' ' } else { c };
        let at = self.byte_at(self.cursor);
        self.text.insert(at, c);
        self.cursor += 1;
        true
    }

    /// Delete before the cursor; true when the text changed.
    pub fn backspace(&mut self) -> bool {
        if self.cursor == 0 {
            return false;
        }
        self.cursor -= 1;
        let at = self.byte_at(self.cursor);
        self.text.remove(at);
        true
    }

    /// Delete at the cursor; true when the text changed.
    pub fn delete(&mut self) -> bool {
        if self.cursor >= self.len() {
            return false;
        }
        let at = self.byte_at(self.cursor);
        self.text.remove(at);
        true
    }

    // Moving the cursor never changes the text (false: nothing to preview again).
    pub fn left(&mut self) -> bool {
        self.cursor = self.cursor.saturating_sub(1);
        false
    }

    pub fn right(&mut self) -> bool {
        self.cursor = (self.cursor + 1).min(self.len());
        false
    }

    pub fn home(&mut self) -> bool {
        self.cursor = 0;
        false
    }

    pub fn end(&mut self) -> bool {
        self.cursor = self.len();
        false
    }

    /// The text with a block where the cursor is, for drawing.
    pub fn with_cursor(&self) -> String {
        let at = self.byte_at(self.cursor);
        let mut s = self.text.clone();
        s.insert(at, '█');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    /// Apply a script: letters type; `<` left, `>` right, `^` home, `$` end, `#` backspace,
    /// `~` delete.
    fn run(start: &str, script: &str) -> (String, usize) {
        let mut e = Editor::new(MessageKind::Reminder24h, start);
        for c in script.chars() {
            match c {
                '<' => e.left(),
                '>' => e.right(),
                '^' => e.home(),
                '$' => e.end(),
                '#' => e.backspace(),
                '~' => e.delete(),
                c => e.insert(c),
            };
        }
        (e.text, e.cursor)
    }

    #[rstest]
    #[case("", "hi", "hi", 2)]
    #[case("see you", "^!", "!see you", 1)]
    #[case("see you", "###", "see ", 4)]
    #[case("see you", "^~~~~", "you", 0)]
    #[case("ab", "^#", "ab", 0)] // nothing before the cursor
    #[case("ab", "~", "ab", 2)] // nothing at the cursor
    #[case("José", "<#", "Joé", 2)] // one character, two bytes
    #[case("山田", "<x", "山x田", 2)]
    #[case("ab", "<<<<>>>>>", "ab", 2)] // the cursor stays inside
    fn editing(#[case] start: &str, #[case] script: &str, #[case] text: &str, #[case] at: usize) {
        assert_eq!(run(start, script), (text.to_string(), at));
    }

    #[test]
    fn line_breaks_become_spaces_and_changes_are_noticed() {
        let mut e = Editor::new(MessageKind::Reminder24h, "a");
        assert!(!e.changed());
        e.insert('\n');
        assert_eq!(e.text, "a ");
        assert!(e.changed());
        e.backspace();
        assert!(!e.changed(), "back to the original");
        e.home();
        assert_eq!(e.with_cursor(), "█a");
    }

    #[test]
    fn a_stuck_key_stops_at_the_limit() {
        let mut e = Editor::new(MessageKind::Reminder24h, &"x".repeat(MAX_CHARS));
        assert!(!e.insert('y'));
        assert_eq!(e.text.chars().count(), MAX_CHARS);
    }
}
