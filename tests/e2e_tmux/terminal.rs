//! End to end, the terminal and the shell around the console: killed by SIGTERM or SIGHUP it
//! leaves a usable terminal, and the interactive `init` asks again on bad answers, hides the
//! password and writes owner-only files.

use std::process::Command;

use frontdesk::store::{self, Store};

use super::{ADMIN_PASSWORD, INIT, Session, no_tmux, test_db_key};

/// Kill the console with `signal` and find the shell usable: out of the alternate screen,
/// cursor shown, line editing and echo back on.
fn killed_console_leaves_a_usable_terminal(signal: &str) {
    if no_tmux() {
        return;
    }
    let s = Session::start_after(signal, 80, 24, Some(INIT), "");
    s.sign_in("ana", ADMIN_PASSWORD);
    s.wait_text("No appointments on this day.");
    let flags = s.display("#{alternate_on}");
    assert_eq!(flags, "1", "the console runs on the alternate screen");
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &s.pid()])
        .status()
        .unwrap();
    assert!(status.success());
    let screen = s.wait_text("STTY=");
    assert!(
        screen.contains("STTY=icanon,echo,"),
        "terminal left raw:\n{screen}"
    );
    let flags = s.display("#{alternate_on} #{cursor_flag}");
    assert_eq!(flags, "0 1", "terminal not restored after {signal}");
}

#[test]
fn sigterm_restores_the_terminal() {
    killed_console_leaves_a_usable_terminal("TERM");
}

#[test]
fn sighup_restores_the_terminal() {
    killed_console_leaves_a_usable_terminal("HUP");
}

#[test]
fn interactive_init_asks_again_on_bad_answers_hides_the_password_and_writes_owner_only_files() {
    use std::os::unix::fs::PermissionsExt;
    if no_tmux() {
        return;
    }
    let s = Session::start("init", 110, 40, "init");
    let answer = |prompt: &str, typed: &str| {
        s.wait_text(prompt);
        s.keys(&["-l", typed]);
        s.keys(&["Enter"]);
    };
    answer(
        "Practice name, as patients know it:",
        "Clínica Nuestra Señora",
    );
    answer("Country for phone numbers [US]:", "");
    answer("Practice phone number (named in every text):", "555-0100");
    s.wait_text("\"555-0100\" is not a valid number");
    s.keys(&["-l", "(201) 555-0134"]);
    s.keys(&["Enter"]);
    answer("Time zone", "Mars/Olympus");
    s.wait_text("\"Mars/Olympus\" is not an IANA time zone");
    s.keys(&["-l", "america/chicago"]);
    s.keys(&["Enter"]);
    answer("Patient portal address", "https://portal.nuestra.example");
    answer("The first admin's username:", "Rosa");
    answer("Password:", "482915");
    s.wait_text("an admin needs a password");
    s.wait_for("the password asked again", |screen| {
        screen.matches("Password:").count() >= 2
    });
    s.keys(&["-l", "una clave bastante larga"]);
    s.keys(&["Enter"]);
    answer("Password again:", "una clave bastante larga");
    let screen = s.wait_text("EXIT=");
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(
        screen.contains("Practice Clínica Nuestra Señora is set up."),
        "{screen}"
    );
    assert!(
        !screen.contains("clave"),
        "the password was shown:\n{screen}"
    );
    assert!(!screen.contains("482915"), "the PIN was shown:\n{screen}");

    let config = s.home().join("config/frontdesk/config.toml");
    for file in [&config, &s.db().to_path_buf()] {
        let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
    }
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("name = \"Clínica Nuestra Señora\""), "{text}");
    assert!(text.contains("phone = \"+12015550134\""), "{text}");
    assert!(text.contains("time_zone = \"America/Chicago\""), "{text}");
    let store = Store::open_keyed(s.db(), &test_db_key()).unwrap();
    let admin = store::staff::by_username(&store, "rosa").unwrap().unwrap();
    assert_eq!(admin.role, frontdesk::domain::staff::Role::Admin);
}
