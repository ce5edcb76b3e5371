//! README.md's data dictionary is the one generated from the table contracts.

#[test]
fn readme_dictionary_matches_contracts() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let begin = "<!-- tables:begin -->\n";
    let end = "<!-- tables:end -->";
    let start = readme
        .find(begin)
        .expect("README has <!-- tables:begin -->")
        + begin.len();
    let stop = readme[start..]
        .find(end)
        .expect("README has <!-- tables:end -->")
        + start;
    let expected = patronage_tables::dictionary::markdown();
    assert!(
        readme[start..stop] == expected,
        "README.md's data dictionary is out of date; replace the block with `patronage schema` output:\n{expected}"
    );
}
