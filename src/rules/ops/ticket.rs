//! `op = "ticket"`: the built-in check of the norm ticket, run as a rule
//! of the engine. Its parameters are the scorecard's `[norms.ticket]`; its
//! code stays in `crate::norms::ticket`, which this operator wraps as it is.

use super::RegisteredNorm;
use crate::config::Config;
use crate::model::NormId;
use crate::norms::Norm;

/// The registry entry.
pub const NORM: RegisteredNorm = RegisteredNorm {
    name: "ticket",
    norm: NormId::Ticket,
    description: "工单填写，含工单与通话的对照（参数见 [norms.ticket]）",
    build,
};

fn build(c: &Config) -> Box<dyn Norm> {
    Box::new(crate::norms::ticket::TicketNorm::new(&c.norms.ticket))
}
