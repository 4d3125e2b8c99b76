//! Helpers shared by the tests that kill and damage databases
//! (`crash.rs`, `faults.rs`).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Copies a database directory (sled's files are plain files).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("lists").flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copies");
        }
    }
}

/// Runs a command and kills it (SIGKILL) after `delay`, if it is still
/// running then.
pub fn kill_after(cmd: &mut Command, delay: Duration) {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawns");
    std::thread::sleep(delay);
    let _ = child.kill();
    let _ = child.wait();
}
