//! `op = "process"`: the built-in check of the norm process, run as a rule
//! of the engine. Its parameters are the scorecard's `[norms.process]`; its
//! code stays in `crate::norms::process`, which this operator wraps as it is.

use super::RegisteredNorm;
use crate::config::Config;
use crate::model::NormId;
use crate::norms::Norm;

/// The registry entry.
pub const NORM: RegisteredNorm = RegisteredNorm {
    name: "process",
    norm: NormId::Process,
    description: "执行流程，含工单与通话的对照（参数见 [norms.process]）",
    build,
};

fn build(c: &Config) -> Box<dyn Norm> {
    Box::new(crate::norms::process::Process::new(&c.norms.process))
}
