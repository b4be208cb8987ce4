//! `op = "courtesy"`: the built-in check of the norm courtesy, run as a rule
//! of the engine. Its parameters are the scorecard's `[norms.courtesy]`; its
//! code stays in `crate::norms::courtesy`, which this operator wraps as it is.

use super::RegisteredNorm;
use crate::config::Config;
use crate::model::NormId;
use crate::norms::Norm;

/// The registry entry.
pub const NORM: RegisteredNorm = RegisteredNorm {
    name: "courtesy",
    norm: NormId::Courtesy,
    description: "文明用语：口头禅、称呼“你”（参数见 [norms.courtesy]）",
    build,
};

fn build(c: &Config) -> Box<dyn Norm> {
    Box::new(crate::norms::courtesy::Courtesy::new(&c.norms.courtesy))
}
