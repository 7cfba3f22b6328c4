//! The checks behind the fuzz targets in `fuzz/` (`cargo +nightly fuzz`,
//! libFuzzer). Each takes the fuzzer's bytes, feeds them to a parser or a
//! writer of the scheduler, and panics when something the code promises
//! does not hold. The test below replays the inputs kept in
//! `fuzz/seeds/<target>/` (realistic inputs and every crash found) with
//! `cargo test`, on the stable toolchain.
//!
//! Compiled for tests and with the `fuzzing` feature only.

mod bytes;
mod callbridge;
mod command;
mod ics;
mod meeting;
mod recurrence;

pub use callbridge::{callbridge_roundtrip, callbridge_xml};
pub use command::scheduler_command;
pub use ics::ics_writer;
pub use meeting::meeting_input;
pub use recurrence::recurrence_rule;

/// What each target runs on one input.
pub type Check = fn(&[u8]);

/// Every target, by the name of its fuzz target and seed directory.
pub const TARGETS: &[(&str, Check)] = &[
    ("callbridge_xml", callbridge_xml),
    ("callbridge_roundtrip", callbridge_roundtrip),
    ("scheduler_command", scheduler_command),
    ("recurrence_rule", recurrence_rule),
    ("meeting_input", meeting_input),
    ("ics_writer", ics_writer),
];

#[cfg(test)]
mod tests {
    use super::TARGETS;
    use std::path::Path;

    #[test]
    fn every_kept_input_passes_its_checks() {
        let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds");
        for (name, check) in TARGETS {
            let dir = seeds.join(name);
            let mut files: Vec<_> = std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .map(|e| e.unwrap().path())
                .collect();
            files.sort();
            assert!(!files.is_empty(), "no seeds in {}", dir.display());
            for file in files {
                // Names the input when its check panics.
                eprintln!("{name}: {}", file.display());
                check(&std::fs::read(&file).unwrap());
            }
        }
    }

    #[test]
    fn empty_and_tiny_inputs_pass() {
        for (_, check) in TARGETS {
            for data in [&b""[..], b"\0", b"\n", b"\xff", b"<", b"{"] {
                check(data);
            }
        }
    }
}
