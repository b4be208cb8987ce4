//! `op = "pace"`: the built-in check of the norm pace, run as a rule
//! of the engine. Its parameters are the scorecard's `[norms.pace]`; its
//! code stays in `crate::norms::pace`, which this operator wraps as it is.

use super::RegisteredNorm;
use crate::config::Config;
use crate::model::NormId;
use crate::norms::Norm;

/// The registry entry.
pub const NORM: RegisteredNorm = RegisteredNorm {
    name: "pace",
    norm: NormId::Pace,
    description: "语速与应答及时（参数见 [norms.pace]）",
    build,
};

fn build(c: &Config) -> Box<dyn Norm> {
    Box::new(crate::norms::pace::Pace::new(&c.norms.pace))
}
