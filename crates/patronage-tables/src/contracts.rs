//! Table contracts: the promise made to users about every table the pipeline
//! writes — its key, its columns, their types and units. The writer checks each
//! output frame against its contract, and the data dictionary (docs/tables.md and
//! `patronage schema --json`) is generated from the same lists, so the three
//! cannot drift apart.

/// Bumped whenever a contract changes in a way a loader would notice. 2:
/// `trade_flows` and `rejects` gain `source_column` (a record's place on its
/// line, for files that hold many records on one line), part of their keys.
/// 3: `mirror_trade` gains `derivation` (figures summed from 6-digit rows where
/// a source has no total); `mirror_all` speaks the vocabulary of `mirror_trade`
/// (`focus_iso3`, `partner_iso3`, `focus_exports_usd`, `focus_imports_usd`,
/// and `focus_exports_mills`, `focus_imports_mills` for the exact sums).
pub const SCHEMA_VERSION: u32 = 3;

/// Logical column types, as Parquet readers see them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// UTF-8 text.
    Str,
    /// 32-bit signed integer.
    Int32,
    /// 64-bit signed integer.
    Int64,
    /// 64-bit float.
    Float64,
    /// Boolean.
    Bool,
}

impl ColumnType {
    /// The name used in the data dictionary.
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnType::Str => "string",
            ColumnType::Int32 => "int32",
            ColumnType::Int64 => "int64",
            ColumnType::Float64 => "float64",
            ColumnType::Bool => "bool",
        }
    }
}

/// One column of a table contract.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    /// Column name; units live in the name (`_usd`, `_kg`).
    pub name: &'static str,
    /// Logical type.
    pub dtype: ColumnType,
    /// Whether the column may hold nulls.
    pub nullable: bool,
    /// What the column means, for the data dictionary.
    pub doc: &'static str,
}

/// A table contract.
#[derive(Debug, Clone, Copy)]
pub struct TableSpec {
    /// File stem of the Parquet output.
    pub name: &'static str,
    /// Columns that identify a row; the table is sorted by them.
    pub key: &'static [&'static str],
    /// What one row is.
    pub doc: &'static str,
    /// Columns in output order.
    pub columns: &'static [ColumnSpec],
}

impl TableSpec {
    /// The column named `name`, if the contract has it.
    pub fn column(&self, name: &str) -> Option<&ColumnSpec> {
        self.columns.iter().find(|c| c.name == name)
    }
}

const fn col(
    name: &'static str,
    dtype: ColumnType,
    nullable: bool,
    doc: &'static str,
) -> ColumnSpec {
    ColumnSpec {
        name,
        dtype,
        nullable,
        doc,
    }
}

use ColumnType::{Bool, Float64, Int32, Int64, Str};

const TRADE_FLOWS_COLUMNS: [ColumnSpec; 22] = [
        col("source_id", Str, false, "Source id from the pipeline file."),
        col("source_file", Str, false, "File the row was read from, relative to the pipeline file."),
        col("source_line", Int64, false, "Line of the row in that file (the header is line 1 of a delimited file; for JSON, the line where the record starts)."),
        col("source_column", Int64, false, "Column on that line where the record starts, 1-based in characters: 1 for a row of a delimited file; for JSON, where the record's `{` is, which tells apart the records of a response saved on one line."),
        col("year", Int32, false, "Calendar year of the figure."),
        col("month", Int32, true, "Month 1-12 when the figure covers exactly one month; null for annual and multi-month figures."),
        col("month_first", Int32, false, "First month the figure covers (1 for annual figures)."),
        col("month_last", Int32, false, "Last month the figure covers (12 for annual figures; 2 for a January-February cumulative figure)."),
        col("reporter_code", Int32, false, "Reporter's numeric code as published (UN Comtrade / M49 style)."),
        col("reporter_iso3", Str, false, "Reporter, ISO 3166-1 alpha-3 valid in `year` (SUN = USSR through 1991, RUS from 1992)."),
        col("partner_code", Int32, false, "Partner's numeric code as published (China customs: GACC's own codes, 109 = DPRK); for sources that publish ISO alpha-2 letters (Russian customs), the Comtrade code."),
        col("partner_iso3", Str, false, "Partner, ISO 3166-1 alpha-3 valid in `year`; WLD = world."),
        col("flow", Str, false, "import, export, re_import or re_export, as the reporter records it; total for a published turnover (imports plus exports, as China customs' import-and-export query or a `published_totals` source gives it), which mirror_trade uses only where no export/import split exists, never splitting it."),
        col("classification", Str, false, "Commodity classification as published (H0..H6, S1..S4, ...)."),
        col("commodity_code", Str, false, "Commodity code as published, leading zeros kept; TOTAL = all commodities."),
        col("commodity_level", Int32, false, "Aggregation level: 0 for TOTAL, else the number of digits of the code (2, 4, 6...). Rows of different levels are never summed together."),
        col("value_usd", Float64, false, "Trade value in current US dollars (Comtrade primaryValue)."),
        col("valuation", Str, false, "CIF or FOB: the one of the source's CIF and FOB values that value_usd equals; where the source gives neither, CIF for imports and FOB for exports (BACI: FOB); mixed for a total of both flows; as_published for a figure of a `published_totals` source (the publisher's own basis)."),
        col("net_weight_kg", Float64, true, "Net weight in kilograms, when published."),
        col("quantity", Float64, true, "Quantity in `quantity_unit_code` units, when published."),
        col("quantity_unit_code", Int32, true, "UN Comtrade quantity unit code (8 = kg, 5 = items, ...); null when none (-1)."),
        col("is_estimated", Bool, false, "True when the source flags the quantity or the net weight as estimated."),
];

