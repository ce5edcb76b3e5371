//! The trade domain's glue: what every trade format's reader shares (the
//! provenance rows carry, the `scope` option and the focus's rows, the Comtrade
//! v1 reader of three layouts, streamed where it can be), `trade_flows` from
//! kept rows, and `trade_flows` to the mirror, share, window, comparison,
//! commodity and commodity-group tables.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use patronage_aggregate::{
    commodity_group_bans_frame, commodity_rows, comparison_rows, compute_windows, group_rows,
    mirror_rows, mirror_trade_frame, partner_share_frame, source_comparison_frame,
    trade_by_commodity_frame, trade_by_group_frame, trade_windows_frame, FlowBatches, MirrorSpec,
    WindowResult,
};
use patronage_core::{CountryRegistry, RowReject};
use patronage_extract::comtrade_legacy::LegacyRow;
use patronage_extract::comtrade_v1::{self, Layout};
use patronage_extract::encoding::TextEncoding;
use patronage_extract::Extracted;
use patronage_normalize::comtrade_v1::{ComtradeNormalizer, SourceContext};
use patronage_normalize::scope::{count_outside, FocusCodes, Scope};
use patronage_normalize::{trade_flows_frame, Normalized, TradeFlow};
use patronage_tables::contracts;
use polars::prelude::*;

use super::files;
use super::outcome::{table_error, FileOutcome, Tables};
use super::spill::{DiskTable, HeldBatches, SpillWriter};
use crate::config::options::scope;
use crate::config::{Invalid, OptionsInput, Parsed, Pipeline, Source};
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
pub(crate) fn file_name(file: &Path) -> String {
    file.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A file's outcome from its reader's count and rejects and what normalizing kept.
pub(crate) fn outcome(
    read: u64,
    extract_rejects: Vec<RowReject>,
    n: Normalized,
) -> FileOutcome<TradeFlow> {
    FileOutcome::new(read, extract_rejects, n.flows, n.rejects, n.dropped)
}

/// How many kept records a streamed file holds before they are framed: a few
/// megabytes of records, whatever the file's size.
const FRAME_ROWS: usize = 4_096;

/// The kept rows of a streamed file, framed into `trade_flows` columns as the
/// blocks come (every [`FRAME_ROWS`] records, and at the end), so memory holds
/// them as columns (about 150 bytes a row), never as records; or, when the
/// pipeline spills (`Pipeline::spill`) and the file keeps a full frame, each
/// frame written to the file's spill file ([`SpillWriter`]) at once, so memory
/// holds none of them. A file keeping fewer rows than a frame holds them in
/// memory (the source's read puts them beside its other files on disk, see
/// `read.rs`), so a release of many small files opens no writer per file.
#[derive(Default)]
pub(crate) struct BlockFrames {
    framed: Option<DataFrame>,
    /// Where the file's spill file goes, and the file, when the pipeline spills.
    spill_to: Option<(PathBuf, String)>,
    spill: Option<SpillWriter>,
    error: Option<PipelineError>,
}

impl BlockFrames {
    /// The frames of the file `rel` of `source`: on disk when the pipeline
    /// spills, else in memory.
    pub(crate) fn new(p: &Pipeline, source: &Source, rel: &str) -> Self {
        BlockFrames {
            spill_to: p
                .spill
                .as_ref()
                .map(|root| (root.join(&source.id), rel.to_string())),
            ..BlockFrames::default()
        }
    }

    /// Frame the records in `flows` (reusing its buffer) once there are
    /// [`FRAME_ROWS`] of them.
    pub(crate) fn take(&mut self, flows: &mut Vec<TradeFlow>) {
        if flows.len() >= FRAME_ROWS {
            if self.spill.is_none() && self.error.is_none() {
                if let Some((dir, rel)) = &self.spill_to {
                    match SpillWriter::create(dir, rel) {
                        Ok(w) => self.spill = Some(w),
                        Err(e) => self.error = Some(e),
                    }
                }
            }
            self.frame(flows);
            flows.clear();
        }
    }

    fn frame(&mut self, flows: &[TradeFlow]) {
        if self.error.is_some() || flows.is_empty() {
            return;
        }
        let added = trade_flows_frame(flows)
            .map_err(table_error(&contracts::TRADE_FLOWS))
            .and_then(|df| match (&mut self.spill, &mut self.framed) {
                (Some(spill), _) => spill.write(&df),
                (None, Some(acc)) => acc
                    .vstack_mut_owned(df)
                    .map(|_| ())
                    .map_err(table_error(&contracts::TRADE_FLOWS)),
                (None, None) => {
                    self.framed = Some(df);
                    Ok(())
                }
            });
        if let Err(e) = added {
            self.error = Some(e);
        }
    }

    /// The file's outcome: every kept row framed (or on disk), in file order.
    pub(crate) fn outcome(
        mut self,
        read: u64,
        extract_rejects: Vec<RowReject>,
        mut n: Normalized,
    ) -> Result<FileOutcome<TradeFlow>, PipelineError> {
        let flows = std::mem::take(&mut n.flows);
        self.frame(&flows);
        drop(flows);
        if let Some(e) = self.error {
            return Err(e);
        }
        let mut o = outcome(read, extract_rejects, n);
        o.frames.extend(self.framed);
        o.spilled = self.spill.map(SpillWriter::finish).transpose()?;
        Ok(o)
    }
}

/// The options of a trade format whose only key is `scope`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ScopeOnly {
    /// Which rows are kept.
    pub(crate) scope: Scope,
}

