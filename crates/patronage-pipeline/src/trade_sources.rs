//! The trade formats beyond Comtrade v1: legacy Comtrade, CEPII BACI (streamed),
//! Russian customs and China customs, each read with the parameters its source
//! declares, normalized to `trade_flows`.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use patronage_core::{CountryRegistry, RowReject};
use patronage_extract::encoding::TextEncoding;
use patronage_extract::{
    baci, china_customs, comtrade_legacy, russia_customs, ExtractError, Extracted,
};
use patronage_normalize::baci::{BaciNormalizer, BaciOptions};
use patronage_normalize::comtrade_v1::SourceContext;
use patronage_normalize::{Normalized, TradeFlow};

use crate::config::{Format, Pipeline, Source};
use crate::source::FileOutcome;
use crate::PipelineError;

/// The provenance a trade source's file is normalized with.
pub(crate) fn context(source: &Source, rel: &str) -> SourceContext {
    SourceContext {
        source_id: Arc::from(source.id.as_str()),
        source_file: Arc::from(rel),
        monthly: source.monthly,
    }
}

/// The file name of `file` (its last component), as text.
fn file_name(file: &Path) -> String {
    file.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Extract and normalize one file of a non-v1 trade format.
pub(crate) fn read_file(
    p: &Pipeline,
    source: &Source,
    file: &Path,
    rel: &str,
    bytes: Vec<u8>,
) -> Result<FileOutcome<TradeFlow>, PipelineError> {
    let ctx = context(source, rel);
    let opts = &source.trade;
    let layout = |message: String| ExtractError::Layout {
        path: file.to_path_buf(),
        line: 1,
        message,
    };
    let (read, extract_rejects, normalized) = match source.format {
        Format::ComtradeLegacy => {
            let x = comtrade_legacy::parse(file, &bytes)?;
            drop(bytes);
            let n = patronage_normalize::comtrade_legacy::normalize(
                x.rows,
                &ctx,
                CountryRegistry::comtrade(),
            );
            (x.rows_read, x.rejects, n)
        }
        Format::RussiaCustoms => {
            let enc = opts.encoding.unwrap_or(TextEncoding::Utf8);
            let x = russia_customs::parse(file, &bytes, enc)?;
            drop(bytes);
            let name = file_name(file);
            let period = match (opts.period, russia_customs::month_from_name(&name)) {
                (Some(p), _) => p,
                (None, Some((year, m))) => patronage_core::MonthRange { year, first: m, last: m },
                (None, None) => {
                    return Err(layout(format!(
                        "the file name `{name}` states no month (…_YYYY-MM.csv) and source `{}` declares no `period`",
                        source.id
                    ))
                    .into())
                }
            };
            let unit = opts
                .stoim_unit
                .ok_or_else(|| layout("no stoim_unit declared".into()))?;
            let n = patronage_normalize::russia_customs::normalize(x.rows, &ctx, unit, period);
            (x.rows_read, x.rejects, n)
        }
        Format::ChinaCustoms => {
            let enc = opts.encoding.unwrap_or(TextEncoding::Gb18030);
            let x = china_customs::parse(file, &bytes, enc)?;
            drop(bytes);
            if opts.period.is_none() && x.rows.iter().any(|r| r.date.is_none()) {
                return Err(layout(format!(
                    "no `Date of data` column (a single-period download): declare `period` for source `{}`",
                    source.id
                ))
                .into());
            }
            if opts.partner.is_none() && x.rows.iter().any(|r| r.partner_code.is_none()) {
                return Err(layout(format!(
                    "no `Trading partner code` column (a one-partner download): declare `partner` (GACC code, 109 = DPRK) for source `{}`",
                    source.id
                ))
                .into());
            }
            let flow = opts.flow.ok_or_else(|| layout("no flow declared".into()))?;
            let declared = patronage_normalize::china_customs::Declared {
                flow,
                period: opts.period,
                partner: opts.partner,
            };
            let n = patronage_normalize::china_customs::normalize(x.rows, &ctx, declared);
            (x.rows_read, x.rejects, n)
        }
        Format::Baci => return read_baci(p, source, file, &ctx),
        other => {
            return Err(layout(format!(
                "format `{}` is not one the trade readers read",
                other.as_str()
            ))
            .into())
        }
    };
    Ok(outcome(read, extract_rejects, normalized))
}

fn outcome(read: u64, extract_rejects: Vec<RowReject>, n: Normalized) -> FileOutcome<TradeFlow> {
    FileOutcome::new(read, extract_rejects, n.flows, n.rejects, n.dropped)
}

/// Stream a BACI file: each block is normalized as it arrives, so only kept rows
/// stay in memory.
fn read_baci(
    p: &Pipeline,
    source: &Source,
    file: &Path,
    ctx: &SourceContext,
) -> Result<FileOutcome<TradeFlow>, PipelineError> {
    let country_codes = match &source.trade.country_codes {
        None => None,
        Some(path) => {
            let bytes = ExtractError::read(path)?;
            let codes: HashSet<u32> = baci::read_country_codes(path, &bytes)?
                .into_iter()
                .map(|c| c.code)
                .collect();
            Some(codes)
        }
    };
    let name = file_name(file);
    let registry = CountryRegistry::comtrade();
    let mut normalizer = BaciNormalizer::new(
        BaciOptions {
            focus: p.focus.clone(),
            scope: source.trade.scope,
            classification: Arc::from(baci::classification_from_name(&name)),
            country_codes,
        },
        registry,
    );
    let input = std::fs::File::open(file).map_err(|e| ExtractError::Io {
        path: file.to_path_buf(),
        source: e,
    })?;
    let mut out = Normalized::default();
    let mut extract_rejects = Vec::new();
    let read = baci::stream(
        file,
        input, // read in blocks of megabytes: no buffer in between
        |block: Extracted<_>| {
            extract_rejects.extend(block.rejects);
            normalizer.push(block.rows, ctx, registry, &mut out);
        },
    )?;
    Ok(outcome(read, extract_rejects, out))
}

/// `source_comparison` and `trade_by_commodity`.
pub(crate) fn aggregate(
    p: &Pipeline,
    trade_flows: &polars::prelude::DataFrame,
    spec: &patronage_aggregate::MirrorSpec,
) -> Result<crate::source::Tables, PipelineError> {
    use crate::source::table_error;
    use patronage_aggregate::{
        commodity_rows, comparison_rows, source_comparison_frame, trade_by_commodity_frame,
    };
    use patronage_tables::contracts;
    let cmp = comparison_rows(trade_flows, spec, p.cif_fob_factor)
        .map_err(table_error(&contracts::SOURCE_COMPARISON))?;
    let by =
        commodity_rows(trade_flows, spec).map_err(table_error(&contracts::TRADE_BY_COMMODITY))?;
    Ok(vec![
        (
            &contracts::SOURCE_COMPARISON,
            source_comparison_frame(&cmp, spec, p.cif_fob_factor)
                .map_err(table_error(&contracts::SOURCE_COMPARISON))?,
        ),
        (
            &contracts::TRADE_BY_COMMODITY,
            trade_by_commodity_frame(&by, spec)
                .map_err(table_error(&contracts::TRADE_BY_COMMODITY))?,
        ),
    ])
}
