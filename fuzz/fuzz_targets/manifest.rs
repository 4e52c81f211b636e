//! `podsec check`'s input path: manifest decoding (fast YAML path, full YAML, JSON) on
//! arbitrary text. Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = podsec_manifest::decode(text);
});
