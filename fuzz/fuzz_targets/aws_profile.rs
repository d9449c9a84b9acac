#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::aws_profile::run(data));