// The mirror vocabulary: the columns `mirror_trade` and `mirror_all` share,
// declared once so both tables say the same thing in the same words.

/// The focus country, ISO3.
const FOCUS_ISO3: ColumnSpec = col(
    "focus_iso3",
    Str,
    false,
    "The country whose trade is rebuilt (the focus), ISO 3166-1 alpha-3 valid in `year`.",
);
/// The partner, ISO3.
const PARTNER_ISO3: ColumnSpec = col(
    "partner_iso3",
    Str,
    false,
    "The trading partner, ISO 3166-1 alpha-3 valid in `year`.",
);
/// Focus exports in dollars.
const FOCUS_EXPORTS_USD: ColumnSpec = col("focus_exports_usd", Float64, true, "Focus exports to the partner, current US dollars: the partner's reported imports from the focus (CIF) for Comtrade-style sources, the reconciled FOB value of the focus's exports for BACI; null when not reported.");
/// Focus imports in dollars.
const FOCUS_IMPORTS_USD: ColumnSpec = col("focus_imports_usd", Float64, true, "Focus imports from the partner, current US dollars: the partner's reported exports to the focus (FOB) for Comtrade-style sources, the reconciled FOB value of the focus's imports for BACI; null when not reported.");

/// Canonical trade flows, one row per source row kept.
pub const TRADE_FLOWS: TableSpec = TableSpec {
    name: "trade_flows",
    key: &["source_id", "source_file", "source_line", "source_column"],
    doc: "Every trade figure kept from every source, with codes mapped to ISO3 and values in USD.",
    columns: &TRADE_FLOWS_COLUMNS,
};

/// The focus country's trade rebuilt from its partners' reports.
pub const MIRROR_TRADE: TableSpec = TableSpec {
    name: "mirror_trade",
    key: &["focus_iso3", "partner_iso3", "year", "month_first", "month_last"],
    doc: "The focus country's trade with each partner per year (month_first=1, month_last=12), per month, and per published multi-month period, rebuilt from what the partners report.",
    columns: &[
        FOCUS_ISO3,
        PARTNER_ISO3,
        col("year", Int32, false, "Calendar year."),
        col("month", Int32, true, "Month when the row covers exactly one month; null otherwise."),
        col("month_first", Int32, false, "First month of the period covered."),
        col("month_last", Int32, false, "Last month of the period covered."),
        col("commodity_code", Str, false, "Commodity the row is built from (TOTAL unless the pipeline sets `commodity`)."),
        FOCUS_EXPORTS_USD,
        FOCUS_IMPORTS_USD,
        col("total_usd", Float64, true, "focus_exports_usd + focus_imports_usd when both are known; else the published total of both directions (a turnover as printed, flow `total` in trade_flows), which is never split into the two; null when neither exists."),
        col("balance_usd", Float64, true, "focus_exports_usd - focus_imports_usd; null unless both are known."),
        col("months_covered", Int32, false, "Months with data behind the row: 12 for a reported annual figure, the number of monthly figures summed otherwise."),
        col("basis", Str, false, "mirror (from the partner's reports) or direct (from the focus country's own reports, used only where no partner report exists)."),
        col("derivation", Str, false, "How the figures were obtained: reported (the source's row at commodity_code) or sum_of_level_N (where a source has no such row for a figure, the sum of its HS rows of N digits below it: 6, else 4, else 2, one level only); mixed when the row's figures were obtained differently. A reported figure is preferred to a sum from any source."),
        col("source_ids", Str, false, "Sources the row was built from, in priority order, comma separated."),
    ],
};

/// Each partner's share of the focus country's trade per year.
pub const PARTNER_SHARE: TableSpec = TableSpec {
    name: "partner_share",
    key: &["focus_iso3", "year", "partner_iso3"],
    doc: "Each partner's share of the focus country's annual trade, with the denominator stated.",
    columns: &[
        col("focus_iso3", Str, false, "The focus country."),
        col("year", Int32, false, "Calendar year."),
        col("partner_iso3", Str, false, "The trading partner."),
        col("total_usd", Float64, false, "The partner's annual total trade with the focus (mirror_trade.total_usd)."),
        col("share", Float64, false, "total_usd / denominator_usd, between 0 and 1."),
        col("rank", Int32, false, "1 = the largest partner that year."),
        col("denominator_usd", Float64, false, "What the share is of, in USD."),
        col("denominator", Str, false, "What the denominator is: the sum of the annual totals of the partners in this build (the focus publishes no world total)."),
        col("denominator_partners", Int32, false, "How many partners the denominator sums."),
    ],
};

