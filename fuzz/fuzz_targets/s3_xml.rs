#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::s3_xml::run(data));
