//! The pipeline file: TOML, every key known (an unknown key is an error naming its
//! line), paths relative to the file itself.
//!
//! ```toml
//! name = "dprk"                 # output folder out/<name>/
//! focus = "PRK"                 # whose trade is rebuilt (ISO3)
//! patrons = ["SUN", "RUS", "CHN"]
//! commodity = "TOTAL"           # optional; commodity code the mirror tables use
//! output = "out/dprk"           # optional; default out/<name> under the working directory;
//!                               # or an object-storage URL (s3://bucket/prefix)
//! root = ".."                   # optional; the folder of the project paths must stay in
//!                               # (see `paths`; only the operator lifts the limit)
//! partition_by = ["year"]       # optional; trade_flows as Hive partitions
//!                               # (trade_flows/year=2019/part-0.parquet)
//!
//! [mirror_all]                  # optional; fold BACI / Comtrade bulk sources into
//! sources = ["baci"]            # mirror_all, as `patronage mirror-all` (see `mirror_all`)
//!
//! [[sources]]                   # in priority order: the first wins where two overlap
//! id = "ru_reported"
//! format = "comtrade_v1_csv"    # or comtrade_v1_json, comtrade_v1_bulk, comtrade_legacy,
//!                               # baci, russia_customs, china_customs
//! path = "../fixtures/comtrade/*.csv"   # a file or a glob
//! monthly = "year_to_date"      # optional; monthly rows are January-to-month totals
//!
//! [aid]                         # needed when an aid source is declared
//! base_year = 2020              # constant US dollars of this year (US CPI-U)
//! [[sources]]                   # a labor statistics sheet (.xlsx, or the sheet saved as CSV)
//! id = "ru_form_2t"
//! format = "labor_sheet_xlsx"   # or labor_sheet_csv; labor_ledger_csv, events_csv need no `sheet`
//! path = "../fixtures/labor/ru_labor_sheets.xlsx"
//! sheet = { name = "2-T", layout = "form_2t", header_row = 3, header_rows = 2, year = 2018, host = "RUS" }
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
//!
//! [[claims]]                    # published statements checked against the tables (see `claims`)
//! id = "ru_prk_trade_jan_feb_2017"
//! text = "Trade ... increased by 73-percent during the first two months of 2017"
//! source = "H. Kim, Wilson Center, 2017"
//! table = "trade_windows"
//! where = { window_id = "seed_2017_jan_feb" }
//! column = "total_change_pct"
//! expected = 73
//! unit = "percent"
//! tolerance = 2
//! ```

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use patronage_aggregate::{ConversionSpec, GroupSpec, WindowSpec};
use patronage_core::{CountryRegistry, YearMonth};
use patronage_normalize::MonthlyFigures;
use serde::Deserialize;
use toml::Spanned;

use super::archives::{into_archive, open_archives, parse_years};
use super::downloads::{cache_and_lock, resolve, Resolved};
use super::format::{Domain, FormatSpec, OptionsInput};
use super::groups::{commodity_groups, conversion_spec, selected_goods_sources, RawGroup};
use super::matches::{matching_files, Matched, ReadBy};
use super::mirror_all::{mirror_all_step, MirrorAllStep, RawMirrorAll};
use super::objects;
use super::paths::{PathPolicy, LIFT};
use super::quality::{RawCheck, RawClaim};
use super::sheet::RawSheet;
use super::source::Source;
use crate::PipelineError;

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
    /// Columns `trade_flows` is split by into Hive partitions (`["year"]`), or
    /// none: one file.
    pub partition_by: Vec<String>,
    /// Output folder, if the file sets one (relative to the pipeline file).
    pub output: Option<PathBuf>,
    /// The file's `output` when it is an object-storage URL (`s3://…`): the
    /// command line stages it in a local folder and publishes it; `output` is
    /// then none.
    pub output_url: Option<String>,
    /// Where streamed trade sources write their kept rows as they read them
    /// (`<state>/sources`, a folder per source), instead of holding them: set by
    /// the run when `trade_flows` is written in partitions; never read from the
    /// pipeline file.
    pub spill: Option<PathBuf>,
    /// Sources in priority order.
    pub sources: Vec<Source>,
    /// The `[mirror_all]` step, when declared.
    pub mirror_all: Option<MirrorAllStep>,
    /// Windows to compute.
    pub windows: Vec<WindowSpec>,
    /// Base year of constant US dollars in the aid tables (`[aid] base_year`).
    pub aid_base_year: i32,
    /// Factor by which CIF values (partners' imports) are divided to compare them
    /// with FOB values in `source_comparison`; `None` = no adjustment.
    pub cif_fob_factor: Option<f64>,
    /// Data checks on the built tables (`[[checks]]`), as written.
    pub checks: Vec<RawCheck>,
    /// Published statements to check against the built tables (`[[claims]]`), as
    /// written.
    pub claims: Vec<RawClaim>,
    /// The HS revision 6-digit codes are moved to, and the split rule
    /// (`classification_target`, `classification_split`; see `groups`).
    pub conversion: Option<ConversionSpec>,
    /// Named groups of HS codes (`[[commodity_groups]]`).
    pub commodity_groups: Vec<GroupSpec>,
    /// Trade sources whose rows cover some goods only (`selected_goods_sources`):
    /// they feed `trade_by_group` and no table of totals or of all goods.
    pub selected_goods_sources: Vec<String>,
    /// The file's text, for errors that point at a line of it.
    pub text: Arc<str>,
}

