//! Screens and the modals drawn over them. Each owns its state, its update (as a
//! [`ScreenState`](super::screen::ScreenState) or an [`Overlay`](super::overlay::Overlay)) and
//! its drawing: one file each, or a folder with `state`/`view` beside the update once it
//! passes ~400 lines (`day/`). Screens never import `app`, `view` or each other's internals;
//! a screen may open a modal by returning it.

pub mod confirm;
pub mod day;
pub mod help;
pub mod search;
// reception
pub mod batch;
// batch: the portal prompt to several patients
pub mod compose;
pub mod inbox;
pub mod patient;
pub mod patient_form;
pub mod prompts;
// sign-in
pub mod lock;
pub mod staff;
pub mod staff_form;
// closure
pub mod ask;
pub mod closure;
// managers
pub mod audit;
pub mod stats;
pub mod templates;
