//! Local fakes of the outside services NEXOS talks to, served over real HTTP
//! on loopback, with faults scripted by tests.

pub mod pax8;
pub mod qbo;
