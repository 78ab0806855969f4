//! Typed ids for rows, so a patient id is never passed where an appointment id is meant.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    )*};
}

id_type!(
    /// A patient row.
    PatientId,
    /// An appointment row.
    AppointmentId,
    /// A clinician row.
    ClinicianId,
    /// An appointment type row.
    AppointmentTypeId,
    /// A message row (either direction).
    MessageId,
    /// A staff account row.
    StaffId,
);