/// Period-over-period comparisons declared in the pipeline file.
pub const TRADE_WINDOWS: TableSpec = TableSpec {
    name: "trade_windows",
    key: &["window_id", "partner_iso3"],
    doc: "Trade in a current period against a baseline period, as a headline claim states it (\"up 73% in January-February\").",
    columns: &[
        col("window_id", Str, false, "Window id from the pipeline file."),
        col("focus_iso3", Str, false, "The focus country."),
        col("partner_iso3", Str, false, "The partner."),
        col("current_from", Str, false, "First month of the current period, YYYY-MM."),
        col("current_to", Str, false, "Last month of the current period, YYYY-MM."),
        col("baseline_from", Str, false, "First month of the baseline period, YYYY-MM."),
        col("baseline_to", Str, false, "Last month of the baseline period, YYYY-MM."),
        col("current_total_usd", Float64, true, "Total trade in the current period; null unless both flows are known."),
        col("baseline_total_usd", Float64, true, "Total trade in the baseline period."),
        col("total_change_pct", Float64, true, "100 * (current / baseline - 1) for the total."),
        col("current_exports_usd", Float64, true, "Focus exports in the current period."),
        col("baseline_exports_usd", Float64, true, "Focus exports in the baseline period."),
        col("exports_change_pct", Float64, true, "Change in focus exports, percent."),
        col("current_imports_usd", Float64, true, "Focus imports in the current period."),
        col("baseline_imports_usd", Float64, true, "Focus imports in the baseline period."),
        col("imports_change_pct", Float64, true, "Change in focus imports, percent."),
        col("current_months_covered", Int32, false, "Months of the current period with data."),
        col("baseline_months_covered", Int32, false, "Months of the baseline period with data."),
        col("complete", Bool, false, "True when every month of both periods is covered, by monthly figures or by a figure for exactly that span."),
    ],
};

/// Workers abroad, one row per published figure: each with its measure, never
/// mixed with another measure.
pub const LABOR_STOCK: TableSpec = TableSpec {
    name: "labor_stock",
    key: &["source_id", "source_file", "source_ref", "year", "host_iso3", "sector", "measure"],
    doc: "Every figure of workers from one country in another, from statistics sheets (one row per figure cell) and the estimates ledger (one row per entry), with its measure and how exactly it was published.",
    columns: &[
        col("source_id", Str, false, "Source id from the pipeline file."),
        col("source_file", Str, false, "File the figure was read from, relative to the pipeline file."),
        col("source_line", Int64, false, "Sheet row (1-based, as the spreadsheet numbers it) or file line of the figure."),
        col("source_ref", Str, false, "Where in the source: the cell (`2-T!E7`, sheet as declared in the pipeline) or the ledger entry's `ref`."),
        col("year", Int32, false, "Year the figure belongs to."),
        col("as_of", Str, true, "Date a stock refers to (YYYY-MM-DD, YYYY-MM), when the source gives one; null for counts over the year and undated stocks."),
        col("host_iso3", Str, false, "Country where the workers work, ISO 3166-1 alpha-3."),
        col("origin_iso3", Str, false, "Country the workers come from (citizenship), ISO 3166-1 alpha-3."),
        col("region", Str, true, "Region of the host country, when the figure covers one region only."),
        col("sector", Str, false, "timber, construction, agriculture, fishing, other, or all (no breakdown)."),
        col("measure", Str, false, "work_permits_issued (in the year), workers_present (on a date), quota (for the year), entries (in the year), estimate (basis not stated). Never summed across measures."),
        col("workers", Int64, false, "The number as published (persons)."),
        col("qualifier", Str, false, "exact, about, more_than, at_least, almost, less_than or up_to: how the number was published (\"~8,000\" is 8000 about)."),
        col("note", Str, true, "What the source says the figure covers, when more than the columns say."),
        col("citation", Str, true, "Who published the figure, where (URL) and when; for sheet figures the pipeline source's description."),
    ],
};

/// Events that explain jumps in the figures: sanctions, agreements, transport
/// links, visits.
pub const EVENTS: TableSpec = TableSpec {
    name: "events",
    key: &["date", "kind", "title"],
    doc: "The timeline: sanctions, agreements, transport links and visits, each with its citation.",
    columns: &[
        col(
            "date",
            Str,
            false,
            "ISO 8601 date as precise as the source: YYYY-MM-DD, YYYY-MM or YYYY.",
        ),
        col("year", Int32, false, "Year of the date."),
        col(
            "kind",
            Str,
            false,
            "sanction, agreement, transport or visit.",
        ),
        col("title", Str, false, "What happened, in one line."),
        col(
            "detail",
            Str,
            true,
            "Terms that matter for the figures (deadlines, quotas, capacities).",
        ),
        col("source_id", Str, false, "Source id from the pipeline file."),
        col(
            "source_file",
            Str,
            false,
            "Events file, relative to the pipeline file.",
        ),
        col(
            "source_line",
            Int64,
            false,
            "Line of the event in that file.",
        ),
        col(
            "source_ref",
            Str,
            false,
            "Citation: who published it, where (URL) and when.",
        ),
    ],
};

