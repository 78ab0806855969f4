//! `init`'s questions: each answer is checked as soon as it is typed and asked again, with
//! the reason, until it is right. The password is read without echo, twice.
//!
//! Reads from any `BufRead` and writes to any `Write`, with the no-echo reader passed in, so
//! the whole dialogue runs in tests without a terminal.

use std::io::{self, BufRead, Write};

use anyhow::anyhow;

use super::Answers;
use crate::config::first_run::PracticeAnswers;
use crate::domain::setup;
use crate::domain::staff::credential::{PASSWORD_MIN_CHARS, check_new_secret};
use crate::domain::staff::{Role, Secret, Username};

/// Where questions go and answers come from.
pub struct Io<'a> {
    pub input: &'a mut dyn BufRead,
    pub output: &'a mut dyn Write,
    /// Shows the question and reads one line without echo.
    pub secret: &'a mut dyn FnMut(&str) -> io::Result<String>,
}

/// Ask `question` until `check` takes the answer; an empty answer takes `default` if any.
fn ask<T>(
    io: &mut Io<'_>,
    question: &str,
    default: Option<&str>,
    check: impl Fn(&str) -> Result<T, String>,
) -> anyhow::Result<T> {
    loop {
        match default {
            Some(d) => write!(io.output, "{question} [{d}]: ")?,
            None => write!(io.output, "{question}: ")?,
        }
        io.output.flush()?;
        let mut line = String::new();
        if io.input.read_line(&mut line)? == 0 {
            anyhow::bail!("init stopped before it was answered: {question}; nothing was written");
        }
        let typed = match (line.trim(), default) {
            ("", Some(d)) => d.to_string(),
            (t, _) => t.to_string(),
        };
        match check(&typed) {
            Ok(value) => return Ok(value),
            Err(why) => writeln!(io.output, "  ✗ {why}")?,
        }
    }
}

/// The password, twice without echo, until it meets the admin rules and both match.
fn ask_password(io: &mut Io<'_>, admin: &Username) -> anyhow::Result<Secret> {
    writeln!(
        io.output,
        "The admin's password: at least {PASSWORD_MIN_CHARS} characters (a phrase of a few words is good). It is not shown as you type."
    )?;
    loop {
        let first = Secret::new((io.secret)("Password: ")?);
        if let Err(why) = check_new_secret(&first, admin, Role::Admin) {
            writeln!(io.output, "  ✗ {why}")?;
            continue;
        }
        let again = Secret::new((io.secret)("Password again: ")?);
        if again != first {
            writeln!(io.output, "  ✗ the two passwords differ; once more")?;
            continue;
        }
        return Ok(first);
    }
}

/// Every question of `init`, in order.
pub fn ask_all(io: &mut Io<'_>) -> anyhow::Result<Answers> {
    writeln!(
        io.output,
        "Setting up frontdesk for a practice. Each answer is checked as you go."
    )?;
    let name = ask(io, "Practice name, as patients know it", None, |s| {
        setup::practice_name(s).map_err(|e| e.to_string())
    })?;
    let region = ask(io, "Country for phone numbers", Some("US"), |s| {
        setup::region(s).map_err(|e| e.to_string())
    })?;
    let phone = ask(
        io,
        "Practice phone number (named in every text)",
        None,
        |s| setup::practice_phone(s, &region).map_err(|e| e.to_string()),
    )?;
    let time_zone = ask(
        io,
        "Time zone (e.g. America/New_York, America/Chicago, America/Los_Angeles)",
        None,
        |s| setup::time_zone(s).map_err(|e| e.to_string()),
    )?;
    let portal_url = ask(
        io,
        "Patient portal address (https://…; Enter to skip)",
        None,
        |s| setup::portal_url(s).map_err(|e| e.to_string()),
    )?;
    let admin = ask(io, "The first admin's username", None, |s| {
        Username::parse(s).map_err(|e| e.to_string())
    })?;
    let password = ask_password(io, &admin).map_err(|e| anyhow!("{e}"))?;
    Ok(Answers {
        practice: PracticeAnswers {
            name,
            phone,
            time_zone,
            portal_url,
            region,
        },
        admin,
        password,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run the dialogue on typed `lines` and no-echo `secrets`; returns the answers (or the
    /// error) and everything shown.
    fn dialogue(lines: &str, secrets: &[&str]) -> (anyhow::Result<Answers>, String) {
        let mut input = io::Cursor::new(lines.as_bytes().to_vec());
        let mut output = Vec::new();
        let mut queue: Vec<String> = secrets.iter().rev().map(|s| s.to_string()).collect();
        let mut secret = |_question: &str| {
            queue
                .pop()
                .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "no more"))
        };
        let result = ask_all(&mut Io {
            input: &mut input,
            output: &mut output,
            secret: &mut secret,
        });
        (result, String::from_utf8(output).unwrap())
    }

    #[test]
    fn good_answers_go_straight_through_and_region_defaults_to_us() {
        let (answers, shown) = dialogue(
            "Lakeside Family Medicine\n\n(201) 555-0134\namerica/chicago\n\nAna\n",
            &["correct horse battery", "correct horse battery"],
        );
        let a = answers.unwrap();
        assert_eq!(a.practice.name, "Lakeside Family Medicine");
        assert_eq!(a.practice.region, "US");
        assert_eq!(a.practice.phone.as_str(), "+12015550134");
        assert_eq!(a.practice.time_zone, chrono_tz::America::Chicago);
        assert_eq!(a.practice.portal_url, None);
        assert_eq!(a.admin.as_str(), "ana");
        assert_eq!(a.password.expose(), "correct horse battery");
        assert!(!shown.contains('✗'), "{shown}");
        assert!(!shown.contains("horse"), "the password is never shown");
    }

    #[test]
    fn each_bad_answer_is_asked_again_with_the_reason() {
        let (answers, shown) = dialogue(
            "\nLakeside\nUSA\nus\n555-0100\n+1 201 555 0134\nEastern\nAmerica/New_York\n\
             http://portal.lakeside.example\nhttps://portal.lakeside.example\nsystem\nana\n",
            &[
                "482915",
                "correct horse battery",
                "correct horse batter",
                "correct horse battery",
                "correct horse battery",
            ],
        );
        let a = answers.unwrap();
        assert_eq!(
            a.practice.portal_url.as_deref(),
            Some("https://portal.lakeside.example")
        );
        for reason in [
            "the practice name is needed",
            "\"USA\" is not a two-letter country code",
            "\"555-0100\" is not a valid number",
            "\"Eastern\" is not an IANA time zone",
            "must start with https://",
            "a name frontdesk itself acts under",
            "an admin needs a password",
            "the two passwords differ",
        ] {
            assert!(shown.contains(reason), "missing {reason:?} in:\n{shown}");
        }
        assert_eq!(shown.matches('✗').count(), 8, "{shown}");
    }

    #[test]
    fn running_out_of_answers_stops_without_a_result() {
        let (answers, _) = dialogue("Lakeside\nUS\n", &[]);
        let err = answers.err().unwrap().to_string();
        assert!(err.contains("nothing was written"), "{err}");
    }
}
