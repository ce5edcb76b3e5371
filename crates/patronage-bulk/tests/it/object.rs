//! Inputs on object storage (a local S3 server, moto on 127.0.0.1): a
//! SYNTHETIC BACI file folded from `s3://` gives the same account, totals,
//! rejects and SHA-256 as the local file, plain, as a `.gz` object and as a
//! `.zip` object's member; `fold_input` given the URL (in a child process that
//! has the server's environment) names the URL in its account.

use std::io::Write;
use std::path::{Path, PathBuf};

use patronage_bulk::mirror_all::{fold_input, fold_read, BulkFormat, BulkInput};
use patronage_bulk::{object_input, synth};
use patronage_core::CountryRegistry;
use patronage_store::s3_test_server::S3TestServer;

use crate::packed::same_bytes;

fn baci(path: impl Into<PathBuf>) -> BulkInput {
    BulkInput {
        format: BulkFormat::Baci,
        path: path.into(),
    }
}

/// SYNTHETIC BACI: 300,000 rows (about 9 MB, so the reads cross an 8 MiB
/// block) and one row whose exporter is not a country code, rejected.
fn synthetic_baci() -> Vec<u8> {
    let mut bytes = Vec::new();
    synth::write_baci(&mut bytes, 300_000, 21, 2020).unwrap();
    bytes.extend_from_slice(b"2020,999,4,010121,1.000,2.000\n");
    bytes
}

#[test]
fn a_file_folded_from_s3_matches_the_local_fold() {
    let Some(s3) = S3TestServer::start_or_skip(Path::new(env!("CARGO_TARGET_TMPDIR")), "bulk")
    else {
        return;
    };
    let store = s3.store().unwrap();
    let registry = CountryRegistry::comtrade();
    let bytes = synthetic_baci();
    assert!(bytes.len() as u64 > patronage_store::BLOCK);
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("BACI_HS92_Y2020_V202401.csv");
    std::fs::write(&local, &bytes).unwrap();
    let want = fold_input(&baci(&local), registry, true).unwrap();
    assert_eq!(
        want.account.sha256.as_deref(),
        Some(patronage_tables::sha256_hex(&bytes).as_str())
    );
    assert_eq!((want.account.read, want.account.rejected), (300_001, 1));

    // Plain object.
    let url = s3.url("baci/BACI_HS92_Y2020_V202401.csv");
    store.put(&url, bytes.clone()).unwrap();
    let reader = object_input::open_in(&store, &url).unwrap();
    let got = fold_read(&baci(url.to_string()), reader, registry, true).unwrap();
    same_bytes(&got, &want, "plain object");
    assert_eq!(
        got.account.file,
        "s3://bulk/baci/BACI_HS92_Y2020_V202401.csv"
    );
    let size = object_input::object_bytes_in(&store, Path::new(&url.to_string())).unwrap();
    assert_eq!(size, Some(bytes.len() as u64));

    // A .gz object, inflated over the ranged reads.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&bytes).unwrap();
    let gz_url = s3.url("baci/BACI_HS92_Y2020_V202401.csv.gz");
    store.put(&gz_url, gz.finish().unwrap()).unwrap();
    let reader = object_input::open_in(&store, &gz_url).unwrap();
    same_bytes(
        &fold_read(&baci(gz_url.to_string()), reader, registry, true).unwrap(),
        &want,
        "gz object",
    );

    // A .zip object's member, found through the reader's seeks.
    let mut zip_bytes = std::io::Cursor::new(Vec::new());
    let mut w = zip::ZipWriter::new(&mut zip_bytes);
    w.start_file(
        "country_codes_V202401.csv",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    w.write_all(b"country_code,country_name\n4,Afghanistan\n")
        .unwrap();
    w.start_file(
        "BACI_HS92_Y2020_V202401.csv",
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated),
    )
    .unwrap();
    w.write_all(&bytes).unwrap();
    w.finish().unwrap();
    let zip_url = s3.url("cepii/BACI_HS92_V202401.zip");
    let zip_len = zip_bytes.get_ref().len() as u64;
    store.put(&zip_url, zip_bytes.into_inner()).unwrap();
    let member = zip_url.join("BACI_HS92_Y2020_V202401.csv");
    let reader = object_input::open_in(&store, &member).unwrap();
    same_bytes(
        &fold_read(&baci(member.to_string()), reader, registry, true).unwrap(),
        &want,
        "zip member",
    );
    let size = object_input::object_bytes_in(&store, Path::new(&member.to_string())).unwrap();
    assert_eq!(size, Some(zip_len));
    let e = match object_input::open_in(&store, &zip_url.join("missing.csv")) {
        Ok(_) => panic!("a missing member opened"),
        Err(e) => e.to_string(),
    };
    assert!(
        e.contains("s3://bulk/cepii/BACI_HS92_V202401.zip") && e.contains("no such member"),
        "{e}"
    );

    // fold_input itself, given the URL: in a child process that has the
    // server's variables (the store is opened from the environment).
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "object::fold_input_of_a_url",
            "--ignored",
            "--nocapture",
        ])
        .envs(s3.env())
        .env("PATRONAGE_TEST_FOLD_URL", url.to_string())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = said
        .lines()
        .find_map(|l| l.strip_prefix("ACCOUNT "))
        .expect("the child printed its account");
    let mut want_account = want.account.clone();
    want_account.file = url.to_string();
    assert_eq!(line, serde_json::to_string(&want_account).unwrap());
}

/// Run only as the child of the test above, which sets the URL.
#[test]
#[ignore = "run by a_file_folded_from_s3_matches_the_local_fold with the server's environment"]
fn fold_input_of_a_url() {
    let url = std::env::var("PATRONAGE_TEST_FOLD_URL").expect("PATRONAGE_TEST_FOLD_URL");
    let folded = fold_input(&baci(&url), CountryRegistry::comtrade(), true).unwrap();
    println!(
        "ACCOUNT {}",
        serde_json::to_string(&folded.account).unwrap()
    );
}
