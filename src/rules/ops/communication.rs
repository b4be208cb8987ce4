//! `op = "communication"`: the built-in check of the norm communication, run as a rule
//! of the engine. Its parameters are the scorecard's `[norms.communication]`; its
//! code stays in `crate::norms::communication`, which this operator wraps as it is.

use super::RegisteredNorm;
use crate::config::Config;
use crate::model::NormId;
use crate::norms::Norm;

/// The registry entry.
pub const NORM: RegisteredNorm = RegisteredNorm {
    name: "communication",
    norm: NormId::Communication,
    description: "沟通技巧（参数见 [norms.communication]，开头语见 [norms.greeting]）",
    build,
};

fn build(c: &Config) -> Box<dyn Norm> {
    Box::new(crate::norms::communication::Communication::new(
        &c.norms.communication,
        &c.norms.greeting,
    ))
}
