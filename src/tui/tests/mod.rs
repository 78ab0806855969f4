//! Console tests without a terminal: `update` fed with messages, views on `TestBackend`,
//! and the worker against an in-memory store.

mod batch;
mod desk;
mod fixture;
mod inbox;
mod patient;
mod prompts;
mod signin;
mod staff_screen;
mod update;
mod view;
mod worker;
mod worker_known;
// managers
mod managers;
mod managers_text;
// closure
mod closure;
mod inbox_actions;
