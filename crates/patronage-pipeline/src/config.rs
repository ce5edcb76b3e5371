//! The pipeline file: TOML, every key known (an unknown key is an error naming its
//! line), paths relative to the file itself.
//!
//! ```toml
//! name = "dprk"                 # output folder out/<name>/
//! focus = "PRK"                 # whose trade is rebuilt (ISO3)
//! patrons = ["SUN", "RUS", "CHN"]
//! commodity = "TOTAL"           # optional; commodity code the mirror tables use
//! output = "out/dprk"           # optional; default out/<name> under the working directory
//! root = ".."                   # optional; the folder paths must stay in (see `paths`)
//! allow_outside_paths = false   # optional; true lifts that limit
//!
//! [[sources]]                   # in priority order: the first wins where two overlap
//! id = "ru_reported"
//! format = "comtrade_v1_csv"    # or comtrade_v1_json, comtrade_v1_bulk
//! path = "../fixtures/comtrade/*.csv"   # a file or a glob
//! monthly = "year_to_date"      # optional; monthly rows are January-to-month totals
//!
//! [[windows]]
//! id = "seed_2017_jan_feb"
//! partner = "RUS"
//! current = { from = "2017-01", to = "2017-02" }
//! baseline = { from = "2016-01", to = "2016-02" }
//!
//! [[checks]]                    # data checks on the built tables (see `checks`)
//! name = "trade_value_not_negative"
//! kind = "range"
//! table = "trade_flows"
//! column = "value_usd"
//! min = 0
//! ```

use std::path::{Path, PathBuf};

use patronage_aggregate::WindowSpec;
use patronage_core::tables::{self, TableSpec};
use patronage_core::{CountryRegistry, YearMonth};
use patronage_extract::comtrade_v1::Layout;
use patronage_normalize::MonthlyFigures;
use serde::Deserialize;
use toml::Spanned;

use crate::PipelineError;

/// What a source feeds: each domain has one canonical table that all its
/// formats normalize into, and its own analysis tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    /// Trade flows (`trade_flows`).
    Trade,
}

impl Domain {
    /// The canonical table the domain's sources normalize into.
    pub fn canonical_table(self) -> &'static TableSpec {
        match self {
            Domain::Trade => &tables::TRADE_FLOWS,
        }
    }
}

/// Source formats the runner can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// UN Comtrade v1, `comtradeapicall` CSV.
    ComtradeV1Csv,
    /// UN Comtrade v1, API JSON.
    ComtradeV1Json,
    /// UN Comtrade v1, bulk final TSV.
    ComtradeV1Bulk,
}

impl Format {
    /// Every format, with the name used in pipeline files.
    pub const ALL: [(Format, &'static str); 3] = [
        (Format::ComtradeV1Csv, "comtrade_v1_csv"),
        (Format::ComtradeV1Json, "comtrade_v1_json"),
        (Format::ComtradeV1Bulk, "comtrade_v1_bulk"),
    ];

    /// The name used in pipeline files and the manifest.
    pub fn as_str(self) -> &'static str {
        Format::ALL
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("", |(_, n)| n)
    }

    /// The domain the format's rows belong to.
    pub fn domain(self) -> Domain {
        match self {
            Format::ComtradeV1Csv | Format::ComtradeV1Json | Format::ComtradeV1Bulk => {
                Domain::Trade
            }
        }
    }

    /// The Comtrade layout the format is read with.
    pub fn comtrade_layout(self) -> Layout {
        match self {
            Format::ComtradeV1Csv => Layout::ApiCsv,
            Format::ComtradeV1Json => Layout::ApiJson,
            Format::ComtradeV1Bulk => Layout::BulkTsv,
        }
    }
}

/// A validated source declaration.
#[derive(Debug, Clone)]
pub struct Source {
    /// Source id, unique in the pipeline.
    pub id: String,
    /// File format.
    pub format: Format,
    /// The path or glob as written.
    pub pattern: String,
    /// How monthly rows are read.
    pub monthly: MonthlyFigures,
    /// Files matched, sorted.
    pub files: Vec<PathBuf>,
}

