//! The role matrix: one generated test per role and action (and one for `system`), written
//! out here independently of the table so a change to the table must be made twice.

use rstest::rstest;

use super::*;

const R: &str = "reception manager admin";
const M: &str = "manager admin";
const A: &str = "admin";

fn member(role: Role) -> Actor {
    Actor::Member(Member {
        id: StaffId(1),
        username: "alice".into(),
        role,
    })
}

#[rstest]
#[case::view_schedule(Action::ViewSchedule, R, false)]
#[case::status(Action::ChangeAppointmentStatus, R, false)]
#[case::edit_schedule(Action::EditSchedule, R, false)]
#[case::record_consent(Action::RecordConsent, R, false)]
#[case::record_opt_out(Action::RecordOptOut, R, false)]
#[case::fix_phone(Action::FixPhone, R, false)]
#[case::handle_reply(Action::HandleReply, R, false)]
#[case::send_reminders(Action::SendReminders, R, true)]
#[case::portal_prompt(Action::SendPortalPrompt, R, true)]
#[case::custom_text(Action::SendCustomText, R, false)]
#[case::closure_notice(Action::SendClosureNotice, R, true)]
#[case::sync(Action::SyncProvider, R, true)]
#[case::phi_check(Action::CheckText, R, true)]
#[case::view_templates(Action::ViewTemplates, R, true)]
#[case::edit_templates(Action::EditTemplates, M, false)]
#[case::statistics(Action::ViewStatistics, M, true)]
#[case::export(Action::ExportData, M, true)]
#[case::export_bodies(Action::ExportMessageBodies, M, false)]
#[case::view_audit(Action::ViewAudit, M, true)]
#[case::verify_audit(Action::VerifyAudit, M, true)]
#[case::export_audit(Action::ExportAudit, M, true)]
#[case::review_audit(Action::ReviewAudit, M, true)]
#[case::review_consent(Action::ReviewConsent, M, true)]
#[case::export_consent(Action::ExportConsent, M, false)]
#[case::list_staff(Action::ListStaff, A, false)]
#[case::manage_staff(Action::ManageStaff, A, false)]
#[case::backup(Action::Backup, A, true)]
#[case::restore(Action::Restore, A, false)]
#[case::import(Action::Import, M, true)]
#[case::init(Action::InitPractice, A, true)]
fn permission_matrix(
    #[values(Role::Reception, Role::Manager, Role::Admin)] role: Role,
    #[case] action: Action,
    #[case] roles: &str,
    #[case] system: bool,
) {
    let expected = roles.split(' ').any(|r| r == role.as_str());
    assert_eq!(may(role, action), expected, "{role} / {action:?}");
    assert_eq!(member(role).may(action).is_ok(), expected);
    assert_eq!(
        Actor::System.may(action).is_ok(),
        system,
        "system / {action:?}"
    );
}

#[test]
fn every_action_is_listed_once() {
    let mut seen = std::collections::HashSet::new();
    for a in Action::ALL {
        assert!(seen.insert(a), "{a:?} twice");
        assert!(!a.describe().is_empty());
    }
    // A new variant must be added to ALL (and so to the matrix above): this match fails to
    // compile until it is.
    fn listed(a: Action) -> bool {
        match a {
            Action::ViewSchedule
            | Action::ChangeAppointmentStatus
            | Action::EditSchedule
            | Action::RecordConsent
            | Action::RecordOptOut
            | Action::FixPhone
            | Action::HandleReply
            | Action::SendReminders
            | Action::SendPortalPrompt
            | Action::SendCustomText
            | Action::SendClosureNotice
            | Action::SyncProvider
            | Action::CheckText
            | Action::ViewTemplates
            | Action::EditTemplates
            | Action::ViewStatistics
            | Action::ExportData
            | Action::ExportMessageBodies
            | Action::ViewAudit
            | Action::VerifyAudit
            | Action::ExportAudit
            | Action::ReviewAudit
            | Action::ReviewConsent
            | Action::ExportConsent
            | Action::ListStaff
            | Action::ManageStaff
            | Action::Backup
            | Action::Restore
            | Action::Import
            | Action::InitPractice => true,
        }
    }
    assert!(Action::ALL.into_iter().all(listed));
    assert_eq!(seen.len(), 30);
}

#[test]
fn a_refusal_names_the_member_their_role_and_who_may() {
    let e = member(Role::Reception)
        .may(Action::ViewStatistics)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "alice (reception) may not see statistics; it needs a manager or an admin"
    );
    let e = Actor::System.may(Action::ManageStaff).unwrap_err();
    assert_eq!(
        e.to_string(),
        "to manage staff accounts a person must be named: it needs an admin"
    );
}

#[test]
fn the_system_acts_under_its_own_name_and_no_id() {
    assert_eq!(Actor::System.audit_name(), "system");
    assert_eq!(Actor::System.staff_id(), None);
    assert_eq!(member(Role::Admin).audit_name(), "alice");
    assert_eq!(member(Role::Admin).staff_id(), Some(StaffId(1)));
}

#[test]
fn roles_read_back_from_their_names() {
    for r in Role::ALL {
        assert_eq!(Role::parse(r.as_str()), Some(r));
    }
    assert_eq!(Role::parse(" Manager "), Some(Role::Manager));
    assert_eq!(Role::parse("doctor"), None);
}
