//! Routing decisions: which upstream model and account serve a request. Pure: no I/O, state and
//! time are passed in, so every decision is tested exhaustively.

pub mod alias;
