//! `op = "clarity"`: the built-in check of the norm clarity, run as a rule
//! of the engine. Its parameters are the scorecard's `[norms.clarity]`; its
//! code stays in `crate::norms::clarity`, which this operator wraps as it is.

use super::RegisteredNorm;
use crate::config::Config;
use crate::model::NormId;
use crate::norms::Norm;

/// The registry entry.
pub const NORM: RegisteredNorm = RegisteredNorm {
    name: "clarity",
    norm: NormId::Clarity,
    description: "表达清晰（参数见 [norms.clarity]）",
    build,
};

fn build(c: &Config) -> Box<dyn Norm> {
    Box::new(crate::norms::clarity::Clarity::new(&c.norms.clarity))
}
