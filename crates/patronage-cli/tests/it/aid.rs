//! The aid domain end to end: the essay's 1967 request, the Koval memo's totals,
//! OCHA FTS totals on real API pages, row accounting and bad input.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use crate::common::*;
use polars::prelude::*;

fn pkg(df: &DataFrame, package: &str, category: &str) -> DataFrame {
    df.clone()
        .lazy()
        .filter(
            col("package_id")
                .eq(lit(package))
                .and(col("category").eq(lit(category))),
        )
        .collect()
        .unwrap()
}

fn bool_at(df: &DataFrame, name: &str) -> Option<bool> {
    assert_eq!(df.height(), 1, "expected one row, got {df}");
    df.column(name).unwrap().bool().unwrap().get(0)
}

/// The default run: the essay says Kim Il Sung's 1967 delegation asked for
/// 200,000 t of grain and 400,000 t of coking coal and was promised 75,000 t and
/// 200,000 t: 75/200 = 0.375 and 200/400 = 0.5. The figures are known only from
/// the essay, so the rows say they are not confirmed in a primary document.
#[test]
fn default_run_1967_request_and_koval_totals() {
    let (_tmp, out) = run_to_temp("pipelines/dprk.toml");
    let f = table(&out, "aid_fulfillment");
    let grain = pkg(&f, "su_1967_kim_visit", "grain");
    assert_eq!(str_at(&grain, "measure", 0), "t");
    assert_eq!(f64_at(&grain, "requested"), Some(200_000.0));
    assert_eq!(f64_at(&grain, "promised"), Some(75_000.0));
    assert_eq!(f64_at(&grain, "promised_over_requested"), Some(0.375));
    assert_eq!(bool_at(&grain, "confirmed"), Some(false));
    let coal = pkg(&f, "su_1967_kim_visit", "coking_coal");
    assert_eq!(f64_at(&coal, "promised_over_requested"), Some(0.5));
    assert_eq!(bool_at(&coal, "promise_exceeds_request"), Some(false));

    // Koval memo, 17 Apr 1956: obligations 403.2 and performed 184.6 million
    // rubles (at export prices) in the TOTAL row; the ledger carries the six
    // facilities the notes give plus the remainder, and they must add up.
    let koval = pkg(&f, "su_1953_equipment", "equipment");
    assert_eq!(str_at(&koval, "measure", 0), "RUB_1947");
    assert_eq!(f64_at(&koval, "promised"), Some(403_200_000.0));
    assert_eq!(f64_at(&koval, "delivered"), Some(184_600_000.0));
    let r = f64_at(&koval, "delivered_over_promised").unwrap();
    assert!((r - 184.6 / 403.2).abs() < 1e-12, "{r}");

    // 1964 cotton: asked for, quantity never stated: the row exists with nulls.
    let cotton = pkg(&f, "su_1964_cotton", "cotton");
    assert_eq!(f64_at(&cotton, "requested"), None);
    assert_eq!(str_at(&cotton, "measure", 0), "none");

    // Dollars: 41.7 million 1956 rubles at 4 rubles per dollar = $10,425,000, and
    // in 2020 dollars x 258.811 / 27.2 (CPI-U).
    let events = table(&out, "aid_events");
    let suphung = rows_where(&events, "event_id", "koval_suphung_committed");
    assert_eq!(f64_at(&suphung, "amount_usd"), Some(10_425_000.0));
    let constant = f64_at(&suphung, "amount_usd_constant").unwrap();
    assert!(
        (constant - 10_425_000.0 * 258.811 / 27.2).abs() < 0.01,
        "{constant}"
    );
    // 8 trillion old yuan of 1953 at 26,170 old yuan per dollar (2.6170 new
    // yuan x 10,000) = $305,693,542.22, near TIME's "$317 million" for the same
    // agreement.
    let yuan = rows_where(&events, "event_id", "cn1953_yuan_committed");
    assert_eq!(f64_at(&yuan, "amount_usd"), Some(305_693_542.22));
    assert_eq!(f64_at(&yuan, "fx_rate"), Some(26_170.0));

    // FTS 2000: the Russian Government's in-kind gift of sugar and canned food,
    // $10,500 paid (flow 1827) and $10,500 committed through EMERCOM (flow 15146),
    // read across two pages linked by nextLink; Russia and the DPRK (FTS location
    // 118) mapped to ISO3.
    let by_year = table(&out, "aid_by_donor_year");
    let ru = by_year
        .clone()
        .lazy()
        .filter(col("donor").eq(lit("RUS")).and(col("year").eq(lit(2000))))
        .collect()
        .unwrap();
    assert_eq!(str_at(&ru, "recipient", 0), "PRK");
    assert_eq!(f64_at(&ru, "paid_usd"), Some(10_500.0));
    assert_eq!(f64_at(&ru, "committed_usd"), Some(10_500.0));
    assert_eq!(f64_at(&ru, "pledged_usd"), None);
    // In 2020 dollars: 10,500 x 258.811 / 172.2 = 15,781.16.
    assert_eq!(f64_at(&ru, "paid_usd_constant"), Some(15_781.16));

    // Accounting balances for the aid sources too.
    let m = manifest(&out);
    let inputs = m["inputs"].as_array().unwrap();
    let aid: Vec<_> = inputs
        .iter()
        .filter(|i| i["source_id"].as_str().unwrap().starts_with("aid_"))
        .collect();
    assert_eq!(aid.len(), 4);
    for i in aid {
        assert_balanced(&i["rows"]);
    }
    assert_eq!(table(&out, "rejects").height(), 0);
}

