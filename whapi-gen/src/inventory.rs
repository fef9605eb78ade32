//! An inventory of the generated client: one row per operation.
