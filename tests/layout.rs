//! The walls of the source tree, checked by reading it: only `src/store/`
//! knows sled and bincode, and only the store builds or reads key bytes
//! (STYLE.md, "All sled code lives under `store/`").

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The files outside `src/store/`, as paths relative to the repository
/// with `/` separators, and their text.
fn outside_store() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut out: Vec<(String, String)> = files
        .into_iter()
        .map(|path| {
            let shown = path
                .strip_prefix(root)
                .expect("under the repository")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            let text = std::fs::read_to_string(&path).expect("reads source");
            (shown, text)
        })
        .filter(|(shown, _)| !shown.starts_with("src/store/"))
        .collect();
    out.sort();
    assert!(
        out.iter().any(|(shown, _)| shown == "src/lib.rs"),
        "the walk found the sources"
    );
    out
}

/// The lines of `text` that are not comments (a mention in a comment
/// explains a design; a use in code breaks the wall).
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line))
        .filter(|(_, line)| !line.trim_start().starts_with("//"))
}

#[test]
fn only_the_store_names_sled_or_bincode() {
    let mut found = Vec::new();
    for (file, text) in outside_store() {
        for (n, line) in code_lines(&text) {
            if line.contains("sled::") || line.contains("bincode") {
                found.push(format!("{file}:{n}: {}", line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "sled or bincode outside src/store/:\n{}",
        found.join("\n")
    );
}

#[test]
fn only_the_store_builds_or_reads_key_bytes() {
    let mut found = Vec::new();
    for (file, text) in outside_store() {
        for (n, line) in code_lines(&text) {
            if [
                "store::keys",
                "store::blocks",
                "keys::",
                "blocks::",
                "split_index_key",
            ]
            .iter()
            .any(|helper| line.contains(helper))
            {
                found.push(format!("{file}:{n}: {}", line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "key bytes outside src/store/:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_store_is_private() {
    let (_, lib) = outside_store()
        .into_iter()
        .find(|(file, _)| file == "src/lib.rs")
        .expect("src/lib.rs");
    assert!(
        code_lines(&lib).any(|(_, line)| line.trim() == "mod store;"),
        "src/lib.rs declares `mod store;`"
    );
    assert!(
        !lib.contains("pub fn store("),
        "Database hands out no store"
    );
}