/// Parse the options of a trade format whose only key is `scope`.
pub(crate) fn scope_only(input: &OptionsInput<'_>) -> Result<Parsed, Invalid> {
    Ok(Parsed::new(ScopeOnly {
        scope: scope(input)?,
    }))
}

/// The focus's codes when `scope` keeps only its rows.
pub(crate) fn focus_codes(p: &Pipeline, scope: Scope) -> Option<FocusCodes> {
    (scope == Scope::Focus).then(|| FocusCodes::new(&p.focus, CountryRegistry::comtrade()))
}

/// Extract and normalize one UN Comtrade v1 file of `layout`, in `encoding`
/// when the source declares one (else detected: see `comtrade_v1::parse_encoded`),
/// keeping the rows of `scope`. A format that streams gets no `bytes`: its file
/// is streamed block by block where the layout allows (the bulk TSV; the API
/// CSV with `scope = "focus"` when no encoding but UTF-8 is declared), so
/// memory holds only the rows kept, framed as they come ([`BlockFrames`]), else
/// read whole here.
pub(crate) fn read_comtrade_v1(
    p: &Pipeline,
    source: &Source,
    (file, rel): (&Path, &str),
    bytes: Vec<u8>,
    (layout, encoding, scope): (Layout, Option<TextEncoding>, Scope),
) -> Result<FileOutcome<TradeFlow>, PipelineError> {
    let focus = focus_codes(p, scope);
    let registry = CountryRegistry::comtrade();
    let ctx = context(source, rel);
    let utf8 = matches!(encoding, None | Some(TextEncoding::Utf8));
    let streamed = source.format.streams
        && match layout {
            Layout::BulkTsv => encoding.is_none(),
            Layout::ApiCsv => utf8 && focus.is_some(),
            Layout::ApiJson => false,
        };
    let mut out = Normalized::default();
    let mut normalizer = ComtradeNormalizer::default();
    if streamed {
        // A `.gz` file or a `.zip` member streams as its unpacked bytes.
        let mut input = files::open_hashed(file)?;
        let mut extract_rejects = Vec::new();
        let mut outside = 0u64;
        let keep = |r: u32, p: u32| {
            focus
                .as_ref()
                .is_none_or(|f| f.contains(r) || f.contains(p))
        };
        let mut frames = BlockFrames::new(p, source, rel);
        let read =
            comtrade_v1::stream_keeping(file, &mut input, layout, keep, |block, left_out| {
                extract_rejects.extend(block.rejects);
                outside += left_out;
                normalizer.push(block.rows, &ctx, registry, &mut out);
                frames.take(&mut out.flows);
            })?;
        count_outside(&mut out.dropped, outside);
        let mut outcome = frames.outcome(read, extract_rejects, out)?;
        outcome.input = Some(files::finish_hashed(file, input)?);
        return Ok(outcome);
    }
    // A format that streams hands over no bytes: read the file whole here, and
    // record its size and hash from these bytes.
    let (bytes, input) = if source.format.streams {
        let bytes = patronage_extract::archive::read(file)?;
        let taken = (bytes.len() as u64, patronage_tables::sha256_hex(&bytes));
        (bytes, Some(taken))
    } else {
        (bytes, None)
    };
    let mut extracted = comtrade_v1::parse_encoded(file, &bytes, layout, encoding)?;
    drop(bytes); // parsed rows own what they need; free the file before normalizing
    if let Some(f) = &focus {
        f.retain(
            &mut extracted.rows,
            |r| (r.reporter_code, r.partner_code),
            &mut out.dropped,
        );
    }
    normalizer.push(extracted.rows, &ctx, registry, &mut out);
    let mut o = outcome(extracted.rows_read, extracted.rejects, out);
    o.input = input;
    Ok(o)
}

