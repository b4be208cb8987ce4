//! `op = "closing"`: the built-in check of the norm closing, run as a rule
//! of the engine. Its parameters are the scorecard's `[norms.closing]`; its
//! code stays in `crate::norms::closing`, which this operator wraps as it is.

use super::RegisteredNorm;
use crate::config::Config;
use crate::model::NormId;
use crate::norms::Norm;

/// The registry entry.
pub const NORM: RegisteredNorm = RegisteredNorm {
    name: "closing",
    norm: NormId::Closing,
    description: "报读结束语（参数见 [norms.closing]）",
    build,
};

fn build(c: &Config) -> Box<dyn Norm> {
    Box::new(crate::norms::closing::Closing::new(&c.norms.closing))
}
