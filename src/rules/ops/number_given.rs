//! `number_given`: a phone number the agent gives the caller, in the
//! directory or not (e.g. for a rule that a number must be read back
//! slowly, or never given on a certain kind of call).
//!
//! Parameter: `cue_window_chars` (default 12), as for
//! `number_not_in_directory`.

use super::{check_known, numbers, usize_param, Operator, Params, Registered};
use crate::norms::CallView;
use crate::rules::{Event, What};

/// The registry entry.
pub const REGISTERED: Registered = Registered {
    name: "number_given",
    description: "话务员告知了一个电话号码（参数 cue_window_chars，默认 12）",
    build,
};

struct NumberGiven {
    window: usize,
}

fn build(params: &Params) -> Result<Box<dyn Operator>, (String, String)> {
    check_known(params, &["cue_window_chars"])?;
    Ok(Box::new(NumberGiven {
        window: usize_param(params, "cue_window_chars", 12)?,
    }))
}

impl Operator for NumberGiven {
    fn events<'s>(&'s self, view: &CallView<'_>, out: &mut Vec<Event<'s>>) {
        for (i, m) in numbers(view, self.window) {
            out.push(Event::at(view, i, m.start, m.end, What::Words));
        }
    }
}