/// A validated pipeline.
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// The pipeline file.
    pub path: PathBuf,
    /// Its folder; relative paths start here.
    pub dir: PathBuf,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// Pipeline name; names the output folder.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Focus country, ISO3.
    pub focus: String,
    /// Patrons, ISO3.
    pub patrons: Vec<String>,
    /// Commodity code the mirror tables use.
    pub commodity: String,
    /// Output folder, if the file sets one (relative to the pipeline file).
    pub output: Option<PathBuf>,
    /// Sources in priority order.
    pub sources: Vec<Source>,
    /// Windows to compute.
    pub windows: Vec<WindowSpec>,
    /// Data checks on the built tables (`[[checks]]`).
    pub checks: Vec<crate::checks::CheckSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPipeline {
    name: Spanned<String>,
    description: Option<String>,
    focus: Spanned<String>,
    #[serde(default)]
    patrons: Vec<Spanned<String>>,
    commodity: Option<String>,
    output: Option<Spanned<String>>,
    sources: Spanned<Vec<RawSource>>,
    #[serde(default)]
    windows: Vec<RawWindow>,
    #[serde(default)]
    checks: Vec<crate::checks::RawCheck>,
    /// The folder paths must stay in (see `paths`).
    root: Option<Spanned<String>>,
    /// Lifts the limit on paths.
    allow_outside_paths: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    id: Spanned<String>,
    format: Spanned<String>,
    path: Spanned<String>,
    monthly: Option<Spanned<String>>,
    /// Free text for readers of the file; not used by the run.
    #[serde(rename = "description")]
    _description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    id: Spanned<String>,
    partner: Spanned<String>,
    current: RawRange,
    baseline: RawRange,
    /// Free text for readers of the file; not used by the run.
    #[serde(rename = "description")]
    _description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRange {
    from: Spanned<String>,
    to: Spanned<String>,
}

impl Pipeline {
    /// Read and validate a pipeline file, resolving its sources' files.
    pub fn load(path: &Path) -> Result<Pipeline, PipelineError> {
        let text = std::fs::read_to_string(path).map_err(|source| PipelineError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let raw: RawPipeline = toml::from_str(&text).map_err(|e| PipelineError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let invalid = |span: std::ops::Range<usize>, message: String| PipelineError::Invalid {
            path: path.to_path_buf(),
            line: 1 + text[..span.start.min(text.len())].matches('\n').count(),
            message,
        };
        let registry = CountryRegistry::comtrade();
        let country = |s: &Spanned<String>, what: &str| -> Result<String, PipelineError> {
            let v = s.get_ref();
            if v.len() == 3 && v.bytes().all(|b| b.is_ascii_uppercase()) && registry.knows_iso3(v) {
                Ok(v.clone())
            } else {
                Err(invalid(
                    s.span(),
                    format!(
                        "{what} `{v}` is not an ISO 3166 alpha-3 code the country registry knows"
                    ),
                ))
            }
        };
        let slug = |s: &Spanned<String>, what: &str| -> Result<String, PipelineError> {
            let v = s.get_ref();
            if !v.is_empty()
                && v.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
            {
                Ok(v.clone())
            } else {
                Err(invalid(
                    s.span(),
                    format!("{what} `{v}` must be lower-case letters, digits, `_` or `-`"),
                ))
            }
        };

        let name = slug(&raw.name, "name")?;
        let focus = country(&raw.focus, "focus")?;
        let patrons = raw
            .patrons
            .iter()
            .map(|p| country(p, "patron"))
            .collect::<Result<Vec<_>, _>>()?;
        if raw.sources.get_ref().is_empty() {
            return Err(invalid(
                raw.sources.span(),
                "`sources` is empty: a pipeline needs at least one".to_string(),
            ));
        }
        let policy = crate::paths::PathPolicy::new(
            &dir,
            raw.root.as_ref().map(|r| r.get_ref().as_str()),
            raw.allow_outside_paths.unwrap_or(false),
        )
        .map_err(|m| invalid(raw.root.as_ref().map_or(0..0, Spanned::span), m))?;
        let mut sources: Vec<Source> = Vec::new();
        for s in raw.sources.into_inner() {
            let id = slug(&s.id, "source id")?;
            if sources.iter().any(|o| o.id == id) {
                return Err(invalid(
                    s.id.span(),
                    format!("source id `{id}` is declared twice"),
                ));
            }
            let format = Format::ALL
                .iter()
                .find(|(_, n)| n == s.format.get_ref())
                .map(|(f, _)| *f)
                .ok_or_else(|| {
                    let known: Vec<&str> = Format::ALL.iter().map(|(_, n)| *n).collect();
                    invalid(
                        s.format.span(),
                        format!(
                            "unknown format `{}`; known: {}",
                            s.format.get_ref(),
                            known.join(", ")
                        ),
                    )
                })?;
            let monthly = match s.monthly.as_ref().map(|m| m.get_ref().as_str()) {
                None | Some("month") => MonthlyFigures::Month,
                Some("year_to_date") => MonthlyFigures::YearToDate,
                Some(other) => {
                    let span = s.monthly.as_ref().map_or(0..0, Spanned::span);
                    return Err(invalid(
                        span,
                        format!("monthly = `{other}`: expected `month` or `year_to_date`"),
                    ));
                }
            };
            let pattern = s.path.get_ref().clone();
            let files = resolve(&dir, &pattern)
                .map_err(|m| invalid(s.path.span(), format!("source `{id}`: {m}")))?;
            for f in &files {
                policy
                    .check_file(f)
                    .map_err(|m| invalid(s.path.span(), format!("source `{id}`: {m}")))?;
            }
            sources.push(Source {
                id,
                format,
                pattern,
                monthly,
                files,
            });
        }
        let mut windows: Vec<WindowSpec> = Vec::new();
        for w in raw.windows {
            let id = slug(&w.id, "window id")?;
            let partner = country(&w.partner, "window partner")?;
            if windows.iter().any(|o| o.id == id && o.partner == partner) {
                return Err(invalid(
                    w.id.span(),
                    format!("window `{id}` for {partner} is declared twice"),
                ));
            }
            let range = |r: &RawRange| -> Result<(YearMonth, YearMonth), PipelineError> {
                let from: YearMonth = r
                    .from
                    .get_ref()
                    .parse()
                    .map_err(|m| invalid(r.from.span(), m))?;
                let to: YearMonth =
                    r.to.get_ref()
                        .parse()
                        .map_err(|m| invalid(r.to.span(), m))?;
                if to < from {
                    return Err(invalid(
                        r.to.span(),
                        format!("period ends ({to}) before it starts ({from})"),
                    ));
                }
                Ok((from, to))
            };
            windows.push(WindowSpec {
                id,
                partner,
                current: range(&w.current)?,
                baseline: range(&w.baseline)?,
            });
        }
        let checks = crate::checks::validate(raw.checks, &invalid)?;
        let output = match raw.output {
            None => None,
            Some(o) => {
                let out = dir.join(o.get_ref());
                policy
                    .check_output(&out)
                    .map_err(|m| invalid(o.span(), format!("output: {m}")))?;
                Some(out)
            }
        };
        Ok(Pipeline {
            path: path.to_path_buf(),
            dir: dir.clone(),
            sha256: crate::sha256_hex(text.as_bytes()),
            name,
            description: raw.description,
            focus,
            patrons,
            commodity: raw.commodity.unwrap_or_else(|| "TOTAL".to_string()),
            output,
            sources,
            windows,
            checks,
        })
    }

    /// A file's path relative to the pipeline folder, with `/`, for tables and the
    /// manifest (so they do not depend on where the checkout lives).
    pub fn relative(&self, file: &Path) -> String {
        let rel = file.strip_prefix(&self.dir).unwrap_or(file);
        rel.components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// Files matching a path or glob relative to `dir`, sorted; none is an error.
fn resolve(dir: &Path, pattern: &str) -> Result<Vec<PathBuf>, String> {
    let full = dir.join(pattern);
    let full = full
        .to_str()
        .ok_or_else(|| format!("path `{pattern}` is not UTF-8"))?;
    let mut files: Vec<PathBuf> = glob::glob(full)
        .map_err(|e| format!("`{pattern}` is not a valid glob: {e}"))?
        .filter_map(Result::ok)
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!(
            "`{pattern}` matches no file (looked in {})",
            dir.display()
        ));
    }
    Ok(files)
}
