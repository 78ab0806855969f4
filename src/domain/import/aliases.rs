//! The fields a CSV import understands, their documented header names, and the names common
//! practice-management exports give the same columns.
//!
//! Where the names come from (read in their public documentation, nothing copied):
//! * **athenahealth**: report columns "Appt Date", "Appt Time", "Appt Type", "Appt Status",
//!   "Patient ID", "Rendering Provider", "Scheduling Provider"; API fields `appointmentid`,
//!   `appointmentstatus`, `patientid`, `contact_mobile_phone`, `consent_to_text`
//!   (docs.athenahealth.com API reference; athena event payloads as documented by Morf).
//! * **Tebra/Kareo**: "Appointment ID", "Patient ID", "Start Time", "End Time", "Resource",
//!   "Service Location", "Reason", "Confirmation Status" (Tebra Help Center, "Schedule Patient
//!   Appointment"; Kareo appointment schema: AppointmentId, PatientId, StartTime, EndTime,
//!   AppointmentStatus).
//! * **eClinicalWorks**: "Visit Type", "Visit Status", "Resource", "Claim Provider", "Acct
//!   No", "Appt Date", "Start Time" (eCW appointment window and Resource Schedule guides).
//! * **DrChrono**: API fields `scheduled_time`, `duration`, `doctor`, `exam_room`, `status`,
//!   `reason`, and on the patient `chart_id`, `first_name`, `last_name`, `date_of_birth`,
//!   `cell_phone` (app.drchrono.com API reference).
//! * **OpenEMR**: `patient_data` (`pubpid`, `fname`, `lname`, `DOB`, `phone_cell`,
//!   `hipaa_allowsms`) and `openemr_postcalendar_events` (`pc_eid`, `pc_pid`, `pc_eventDate`,
//!   `pc_startTime`, `pc_endTime`, `pc_duration` in seconds, `pc_apptstatus`, `pc_title`).
//! * **CollaborateMD**: "Appointment ID", "Patient Account", "Provider ID".
//! * **FHIR-style** snake-case and camelCase names (`given`, `family`, `birth_date`,
//!   `telecom`, `identifier`, `start`, `end`, `minutes_duration`, `practitioner`).
//!
//! Headers are compared after [`normalise`]: lower case, letters and digits only, so
//! "Appt. Date", "APPT_DATE" and "appt date" are one name.

use std::fmt;

/// A field the importer can fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    PatientId,
    FirstName,
    LastName,
    /// One cell with the whole name ("Okafor, Ada").
    PatientName,
    BirthDate,
    Mobile,
    /// A phone column not marked mobile: used for texts only when there is no mobile, and
    /// the report says so.
    OtherPhone,
    AppointmentId,
    /// The appointment's day (or day and time in one cell).
    Date,
    StartTime,
    EndTime,
    Minutes,
    /// OpenEMR's `pc_duration`, in seconds.
    Seconds,
    Clinician,
    AppointmentType,
    Status,
    SmsConsent,
    SmsConsentDate,
}

impl Field {
    pub const ALL: [Self; 18] = [
        Self::PatientId,
        Self::FirstName,
        Self::LastName,
        Self::PatientName,
        Self::BirthDate,
        Self::Mobile,
        Self::OtherPhone,
        Self::AppointmentId,
        Self::Date,
        Self::StartTime,
        Self::EndTime,
        Self::Minutes,
        Self::Seconds,
        Self::Clinician,
        Self::AppointmentType,
        Self::Status,
        Self::SmsConsent,
        Self::SmsConsentDate,
    ];

    /// The documented header name (README), also the FIELD of `--map FIELD=COLUMN`.
    pub fn name(self) -> &'static str {
        match self {
            Self::PatientId => "patient_id",
            Self::FirstName => "first_name",
            Self::LastName => "last_name",
            Self::PatientName => "patient_name",
            Self::BirthDate => "birth_date",
            Self::Mobile => "mobile",
            Self::OtherPhone => "phone",
            Self::AppointmentId => "appointment_id",
            Self::Date => "date",
            Self::StartTime => "start_time",
            Self::EndTime => "end_time",
            Self::Minutes => "duration",
            Self::Seconds => "duration_seconds",
            Self::Clinician => "clinician",
            Self::AppointmentType => "appointment_type",
            Self::Status => "status",
            Self::SmsConsent => "sms_consent",
            Self::SmsConsentDate => "sms_consent_date",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let n = normalise(s);
        Self::ALL.into_iter().find(|f| normalise(f.name()) == n)
    }

