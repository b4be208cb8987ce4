//! `number_not_in_directory`: a phone number the agent gives the caller
//! that is in neither the units' nor the hotline's directory (what
//! `accuracy.unknown_number` finds), read exactly as the accuracy norm
//! reads numbers.
//!
//! Parameter: `cue_window_chars` (default 12), the characters around a
//! number searched for a cue that it is a phone number.

use super::{check_known, numbers, usize_param, Operator, Params, Registered};
use crate::norms::CallView;
use crate::rules::{Event, What};

/// The registry entry.
pub const REGISTERED: Registered = Registered {
    name: "number_not_in_directory",
    description: "话务员告知的电话号码不在通讯录里（参数 cue_window_chars，默认 12）",
    build,
};

struct NotInDirectory {
    window: usize,
}

fn build(params: &Params) -> Result<Box<dyn Operator>, (String, String)> {
    check_known(params, &["cue_window_chars"])?;
    Ok(Box::new(NotInDirectory {
        window: usize_param(params, "cue_window_chars", 12)?,
    }))
}

impl Operator for NotInDirectory {
    fn events<'s>(&'s self, view: &CallView<'_>, out: &mut Vec<Event<'s>>) {
        for (i, m) in numbers(view, self.window) {
            if view.directory.owners_of(&m.digits).is_empty() {
                out.push(Event::at(view, i, m.start, m.end, What::Words));
            }
        }
    }
}