/// A file's outcome from its legacy Comtrade rows, whichever layout they were
/// read from (CSV or API JSON), keeping the rows of `scope`: the legacy rules
/// normalize them.
pub(crate) fn legacy_outcome(
    p: &Pipeline,
    source: &Source,
    rel: &str,
    (mut x, scope): (Extracted<LegacyRow>, Scope),
) -> FileOutcome<TradeFlow> {
    let mut dropped = BTreeMap::new();
    if let Some(f) = focus_codes(p, scope) {
        f.retain(
            &mut x.rows,
            |r| (r.reporter_code, r.partner_code),
            &mut dropped,
        );
    }
    let mut n = patronage_normalize::comtrade_legacy::normalize(
        x.rows,
        &context(source, rel),
        CountryRegistry::comtrade(),
    );
    for (reason, count) in dropped {
        *n.dropped.entry(reason).or_default() += count;
    }
    outcome(x.rows_read, x.rejects, n)
}

/// `trade_flows` from kept rows.
pub(crate) fn canonical_frame(flows: Vec<TradeFlow>) -> PolarsResult<DataFrame> {
    trade_flows_frame(&flows)
}

/// The trade analysis tables, and the windows for the run report.
pub(crate) fn aggregate(
    p: &Pipeline,
    trade_flows: &dyn FlowBatches,
) -> Result<(Tables, Vec<WindowResult>), PipelineError> {
    let every_flow = trade_flows;
    let spec = MirrorSpec {
        focus: p.focus.clone(),
        commodity: p.commodity.clone(),
        source_priority: p.sources.iter().map(|s| s.id.clone()).collect(),
    };
    let all_goods = AllGoods::of(p, trade_flows);
    let trade_flows = &all_goods;
    let mirror = mirror_rows(trade_flows, &spec).map_err(table_error(&contracts::MIRROR_TRADE))?;
    let windows = compute_windows(&mirror, &p.windows);
    let mut frames = vec![
        (
            &contracts::MIRROR_TRADE,
            mirror_trade_frame(&mirror, &spec).map_err(table_error(&contracts::MIRROR_TRADE))?,
        ),
        (
            &contracts::PARTNER_SHARE,
            partner_share_frame(&mirror, &spec).map_err(table_error(&contracts::PARTNER_SHARE))?,
        ),
        (
            &contracts::TRADE_WINDOWS,
            trade_windows_frame(&windows, &spec).map_err(table_error(&contracts::TRADE_WINDOWS))?,
        ),
    ];
    frames.extend(comparison_tables(p, trade_flows, &spec)?);
    frames.extend(group_tables(p, every_flow, &spec)?);
    Ok((frames, windows))
}

/// The rows of `trade_flows` on disk that the analysis tables read: those
/// reported by the focus or naming it as partner, with the columns those
/// tables read ([`patronage_aggregate::TRADE_FLOWS_READ`]), in key order,
/// held as compressed batches that each table reads back one batch at a
/// time. Every analysis table starts from these rows and no others
/// (`patronage_aggregate`'s `focus_rows`, behind the mirror, the comparison,
/// the commodity and the commodity-group tables, keeps a subset of them), so
/// the tables are those of the whole table.
pub(crate) fn focus_flows(p: &Pipeline, table: &DiskTable) -> Result<HeldBatches, PipelineError> {
    let focus = p.focus.as_str();
    table.filtered_batches(
        col("reporter_iso3")
            .eq(lit(focus))
            .or(col("partner_iso3").eq(lit(focus))),
        &patronage_aggregate::TRADE_FLOWS_READ,
    )
}

/// `source_comparison` and `trade_by_commodity`.
fn comparison_tables(
    p: &Pipeline,
    trade_flows: &dyn FlowBatches,
    spec: &MirrorSpec,
) -> Result<Tables, PipelineError> {
    let cmp = comparison_rows(trade_flows, spec, p.cif_fob_factor)
        .map_err(table_error(&contracts::SOURCE_COMPARISON))?;
    let by = commodity_rows(trade_flows, spec, p.conversion.as_ref())
        .map_err(table_error(&contracts::TRADE_BY_COMMODITY))?;
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

/// `trade_flows` less the rows of `selected_goods_sources`, whose goods are a
/// selection (published figures for sanctioned goods): summed, they would pass
/// for a total or a composition of all goods. Only `trade_by_group` reads them.
/// Batch by batch, as the rows come.
struct AllGoods<'a> {
    rows: &'a dyn FlowBatches,
    /// Rows of the selected-goods sources, when there are any.
    selected: Option<Expr>,
}

