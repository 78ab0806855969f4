//! Small drawing pieces shared by the screens: column planning, text fitting, the footer,
//! centred boxes. ratatui only; no state of their own.

pub mod columns;
pub mod footer;
pub mod modal;
pub mod text;
