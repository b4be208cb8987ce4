//! `op = "greeting"`: the built-in check of the norm greeting, run as a rule
//! of the engine. Its parameters are the scorecard's `[norms.greeting]`; its
//! code stays in `crate::norms::greeting`, which this operator wraps as it is.

use super::RegisteredNorm;
use crate::config::Config;
use crate::model::NormId;
use crate::norms::Norm;

/// The registry entry.
pub const NORM: RegisteredNorm = RegisteredNorm {
    name: "greeting",
    norm: NormId::Greeting,
    description: "报读开头语：开头语的各部分与标准开头语（参数见 [norms.greeting]）",
    build,
};

fn build(c: &Config) -> Box<dyn Norm> {
    Box::new(crate::norms::greeting::Greeting::new(&c.norms.greeting))
}
