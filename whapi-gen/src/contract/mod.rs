//! Generates the contract suite's cases: the generated client's operations
//! ([`raw_cases`]) and `whapi-ext`'s calls ([`call_cases`]), each with
//! values the normalized spec accepts ([`samples`]).

mod call_cases;
mod raw_cases;
mod samples;

pub(crate) use call_cases::generate_call_cases;
pub(crate) use raw_cases::generate_cases;
pub(crate) use samples::{sample_with, Fields};