/// How a pipeline file is read: what the operator decided on the command line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Sources and `output` may lie outside the pipeline's root
    /// (`--allow-outside-paths`); a pipeline file cannot decide this itself.
    pub allow_outside_paths: bool,
    /// Download what a source's `fetch = {...}` names and the project's cache
    /// lacks (`run`); otherwise it is listed as pending (`plan`, `--offline`).
    pub download: bool,
    /// Take a merge's placeholders of objects on object storage as the objects
    /// (`patronage merge`, whose stages read no source; see
    /// `config::objects::place_holder`).
    pub placeholders: bool,
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
    #[serde(default)]
    partition_by: Vec<Spanned<String>>,
    output: Option<Spanned<String>>,
    sources: Spanned<Vec<RawSource>>,
    mirror_all: Option<Spanned<RawMirrorAll>>,
    #[serde(default)]
    windows: Vec<RawWindow>,
    #[serde(default)]
    checks: Vec<RawCheck>,
    #[serde(default)]
    claims: Vec<RawClaim>,
    /// The folder paths must stay in (see `paths`).
    root: Option<Spanned<String>>,
    /// Refused when true: only the operator lifts the limit on paths.
    allow_outside_paths: Option<Spanned<bool>>,
    cif_fob_factor: Option<Spanned<f64>>,
    aid: Option<Spanned<RawAid>>,
    classification_target: Option<Spanned<String>>,
    classification_split: Option<Spanned<String>>,
    #[serde(default)]
    commodity_groups: Vec<RawGroup>,
    #[serde(default)]
    selected_goods_sources: Vec<Spanned<String>>,
}

