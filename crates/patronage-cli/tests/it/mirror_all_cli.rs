//! `patronage synth` and `patronage mirror-all` from the command line, on small
//! SYNTHETIC files: the outputs, the printed accounting and the JSON report agree.

use crate::common::patronage;

#[test]
fn synth_then_mirror_all() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let (baci, bulk, out) = (p("synthetic_baci.csv"), p("synthetic_bulk.tsv"), p("out"));
    for (layout, file) in [("baci", &baci), ("comtrade-bulk", &bulk)] {
        let o = patronage(
            &[
                "synth", layout, "--rows", "5000", "--seed", "2", "--out", file,
            ],
            &[],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    // 5,000 data rows and a header each.
    assert_eq!(
        std::fs::read_to_string(&baci).unwrap().lines().count(),
        5_001
    );
    assert_eq!(
        std::fs::read_to_string(&bulk).unwrap().lines().count(),
        5_001
    );

    let o = patronage(
        &[
            "mirror-all",
            "--baci",
            &baci,
            "--comtrade-bulk",
            &bulk,
            "--out",
            &out,
        ],
        &[],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("5000 read = 5000 kept + 0 dropped + 0 rejected"),
        "{stdout}"
    );

    let report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("out/mirror_all_report.json")).unwrap(),
    )
    .unwrap();
    let inputs = report["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 2);
    for i in inputs {
        let dropped: u64 = i["dropped"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum();
        let n = |k: &str| i[k].as_u64().unwrap();
        assert_eq!(n("read"), 5_000);
        assert_eq!(n("kept") + dropped + n("rejected"), n("read"));
    }
    // The Comtrade file's left-out rows are counted by reason.
    assert!(
        inputs[1]["dropped"]["flow_not_import_export"]
            .as_u64()
            .unwrap()
            > 0
    );
    // The report is the run's manifest: each input's size and SHA-256 (taken as
    // the fold read it) and each output's, as a separate read of the files gives.
    for (i, file) in inputs.iter().zip([&baci, &bulk]) {
        let bytes = std::fs::read(file).unwrap();
        assert_eq!(i["bytes"].as_u64(), Some(bytes.len() as u64));
        assert_eq!(
            i["sha256"].as_str(),
            Some(patronage_tables::sha256_hex(&bytes).as_str())
        );
    }
    let outputs = report["outputs"].as_array().unwrap();
    assert_eq!(outputs.len(), 2);
    for o in outputs {
        let bytes =
            std::fs::read(dir.path().join("out").join(o["file"].as_str().unwrap())).unwrap();
        assert_eq!(
            o["sha256"].as_str(),
            Some(patronage_tables::sha256_hex(&bytes).as_str())
        );
    }
    assert_eq!(report["inputs_sha256"].as_str().unwrap().len(), 64);

    // --no-hash: the same accounting, the inputs named by path and size only.
    let out2 = p("out2");
    let o = patronage(
        &[
            "mirror-all",
            "--baci",
            &baci,
            "--out",
            &out2,
            "--no-hash",
            "-q",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r2: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("out2/mirror_all_report.json")).unwrap(),
    )
    .unwrap();
    assert!(r2["inputs"][0]["sha256"].is_null());
    assert!(r2["inputs_sha256"].is_null());
    assert_eq!(r2["inputs"][0]["read"], inputs[0]["read"]);

    // No input: an error, exit code 2.
    let o = patronage(&["mirror-all", "--out", &out], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--baci"));
}
