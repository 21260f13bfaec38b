//! Fuzzes the spec loader: any bytes must give a spec or a list of positioned errors, never a
//! panic, and a loaded spec must evaluate against an empty index.
#![no_main]

use aud_core::index::MemoryIndex;
use aud_core::spec::Spec;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Spec::parse("fuzz.yaml", text) {
        Ok(spec) => {
            let index = MemoryIndex::new();
            let Ok(eval) = aud_core::engine::evaluate(&spec, &index);
            assert_eq!(eval.rules.len(), spec.rules.len());
        }
        Err(errors) => {
            assert!(!errors.errors.is_empty());
            assert!(errors.errors.iter().all(|e| e.line >= 1 && e.column >= 1));
        }
    }
});
