//! The modals the console knows, as one enum: the stack in `App` holds these, the top one
//! gets the keys first. Adding a modal is a file under `screens/` implementing
//! [`Overlay`] and one line in the [`modals!`] list below. Never imports `app` or `screen`.

use super::overlay::Overlay;
use super::screens::{compose, confirm, help, patient_form, search, staff_form};
// closure
use super::screens::ask;

/// Declares the `Modal` enum and its uniform view as an [`Overlay`], from one line per modal.
macro_rules! modals {
    ($($variant:ident($state:ty)),+ $(,)?) => {
        /// A box over the screen. Matched like any enum (tests look inside); `App` calls it
        /// through [`Modal::overlay`].
        #[derive(Clone, Debug, PartialEq)]
        pub enum Modal {
            $($variant($state)),+
        }

        impl Modal {
            /// The modal as its contract, for the calls `App` makes on every modal alike.
            pub fn overlay(&self) -> &dyn Overlay {
                match self {
                    $(Self::$variant(m) => m),+
                }
            }

            pub fn overlay_mut(&mut self) -> &mut dyn Overlay {
                match self {
                    $(Self::$variant(m) => m),+
                }
            }
        }
    };
}

modals! {
    Confirm(confirm::ConfirmState),
    Search(search::SearchState),
    Help(help::HelpState),
    // reception
    Compose(compose::ComposeState),
    Form(patient_form::FormState),
    // sign-in
    StaffForm(staff_form::StaffFormState),
    // closure
    Ask(ask::AskState),
}
