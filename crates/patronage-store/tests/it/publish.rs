//! Publishing: every file's parts sent before any completion, the manifest
//! completed last; unchanged files left alone; an interrupted publish leaves the
//! old objects and the old manifest byte-identical; stale objects deleted after
//! the manifest.

use patronage_store::PART;

use crate::common::{bytes, server};

fn write(dir: &std::path::Path, files: &[(&str, Vec<u8>)]) -> Vec<String> {
    for (f, b) in files {
        let p = dir.join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, b).unwrap();
    }
    files.iter().map(|(f, _)| f.to_string()).collect()
}

#[test]
fn a_second_publish_leaves_unchanged_files_alone() {
    let Some(s3) = server() else { return };
    let store = s3.store().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // SYNTHETIC: one file of two parts and 3 bytes, so the multipart split is used.
    let big = bytes(2 * PART + 3, 5);
    let names = write(
        dir.path(),
        &[
            ("mirror.parquet", big.clone()),
            ("rejects.parquet", bytes(10, 1)),
            ("manifest.json", b"{\"v\":1}".to_vec()),
        ],
    );
    let prefix = s3.url("out");
    let first = store.publish(dir.path(), &names, &prefix, &[]).unwrap();
    assert_eq!(first.uploaded, names);
    assert!(first.unchanged.is_empty());
    assert!(store.get(&prefix.join("mirror.parquet")).unwrap() == big);
    let head = store.head(&prefix.join("mirror.parquet")).unwrap().unwrap();
    assert_eq!(head.size, big.len() as u64);
    assert_eq!(
        head.sha256.as_deref(),
        Some(patronage_tables::sha256_hex(&big).as_str())
    );
    // A multipart ETag ends in -<parts>: three parts.
    assert!(head.etag.as_deref().unwrap().ends_with("-3\""), "{head:?}");

    // Only the manifest changes: it alone is uploaded; the ETags of the others stay.
    let etag_before = head.etag.clone();
    std::fs::write(dir.path().join("manifest.json"), b"{\"v\":2}").unwrap();
    let second = store.publish(dir.path(), &names, &prefix, &[]).unwrap();
    assert_eq!(second.uploaded, vec!["manifest.json"]);
    assert_eq!(second.unchanged, vec!["mirror.parquet", "rejects.parquet"]);
    assert_eq!(
        store
            .head(&prefix.join("mirror.parquet"))
            .unwrap()
            .unwrap()
            .etag,
        etag_before
    );
    assert_eq!(
        store.get(&prefix.join("manifest.json")).unwrap(),
        b"{\"v\":2}"
    );
}

#[test]
fn an_interrupted_publish_leaves_the_old_objects_and_manifest() {
    let Some(s3) = server() else { return };
    let store = s3.store().unwrap();
    let prefix = s3.url("out");
    let old = tempfile::tempdir().unwrap();
    let old_table = bytes(PART + 9, 1);
    let names = write(
        old.path(),
        &[
            ("table.parquet", old_table.clone()),
            ("gone.parquet", bytes(4, 4)),
            ("manifest.json", b"{\"run\":\"old\"}".to_vec()),
        ],
    );
    store.publish(old.path(), &names, &prefix, &[]).unwrap();

    let new = tempfile::tempdir().unwrap();
    let new_table = bytes(PART + 11, 2);
    let new_names = write(
        new.path(),
        &[
            ("table.parquet", new_table.clone()),
            ("manifest.json", b"{\"run\":\"new\"}".to_vec()),
        ],
    );
    // Every part of both files sent, nothing completed: what a process killed
    // at that point has done.
    let prepared = store
        .prepare_publish(new.path(), &new_names, &prefix)
        .unwrap();
    assert_eq!(prepared.pending(), vec!["table.parquet", "manifest.json"]);
    let same = |table: &[u8], manifest: &[u8]| {
        assert!(store.get(&prefix.join("table.parquet")).unwrap() == table);
        assert_eq!(store.get(&prefix.join("manifest.json")).unwrap(), manifest);
        assert_eq!(
            store.get(&prefix.join("gone.parquet")).unwrap(),
            bytes(4, 4)
        );
    };
    same(&old_table, b"{\"run\":\"old\"}");
    // Neither completed nor aborted, as when the process is killed here.
    std::mem::forget(prepared);
    same(&old_table, b"{\"run\":\"old\"}");
    // Prepared again and dropped: aborted, the old objects still in place.
    let prepared = store
        .prepare_publish(new.path(), &new_names, &prefix)
        .unwrap();
    drop(prepared);
    same(&old_table, b"{\"run\":\"old\"}");

    // Publishing again succeeds; the stale table goes after the manifest.
    let done = store
        .publish(
            new.path(),
            &new_names,
            &prefix,
            &["gone.parquet".to_string()],
        )
        .unwrap();
    assert_eq!(done.uploaded, new_names);
    assert_eq!(done.deleted, vec!["gone.parquet"]);
    assert!(store.get(&prefix.join("table.parquet")).unwrap() == new_table);
    assert_eq!(
        store.get(&prefix.join("manifest.json")).unwrap(),
        b"{\"run\":\"new\"}"
    );
    let keys: Vec<String> = store
        .list(&prefix)
        .unwrap()
        .into_iter()
        .map(|o| o.url.key)
        .collect();
    assert_eq!(keys, vec!["out/manifest.json", "out/table.parquet"]);
}
