//! Reads arbitrary bytes as a template and verifies it: parsing, intrinsic
//! resolution, the network model, the matrix and the findings must return
//! an error or a report, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vaultgate_core::access::{verify, Expectations, Settings};
use vaultgate_core::Template;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(template) = Template::parse(text, "fuzz.json") else { return };
    let _ = verify(&template, "fuzz.json", &Settings::default(), &Expectations::defaults());
});