/// The FTS sample pages (424 real 2020 flows into location 171). The expected
/// totals are computed here straight from the raw pages with serde_json, applying
/// the curation rules (drop `outgoing`; drop a parent whose children are in the
/// pull), not through the reader. Checks on the raw pages themselves: FTS's own
/// envelope gives pledgeTotal 29,621 and fundingTotal 381,508,179, the sum of
/// incoming paid and committed flows with onBoundary single.
#[test]
fn fts_totals_by_status_match_an_independent_computation() {
    let Some(dir) = shared_formats("ocha_fts") else {
        return;
    };
    let mut flows: Vec<serde_json::Value> = Vec::new();
    let mut envelope = None;
    for name in [
        "custom-search-locationid-171-year-2020.json",
        "custom-search-locationid-171-year-2020-page-2.json",
        "custom-search-locationid-171-year-2020-page-3.json",
    ] {
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join(name)).unwrap()).unwrap();
        envelope.get_or_insert(v["data"]["incoming"].clone());
        flows.extend(v["data"]["flows"].as_array().unwrap().iter().cloned());
    }
    assert_eq!(flows.len(), 424);
    let ids: HashSet<String> = flows
        .iter()
        .filter(|f| f["boundary"] != "outgoing")
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    let mut expected: BTreeMap<String, i64> = BTreeMap::new();
    let mut single_funding = 0i64;
    for f in &flows {
        if f["boundary"] == "outgoing" {
            continue;
        }
        let usd = f["amountUSD"].as_i64().unwrap();
        // FTS's own funding total: incoming paid and committed flows wholly
        // inside the boundary (onBoundary single), parents included.
        if f["boundary"] == "incoming" && f["onBoundary"] == "single" && f["status"] != "pledge" {
            single_funding += usd;
        }
        let has_listed_child = f["childFlowIds"]
            .as_array()
            .is_some_and(|c| c.iter().any(|id| ids.contains(&id.to_string())));
        if has_listed_child {
            continue;
        }
        let stage = match f["status"].as_str().unwrap() {
            "paid" => "paid",
            "commitment" => "committed",
            _ => "pledged",
        };
        *expected.entry(stage.to_string()).or_default() += usd;
    }
    let env = envelope.unwrap();
    assert_eq!(expected["pledged"], env["pledgeTotal"].as_i64().unwrap());
    assert_eq!(single_funding, env["fundingTotal"].as_i64().unwrap());

    // The pages are read where they are published, beside the checkout.
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("fts_opt_2020.toml");
    std::fs::write(
        &p,
        format!(
            "name = \"fts_opt_2020\"\nfocus = \"PSE\"\n\n\
             [[sources]]\nid = \"fts_opt_2020\"\nformat = \"ocha_fts\"\n\
             path = \"{}/custom-search-locationid-171-year-2020*.json\"\n\n\
             [aid]\nbase_year = 2020\n",
            dir.display()
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let o = run_pipeline(&p, &out, &["--allow-outside-paths"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let events = table(&out, "aid_events");
    let sums = events
        .clone()
        .lazy()
        .group_by([col("stage")])
        .agg([col("amount_usd").sum()])
        .collect()
        .unwrap();
    for (stage, total) in &expected {
        let got = f64_at(&rows_where(&sums, "stage", stage), "amount_usd").unwrap();
        assert_eq!((got * 100.0).round() as i64, total * 100, "stage {stage}");
    }
    // Multi-year flows are split to the cent: flow 162816 ($4,348,837 over
    // 2020-2022) gives $1,449,612.34, $1,449,612.33, $1,449,612.33.
    let split = rows_where(&events, "source_ref", "fts:flow:162816");
    let parts: Vec<f64> = split
        .column("amount_usd")
        .unwrap()
        .f64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    assert_eq!(parts, [1_449_612.34, 1_449_612.33, 1_449_612.33]);

    let m = manifest(&out);
    let mut read = 0;
    for i in m["inputs"].as_array().unwrap() {
        assert_balanced(&i["rows"]);
        read += i["rows"]["read"].as_u64().unwrap();
    }
    assert_eq!(read, 424);
    let dropped: u64 = m["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            i["rows"]["dropped"]["fts_parent_of_listed_children"]
                .as_u64()
                .unwrap_or(0)
        })
        .sum();
    assert_eq!(dropped, 30);
}

const LEDGER_HEADER: &str = "event_id,package_id,doc_title,doc_date,archive,doc_url,date,donor,recipient,stage,instrument,category,item,quantity,unit,amount,currency,confirmed,note\n";

fn ledger_pipeline(body: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    temp_pipeline(
        &[("l.csv", format!("{LEDGER_HEADER}{body}").as_bytes())],
        "name = \"aid\"\nfocus = \"PRK\"\n\n[[sources]]\nid = \"l\"\nformat = \"archive_ledger\"\npath = \"l.csv\"\n\n[aid]\nbase_year = 2020\n",
    )
}

/// Unknown stage and negative quantity are rejects with their reason and line; a
/// currency with no rate that year is kept without dollars and says why; a
/// promise larger than the request is kept and flagged.
#[test]
fn bad_ledger_lines() {
    let (_tmp, p, out) = ledger_pipeline(concat!(
        "a,p1,Doc,,,,1967,SUN,PRK,promised,,grain,,10,t,,,1,\n",
        "b,p1,Doc,,,,1967,SUN,PRK,pledged,,grain,,-10,t,,,1,\n",
        "c,p2,Doc,,,,1956,SUN,PRK,committed,,cash,,,,100,SUR,1,\n",
        "d,p3,Doc,,,,1960,SUN,PRK,requested,,grain,,100,t,,,1,\n",
        "e,p3,Doc,,,,1960,SUN,PRK,committed,,grain,,150,t,,,1,\n",
        "d,p4,Doc,,,,1960,SUN,PRK,requested,,grain,,1,t,,,1,\n",
    ));
    let o = run_quiet(&p, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    let rejects = table(&out, "rejects");
    let got: Vec<(String, i64)> = (0..rejects.height())
        .map(|i| {
            (
                str_at(&rejects, "reason", i),
                rejects
                    .column("source_line")
                    .unwrap()
                    .i64()
                    .unwrap()
                    .get(i)
                    .unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("unknown_stage".to_string(), 2),
            ("negative_quantity".to_string(), 3),
            ("duplicate_event_id".to_string(), 7),
        ]
    );
    let rows = manifest(&out)["inputs"][0]["rows"].clone();
    assert_balanced(&rows);
    assert_eq!(
        (rows["read"].as_u64(), rows["kept"].as_u64()),
        (Some(6), Some(3))
    );

    let events = table(&out, "aid_events");
    let c = rows_where(&events, "event_id", "c");
    assert_eq!(f64_at(&c, "amount_usd"), None);
    assert_eq!(str_at(&c, "usd_gap", 0), "no_fx_rate_for_year");

    let f = pkg(&table(&out, "aid_fulfillment"), "p3", "grain");
    assert_eq!(bool_at(&f, "promise_exceeds_request"), Some(true));
    assert_eq!(f64_at(&f, "promised_over_requested"), Some(1.5));
}

/// A page whose nextLink names no file of the source stops the run (exit 2)
/// with a message naming the page; so does a base year the price index lacks, or
/// an aid source without a base year.
#[test]
fn broken_next_link_chain_and_missing_base_year_are_errors() {
    let tmp = tempfile::tempdir().unwrap();
    // The first of the two DPRK 2000 pages, without the page its nextLink names.
    let name = "flow-prk-2000.json";
    std::fs::copy(
        root().join("fixtures/aid/ocha_fts/prk_2000").join(name),
        tmp.path().join(name),
    )
    .unwrap();
    let p = tmp.path().join("p.toml");
    std::fs::write(
        &p,
        "name = \"fts\"\nfocus = \"PSE\"\n\n[[sources]]\nid = \"f\"\nformat = \"ocha_fts\"\npath = \"*.json\"\n\n[aid]\nbase_year = 2020\n",
    )
    .unwrap();
    let o = run_quiet(&p, &tmp.path().join("out"));
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("flow-prk-2000.json:64: broken page chain") && err.contains("page=2"),
        "{err}"
    );

    std::fs::write(
        &p,
        "name = \"fts\"\nfocus = \"PSE\"\n\n[[sources]]\nid = \"f\"\nformat = \"ocha_fts\"\npath = \"*.json\"\n\n[aid]\nbase_year = 1800\n",
    )
    .unwrap();
    let o = run_quiet(&p, &tmp.path().join("out"));
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("p.toml:10: [aid] base_year = 1800"), "{err}");

    std::fs::write(
        &p,
        "name = \"fts\"\nfocus = \"PSE\"\n\n[[sources]]\nid = \"f\"\nformat = \"ocha_fts\"\npath = \"*.json\"\n",
    )
    .unwrap();
    let o = run_quiet(&p, &tmp.path().join("out"));
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("p.toml:4: aid sources are declared but `[aid] base_year` is not"),
        "{err}"
    );
}
