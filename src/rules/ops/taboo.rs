//! `op = "taboo"`: the built-in check of the norm taboo, run as a rule
//! of the engine. Its parameters are the scorecard's `[norms.taboo]`; its
//! code stays in `crate::norms::taboo`, which this operator wraps as it is.

use super::RegisteredNorm;
use crate::config::Config;
use crate::model::NormId;
use crate::norms::Norm;

/// The registry entry.
pub const NORM: RegisteredNorm = RegisteredNorm {
    name: "taboo",
    norm: NormId::Taboo,
    description: "通话禁忌：禁语、推诿、辱骂（参数见 [norms.taboo]）",
    build,
};

fn build(c: &Config) -> Box<dyn Norm> {
    Box::new(crate::norms::taboo::Taboo::new(&c.norms.taboo))
}
