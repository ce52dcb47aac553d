//! Reads arbitrary bytes as an access scenario and as a bare policy, and
//! evaluates the scenario: parsing and evaluation must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vaultgate_core::access::{Policy, PolicyKind, Scenario};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = Policy::parse_str(text, "fuzz", PolicyKind::Resource);
    let _ = Policy::parse_str(text, "fuzz", PolicyKind::Identity);
    if let Ok(scenario) = Scenario::parse_str(text, "fuzz.json") {
        let _ = scenario.evaluate();
    }
});
