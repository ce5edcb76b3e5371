//! A CEPII BACI release: the zip `BACI_<hs>_V<version>.zip` from CEPII's
//! downloads folder, stored as published (the pipeline reads its members
//! streaming, its `country_codes_V<version>.csv` as the release's code list). A
//! body that is not a zip archive (an HTML error page served with 200) is an
//! error, never a cached release.

use std::collections::BTreeMap;

use crate::fetcher::{Check, Fetched, Fetcher, Request};
use crate::query::BaciRelease;
use crate::FetchError;

/// The HS revisions CEPII publishes BACI in.
const REVISIONS: &[&str] = &["HS92", "HS96", "HS02", "HS07", "HS12", "HS17", "HS22"];

/// Fetch the release zip of `r` from the folder `base`.
pub fn fetch(f: &mut Fetcher, r: &BaciRelease, base: &str) -> Result<Vec<Fetched>, FetchError> {
    let hs = r.hs.to_ascii_uppercase();
    if !REVISIONS.contains(&hs.as_str()) {
        return Err(FetchError::Request(format!(
            "BACI hs `{}`: expected one of {}",
            r.hs,
            REVISIONS.join(", ")
        )));
    }
    let v = r.version.to_ascii_uppercase();
    let digits = v.strip_prefix('V').unwrap_or(&v);
    if digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FetchError::Request(format!(
            "BACI version `{}`: expected V and six digits (V202401)",
            r.version
        )));
    }
    let name = format!("BACI_{hs}_V{digits}.zip");
    let mut params = BTreeMap::new();
    params.insert("hs".to_string(), hs);
    params.insert("version".to_string(), format!("V{digits}"));
    let req = Request {
        url: format!("{}/{name}", base.trim_end_matches('/')),
        source: "baci".to_string(),
        params,
        name,
        published: None,
        keyed: false,
    };
    let got = f.get(&req, |body| {
        if body.starts_with(b"PK\x03\x04") {
            Ok(Check::Keep)
        } else {
            Err("the answer is not a zip archive".to_string())
        }
    })?;
    Ok(got.into_iter().collect())
}
