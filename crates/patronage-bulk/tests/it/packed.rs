//! `fold_input` and `fold_inputs`, the fold `patronage mirror-all` and a
//! pipeline's `[mirror_all]` step share: a `.gz` file and a `.zip` member fold
//! as the plain file of the same bytes does (accounting, totals, rejects, and
//! the SHA-256 of the unpacked bytes), and a list comes back in input order.
//! SYNTHETIC files from `synth`, with one bad row appended.

use std::io::Write;
use std::path::Path;

use patronage_bulk::mirror_all::{fold_input, fold_inputs, BulkFormat, BulkInput, Folded};
use patronage_bulk::synth;
use patronage_core::CountryRegistry;

fn input(format: BulkFormat, path: &Path) -> BulkInput {
    BulkInput {
        format,
        path: path.to_path_buf(),
    }
}

/// Two folds of the same bytes under different names agree in everything but
/// the name.
pub(crate) fn same_bytes(got: &Folded, want: &Folded, what: &str) {
    let mut a = got.account.clone();
    a.file = want.account.file.clone();
    assert_eq!(a, want.account, "{what}");
    assert_eq!(got.totals, want.totals, "{what}");
    assert_eq!(got.rejects, want.rejects, "{what}");
}

#[test]
fn gz_files_and_zip_members_fold_as_the_plain_file() {
    let dir = tempfile::tempdir().unwrap();
    let registry = CountryRegistry::comtrade();
    let mut baci = Vec::new();
    synth::write_baci(&mut baci, 2_000, 5, 2020).unwrap();
    baci.extend_from_slice(b"2020,999,4,010121,1.000,2.000\n");
    let mut bulk = Vec::new();
    synth::write_comtrade_bulk(&mut bulk, 2_000, 5, 2020).unwrap();
    for (format, bytes) in [
        (BulkFormat::Baci, &baci),
        (BulkFormat::ComtradeV1Bulk, &bulk),
    ] {
        let name = format.as_str();
        let plain = dir.path().join(format!("{name}.csv"));
        std::fs::write(&plain, bytes).unwrap();
        let want = fold_input(&input(format, &plain), registry, true).unwrap();
        assert_eq!(
            want.account.sha256.as_deref(),
            Some(patronage_tables::sha256_hex(bytes).as_str())
        );
        assert!(want.account.kept > 0);

        let gz = dir.path().join(format!("{name}.csv.gz"));
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(bytes).unwrap();
        std::fs::write(&gz, enc.finish().unwrap()).unwrap();
        let got = fold_input(&input(format, &gz), registry, true).unwrap();
        same_bytes(&got, &want, "gz");

        let zip_path = dir.path().join(format!("{name}.zip"));
        let mut w = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
        w.start_file(
            "member.csv",
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated),
        )
        .unwrap();
        w.write_all(bytes).unwrap();
        w.finish().unwrap();
        let member = zip_path.join("member.csv");
        let got = fold_input(&input(format, &member), registry, true).unwrap();
        same_bytes(&got, &want, "zip member");

        let list = fold_inputs(
            &[
                input(format, &member),
                input(format, &plain),
                input(format, &gz),
            ],
            registry,
            true,
        )
        .unwrap();
        let files: Vec<&str> = list.iter().map(|f| f.account.file.as_str()).collect();
        assert_eq!(
            files,
            [
                member.display().to_string(),
                plain.display().to_string(),
                gz.display().to_string()
            ]
        );
        for f in &list {
            same_bytes(f, &want, "in a list");
        }
    }
    // The bad BACI row is a reject in every form.
    let plain = dir.path().join("baci.csv");
    let folded = fold_input(&input(BulkFormat::Baci, &plain), registry, false).unwrap();
    assert_eq!(folded.rejects.len(), 1);
    assert_eq!(folded.rejects[0].raw, "2020,999,4,010121,1.000,2.000");
}