impl<'a> AllGoods<'a> {
    fn of(p: &Pipeline, rows: &'a dyn FlowBatches) -> Self {
        let selected = p
            .selected_goods_sources
            .iter()
            .map(|id| col("source_id").eq(lit(id.as_str())))
            .reduce(|a, b| a.or(b));
        AllGoods { rows, selected }
    }
}

impl FlowBatches for AllGoods<'_> {
    fn each_batch(&self, each: &mut dyn FnMut(&DataFrame) -> PolarsResult<()>) -> PolarsResult<()> {
        match &self.selected {
            None => self.rows.each_batch(each),
            Some(selected) => self.rows.each_batch(&mut |batch| {
                let rest = batch
                    .clone()
                    .lazy()
                    .filter(selected.clone().not())
                    .collect()?;
                each(&rest)
            }),
        }
    }
}

/// `trade_by_group` and `commodity_group_bans`, from the pipeline's
/// `[[commodity_groups]]` (both empty when it declares none).
fn group_tables(
    p: &Pipeline,
    trade_flows: &dyn FlowBatches,
    spec: &MirrorSpec,
) -> Result<Tables, PipelineError> {
    let rows = group_rows(
        trade_flows,
        spec,
        &p.commodity_groups,
        p.conversion.as_ref(),
    )
    .map_err(table_error(&contracts::TRADE_BY_GROUP))?;
    Ok(vec![
        (
            &contracts::TRADE_BY_GROUP,
            trade_by_group_frame(&rows, spec).map_err(table_error(&contracts::TRADE_BY_GROUP))?,
        ),
        (
            &contracts::COMMODITY_GROUP_BANS,
            commodity_group_bans_frame(&p.commodity_groups)
                .map_err(table_error(&contracts::COMMODITY_GROUP_BANS))?,
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use patronage_core::{Flow, MonthRange};

    /// SYNTHETIC record `i`: every column varies with `i`, some left empty.
    fn flow(i: u64) -> TradeFlow {
        TradeFlow {
            source_id: Arc::from("s"),
            source_file: Arc::from("f.tsv"),
            source_line: i + 2,
            source_column: 1,
            period: MonthRange::annual(2000 + (i % 7) as i32),
            reporter_code: 408,
            reporter_iso3: Arc::from("PRK"),
            partner_code: (i % 900) as u32,
            partner_iso3: Arc::from(if i.is_multiple_of(2) { "CHN" } else { "RUS" }),
            flow: if i.is_multiple_of(3) {
                Flow::Import
            } else {
                Flow::Export
            },
            classification: "H5".to_string(),
            commodity_code: format!("{:06}", i % 5_000),
            commodity_level: 6,
            value_mills: i as i64 * 7,
            valuation: "FOB",
            net_weight_kg: (!i.is_multiple_of(4)).then_some(i as f64 / 2.0),
            quantity: None,
            quantity_unit_code: i.is_multiple_of(5).then_some(8),
            is_estimated: i.is_multiple_of(11),
        }
    }

    /// 40,000 kept records handed over in blocks of 7,000 (as a streamed file's
    /// blocks come) are framed at 16,384 and 32,768 records and at the end: the
    /// file's frame holds every row once, in file order, equal to the frame of
    /// the records built whole; the outcome counts them as kept.
    #[test]
    fn block_frames_hold_every_row_in_file_order() {
        let all: Vec<TradeFlow> = (0..40_000).map(flow).collect();
        let mut frames = BlockFrames::default();
        let mut out = Normalized::default();
        let mut most_held = 0;
        for block in all.chunks(7_000) {
            out.flows.extend(block.iter().cloned());
            frames.take(&mut out.flows);
            most_held = most_held.max(out.flows.len());
        }
        // Never more than a frame's worth plus one block held as records.
        assert!(most_held < FRAME_ROWS + 7_000, "{most_held}");
        let o = frames.outcome(40_000, Vec::new(), out).unwrap();
        assert!(o.rows.is_empty());
        assert_eq!(o.kept(), 40_000);
        assert_eq!(o.frames.len(), 1);
        let whole = trade_flows_frame(&all).unwrap();
        assert!(o.frames[0].equals_missing(&whole));
        // The first framed batch ends at record 16,384 (line 16,385) and the
        // next starts right after it.
        let lines = o.frames[0].column("source_line").unwrap().i64().unwrap();
        assert_eq!(lines.get(16_383), Some(16_385));
        assert_eq!(lines.get(16_384), Some(16_386));
        assert_eq!(lines.get(39_999), Some(40_001));
    }
}
