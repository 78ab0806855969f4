//! A deterministic athenahealth-style appointments export (about 37,000 patients, 24
//! clinicians, consent for two in three, names from many languages, a quoted comma): the
//! import bench's file and the file the import's kill test imports. Shared by `#[path]`.

#![allow(dead_code)]

use std::fmt::Write as _;

const FIRST: [&str; 8] = [
    "Ada", "Bo", "Chloé", "José", "Seán", "Thị", "Aroha", "Sipho",
];
const LAST: [&str; 8] = [
    "Okafor",
    "Ng",
    "\"García López\"",
    "O'Neill",
    "Nguyễn",
    "Ngata",
    "Dlamini",
    "Müller",
];
const TYPES: [&str; 5] = [
    "Annual physical",
    "Follow up",
    "New patient",
    "Flu shot",
    "Chemo infusion",
];
const STATUS: [&str; 6] = [
    "Scheduled",
    "Confirmed",
    "Checked In",
    "Checked Out",
    "No Show",
    "Cancelled",
];

/// An export of `rows` appointments (deterministic).
pub fn export(rows: usize) -> String {
    let mut s = String::from(
        "Appt ID,Patient ID,Patient Last Name,Patient First Name,Patient DOB,Mobile Phone,Appt Date,Appt Time,Duration,Appt Type,Rendering Provider,Appt Status,Text OK,Text OK Date\r\n",
    );
    for i in 0..rows {
        let p = (i * 7919) % 37_000;
        let (h, m) = (8 + i % 9, (i % 4) * 15);
        let (hh, ap) = if h < 12 {
            (h, "AM")
        } else if h == 12 {
            (12, "PM")
        } else {
            (h - 12, "PM")
        };
        let _ = write!(
            s,
            "{},{p},{},{},{:02}/{:02}/{},(201) 555-{:04},{}/{:02}/2026,{hh}:{m:02} {ap},{},{},\"DOC{}, TEST MD\",{},{},01/15/2026\r\n",
            1_000_000 + i,
            LAST[p % 8],
            FIRST[p % 8],
            1 + p % 12,
            1 + p % 28,
            1940 + p % 60,
            p % 10_000,
            10 + i % 3,
            1 + (i * 7) % 28,
            [15, 30, 45][i % 3],
            TYPES[i % 5],
            p % 24,
            STATUS[i % 6],
            if p % 3 == 0 { "N" } else { "Y" },
        );
    }
    s
}
