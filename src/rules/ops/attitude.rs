//! `op = "attitude"`: the built-in check of the norm attitude, run as a rule
//! of the engine. Its parameters are the scorecard's `[norms.attitude]`; its
//! code stays in `crate::norms::attitude`, which this operator wraps as it is.

use super::RegisteredNorm;
use crate::config::Config;
use crate::model::NormId;
use crate::norms::Norm;

/// The registry entry.
pub const NORM: RegisteredNorm = RegisteredNorm {
    name: "attitude",
    norm: NormId::Attitude,
    description: "服务态度（参数见 [norms.attitude]）",
    build,
};

fn build(c: &Config) -> Box<dyn Norm> {
    Box::new(crate::norms::attitude::Attitude::new(&c.norms.attitude))
}
