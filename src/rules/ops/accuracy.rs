//! `op = "accuracy"`: the built-in check of the norm accuracy, run as a rule
//! of the engine. Its parameters are the scorecard's `[norms.accuracy]`; its
//! code stays in `crate::norms::accuracy`, which this operator wraps as it is.

use super::RegisteredNorm;
use crate::config::Config;
use crate::model::NormId;
use crate::norms::Norm;

/// The registry entry.
pub const NORM: RegisteredNorm = RegisteredNorm {
    name: "accuracy",
    norm: NormId::Accuracy,
    description: "告知号码准确（参数见 [norms.accuracy]）",
    build,
};

fn build(c: &Config) -> Box<dyn Norm> {
    Box::new(crate::norms::accuracy::Accuracy::new(&c.norms.accuracy))
}