    /// Does this field describe an appointment (so the file is a schedule, not a patient list)?
    pub fn is_appointment(self) -> bool {
        matches!(
            self,
            Self::AppointmentId
                | Self::Date
                | Self::StartTime
                | Self::EndTime
                | Self::Minutes
                | Self::Seconds
                | Self::Clinician
                | Self::AppointmentType
                | Self::Status
        )
    }

    /// Other names for the column, already normalised.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Self::PatientId => &[
                "patientid",
                "patid",
                "ptid",
                "chart",
                "chartno",
                "chartnumber",
                "chartid",
                "mrn",
                "medicalrecordnumber",
                "medicalrecordno",
                "accountno",
                "accountnumber",
                "acctno",
                "acct",
                "patientacctno",
                "patientaccountno",
                "patientaccount",
                "patientaccountnumber",
                "pid",
                "pubpid",
                "pcpid",
                "identifier",
                "enterpriseid",
                "personnumber",
                "patientnumber",
                "patientno",
                "patientpmsid",
                "patientkey",
            ],
            Self::FirstName => &[
                "firstname",
                "first",
                "fname",
                "given",
                "givenname",
                "patientfirstname",
                "patfirstname",
                "ptfirstname",
                "forename",
            ],
            Self::LastName => &[
                "lastname",
                "last",
                "lname",
                "family",
                "familyname",
                "surname",
                "patientlastname",
                "patlastname",
                "ptlastname",
            ],
            Self::PatientName => &[
                "patientname",
                "patient",
                "name",
                "fullname",
                "patientfullname",
            ],
            Self::BirthDate => &[
                "dob",
                "dateofbirth",
                "birthdate",
                "birthday",
                "patientdob",
                "patdob",
                "ptdob",
                "patientdateofbirth",
            ],
            Self::Mobile => &[
                "mobile",
                "mobilephone",
                "mobilephonenumber",
                "mobileno",
                "mobilenumber",
                "cell",
                "cellphone",
                "cellphonenumber",
                "cellnumber",
                "cellno",
                "phonecell",
                "patientmobilephone",
                "patientcellphone",
                "patientmobile",
                "patientcell",
                "contactmobilephone",
                "telecom",
                "smsnumber",
                "textnumber",
                "mobilephone1",
            ],
            Self::OtherPhone => &[
                "phone",
                "phonenumber",
                "homephone",
                "phonehome",
                "primaryphone",
                "patientphone",
                "patientphonenumber",
                "contactphone",
                "contacthomephone",
                "telephone",
            ],
            Self::AppointmentId => &[
                "appointmentid",
                "apptid",
                "appointmentno",
                "appointmentnumber",
                "apptno",
                "appointmentkey",
                "visitid",
                "pceid",
                "eventid",
                "appointmentidentifier",
            ],
            Self::Date => &[
                "date",
                "appointmentdate",
                "apptdate",
                "visitdate",
                "servicedate",
                "dateofservice",
                "dos",
                "scheduleddate",
                "pceventdate",
                "eventdate",
                "appointmentday",
                "startdatetime",
                "appointmentdatetime",
                "scheduledtime",
                "start",
                "apptdatetime",
                "appointmentstart",
            ],
            Self::StartTime => &[
                "starttime",
                "time",
                "appointmenttime",
                "appttime",
                "apptstarttime",
                "appointmentstarttime",
                "pcstarttime",
                "visittime",
                "begintime",
                "fromtime",
            ],
            Self::EndTime => &[
                "endtime",
                "apptendtime",
                "appointmentendtime",
                "stoptime",
                "pcendtime",
                "end",
                "enddatetime",
                "stopdatetime",
                "totime",
            ],
            Self::Minutes => &[
                "duration",
                "length",
                "apptlength",
                "appointmentlength",
                "minutes",
                "durationminutes",
                "durationmins",
                "durationmin",
                "minutesduration",
                "lengthmin",
                "lengthminutes",
                "appointmentlengthminutes",
                "slotlength",
            ],
            Self::Seconds => &["pcduration", "durationseconds"],
            Self::Clinician => &[
                "provider",
                "providername",
                "renderingprovider",
                "renderingprovidername",
                "schedulingprovider",
                "scheduledprovider",
                "appointmentprovider",
                "apptprovider",
                "attendingprovider",
                "claimprovider",
                "resource",
                "resourcename",
                "resourceprovider",
                "doctor",
                "physician",
                "clinician",
                "practitioner",
                "seenby",
                "staff",
            ],
            Self::AppointmentType => &[
                "appointmenttype",
                "appttype",
                "visittype",
                "type",
                "reason",
                "appointmentreason",
                "apptreason",
                "visitreason",
                "eventcategory",
                "category",
                "pctitle",
                "servicetype",
                "appointmenttypename",
                "appttypename",
            ],
            Self::Status => &[
                "status",
                "appointmentstatus",
                "apptstatus",
                "visitstatus",
                "confirmationstatus",
                "pcapptstatus",
                "apptstat",
                "eventstatus",
            ],
            Self::SmsConsent => &[
                "textok",
                "oktotext",
                "okaytotext",
                "smsconsent",
                "textconsent",
                "consenttotext",
                "smsoptin",
                "textoptin",
                "allowsms",
                "hipaaallowsms",
                "smsok",
                "textmessageok",
                "textmessageconsent",
                "textmessaging",
                "textreminders",
                "consentsms",
                "mobileconsent",
                "contactpreferenceappointmentsms",
            ],
            Self::SmsConsentDate => &[
                "textokdate",
                "smsconsentdate",
                "textconsentdate",
                "consentdate",
                "consenttotextdate",
                "smsoptindate",
                "textoptindate",
                "textconsentsigned",
            ],
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Lower case, letters and digits only: "Appt. Date" → "apptdate", "Chart #" → "chart".
pub fn normalise(header: &str) -> String {
    header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The field a header names, by its documented name or an alias.
pub fn field_for_header(header: &str) -> Option<Field> {
    let n = normalise(header);
    if n.is_empty() {
        return None;
    }
    Field::ALL
        .into_iter()
        .find(|f| normalise(f.name()) == n || f.aliases().contains(&n.as_str()))
}

/// `--map FIELD=COLUMN` (also a line of a mapping file): the field and the header text.
pub fn parse_mapping(s: &str) -> Result<(Field, String), String> {
    let (f, c) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?}: write FIELD=COLUMN, e.g. mobile=\"Cell #\""))?;
    let field = Field::parse(f.trim()).ok_or_else(|| {
        format!(
            "{:?} is not a field; the fields are {}",
            f.trim(),
            Field::ALL.map(Field::name).join(", ")
        )
    })?;
    let column = c.trim().trim_matches('"').trim().to_string();
    if column.is_empty() {
        return Err(format!("{s:?}: the column name is empty"));
    }
    Ok((field, column))
}