/// `[aid]`: settings of the aid tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAid {
    /// Base year of constant dollars.
    base_year: Spanned<i32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    id: Spanned<String>,
    format: Spanned<String>,
    /// A file or glob; or, instead, `fetch`.
    path: Option<Spanned<String>>,
    /// What to download (UN Comtrade, BACI, FTS) instead of a path.
    fetch: Option<Spanned<patronage_fetch::Spec>>,
    monthly: Option<Spanned<String>>,
    sheet: Option<Spanned<RawSheet>>,
    /// Free text for readers of the file; not used by the run.
    #[serde(rename = "description")]
    _description: Option<String>,
    stoim_unit: Option<Spanned<String>>,
    flow: Option<Spanned<String>>,
    period: Option<Spanned<String>>,
    encoding: Option<Spanned<String>>,
    scope: Option<Spanned<String>>,
    country_codes: Option<Spanned<String>>,
    partner: Option<Spanned<String>>,
    shared_boundary: Option<Spanned<String>>,
    /// The members of a `.zip` read, by the year their name states.
    years: Option<Spanned<String>>,
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
    /// Read and validate a pipeline file, resolving its sources' files; `formats`
    /// are the source formats a source may name, in the order error messages list
    /// them.
    pub fn load(
        path: &Path,
        formats: &[&'static FormatSpec],
        options: LoadOptions,
    ) -> Result<Pipeline, PipelineError> {
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
            line: line_of(&text, span.start),
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
        let sources_span = raw.sources.span();
        if let Some(allow) = raw.allow_outside_paths.as_ref().filter(|a| *a.get_ref()) {
            return Err(invalid(
                allow.span(),
                format!(
                    "`allow_outside_paths = true` is refused: a pipeline file cannot lift the \
                     limit on where it reads and writes (a pipeline handed over must not read \
                     the machine's files); remove the line, and if this pipeline must reach \
                     outside its project, the operator runs it with {LIFT}"
                ),
            ));
        }
        let policy = PathPolicy::new(
            &dir,
            raw.root.as_ref().map(|r| r.get_ref().as_str()),
            options.allow_outside_paths,
        )
        .map_err(|m| invalid(raw.root.as_ref().map_or(0..0, Spanned::span), m))?;
        let mut sources: Vec<Source> = Vec::new();
        let mut read_by = ReadBy::default();
        for s in raw.sources.into_inner() {
            let id = slug(&s.id, "source id")?;
            if sources.iter().any(|o| o.id == id) {
                return Err(invalid(
                    s.id.span(),
                    format!("source id `{id}` is declared twice"),
                ));
            }
            let format = formats
                .iter()
                .copied()
                .find(|f| f.name == s.format.get_ref())
                .ok_or_else(|| {
                    let known: Vec<&str> = formats.iter().map(|f| f.name).collect();
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
            let input = OptionsInput {
                id: &id,
                id_span: s.id.span(),
                format_span: s.format.span(),
                dir: &dir,
                stoim_unit: s.stoim_unit.as_ref(),
                flow: s.flow.as_ref(),
                period: s.period.as_ref(),
                encoding: s.encoding.as_ref(),
                scope: s.scope.as_ref(),
                country_codes: s.country_codes.as_ref(),
                partner: s.partner.as_ref(),
                shared_boundary: s.shared_boundary.as_ref(),
                sheet: s.sheet.as_ref(),
            };
            for (key, span) in input.given() {
                if !format.option_keys.contains(&key) {
                    return Err(invalid(
                        span,
                        format!(
                            "source `{id}`: `{key}` does not apply to format `{}`",
                            format.name
                        ),
                    ));
                }
            }
            let parsed = (format.options)(&input).map_err(|(span, m)| invalid(span, m))?;
            for aux in &parsed.auxiliary {
                policy
                    .check_file(aux)
                    .map_err(|m| invalid(s.format.span(), format!("source `{id}`: {m}")))?;
            }
            if let Some(host) = s.sheet.as_ref().map(|sh| &sh.get_ref().host) {
                country(host, "sheet host")?;
            }
            let mut member_glob: Option<String> = None;
            let (pattern, path_span, matched, fetched) = match (&s.path, &s.fetch) {
                (Some(path), None) if objects::is_object_path(path.get_ref()) => {
                    let pattern = path.get_ref().clone();
                    let (object, members) = objects::split_members(&pattern)
                        .map_err(|m| invalid(path.span(), format!("source `{id}`: {m}")))?;
                    let cache = cache_and_lock(&project_of(&policy, &dir)).0;
                    let resolved = objects::resolve(&object, &cache, options.placeholders)
                        .map_err(|m| invalid(path.span(), format!("source `{id}`: {m}")))?;
                    let matched = Matched {
                        files: resolved.files.clone(),
                        aliases: Vec::new(),
                    };
                    member_glob = members;
                    (pattern, path.span(), matched, resolved)
                }
                (Some(path), None) => {
                    let pattern = path.get_ref().clone();
                    let (files, members) = match into_archive(&dir, &pattern) {
                        Some((archive, members)) => (archive, Some(members)),
                        None => (pattern.clone(), None),
                    };
                    let matched = matching_files(&dir, &files, &policy)
                        .map_err(|m| invalid(path.span(), format!("source `{id}`: {m}")))?;
                    member_glob = members;
                    (pattern, path.span(), matched, Resolved::default())
                }
                (None, Some(fetch)) => {
                    let project = project_of(&policy, &dir);
                    let resolved = resolve(fetch.get_ref(), &project, options.download)
                        .map_err(|m| invalid(fetch.span(), format!("source `{id}`: {m}")))?;
                    for f in &resolved.files {
                        policy
                            .check_file(f)
                            .map_err(|m| invalid(fetch.span(), format!("source `{id}`: {m}")))?;
                    }
                    let matched = Matched {
                        files: resolved.files.clone(),
                        aliases: Vec::new(),
                    };
                    (String::from("fetch"), fetch.span(), matched, resolved)
                }
                (Some(path), Some(_)) => {
                    return Err(invalid(
                        path.span(),
                        format!("source `{id}`: give `path` or `fetch`, not both"),
                    ))
                }
                (None, None) => {
                    return Err(invalid(
                        s.id.span(),
                        format!("source `{id}`: `path` (a file or glob) or `fetch` (what to download) is needed"),
                    ))
                }
            };
            let declaration = format!("{} {monthly:?} {:?}", format.name, parsed.options);
            read_by
                .add(&dir, &id, &declaration, &matched.files)
                .map_err(|m| invalid(path_span.clone(), format!("source `{id}`: {m}")))?;
            let years = s
                .years
                .as_ref()
                .map(|y| {
                    parse_years(y.get_ref())
                        .map_err(|m| invalid(y.span(), format!("source `{id}`: {m}")))
                })
                .transpose()?;
            let opened = open_archives(&matched.files, member_glob.as_deref(), years)
                .map_err(|m| invalid(path_span.clone(), format!("source `{id}`: {m}")))?;
            let mut auxiliary = parsed.auxiliary;
            if auxiliary.is_empty() && format.option_keys.contains(&"country_codes") {
                auxiliary.extend(opened.country_codes);
            }
            sources.push(Source {
                id,
                format,
                pattern,
                monthly,
                files: opened.inputs,
                aliases: matched.aliases,
                options: parsed.options,
                auxiliary,
                downloads: fetched.downloads,
                pending: fetched.pending,
                objects: fetched.objects,
            });
        }
        let mirror_all = raw
            .mirror_all
            .as_ref()
            .map(|m| mirror_all_step(m, &sources))
            .transpose()
            .map_err(|(span, m)| invalid(span, m))?;
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
        let has_aid = sources.iter().any(|s| s.format.domain == Domain::Aid);
        let aid_base_year = match &raw.aid {
            Some(aid) => {
                let y = aid.get_ref().base_year.get_ref();
                let tables = patronage_core::MoneyTables::builtin();
                if tables.cpi(*y).is_none() {
                    return Err(invalid(
                        aid.get_ref().base_year.span(),
                        format!("[aid] base_year = {y}: the US price index table has no value for that year"),
                    ));
                }
                *y
            }
            None if has_aid => {
                return Err(invalid(
                    sources_span.clone(),
                    "aid sources are declared but `[aid] base_year` is not: constant dollars need a base year".to_string(),
                ))
            }
            None => 0,
        };
        let cif_fob_factor = match &raw.cif_fob_factor {
            None => None,
            Some(f) if (1.0..=1.5).contains(f.get_ref()) => Some(*f.get_ref()),
            Some(f) => {
                return Err(invalid(
                    f.span(),
                    format!(
                        "cif_fob_factor = {}: expected a factor between 1.0 and 1.5 (CIF = FOB x factor)",
                        f.get_ref()
                    ),
                ))
            }
        };
        let conversion = conversion_spec(
            raw.classification_target.as_ref(),
            raw.classification_split.as_ref(),
        )
        .map_err(|(span, m)| invalid(span, m))?;
        let commodity_groups = commodity_groups(
            raw.commodity_groups,
            |s| slug(s, "commodity group id"),
            |(span, m)| invalid(span, m),
        )?;
        let selected_goods_sources = selected_goods_sources(&raw.selected_goods_sources, |id| {
            sources
                .iter()
                .any(|s| s.id == id && s.format.domain == Domain::Trade)
        })
        .map_err(|(span, m)| invalid(span, m))?;
        let mut partition_by = Vec::new();
        for c in &raw.partition_by {
            if c.get_ref() != "year" || !partition_by.is_empty() {
                return Err(invalid(
                    c.span(),
                    format!(
                        "partition_by: `{}`: trade_flows can be partitioned by `year` only (partition_by = [\"year\"])",
                        c.get_ref()
                    ),
                ));
            }
            partition_by.push(c.get_ref().clone());
        }
        let output_url = (raw.output.as_ref())
            .map(|o| o.get_ref())
            .filter(|o| objects::is_object_path(o))
            .cloned();
        let output = match raw.output {
            None => None,
            Some(_) if output_url.is_some() => None,
            Some(o) => {
                let out = dir.join(o.get_ref());
                policy
                    .check_output(&out)
                    .map_err(|m| invalid(o.span(), format!("output: {m}")))?;
                Some(out)
            }
        };
        Ok(Pipeline {
            aid_base_year,
            path: path.to_path_buf(),
            dir: dir.clone(),
            sha256: patronage_tables::sha256_hex(text.as_bytes()),
            name,
            description: raw.description,
            focus,
            patrons,
            commodity: raw.commodity.unwrap_or_else(|| "TOTAL".to_string()),
            partition_by,
            output,
            output_url,
            spill: None,
            sources,
            mirror_all,
            windows,
            cif_fob_factor,
            checks: raw.checks,
            claims: raw.claims,
            conversion,
            commodity_groups,
            selected_goods_sources,
            text: Arc::from(text.as_str()),
        })
    }

    /// The `output` of the pipeline file at `path` when it is an object-storage
    /// URL, read without validating the rest of the file (the command line
    /// stages such an output before the run; the run reports any error in
    /// the file).
    pub fn output_url_of(path: &Path) -> Option<String> {
        let text = std::fs::read_to_string(path).ok()?;
        let value: toml::Table = toml::from_str(&text).ok()?;
        let output = value.get("output")?.as_str()?;
        objects::is_object_path(output).then(|| output.to_string())
    }

    /// The output folder: `output` when given (the command line's `--out`), else
    /// the pipeline's `output`, else `out/<name>` under the working directory.
    pub fn output_dir(&self, output: Option<&Path>) -> PathBuf {
        output
            .map(Path::to_path_buf)
            .or_else(|| self.output.clone())
            .unwrap_or_else(|| Path::new("out").join(&self.name))
    }

    /// The error for a value of the file at `span`, naming its line.
    pub fn invalid(&self, span: Range<usize>, message: String) -> PipelineError {
        PipelineError::Invalid {
            path: self.path.clone(),
            line: line_of(&self.text, span.start),
            message,
        }
    }

    /// A file's path relative to the pipeline folder, with `/`, for tables and the
    /// manifest (so they do not depend on where the checkout lives); an object
    /// read from object storage, by its URL.
    pub fn relative(&self, file: &Path) -> String {
        objects::url_of(file).unwrap_or_else(|| rel(&self.dir, file))
    }

    /// What the user should know about how the file was read, though nothing is
    /// wrong: the paths a source's pattern reached that named a file or folder
    /// already matched (each file is read once).
    pub fn notes(&self) -> Vec<String> {
        self.sources
            .iter()
            .flat_map(|s| {
                s.aliases
                    .iter()
                    .map(move |a| format!("source `{}`: {a}", s.id))
            })
            .collect()
    }

    /// Refuse to use the state folder `state` (the stage cache, the lock and the
    /// run log under the output folder) when anything in it is not the tool's
    /// own: a symbolic link would send them anywhere. Called before a run takes
    /// the lock, and before a plan reads the cache.
    pub fn check_state_dir(&self, state: &Path) -> Result<(), PipelineError> {
        super::paths::check_state_dir(state).map_err(|message| PipelineError::Refused {
            path: state.to_path_buf(),
            message,
        })
    }
}

/// `file` relative to `dir`, with `/`.
fn rel(dir: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(dir).unwrap_or(file);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    1 + text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

/// The project a pipeline's downloads are cached in: its root, or the folder
/// above the pipeline's folder when the operator lifted the limit.
fn project_of(policy: &PathPolicy, dir: &Path) -> PathBuf {
    policy
        .root()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| dir.join(".."))
}
