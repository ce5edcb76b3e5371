//! Helpers for the conformance tests against the agencies' real sample files in
//! `../shared/formats/` beside the checkout.

use std::path::{Path, PathBuf};

use patronage_normalize::comtrade_v1::SourceContext;
use patronage_normalize::MonthlyFigures;

/// The samples folder `sub` of `../shared/formats/`, or None (said on stderr)
/// when it is absent; under CI (`CI=true`) its absence is a failure.
pub fn samples(sub: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/formats")
        .join(sub);
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI must provide {}",
        dir.display()
    );
    eprintln!("skipped: {} is not here", dir.display());
    None
}

/// The provenance the samples are normalized with: monthly rows cover their month.
pub fn ctx() -> SourceContext {
    SourceContext {
        source_id: "sample".into(),
        source_file: "sample".into(),
        monthly: MonthlyFigures::Month,
    }
}