/// A mapping file: one FIELD=COLUMN a line; blank lines and `#` comments ignored.
pub fn parse_mapping_file(text: &str) -> Result<Vec<(Field, String)>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(i, l)| parse_mapping(l).map_err(|e| format!("line {}: {e}", i + 1)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("Appointment Date", Field::Date)]
    #[case("Appt. Date", Field::Date)]
    #[case("Start Time", Field::StartTime)]
    #[case("Chart #", Field::PatientId)]
    #[case("Mobile Phone", Field::Mobile)]
    #[case("Rendering Provider", Field::Clinician)]
    #[case("Visit Status", Field::Status)]
    #[case("pc_apptstatus", Field::Status)]
    #[case("hipaa_allowsms", Field::SmsConsent)]
    #[case("DOB", Field::BirthDate)]
    #[case("given", Field::FirstName)]
    #[case("family", Field::LastName)]
    #[case("telecom", Field::Mobile)]
    #[case("birth_date", Field::BirthDate)]
    #[case("Text OK", Field::SmsConsent)]
    #[case("Home Phone", Field::OtherPhone)]
    #[case("pc_duration", Field::Seconds)]
    fn export_headers_map_to_fields(#[case] header: &str, #[case] want: Field) {
        assert_eq!(field_for_header(header), Some(want), "{header}");
    }

    #[test]
    fn no_alias_is_claimed_by_two_fields() {
        let mut seen = std::collections::HashMap::new();
        for f in Field::ALL {
            for a in f
                .aliases()
                .iter()
                .copied()
                .chain([normalise(f.name()).leak() as &str])
            {
                if let Some(other) = seen.insert(a.to_string(), f) {
                    assert_eq!(other, f, "{a} is claimed by {other} and {f}");
                }
            }
        }
    }

    #[test]
    fn unknown_headers_are_not_guessed() {
        assert_eq!(field_for_header("Copay"), None);
        assert_eq!(field_for_header("###"), None);
    }

    #[test]
    fn mappings_name_a_field_and_a_column() {
        assert_eq!(
            parse_mapping("mobile=\"Cell #\""),
            Ok((Field::Mobile, "Cell #".to_string()))
        );
        assert!(
            parse_mapping("cellphone=Cell")
                .unwrap_err()
                .contains("not a field")
        );
        assert!(parse_mapping("mobile").is_err());
        let file = "# our PMS\nmobile = Cell #\n\nclinician=Doc\n";
        assert_eq!(parse_mapping_file(file).unwrap().len(), 2);
        assert!(
            parse_mapping_file("mobile=Cell\nnope\n")
                .unwrap_err()
                .starts_with("line 2")
        );
    }
}
