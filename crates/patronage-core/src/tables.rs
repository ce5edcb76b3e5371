//! Table contracts: the promise made to users about every table the pipeline
//! writes — its key, its columns, their types and units. The writer checks each
//! output frame against its contract, and the README's data dictionary is
//! generated from the same lists, so the three cannot drift apart.

/// Bumped whenever a contract changes in a way a loader would notice.
pub const SCHEMA_VERSION: u32 = 1;

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

const TRADE_FLOWS_COLUMNS: [ColumnSpec; 21] = [
        col("source_id", Str, false, "Source id from the pipeline file."),
        col("source_file", Str, false, "File the row was read from, relative to the pipeline file."),
        col("source_line", Int64, false, "Line of the row in that file (the header is line 1 of a delimited file; for JSON, the line where the record starts)."),
        col("year", Int32, false, "Calendar year of the figure."),
        col("month", Int32, true, "Month 1-12 when the figure covers exactly one month; null for annual and multi-month figures."),
        col("month_first", Int32, false, "First month the figure covers (1 for annual figures)."),
        col("month_last", Int32, false, "Last month the figure covers (12 for annual figures; 2 for a January-February cumulative figure)."),
        col("reporter_code", Int32, false, "Reporter's numeric code as published (UN Comtrade / M49 style)."),
        col("reporter_iso3", Str, false, "Reporter, ISO 3166-1 alpha-3 valid in `year` (SUN = USSR through 1991, RUS from 1992)."),
        col("partner_code", Int32, false, "Partner's numeric code as published."),
        col("partner_iso3", Str, false, "Partner, ISO 3166-1 alpha-3 valid in `year`; WLD = world."),
        col("flow", Str, false, "import, export, re_import or re_export, as the reporter records it."),
        col("classification", Str, false, "Commodity classification as published (H0..H6, S1..S4, ...)."),
        col("commodity_code", Str, false, "Commodity code as published, leading zeros kept; TOTAL = all commodities."),
        col("commodity_level", Int32, false, "Aggregation level: 0 for TOTAL, else the number of digits of the code (2, 4, 6...). Rows of different levels are never summed together."),
        col("value_usd", Float64, false, "Trade value in current US dollars (Comtrade primaryValue)."),
        col("valuation", Str, false, "CIF or FOB: the one of the source's CIF and FOB values that value_usd equals; where the source gives neither, CIF for imports and FOB for exports."),
        col("net_weight_kg", Float64, true, "Net weight in kilograms, when published."),
        col("quantity", Float64, true, "Quantity in `quantity_unit_code` units, when published."),
        col("quantity_unit_code", Int32, true, "UN Comtrade quantity unit code (8 = kg, 5 = items, ...); null when none (-1)."),
        col("is_estimated", Bool, false, "True when the source flags the quantity or the net weight as estimated."),
];

/// Canonical trade flows, one row per source row kept.
pub const TRADE_FLOWS: TableSpec = TableSpec {
    name: "trade_flows",
    key: &["source_id", "source_file", "source_line"],
    doc: "Every trade figure kept from every source, with codes mapped to ISO3 and values in USD.",
    columns: &TRADE_FLOWS_COLUMNS,
};

/// The focus country's trade rebuilt from its partners' reports.
pub const MIRROR_TRADE: TableSpec = TableSpec {
    name: "mirror_trade",
    key: &["focus_iso3", "partner_iso3", "year", "month_first", "month_last"],
    doc: "The focus country's trade with each partner per year (month_first=1, month_last=12), per month, and per published multi-month period, rebuilt from what the partners report.",
    columns: &[
        col("focus_iso3", Str, false, "The country whose trade is rebuilt."),
        col("partner_iso3", Str, false, "The trading partner."),
        col("year", Int32, false, "Calendar year."),
        col("month", Int32, true, "Month when the row covers exactly one month; null otherwise."),
        col("month_first", Int32, false, "First month of the period covered."),
        col("month_last", Int32, false, "Last month of the period covered."),
        col("commodity_code", Str, false, "Commodity the row is built from (TOTAL unless the pipeline sets `commodity`)."),
        col("focus_exports_usd", Float64, true, "Focus exports = the partner's reported imports from the focus (CIF); null when not reported."),
        col("focus_imports_usd", Float64, true, "Focus imports = the partner's reported exports to the focus (FOB); null when not reported."),
        col("total_usd", Float64, true, "focus_exports_usd + focus_imports_usd; null unless both are known."),
        col("balance_usd", Float64, true, "focus_exports_usd - focus_imports_usd; null unless both are known."),
        col("months_covered", Int32, false, "Months with data behind the row: 12 for a reported annual figure, the number of monthly figures summed otherwise."),
        col("basis", Str, false, "mirror (from the partner's reports) or direct (from the focus country's own reports, used only where no partner report exists)."),
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

/// Rows that could not be used, with the text that was read.
pub const REJECTS: TableSpec = TableSpec {
    name: "rejects",
    key: &["stage", "source_id", "source_file", "source_line"],
    doc:
        "Every row that was read but could not be used, with a stable reason code and the raw text.",
    columns: &[
        col(
            "stage",
            Str,
            false,
            "extract (the row could not be parsed) or normalize (its codes could not be mapped).",
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
    &REJECTS,
    &CHECK_RESULTS,
];

/// The data dictionary in Markdown, generated from the contracts: README.md
/// embeds it between `<!-- tables:begin -->` and `<!-- tables:end -->`, and a test
/// keeps the two equal.
pub fn markdown() -> String {
    let mut s = String::new();
    for t in ALL_TABLES {
        s.push_str(&format!(
            "### `{}`\n\n{} Key: `{}`.\n\n",
            t.name,
            t.doc,
            t.key.join("`, `")
        ));
        s.push_str("| column | type | nulls | meaning |\n|---|---|---|---|\n");
        for c in t.columns {
            let nulls = if c.nullable { "yes" } else { "no" };
            s.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                c.name,
                c.dtype.as_str(),
                nulls,
                c.doc.replace('|', "\\|")
            ));
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_columns_and_names_unique() {
        for t in ALL_TABLES {
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
