//! The patient screen's state: whose record, the record once loaded (with the worker's clock
//! at load time, so "upcoming" and "past" split where the worker saw them), and how far the
//! body is scrolled. No drawing, no keys.

use chrono::{DateTime, Utc};

use crate::domain::ids::PatientId;
use crate::domain::patient_file::PatientFile;

#[derive(Clone, Debug, PartialEq)]
pub struct PatientState {
    pub patient: PatientId,
    /// Generation of the latest load asked for; older results are dropped.
    pub generation: u64,
    pub loading: bool,
    pub file: Option<PatientFile>,
    pub now: Option<DateTime<Utc>>,
    pub error: Option<String>,
    /// First body line shown.
    pub scroll: usize,
}

impl PatientState {
    pub fn new(patient: PatientId) -> Self {
        Self {
            patient,
            generation: 0,
            loading: false,
            file: None,
            now: None,
            error: None,
            scroll: 0,
        }
    }

    /// "Lovelace, Ada" once loaded, else the id.
    pub fn name(&self) -> String {
        self.file.as_ref().map_or_else(
            || format!("patient {}", self.patient),
            |f| f.patient.list_name(),
        )
    }

    /// Take a load's result; false when it is stale.
    pub fn apply(
        &mut self,
        generation: u64,
        now: DateTime<Utc>,
        result: Result<PatientFile, String>,
    ) -> bool {
        if generation != self.generation {
            return false;
        }
        self.loading = false;
        match result {
            Ok(file) => {
                self.file = Some(file);
                self.now = Some(now);
                self.error = None;
            }
            Err(e) => self.error = Some(e),
        }
        true
    }

    /// Scroll by `delta` lines within `total` lines of which `page` show.
    pub fn scroll_by(&mut self, delta: isize, total: usize, page: usize) {
        let max = total.saturating_sub(page) as isize;
        self.scroll = (self.scroll as isize)
            .saturating_add(delta)
            .clamp(0, max.max(0)) as usize;
    }
}