/// One number per year, host, origin and measure.
pub const LABOR_SUMMARY: TableSpec = TableSpec {
    name: "labor_summary",
    key: &["year", "host_iso3", "origin_iso3", "measure"],
    doc: "Workers per year, host, origin and measure, from labor_stock: one measure per number, always. Figures come from one source (the first declared that has the measure): counts over the year are summed across sectors; for stocks, the figures at the latest date given that year are summed across sectors.",
    columns: &[
        col("year", Int32, false, "Year."),
        col("host_iso3", Str, false, "Host country."),
        col("origin_iso3", Str, false, "Workers' country."),
        col("measure", Str, false, "The one measure the number is (see labor_stock.measure)."),
        col("workers", Int64, false, "The number: the `all` figure where the source gives one, else the sum of its sector figures."),
        col("qualifier", Str, false, "The figures' qualifier when they share one (exact, about, ...), else mixed."),
        col("as_of", Str, true, "Date of the stock figures used; null for counts over the year and undated stocks."),
        col("figures", Int32, false, "labor_stock rows behind the number."),
        col("source_id", Str, false, "Source the figures come from."),
        col("share_timber", Float64, true, "Timber's share of `workers`, where the source breaks it down; else null."),
        col("share_construction", Float64, true, "Construction's share, where known."),
        col("share_agriculture", Float64, true, "Agriculture's share, where known."),
        col("share_fishing", Float64, true, "Fishing's share, where known."),
        col("share_other", Float64, true, "Other sectors' share, where known."),
        col("previous_workers", Int64, true, "The same measure's number the year before, when there is one."),
        col("change", Int64, true, "workers - previous_workers."),
        col("change_pct", Float64, true, "100 * (workers / previous_workers - 1)."),
    ],
};

/// Every source's figure for the same partner, period and direction, side by side.
pub const SOURCE_COMPARISON: TableSpec = TableSpec {
    name: "source_comparison",
    key: &["focus_iso3", "partner_iso3", "year", "month_first", "month_last", "direction", "source_id"],
    doc: "Each source's figure for the focus country's trade with a partner in a period and direction, with how far the sources are apart (mirror_trade takes the source with the lowest priority number).",
    columns: &[
        col("focus_iso3", Str, false, "The focus country."),
        col("partner_iso3", Str, false, "The partner."),
        col("year", Int32, false, "Calendar year."),
        col("month_first", Int32, false, "First month of the period."),
        col("month_last", Int32, false, "Last month of the period."),
        col("direction", Str, false, "focus_exports (the partner's imports from the focus), focus_imports (its exports to the focus) or total (both)."),
        col("source_id", Str, false, "Source id from the pipeline file."),
        col("priority", Int32, false, "1 = declared first in the pipeline: the source mirror_trade prefers."),
        col("basis", Str, false, "mirror (the partner's report), direct (the focus country's own, used only where the source has no partner report) or mixed."),
        col("derivation", Str, false, "reported (the source's total row), sum_of_level_N (the sum of its N-digit commodity rows, one level only, confidential goods included) or exports_plus_imports."),
        col("valuation", Str, false, "CIF, FOB or mixed."),
        col("value_usd", Float64, false, "The source's figure, current US dollars."),
        col("cif_fob_factor", Float64, true, "The pipeline's cif_fob_factor; null when none is set."),
        col("value_fob_usd", Float64, true, "value_usd with CIF values divided by cif_fob_factor (FOB values unchanged); null without a factor or for a reported total of mixed valuation."),
        col("sources_compared", Int32, false, "How many sources give this figure."),
        col("min_usd", Float64, false, "Smallest value_usd among them."),
        col("max_usd", Float64, false, "Largest value_usd among them."),
        col("spread_usd", Float64, false, "max_usd - min_usd."),
        col("spread_pct", Float64, true, "100 * spread_usd / min_usd; null when min_usd is 0."),
        col("vs_first_source_usd", Float64, false, "value_usd minus the figure of the highest-priority source giving one."),
    ],
};

/// The focus country's trade broken into HS chapters.
pub const TRADE_BY_COMMODITY: TableSpec = TableSpec {
    name: "trade_by_commodity",
    key: &["focus_iso3", "partner_iso3", "year", "flow", "hs2"],
    doc: "The focus country's annual trade with each partner per HS chapter, from 6-digit rows or from chapter rows of one source, never a mix.",
    columns: &[
        col("focus_iso3", Str, false, "The focus country."),
        col("partner_iso3", Str, false, "The partner."),
        col("year", Int32, false, "Calendar year."),
        col("flow", Str, false, "export or import, from the focus country's side."),
        col("hs2", Str, false, "HS chapter, two digits."),
        col("value_usd", Float64, false, "Trade in the chapter, current US dollars."),
        col("share_of_flow", Float64, false, "value_usd over the sum of the flow's chapters (0-1)."),
        col("commodity_level_used", Int32, false, "6 when summed from 6-digit rows, 2 when the source gives chapters."),
        col("basis", Str, false, "mirror (the partner's report) or direct (the focus country's own)."),
        col("source_id", Str, false, "The one source the figure comes from (a partner report first, then the source declared first)."),
        col("classification", Str, false, "HS revisions the chapter was summed in, `+` between them: the pipeline's classification_target where rows were converted, else as reported (H0..H6)."),
        col("conversion", Str, false, "How the rows were converted to classification_target, `+` between flags: as_reported, exact (one-to-one or many-to-one), split_same_code or split_equal (one-to-many, by the declared rule), coarse_unconverted (a 2- or 4-digit row of another revision), code_not_in_revision, revision_unknown."),
    ],
};

