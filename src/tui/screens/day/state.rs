//! The day view's state: which day, the sheet once loaded, the filter, and where the
//! selection is; how the selection moves and survives a reload. No drawing, no keys.

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::appointment::AppointmentStatus;
use crate::domain::day::{DayRow, DaySheet};
use crate::domain::ids::{AppointmentId, PatientId};

/// The day on screen and where the selection is.
#[derive(Clone, Debug, PartialEq)]
pub struct DayState {
    pub date: NaiveDate,
    /// Generation of the latest load asked for; older results are dropped.
    pub generation: u64,
    pub loading: bool,
    /// The sheet of `date` once it arrived (kept while the same day reloads).
    pub sheet: Option<DaySheet>,
    pub error: Option<String>,
    pub only_unconfirmed: bool,
    pub selected: Option<AppointmentId>,
    /// Index of the selection in the visible rows, kept so a row that disappears
    /// (confirmed while filtering) hands the selection to its neighbour.
    pub cursor: usize,
    /// First visible row of the table.
    pub offset: usize,
    /// After a search jump: select this patient's appointment at this start once loaded.
    pub pending: Option<(PatientId, DateTime<Utc>)>,
    // reception
    /// The last status change made here: (appointment, what it was, what it became).
    pub last_change: Option<(AppointmentId, AppointmentStatus, AppointmentStatus)>,
    // batch
    /// Patients marked (space) for a portal prompt to several, with their names.
    pub marked: Vec<(PatientId, String)>,
}

impl DayState {
    pub fn new(date: NaiveDate) -> Self {
        Self {
            date,
            generation: 0,
            loading: false,
            sheet: None,
            error: None,
            only_unconfirmed: false,
            selected: None,
            cursor: 0,
            offset: 0,
            pending: None,
            last_change: None,
            marked: Vec::new(),
        }
    }

    /// The rows the table shows (all, or only the unconfirmed).
    pub fn visible(&self) -> Vec<&DayRow> {
        match &self.sheet {
            Some(sheet) if self.only_unconfirmed => sheet.unconfirmed().collect(),
            Some(sheet) => sheet.rows.iter().collect(),
            None => Vec::new(),
        }
    }

    // batch
    /// Mark or unmark the selected row's patient.
    pub fn toggle_mark(&mut self) {
        if let Some((id, name)) = self
            .selected_row()
            .map(|r| (r.patient_id, r.patient_name.clone()))
        {
            self.toggle_patient(id, name);
        }
    }

    /// Mark or unmark a patient (from the day or the search); true when now marked.
    pub fn toggle_patient(&mut self, id: PatientId, name: String) -> bool {
        match self.marked.iter().position(|(p, _)| *p == id) {
            Some(i) => {
                self.marked.remove(i);
                false
            }
            None => {
                self.marked.push((id, name));
                true
            }
        }
    }

    /// Whom the portal prompt screen is for: the marked patients, else the selected one.
    pub fn prompt_patients(&self) -> Vec<(PatientId, String)> {
        if !self.marked.is_empty() {
            return self.marked.clone();
        }
        self.selected_row()
            .map(|r| vec![(r.patient_id, r.patient_name.clone())])
            .unwrap_or_default()
    }

    pub fn is_marked(&self, p: PatientId) -> bool {
        self.marked.iter().any(|(id, _)| *id == p)
    }

    pub fn selected_index(&self) -> Option<usize> {
        let id = self.selected?;
        self.visible().iter().position(|r| r.appointment_id == id)
    }

    pub fn selected_row(&self) -> Option<&DayRow> {
        let id = self.selected?;
        self.visible().into_iter().find(|r| r.appointment_id == id)
    }

    /// Move the selection by `delta` rows (clamped), keeping it on screen.
    pub fn move_by(&mut self, delta: isize, page: usize) {
        let len = self.visible().len();
        if len == 0 {
            return;
        }
        let from = self.selected_index().unwrap_or(self.cursor.min(len - 1)) as isize;
        let to = from.saturating_add(delta).clamp(0, len as isize - 1) as usize;
        self.select_index(to, page);
    }

    fn select_index(&mut self, index: usize, page: usize) {
        let id = self.visible().get(index).map(|r| r.appointment_id);
        self.selected = id;
        self.cursor = index;
        self.ensure_visible(page);
    }

    /// Keep the selected row inside the `page` rows on screen.
    pub fn ensure_visible(&mut self, page: usize) {
        let len = self.visible().len();
        let page = page.max(1);
        let idx = self.selected_index().unwrap_or(0);
        if idx < self.offset {
            self.offset = idx;
        } else if idx >= self.offset + page {
            self.offset = idx + 1 - page;
        }
        self.offset = self.offset.min(len.saturating_sub(page));
    }

    /// After the rows changed: keep the selected appointment if still visible, else the
    /// row now at the same place.
    pub fn reselect(&mut self, page: usize) {
        let len = self.visible().len();
        match self.selected_index() {
            Some(i) => self.select_index(i, page),
            None if len > 0 => self.select_index(self.cursor.min(len - 1), page),
            None => {
                self.selected = None;
                self.offset = 0;
            }
        }
    }

    /// Take a freshly loaded sheet. Returns true when a search jump's appointment is gone.
    /// A refresh of the day shown (another desk's change) whose sheet came before its cells:
    /// the cells shown so far stay until the new ones come, rather than every row flashing
    /// "loading" — unless a visit is new (it has none to keep).
    pub fn carry_cells(&self, sheet: &mut DaySheet) {
        let Some(old) = &self.sheet else { return };
        if !sheet.cells_pending || old.cells_pending || old.date != sheet.date {
            return;
        }
        let before: std::collections::HashMap<_, _> = old
            .rows
            .iter()
            .map(|r| (r.appointment_id, &r.reminders))
            .collect();
        let mut all = true;
        for row in &mut sheet.rows {
            match before.get(&row.appointment_id) {
                Some(cells) => row.reminders = (*cells).clone(),
                None => all = false,
            }
        }
        sheet.cells_pending = !all;
    }

    pub fn apply(
        &mut self,
        sheet: DaySheet,
        today: NaiveDate,
        now: DateTime<Utc>,
        page: usize,
    ) -> bool {
        self.loading = false;
        self.error = None;
        let first_view = self.sheet.is_none() && self.selected.is_none();
        self.sheet = Some(sheet);
        let mut missing = false;
        if let Some((patient, start)) = self.pending.take() {
            let found = self
                .visible()
                .iter()
                .position(|r| r.patient_id == patient && r.start == start);
            match found {
                Some(i) => {
                    self.select_index(i, page);
                    return false;
                }
                None => missing = true,
            }
        }
        if first_view {
            let rows = self.visible();
            // Today opens on the first appointment that has not ended yet; other days at the top.
            let index = if self.date == today {
                rows.iter()
                    .position(|r| end_of(r) > now)
                    .unwrap_or(rows.len().saturating_sub(1))
            } else {
                0
            };
            self.cursor = index;
        }
        self.reselect(page);
        missing
    }
}

/// When an appointment ends (its start, should the stored duration be absurd).
pub fn end_of(r: &DayRow) -> DateTime<Utc> {
    r.start
        .checked_add_signed(chrono::Duration::minutes(i64::from(r.duration_minutes)))
        .unwrap_or(r.start)
}
