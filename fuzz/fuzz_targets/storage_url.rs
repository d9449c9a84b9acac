#![no_main]

use multicloud::blocking::storage::AnyStorage;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    targets::storage_url::run(data, |url| AnyStorage::from_url(url).map(|(_, l)| l))
});