/// Trade in named groups of HS codes (a pipeline's `[[commodity_groups]]`).
pub const TRADE_BY_GROUP: TableSpec = TableSpec {
    name: "trade_by_group",
    key: &["focus_iso3", "partner_iso3", "group_id", "flow", "year", "month_first", "month_last"],
    doc: "The focus country's trade with each partner in each commodity group of the pipeline (sanctioned goods), per flow and period, from one source at one level of detail: 6-digit rows where the source has them.",
    columns: &[
        col("focus_iso3", Str, false, "The focus country."),
        col("partner_iso3", Str, false, "The partner."),
        col("group_id", Str, false, "The group, as declared in [[commodity_groups]]."),
        col("flow", Str, false, "export or import, from the focus country's side."),
        col("year", Int32, false, "Calendar year."),
        col("month_first", Int32, false, "First month of the period (1 for a year)."),
        col("month_last", Int32, false, "Last month of the period (12 for a year)."),
        col("value_usd", Float64, false, "Trade in the group's codes over the period, current US dollars."),
        col("commodity_level_used", Int32, false, "Digits of the rows summed: 6, 4 or 2 (the finest the source has for the group)."),
        col("basis", Str, false, "mirror (the partner's report) or direct (the focus country's own)."),
        col("source_id", Str, false, "The one source the figure comes from (a partner report first, then the source declared first)."),
        col("classification", Str, false, "HS revisions the rows were in (or converted to), `+` between them."),
        col("conversion", Str, false, "How the rows were converted to classification_target, `+` between flags (as in trade_by_commodity)."),
    ],
};

/// The bans and caps on each commodity group.
pub const COMMODITY_GROUP_BANS: TableSpec = TableSpec {
    name: "commodity_group_bans",
    key: &["group_id", "date", "resolution"],
    doc: "Each commodity group's bans and caps as the pipeline declares them: the resolution, its date and its citation.",
    columns: &[
        col("group_id", Str, false, "The group."),
        col("group_description", Str, false, "What the group holds."),
        col("hs_codes", Str, false, "The group's HS codes (2, 4 or 6 digits), space separated."),
        col("date", Str, false, "Date the resolution was adopted, YYYY-MM-DD."),
        col("year", Int32, false, "Year of the date."),
        col("resolution", Str, false, "The resolution (UNSCR 2371)."),
        col("measure", Str, false, "ban or cap."),
        col("detail", Str, false, "What it says about the group."),
        col("citation", Str, false, "Where its text or a report of it was published."),
    ],
};

/// Rows that could not be used, with the text that was read.
pub const REJECTS: TableSpec = TableSpec {
    name: "rejects",
    key: &["stage", "source_id", "source_file", "source_line", "source_column"],
    doc:
        "Every row that was read but could not be used, with a stable reason code and the raw text.",
    columns: &[
        col(
            "stage",
            Str,
            false,
            "extract (the row could not be parsed), normalize (its codes could not be mapped) or mirror_all (the `[mirror_all]` step could not fold it).",
        ),
        col("source_id", Str, false, "Source id from the pipeline file."),
        col(
            "source_file",
            Str,
            false,
            "File, relative to the pipeline file.",
        ),
        col("source_line", Int64, false, "Line in that file."),
        col(
            "source_column",
            Int64,
            false,
            "Column on that line where the record starts (1 for a row of a delimited file or a sheet; for JSON, where the record starts).",
        ),
        col(
            "reason",
            Str,
            false,
            "Stable reason code (bad_number, field_count, unknown_country_code, ...).",
        ),
        col("detail", Str, false, "What was wrong, naming the column."),
        col(
            "raw",
            Str,
            false,
            "The offending row as read, cut at 1,000 characters.",
        ),
    ],
};

