//! Fuzzes the Rust extractor: any text must be extracted without a panic, a stack overflow
//! or an abort, within the memory budget (`cargo +nightly fuzz run extract_rust`).
#![no_main]

use aud_index::{Language, extract_within};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let extraction = extract_within("fuzz.rs", Language::Rust, text, 64 << 20);
    assert!(!extraction.over_budget || extraction.rows.is_empty());
});
