//! Errors name the operation and the URL, never the secret key.

use patronage_store::s3_test_server::SECRET_ACCESS_KEY;
use patronage_store::{ObjectUrl, Store, StoreOptions};

use crate::common::server;

#[test]
fn an_error_names_the_url_and_not_the_secret() {
    let Some(s3) = server() else { return };
    let store = s3.store().unwrap();
    let e = store.get(&s3.url("nowhere/x.csv")).unwrap_err().to_string();
    assert!(
        e.starts_with("get s3://patronage-test/nowhere/x.csv: "),
        "{e}"
    );
    assert!(!e.contains(SECRET_ACCESS_KEY), "{e}");
    // A bucket that does not exist: the service's own message comes through.
    let mut o = s3.options();
    o.retries = Some(0);
    let other = Store::open_with(&ObjectUrl::parse("s3://no-such-bucket/k").unwrap(), &o).unwrap();
    let e = other
        .list(&ObjectUrl::parse("s3://no-such-bucket/k").unwrap())
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("list s3://no-such-bucket/k: "), "{e}");
    assert!(!e.contains(SECRET_ACCESS_KEY), "{e}");
}

#[test]
fn a_refused_connection_is_an_error_without_the_secret() {
    // No server: port 9 on 127.0.0.1 (discard) is closed on a test machine.
    let o = StoreOptions {
        endpoint: Some("http://127.0.0.1:9".into()),
        allow_http: true,
        access_key_id: Some("AKIDEXAMPLE".into()),
        secret_access_key: Some(SECRET_ACCESS_KEY.into()),
        region: Some("us-east-1".into()),
        retries: Some(0),
    };
    let shown = format!("{o:?}");
    assert!(
        !shown.contains(SECRET_ACCESS_KEY) && !shown.contains("AKIDEXAMPLE"),
        "{shown}"
    );
    let url = ObjectUrl::parse("s3://bucket/baci/x.csv?X-Amz-Credential=AKIDEXAMPLE").unwrap();
    let store = Store::open_with(&url, &o).unwrap();
    let e = store.get(&url).unwrap_err().to_string();
    assert!(e.starts_with("get s3://bucket/baci/x.csv: "), "{e}");
    assert!(
        !e.contains(SECRET_ACCESS_KEY) && !e.contains("AKIDEXAMPLE"),
        "{e}"
    );
    // http(s) is read only.
    let http = ObjectUrl::parse("http://127.0.0.1:9/x").unwrap();
    let e = Store::open(&http)
        .unwrap()
        .put(&http, vec![1])
        .unwrap_err()
        .to_string();
    assert_eq!(e, "put http://127.0.0.1:9/x: http(s) URLs are read only");
}