/// Aid statements and flows, one row per stage of one package (archival ledgers)
/// or per flow and usage year (OCHA FTS), or per measure (OECD CRS).
pub const AID_EVENTS: TableSpec = TableSpec {
    name: "aid_events",
    key: &["source_id", "source_ref", "event_id"],
    doc: "Every aid figure kept from every source: requests, pledges, commitments, deliveries and payments, with the document each came from and US dollar values where a cited rate allows.",
    columns: &[
        col("source_id", Str, false, "Source id from the pipeline file."),
        col("source_file", Str, false, "File the figure was read from, relative to the pipeline file."),
        col("source_line", Int64, false, "Line of the record in that file (for JSON, the line where the record starts)."),
        col("source_ref", Str, false, "The record in its source: `fts:flow:<id>` for OCHA FTS, `<file>:<line>` for ledgers and OECD CRS."),
        col("event_id", Str, false, "The event, unique within the source: the ledger's event_id; `<flow id>/<usage year>` for FTS; `L<line>/<measure>` for CRS (commitment or disbursement; the CrsID is in document_url)."),
        col("package_id", Str, true, "Links the stages of one request (requested -> promised -> delivered); null when the source has no such link."),
        col("date", Str, true, "Date as recorded: YYYY, YYYY-MM or YYYY-MM-DD."),
        col("year", Int32, false, "Year the figure belongs to (for FTS, the usage year the flow was split to)."),
        col("donor", Str, false, "Donor as the source names it (ISO3 in ledgers, organization name in FTS, DonorName in CRS)."),
        col("donor_iso3", Str, true, "Donor country, ISO 3166-1 alpha-3 (SUN = USSR); null for organizations without a country."),
        col("recipient", Str, false, "Recipient as the source names it."),
        col("recipient_iso3", Str, true, "Recipient country, ISO3; null when the source names none or several."),
        col("stage", Str, false, "requested, pledged, committed, delivered or paid."),
        col("instrument", Str, true, "grant, loan, credit, in_kind or barter, when known."),
        col("category", Str, true, "What was given: grain, coking_coal, cotton, equipment, cash, ..."),
        col("item", Str, true, "A finer label (a plant, a project, a flow description), when recorded."),
        col("quantity", Float64, true, "Quantity in `quantity_unit`, when recorded; null when the document gives none."),
        col("quantity_unit", Str, true, "Unit of `quantity` as recorded (t, kt, kg, ...)."),
        col("quantity_t", Float64, true, "Quantity in metric tons when the unit is a mass unit."),
        col("amount_original", Float64, true, "Amount in `currency_original`."),
        col("currency_original", Str, true, "Currency of the amount: ISO 4217, or RUB_1947 (Soviet rubles before 1961), CNY_1948 (yuan before March 1955)."),
        col("fx_rate", Float64, true, "Units of `currency_original` per US dollar used (FTS: the flow's own exchangeRate)."),
        col("amount_usd", Float64, true, "Amount in current US dollars; null when no cited rate covers the currency and year (see usd_gap)."),
        col("amount_usd_constant", Float64, true, "Amount in constant US dollars of the pipeline's `[aid] base_year`, deflated by the US CPI-U."),
        col("usd_gap", Str, true, "Why amount_usd or amount_usd_constant is null: no_amount, unknown_currency, no_fx_rate_for_year, no_price_index_for_year."),
        col("confirmed", Bool, false, "False when the figure is not confirmed in a primary document (e.g. known only from a secondary essay)."),
        col("document", Str, true, "Title of the document the figure comes from."),
        col("document_date", Str, true, "Date of that document."),
        col("archive", Str, true, "Archive, collection or publisher, with the file reference."),
        col("document_url", Str, true, "URL or record id of the document."),
        col("note", Str, true, "Free text recorded with the figure."),
    ],
};

/// Requested, promised and delivered per aid package.
pub const AID_FULFILLMENT: TableSpec = TableSpec {
    name: "aid_fulfillment",
    key: &["package_id", "category", "measure"],
    doc: "Per package and category: what was requested, promised (committed, or pledged when nothing was committed) and delivered (delivered or paid), in tons or in the package's currency, and the ratios between them.",
    columns: &[
        col("package_id", Str, false, "Package id from the source."),
        col("category", Str, false, "What was given (empty string when the source records none)."),
        col("measure", Str, false, "Unit of requested/promised/delivered: `t` when quantities in tons are recorded, else the currency of the amounts (RUB_1947, USD, ...), else `none`."),
        col("donor", Str, false, "Donor(s) of the package, comma separated."),
        col("recipient", Str, false, "Recipient(s) of the package, comma separated."),
        col("year", Int32, false, "Earliest year among the package's events."),
        col("requested", Float64, true, "Sum of requested figures; null when none is recorded."),
        col("promised", Float64, true, "Sum of committed figures, or of pledged figures when nothing was committed; null when none."),
        col("delivered", Float64, true, "Sum of delivered and paid figures; null when none."),
        col("promised_over_requested", Float64, true, "promised / requested; null unless both are known and requested > 0."),
        col("delivered_over_promised", Float64, true, "delivered / promised; null unless both are known and promised > 0."),
        col("promise_exceeds_request", Bool, false, "True when more was promised than requested (kept, flagged for review)."),
        col("confirmed", Bool, false, "False when any figure of the package is not confirmed in a primary document."),
        col("events", Int32, false, "aid_events rows behind this row."),
        col("source_ids", Str, false, "Sources of those events, comma separated."),
    ],
};

