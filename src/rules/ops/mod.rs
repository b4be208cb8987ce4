//! The built-in operators: checks a rule names with `builtin = "…"` because
//! they need code (reading phone numbers, say), each in its own file with
//! its parameters, and this registry of their names.
//!
//! Adding an operator touches its own file and [`REGISTRY`] only: the
//! compiler looks the name up here, and `hotline-qa rules` lists it.
//!
//! The eleven built-in norms are operators too, of a second kind
//! ([`NORMS`], a rule writes `op = "greeting"`): each gives its norm's
//! whole outcome — assessed or not, with its findings and their own rule
//! ids — because what they judge (an applicable norm, a finding's
//! message and severity) is more than a condition's evidence. Their
//! parameters are the scorecard's `[norms.KEY]` tables.

use std::collections::BTreeMap;

use super::Event;
use crate::config::Config;
use crate::model::NormId;
use crate::norms::{CallView, Norm};

mod accuracy;
mod attitude;
mod clarity;
mod closing;
mod communication;
mod courtesy;
mod greeting;
mod number_given;
mod number_not_in_directory;
mod pace;
mod process;
mod taboo;
mod ticket;

/// The parameters a rule gives its operator (`params = { … }`).
pub type Params = BTreeMap<String, toml::Value>;

/// A compiled built-in operator.
pub trait Operator: Send + Sync {
    /// Appends the evidence it finds in the call, in time order. Pure: no
    /// I/O, never panics on odd input.
    fn events<'s>(&'s self, view: &CallView<'_>, out: &mut Vec<Event<'s>>);
}

/// What a parameter error is: the parameter and why, in Chinese.
pub type ParamError = (String, String);

/// Builds an operator from a rule's parameters.
pub type Build = fn(&Params) -> Result<Box<dyn Operator>, ParamError>;

/// One entry of the registry.
pub struct Registered {
    /// The name a rule writes (`builtin = "number_not_in_directory"`).
    pub name: &'static str,
    /// What it finds, in Chinese, with its parameters.
    pub description: &'static str,
    /// Builds it from the rule's parameters; the error says which
    /// parameter is wrong and how, in Chinese.
    pub build: Build,
}

/// Every built-in operator, by name.
pub const REGISTRY: &[Registered] = &[
    number_not_in_directory::REGISTERED,
    number_given::REGISTERED,
];

/// The operator of that name.
pub fn find(name: &str) -> Option<&'static Registered> {
    REGISTRY.iter().find(|r| r.name == name.trim())
}

/// Builds a norm operator from the scorecard (its `[norms.KEY]` table).
pub type BuildNorm = fn(&Config) -> Box<dyn Norm>;

/// One built-in norm as an operator (`op = "greeting"`).
pub struct RegisteredNorm {
    /// The name a rule writes: the norm's key.
    pub name: &'static str,
    /// The norm whose outcome it gives.
    pub norm: NormId,
    /// What it checks, in Chinese, and where its parameters are.
    pub description: &'static str,
    /// Builds it from the scorecard.
    pub build: BuildNorm,
}

/// The eleven norm operators, in the order their findings are listed
/// (the order of today's outputs: keep it).
pub const NORMS: &[RegisteredNorm] = &[
    greeting::NORM,
    closing::NORM,
    courtesy::NORM,
    pace::NORM,
    clarity::NORM,
    accuracy::NORM,
    process::NORM,
    communication::NORM,
    attitude::NORM,
    ticket::NORM,
    taboo::NORM,
];

/// The norm operator of that name.
pub fn find_norm(name: &str) -> Option<&'static RegisteredNorm> {
    NORMS.iter().find(|r| r.name == name.trim())
}

/// Reads a whole-number parameter, `default` when absent. Unknown
/// parameters are refused by the caller with [`check_known`].
pub fn usize_param(params: &Params, key: &str, default: usize) -> Result<usize, (String, String)> {
    match params.get(key) {
        None => Ok(default),
        Some(toml::Value::Integer(n)) if *n >= 0 => Ok(*n as usize),
        Some(v) => Err((
            key.to_string(),
            format!("应为 0 或更大的整数，写的是 {v}（must be a whole number of 0 or more）"),
        )),
    }
}

/// Refuses parameters the operator does not know.
pub fn check_known(params: &Params, known: &[&str]) -> Result<(), (String, String)> {
    match params.keys().find(|k| !known.contains(&k.as_str())) {
        None => Ok(()),
        Some(k) => Err((
            k.clone(),
            format!(
                "这个内置算子没有参数 {k}，可用的参数：{}（unknown parameter）",
                if known.is_empty() {
                    "无".to_string()
                } else {
                    known.join("、")
                }
            ),
        )),
    }
}

/// The agent utterances' numbers as the accuracy norm reads them, each
/// with its utterance: what both number operators start from.
fn numbers(view: &CallView<'_>, window: usize) -> Vec<(usize, crate::norms::PhoneMention)> {
    use crate::lexicon::LexiconKind;
    let wanted: Vec<usize> = view
        .agent
        .iter()
        .copied()
        .filter(|&i| view.texts.may_hold_number(i))
        .collect();
    if wanted.is_empty() {
        return Vec::new();
    }
    let found = crate::norms::accuracy::given_numbers(
        view.call,
        view.ticket,
        &wanted,
        view.lexicons.get(LexiconKind::PhoneCues),
        view.lexicons.get(LexiconKind::NotPhone),
        view.directory,
        window,
    );
    wanted
        .into_iter()
        .zip(found)
        .flat_map(|(i, ms)| ms.into_iter().map(move |m| (i, m)))
        .collect()
}
