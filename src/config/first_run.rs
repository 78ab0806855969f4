//! The config file `frontdesk init` writes: the practice's answers spelled out, every other
//! setting left at its default with a comment pointing at the documented example.
//!
//! Text only (no IO): the caller writes it owner-only. Values are quoted by `toml`, so a name
//! with quotes or backslashes cannot break the file.

use chrono_tz::Tz;

use crate::domain::phone::E164;

/// What `init` learned about the practice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PracticeAnswers {
    pub name: String,
    pub phone: E164,
    pub time_zone: Tz,
    pub portal_url: Option<String>,
    pub region: String,
}

fn quoted(value: &str) -> String {
    toml::Value::String(value.to_string()).to_string()
}

/// The TOML text of a new practice's config file.
pub fn config_text(a: &PracticeAnswers) -> String {
    let portal = match &a.portal_url {
        Some(url) => format!("portal_url = {}\n", quoted(url)),
        None => "# The secure patient portal (https://…); portal prompts wait until it is set.\n# portal_url = \"https://portal.example.org\"\n".to_string(),
    };
    format!(
        "# frontdesk configuration, written by `frontdesk init`.\n\
         # Every other setting keeps its default; assets/config.example.toml documents them all.\n\
         # Keep this file readable by its owner only (chmod 600): frontdesk refuses it otherwise.\n\
         \n\
         [practice]\n\
         name = {name}\n\
         phone = {phone}\n\
         time_zone = {zone}\n\
         region = {region}\n\
         {portal}\
         # A neutral address for the {{location}} placeholder (never a department name).\n\
         # location = \"12 Main St, Suite 200\"\n\
         \n\
         [sms]\n\
         # \"outbox\" keeps texts on this machine until a provider is set up (see README).\n\
         provider = \"outbox\"\n",
        name = quoted(&a.name),
        phone = quoted(a.phone.as_str()),
        zone = quoted(a.time_zone.name()),
        region = quoted(&a.region),
    )
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::Config;

    fn answers(name: &str, portal: Option<&str>) -> PracticeAnswers {
        PracticeAnswers {
            name: name.into(),
            phone: E164::parse_own("(201) 555-0134", "US").unwrap(),
            time_zone: chrono_tz::America::Chicago,
            portal_url: portal.map(str::to_string),
            region: "US".into(),
        }
    }

    #[test]
    fn the_written_file_reads_back_as_the_answers() {
        let a = answers(
            r#"Dr. "Bud" O'Neill \ Sons"#,
            Some("https://portal.lakeside.example"),
        );
        let config = Config::parse(&config_text(&a), Path::new("config.toml")).unwrap();
        assert_eq!(config.practice.name, a.name);
        assert_eq!(config.practice.phone, "+12015550134");
        assert_eq!(config.practice.time_zone, chrono_tz::America::Chicago);
        assert_eq!(
            config.practice.portal_url,
            "https://portal.lakeside.example"
        );
        assert_eq!(config.sender_identity(), Ok(()));
        assert_eq!(config.reminders, Config::default().reminders);
    }

    #[test]
    fn without_a_portal_the_key_stays_unset() {
        let config = Config::parse(
            &config_text(&answers("Lakeside", None)),
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!(config.practice.portal_url, "");
        assert_eq!(config.practice.location, "");
    }
}
