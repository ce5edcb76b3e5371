//! Listing a prefix and a glob: sorted by key, a glob staying within a path
//! segment, sizes and ETags as the server has them.

use crate::common::server;

#[test]
fn a_glob_lists_its_matches_sorted_with_size_and_etag() {
    let Some(s3) = server() else { return };
    let store = s3.store().unwrap();
    // SYNTHETIC objects, put out of key order.
    for (key, n) in [
        ("baci/BACI_HS92_Y2021_V202401.csv", 3),
        ("baci/BACI_HS92_Y2019_V202401.csv", 1),
        ("baci/country_codes_V202401.csv", 5),
        ("baci/old/BACI_HS92_Y2018_V202401.csv", 7),
        ("baci2/BACI_HS92_Y2020_V202401.csv", 2),
    ] {
        store.put(&s3.url(key), vec![b'x'; n]).unwrap();
    }
    let glob = store.list(&s3.url("baci/BACI_*.csv")).unwrap();
    let got: Vec<(String, u64)> = glob.iter().map(|o| (o.url.to_string(), o.size)).collect();
    assert_eq!(
        got,
        vec![
            (
                "s3://patronage-test/baci/BACI_HS92_Y2019_V202401.csv".to_string(),
                1
            ),
            (
                "s3://patronage-test/baci/BACI_HS92_Y2021_V202401.csv".to_string(),
                3
            ),
        ]
    );
    // The ETag of a single-request upload is the MD5 of its bytes:
    // MD5("x") = 9dd4e461268c8034f5c8564e155c67a6.
    assert_eq!(
        glob[0].etag.as_deref(),
        Some("\"9dd4e461268c8034f5c8564e155c67a6\"")
    );
    // A prefix is a folder: baci lists baci/ and below, never baci2/.
    let prefix = store.list(&s3.url("baci")).unwrap();
    let keys: Vec<&str> = prefix.iter().map(|o| o.url.key.as_str()).collect();
    assert_eq!(
        keys,
        vec![
            "baci/BACI_HS92_Y2019_V202401.csv",
            "baci/BACI_HS92_Y2021_V202401.csv",
            "baci/country_codes_V202401.csv",
            "baci/old/BACI_HS92_Y2018_V202401.csv",
        ]
    );
    assert!(store.list(&s3.url("nothing/*.csv")).unwrap().is_empty());
}
