//! Routing decisions: which upstream model and account serve a request, and when an upstream
//! rests. Pure: no I/O, state and time (milliseconds, monotonic) are passed in, so every
//! decision is tested exhaustively.

pub mod accounts;
pub mod alias;
pub mod breaker;
pub mod combo;
pub mod cooldown;
pub mod ratelimit;
pub mod rng;
