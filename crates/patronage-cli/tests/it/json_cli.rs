//! `--json` on `verify`, `claims`, `plan` and `mirror-all`: each prints JSON a
//! scheduler can read, and a failure (a missing folder, a bad pipeline file, a
//! mistyped option) is exactly one JSON object on stdout with the exit code and
//! its meaning, the same object for every command.

use serde_json::Value;

use crate::common::*;

/// stdout as exactly one JSON object on one line.
fn one_object(o: &std::process::Output) -> Value {
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(stdout.lines().count(), 1, "one line expected:\n{stdout}");
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// The error object: exit 2, its meaning, and the message.
fn assert_error(o: &std::process::Output, says: &str) {
    assert_eq!(o.status.code(), Some(2));
    let v = one_object(o);
    assert_eq!(v["exit_code"], 2, "{v}");
    assert_eq!(v["exit"], "error", "{v}");
    let message = v["error"].as_str().unwrap();
    assert!(message.contains(says), "{message}");
    assert_eq!(v.as_object().unwrap().len(), 3, "{v}");
}

#[test]
fn verify_json_names_a_changed_file_with_both_hashes() {
    let (_tmp, out) = run_to_temp("pipelines/dprk.toml");
    let dir = out.to_str().unwrap();
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let listed = manifest["outputs"].as_array().unwrap().len();

    let o = patronage(&["verify", "--out", dir, "--json"], &[]);
    assert_eq!(o.status.code(), Some(0));
    let v = one_object(&o);
    assert_eq!(v["ok"], true);
    assert_eq!(v["listed"], listed);
    assert_eq!(v["drift"], serde_json::json!([]));

    // One byte of trade_windows.parquet's data changed (not its length).
    let path = out.join("trade_windows.parquet");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[100] ^= 0x01;
    std::fs::write(&path, bytes).unwrap();
    let expected = manifest["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["file"] == "trade_windows.parquet")
        .unwrap()["sha256"]
        .clone();

    let o = patronage(&["verify", "--out", dir, "--json"], &[]);
    assert_eq!(o.status.code(), Some(2));
    let v = one_object(&o);
    assert_eq!(v["ok"], false);
    let drift = v["drift"].as_array().unwrap();
    assert_eq!(drift.len(), 1, "{v}");
    assert_eq!(drift[0]["file"], "trade_windows.parquet");
    assert_eq!(drift[0]["kind"], "changed");
    assert_eq!(drift[0]["expected"], expected);
    assert_ne!(drift[0]["actual"], expected);
}

#[test]
fn claims_json_agrees_with_the_claims_table() {
    let (tmp, out) = run_to_temp("pipelines/dprk.toml");
    let o = patronage(&["claims", "--out", out.to_str().unwrap(), "--json"], &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = one_object(&o);
    let claims = v["claims"].as_array().unwrap();
    let t = table(&out, "claims");
    assert_eq!(claims.len(), t.height());
    let ids = t.column("claim_id").unwrap().str().unwrap();
    let statuses = t.column("status").unwrap().str().unwrap();
    for (i, c) in claims.iter().enumerate() {
        assert_eq!(c["claim_id"].as_str(), ids.get(i));
        assert_eq!(c["status"].as_str(), statuses.get(i));
    }
    let count = |s: &str| statuses.iter().filter(|x| *x == Some(s)).count();
    assert_eq!(v["reproduced"], count("reproduced"));
    assert_eq!(v["deviates"], count("deviates"));
    assert_eq!(v["not_computable"], count("not_computable"));
    assert_eq!(
        v["reproduced"].as_u64().unwrap()
            + v["deviates"].as_u64().unwrap()
            + v["not_computable"].as_u64().unwrap(),
        claims.len() as u64
    );
    // The essay's "up 73%": the fixtures give 71.70% (README, Windows), so the
    // deviation is 71.6979 - 73 = -1.302.
    let up73 = claims
        .iter()
        .find(|c| c["claim_id"] == "ru_prk_trade_jan_feb_2017_up_73pct")
        .unwrap();
    assert!(
        (up73["computed"].as_f64().unwrap() - 71.6979).abs() < 1e-3,
        "{up73}"
    );
    assert!(
        (up73["deviation"].as_f64().unwrap() + 1.3021).abs() < 1e-3,
        "{up73}"
    );
    drop(tmp);
}

#[test]
fn a_failure_under_json_is_one_error_object() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nothing-here");
    let missing = missing.to_str().unwrap();

    let o = patronage(&["verify", "--out", missing, "--json"], &[]);
    assert_error(&o, "nothing-here/manifest.json");

    let bad = tmp.path().join("bad.toml");
    std::fs::write(&bad, "name = \"x\"\nfocus = \"PRK\"\nsorces = []\n").unwrap();
    let bad = bad.to_str().unwrap();
    for command in ["plan", "claims"] {
        let o = patronage(&[command, bad, "--json"], &[]);
        assert_error(&o, "bad.toml");
        // The message names the line of the unknown key.
        let v = one_object(&o);
        assert!(
            v["error"].as_str().unwrap().contains("line 3, column 1"),
            "{v}"
        );
    }

    let o = patronage(&["mirror-all", "--out", missing, "--json"], &[]);
    assert_error(&o, "give at least one --baci or --comtrade-bulk file");

    // A usage error: clap's message, the same object.
    let o = patronage(&["verify", "--json", "--jsn"], &[]);
    assert_error(&o, "unexpected argument '--jsn'");

    // Without --json stdout stays empty: the message is on stderr only.
    let o = patronage(&["verify", "--out", missing], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
}

#[test]
fn mirror_all_json_is_the_report_it_writes() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let (baci, out) = (p("synthetic_baci.csv"), p("out"));
    let o = patronage(
        &[
            "synth", "baci", "--rows", "2000", "--seed", "3", "--out", &baci,
        ],
        &[],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = patronage(
        &["mirror-all", "--baci", &baci, "--out", &out, "--json"],
        &[],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut printed = one_object(&o);
    assert_eq!(printed["output_dir"], out.as_str());
    printed.as_object_mut().unwrap().remove("output_dir");
    let written: Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("out/mirror_all_report.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(printed, written);
    assert_eq!(printed["inputs"][0]["read"], 2000);
}