/// Aid per donor and year by status, in current and constant dollars.
pub const AID_BY_DONOR_YEAR: TableSpec = TableSpec {
    name: "aid_by_donor_year",
    key: &["donor", "recipient", "year"],
    doc: "Aid per donor, recipient and year by status: paid (paid or delivered), committed and pledged, in current and constant US dollars. Requests are not aid and are left out.",
    columns: &[
        col("donor", Str, false, "Donor: its ISO3 code where the sources give a country, else the name they use."),
        col("donor_iso3", Str, true, "Donor country, when known."),
        col("recipient", Str, false, "Recipient: its ISO3 code where known, else the name the sources use."),
        col("recipient_iso3", Str, true, "Recipient country, when known."),
        col("year", Int32, false, "Year (FTS: usage year)."),
        col("paid_usd", Float64, true, "Paid or delivered, current USD; null when no such event has a dollar value."),
        col("committed_usd", Float64, true, "Committed, current USD."),
        col("pledged_usd", Float64, true, "Pledged, current USD."),
        col("paid_usd_constant", Float64, true, "Paid or delivered, constant USD of the base year."),
        col("committed_usd_constant", Float64, true, "Committed, constant USD of the base year."),
        col("pledged_usd_constant", Float64, true, "Pledged, constant USD of the base year."),
        col("base_year", Int32, false, "Base year of the constant-dollar columns."),
        col("events", Int32, false, "aid_events rows summed (requests excluded)."),
        col("events_without_usd", Int32, false, "Of those, rows with no dollar value (their figures are in no sum)."),
    ],
};

/// Each patron's weight with the focus country, year by year, and who led.
pub const PATRON_INFLUENCE: TableSpec = TableSpec {
    name: "patron_influence",
    key: &["focus_iso3", "year", "patron_iso3"],
    doc: "The focus country's ties to each declared patron per year, for every year in which any trade, aid or labor figure exists: full-year trade from mirror_trade, aid in constant dollars from aid_by_donor_year, workers from labor_summary, and the year's lead patron. A patron is listed only in years its code is valid (SUN through 1991, RUS from 1992); `patron_series` joins a state and its successor into one series.",
    columns: &[
        col("focus_iso3", Str, false, "The focus country."),
        col("year", Int32, false, "Calendar year."),
        col("patron_iso3", Str, false, "The patron, as valid that year."),
        col("patron_series", Str, false, "The series the patron belongs to: `SUN-RUS` for the USSR (through 1991) and Russia (from 1992), else the patron's ISO3. Charts and comparisons over time use it, and say where it changes hands."),
        col("trade_usd", Float64, true, "Full-year trade with the focus (mirror_trade.total_usd, 12 months covered); null when no full-year figure exists."),
        col("trade_source_ids", Str, true, "mirror_trade.source_ids of that figure."),
        col("trade_share", Float64, true, "trade_usd over the sum of trade_usd of the patrons with a full-year figure that year (see `trade_patrons`); not a share of the focus country's world trade."),
        col("trade_patrons", Int32, false, "Patrons with a full-year trade figure that year."),
        col("aid_usd_constant", Float64, true, "Aid to the focus in constant US dollars of the pipeline's `[aid] base_year`, at the furthest stage recorded (`aid_stage`); null when no record has a dollar value."),
        col("aid_stage", Str, true, "paid, committed or pledged: which column of aid_by_donor_year `aid_usd_constant` is (paid when recorded, else committed, else pledged)."),
        col("aid_records", Int32, false, "aid_events rows of the patron to the focus that year, any stage, priced or not (requests included)."),
        col("workers", Int64, true, "Workers from the focus in the patron's country (labor_summary.workers) in the best measure held: workers_present, else work_permits_issued, else estimate, else any other."),
        col("workers_measure", Str, true, "The measure `workers` is."),
        col("workers_qualifier", Str, true, "Its qualifier (exact, about, more_than, ...)."),
        col("lead_patron", Str, true, "The year's lead patron: highest trade_usd where any patron has a full-year figure, else highest aid_usd_constant, else most workers, else most aid records; null when no patron has any figure that year. Ties go to the first in alphabetical order."),
        col("lead_basis", Str, false, "What decided the lead: trade, aid, workers, aid_records, or none."),
        col("patrons_compared", Int32, false, "Patrons with a figure on that basis that year: 1 means the lead is uncontested in the data, not measured against a rival."),
    ],
};

