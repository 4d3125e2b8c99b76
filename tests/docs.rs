//! The README says what the code does: its library example is the crate's
//! doctest, line for line.

#[test]
fn the_readme_library_example_is_the_crate_doctest() {
    let lib = std::fs::read_to_string("src/lib.rs").expect("src/lib.rs");
    let doctest: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("//!"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .skip_while(|l| *l != "```")
        .skip(1)
        .take_while(|l| *l != "```")
        .filter(|l| !l.starts_with('#'))
        .collect();
    let readme = std::fs::read_to_string("README.md").expect("README.md");
    let section = readme
        .split("## The library")
        .nth(1)
        .expect("a library section");
    let example: Vec<&str> = section
        .lines()
        .skip_while(|l| *l != "```rust")
        .skip(1)
        .take_while(|l| *l != "```")
        .collect();
    assert!(!doctest.is_empty());
    assert_eq!(example, doctest);
}
