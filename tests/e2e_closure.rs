//! End to end, the closure notice as a manager sends it: the real binary in tmux against the
//! stateful fake Twilio. Three patients are booked tomorrow: Ada (opted in) is told, Bea (no
//! consent) and Cal (Twilio refuses his number, 21211) cannot be reached before the closure
//! starts — the screen says so before the send, and afterwards both are on the call-back list
//! with the reason, every visit reads "rebook", and Twilio got Ada's notice exactly once.
//!
//! Skipped (with a message) only when tmux is not installed; with `CI` set (as `.ci/run`
//! does) a missing tmux fails instead.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fake_twilio;
mod support;
#[path = "support/tmux.rs"]
mod tmux;

use std::path::Path;
use std::time::Duration;

use fake_twilio::{AUTH_TOKEN, FakeTwilio};
use frontdesk::domain::staff::{Actor, Member, Role, Secret, Username};
use frontdesk::store;
use frontdesk::workflow::staff::{self, NewMember};
use support::*;

const WAIT: Duration = Duration::from_secs(30);
/// Wednesday 25 November 2026, 09:30 in New York.
const NOW: &str = "2026-11-25T09:30:00-05:00";

/// One tmux server on its own socket running the console, killed on drop.
struct Desk {
    pane: tmux::Pane,
}

impl std::ops::Deref for Desk {
    type Target = tmux::Pane;
    fn deref(&self) -> &tmux::Pane {
        &self.pane
    }
}

impl Desk {
    fn start(p: &Practice, config: &Path, home: &Path) -> Self {
        let bin = env!("CARGO_BIN_EXE_frontdesk");
        let h = home.display();
        let script = format!(
            "unset FRONTDESK_LOG; export HOME='{h}' XDG_CONFIG_HOME='{h}/config' \
             XDG_DATA_HOME='{h}/data' FRONTDESK_NOW='{NOW}' FRONTDESK_DB_KEY='{TEST_DB_KEY}' \
             {TOKEN_ENV}='{AUTH_TOKEN}'; '{bin}' --db '{}' --config '{}'; sleep 600",
            p.db.display(),
            config.display()
        );
        Self {
            pane: tmux::Pane::start("closure", (100, 30), &script, WAIT),
        }
    }
}

/// The practice's admin and its manager omar (PIN 135792).
fn staff(p: &mut Practice) {
    let admin = staff::add_first_admin(
        &mut p.store,
        &NewMember {
            username: Username::parse("ana").unwrap(),
            display_name: String::new(),
            role: Role::Admin,
            secret: Secret::new("correct horse battery"),
        },
        ny(1, 9, 0),
    )
    .unwrap();
    let actor = Actor::Member(Member {
        id: admin.id,
        username: admin.username,
        role: admin.role,
    });
    let omar = NewMember {
        username: Username::parse("omar").unwrap(),
        display_name: "Omar".into(),
        role: Role::Manager,
        secret: Secret::new("135792"),
    };
    staff::add(&mut p.store, &actor, &omar, ny(1, 9, 5)).unwrap();
}

#[test]
fn a_manager_announces_a_closure_and_sees_who_could_not_be_reached_on_the_call_back_list() {
    let missing = (!skip::runs("tmux", &["-V"])).then(|| "tmux is not installed".to_string());
    if skip::skipped("e2e_closure", missing) {
        return;
    }
    let fake = FakeTwilio::start_at(ny(25, 9, 30));
    let (toml, _) = config_for(&fake, "rate_per_second = 100");
    let mut p = Practice::new();
    staff(&mut p);
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    let bea = p.patient("Bea", Some(&mobile(135)), Consent::None);
    let cal = p.patient("Cal", Some(&mobile(136)), Consent::OptedIn);
    let visits = [
        p.book(ada, ny(26, 9, 0)),
        p.book(bea, ny(26, 10, 0)),
        p.book(cal, ny(26, 11, 0)),
    ];
    fake.fail_number(&mobile(136), 21211);
    let cfg = p.write_config(&toml);
    let home = tempfile::TempDir::new().unwrap();

    let desk = Desk::start(&p, &cfg, home.path());
    desk.wait_text("Enter sign in");
    desk.type_text("omar");
    desk.keys(&["Tab"]);
    desk.type_text("135792");
    desk.keys(&["Enter"]);
    desk.wait_text("Riverside Family Practice · omar");
    desk.keys(&["C"]);
    desk.wait_text("Closure / schedule-change notice");
    desk.type_text("2026-11-26 08:00");
    desk.keys(&["Enter"]);
    desk.type_text("2026-11-26 18:00");
    desk.keys(&["Enter"]);
    desk.wait_text("→ Thu Nov 26 18:00 EST");
    desk.wait_text("◀ everyone booked ▶");
    desk.keys(&["Enter"]);
    desk.type_text("The office is closed tomorrow (water leak). We will call you to rebook.");
    desk.wait_text("nothing clinical");
    desk.keys(&["Enter"]);
    let preview = desk.wait_text("3 visits: 2 will get it · 1 will not (1 → call back)");
    assert!(preview.contains("no consent → call back"), "{preview}");
    assert!(fake.created().is_empty(), "a preview sends nothing");

    desk.keys(&["C-s"]);
    desk.wait_text("Send the closure notice?");
    desk.keys(&["y"]);
    // Cal's number is refused by Twilio: he cannot be told either.
    let done = desk.wait_text("3 visits: 1 told · 2 not told (2 → call back) · 3 marked to rebook");
    assert!(done.contains("[21211]"), "{done}");

    desk.keys(&["Escape"]);
    desk.wait_text("appointments ·");
    desk.keys(&["i"]);
    let lists = desk.wait_text("Call back (2)");
    assert!(
        lists.contains("closure notice not in time: no consent"),
        "{lists}"
    );
    assert!(lists.contains("closure notice not in time:"), "{lists}");
    for name in ["Bea", "Cal"] {
        assert!(
            lists
                .lines()
                .any(|l| l.contains(name) && l.contains("closure notice not in time")),
            "{name} is not on the call-back list:\n{lists}"
        );
    }
    desk.keys(&["Escape"]);
    // An arrow key's escape sequence right behind a lone Esc can be read as Esc, '[', 'C'.
    desk.wait_text("appointments ·");
    desk.keys(&["Right"]);
    let day = desk.wait_text("Thursday, November 26, 2026");
    assert_eq!(
        day.lines().filter(|l| l.contains(" rebook ")).count(),
        3,
        "{day}"
    );

    // What Twilio got: Ada's notice, once, with the practice's name and the opt-out notice.
    let created = fake.created();
    let to_ada: Vec<_> = created.iter().filter(|c| c.to == mobile(134)).collect();
    assert_eq!(to_ada.len(), 1, "{created:?}");
    assert!(
        to_ada[0]
            .body
            .starts_with(&format!("{PRACTICE}: The office is closed tomorrow"))
    );
    assert!(to_ada[0].body.ends_with(STOP), "{}", to_ada[0].body);
    assert!(
        created.iter().all(|c| c.to != mobile(135)),
        "Bea has no consent"
    );
    let calls = store::callbacks::open(&p.store).unwrap();
    let mut on_list: Vec<_> = calls.iter().map(|c| c.patient_id).collect();
    on_list.sort();
    assert_eq!(on_list, [bea, cal]);
    for a in visits {
        assert!(store::rebookings::is_marked(&p.store, a).unwrap());
    }
}