/// Published statements checked against this build's tables.
pub const CLAIMS: TableSpec = TableSpec {
    name: "claims",
    key: &["claim_id"],
    doc: "One row per `[[claims]]` entry of the pipeline file: a published statement, the figure it states, the figure this build computes from its tables, and the verdict.",
    columns: &[
        col("claim_id", Str, false, "Claim id from the pipeline file."),
        col("text", Str, false, "The statement, as published."),
        col("source", Str, false, "Who published it, where and when."),
        col("table_name", Str, false, "The table the figure is computed from."),
        col("filter", Str, false, "The rows used (`column in [values]` and ...); empty for every row."),
        col("column", Str, false, "The column computed on; empty for `count`."),
        col("measure", Str, false, "value (the one matching row), sum, min, max, count, ratio (sum over `numerator` rows / sum over `denominator` rows) or max_ratio (the largest such ratio over the groups of `per` having both)."),
        col("expected", Float64, false, "The figure the statement gives, in `unit`."),
        col("computed", Float64, true, "The figure computed from the tables; null when not computable."),
        col("unit", Str, false, "Unit of expected, computed and tolerance."),
        col("comparison", Str, false, "about (|deviation| <= tolerance), at_most (computed <= expected + tolerance) or at_least (computed >= expected - tolerance)."),
        col("tolerance", Float64, false, "Allowed deviation, in `unit`."),
        col("deviation", Float64, true, "computed - expected."),
        col("deviation_pct", Float64, true, "100 * deviation / expected; null when expected is 0."),
        col("status", Str, false, "reproduced, deviates or not_computable."),
        col("reason", Str, true, "Why not computable, or what the computation found (the rows or groups behind it: for max_ratio every group compared, with its ratio), and with `cite` the values of that column among the rows used (the sources)."),
        col("rows_matched", Int32, false, "Rows of the table the filter kept."),
    ],
};

/// The outcome of every data check of a run.
pub const CHECK_RESULTS: TableSpec = TableSpec {
    name: "check_results",
    key: &["check"],
    doc: "One row per data check of the run: those the pipeline file declares and the row accounting check of every source.",
    columns: &[
        col("check", Str, false, "Check name from the pipeline file; `conservation_<source id>` for the built-in row accounting check of a source."),
        col("kind", Str, false, "unique, not_null, accepted_values, range, relationships, row_count_min, row_count_max, group_sum, source_agreement or conservation."),
        col("table", Str, false, "The table checked."),
        col("severity", Str, false, "error (a failure makes `patronage run` exit with code 1) or warn."),
        col("status", Str, false, "pass, fail, or skipped (the table is not built by this run)."),
        col("failing_rows", Int64, false, "Rows that fail: for a group check, the rows of the failing groups; 0 for a row_count_min failure."),
        col("detail", Str, false, "What was tested and what was found."),
        col("sample", Str, false, "Up to 5 failing rows or groups as `column=value` text, one per line, each cut at 1,000 characters; empty when the check passes."),
    ],
};

/// Every table, in the order the data dictionary lists them.
pub const ALL_TABLES: &[&TableSpec] = &[
    &TRADE_FLOWS,
    &MIRROR_TRADE,
    &PARTNER_SHARE,
    &TRADE_WINDOWS,
    &AID_EVENTS,
    &AID_FULFILLMENT,
    &AID_BY_DONOR_YEAR,
    &LABOR_STOCK,
    &EVENTS,
    &LABOR_SUMMARY,
    &TRADE_BY_COMMODITY,
    &TRADE_BY_GROUP,
    &COMMODITY_GROUP_BANS,
    &SOURCE_COMPARISON,
    &PATRON_INFLUENCE,
    &CLAIMS,
    &REJECTS,
    &CHECK_RESULTS,
];

/// Mirror totals for every country, written by `patronage mirror-all` and by
/// `patronage run` when the pipeline declares a `[mirror_all]` step: listed
/// apart from [`ALL_TABLES`] (the tables every run writes) in
/// [`MIRROR_ALL_TABLES`].
pub const MIRROR_ALL: TableSpec = TableSpec {
    name: "mirror_all",
    key: &["source", "focus_code", "partner_code", "year"],
    doc: "Mirror totals for every country as focus: the focus's exports to and imports from each partner per year, from one full-size source (SYNTHETIC in the benchmarks).",
    columns: &[
        col("source", Str, false, "baci or comtrade_v1_bulk (`patronage mirror-all`), or the source id (a pipeline's `[mirror_all]` step)."),
        col("focus_code", Int32, false, "Focus country, code as published."),
        FOCUS_ISO3,
        col("partner_code", Int32, false, "Partner country, code as published."),
        PARTNER_ISO3,
        col("year", Int32, false, "Calendar year."),
        FOCUS_EXPORTS_USD,
        FOCUS_IMPORTS_USD,
        col("focus_exports_mills", Int64, true, "focus_exports_usd exactly, in integer thousandths of a US dollar (the sum as folded); null when not reported."),
        col("focus_imports_mills", Int64, true, "focus_imports_usd exactly, in integer thousandths of a US dollar (the sum as folded); null when not reported."),
        col("rows_folded", Int64, false, "Source rows summed into this row, both directions."),
    ],
};

/// The tables `patronage mirror-all` writes besides `rejects` (whose contract it
/// shares with the pipeline).
pub const MIRROR_ALL_TABLES: &[&TableSpec] = &[&MIRROR_ALL];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_columns_and_names_unique() {
        for t in ALL_TABLES.iter().chain(MIRROR_ALL_TABLES) {
            for k in t.key {
                assert!(t.column(k).is_some(), "{}: key {k} is not a column", t.name);
            }
            let mut names: Vec<_> = t.columns.iter().map(|c| c.name).collect();
            names.sort_unstable();
            let n = names.len();
            names.dedup();
            assert_eq!(n, names.len(), "{}: duplicate column", t.name);
        }
    }
}
