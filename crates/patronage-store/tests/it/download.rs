//! Downloads and pull: the hash taken while writing equals the bytes' SHA-256,
//! and a pulled prefix is the published folder again.

use patronage_tables::sha256_hex;

use crate::common::{bytes, server};

#[test]
fn a_download_hashes_what_it_writes() {
    let Some(s3) = server() else { return };
    let store = s3.store().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // SYNTHETIC: 3 MiB + 5 bytes.
    let want = bytes((3 << 20) + 5, 7);
    let url = s3.url("in/file.bin");
    store.put(&url, want.clone()).unwrap();
    let dest = dir.path().join("file.bin");
    let got = store.download(&url, &dest).unwrap();
    assert_eq!(got.size, want.len() as u64);
    assert_eq!(got.sha256, sha256_hex(&want));
    assert!(got.etag.is_some());
    assert!(std::fs::read(&dest).unwrap() == want);
    // Only the file itself is left: the temporary name was renamed.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    // A missing object leaves no file.
    let e = store
        .download(&s3.url("in/none.bin"), &dir.path().join("none.bin"))
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("download s3://patronage-test/in/none.bin"),
        "{e}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn pull_brings_back_a_published_folder() {
    let Some(s3) = server() else { return };
    let store = s3.store().unwrap();
    let src = tempfile::tempdir().unwrap();
    let files = ["a.parquet", "parts/b/0.parquet", "manifest.json"];
    for (i, f) in files.iter().enumerate() {
        let p = src.path().join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes(100 + i, i as u8)).unwrap();
    }
    let names: Vec<String> = files.iter().map(|s| s.to_string()).collect();
    store
        .publish(src.path(), &names, &s3.url("out/run"), &[])
        .unwrap();
    let back = tempfile::tempdir().unwrap();
    let pulled = store.pull(&s3.url("out/run"), back.path()).unwrap();
    let rels: Vec<String> = pulled
        .iter()
        .map(|d| {
            d.path
                .strip_prefix(back.path())
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(
        rels,
        vec!["a.parquet", "manifest.json", "parts/b/0.parquet"]
    );
    for f in files {
        assert_eq!(
            std::fs::read(back.path().join(f)).unwrap(),
            std::fs::read(src.path().join(f)).unwrap(),
            "{f}"
        );
    }
}
