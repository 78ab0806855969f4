//! Screens and the modals drawn over them: each file owns its state and its drawing.
//! State changes happen in `app::update`; these files only read when drawing.

pub mod confirm;
pub mod day;
pub mod help;
pub mod search;
