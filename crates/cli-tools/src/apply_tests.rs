//! Apply-level crash tests.
