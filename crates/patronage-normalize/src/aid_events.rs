//! Aid sources to the canonical `aid_events` table: archival ledgers, OCHA FTS
//! flows and OECD CRS activities become one row per stage (and, for FTS, per
//! usage year), with US dollar values from the cited rate and price tables.
//!
//! FTS curation keeps what FTS itself counts as the funding a location received:
//! the incoming flows wholly inside the query's boundary (`onBoundary` single),
//! whose paid and committed amounts add up to the `incoming.fundingTotal` of the
//! page header. Flows leaving the boundary (`outgoing`) and flows moving inside it
//! (`internal`: money already counted when it came in) are dropped; incoming flows
//! shared with other locations or years (`onBoundary` shared) are dropped unless
//! the source keeps them; a flow id seen twice keeps the first copy; a parent whose
//! children are in the pull is dropped when its own amount is zero (all of it was
//! passed to them), and kept otherwise (FTS counts what a parent still holds
//! beside its children); a flow spanning several usage years is split equally
//! across its destination usage years, to the cent. Every drop is counted by reason.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use patronage_core::oecd_codes::dac_area_iso3;
use patronage_core::{AidStage, ConversionGap, CountryRegistry, MoneyTables, RowReject};
use patronage_extract::archive_ledger::LedgerRow;
use patronage_extract::ocha_fts::FtsFlow;
use patronage_extract::oecd_crs::CrsRow;
use polars::prelude::*;

/// FTS location ids whose country is cited (research notes §1.1: DPRK = 118).
const FTS_LOCATIONS: [(&str, &str); 1] = [("118", "PRK")];

/// One aid figure, normalized. Dollar amounts stay in cents until the frame is built.
#[derive(Debug, Clone, PartialEq)]
pub struct AidEvent {
    /// Source id.
    pub source_id: Arc<str>,
    /// File, relative to the pipeline file.
    pub source_file: Arc<str>,
    /// Line in that file.
    pub source_line: u64,
    /// The record in its source.
    pub source_ref: String,
    /// Event id, unique in the source.
    pub event_id: String,
    /// Package linking stages.
    pub package_id: Option<String>,
    /// Date as recorded.
    pub date: Option<String>,
    /// Year.
    pub year: i32,
    /// Donor as named.
    pub donor: String,
    /// Donor ISO3.
    pub donor_iso3: Option<String>,
    /// Recipient as named.
    pub recipient: String,
    /// Recipient ISO3.
    pub recipient_iso3: Option<String>,
    /// Stage.
    pub stage: AidStage,
    /// Instrument.
    pub instrument: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Finer label.
    pub item: Option<String>,
    /// Quantity as recorded.
    pub quantity: Option<f64>,
    /// Its unit.
    pub quantity_unit: Option<String>,
    /// Quantity in metric tons.
    pub quantity_t: Option<f64>,
    /// Amount in the original currency.
    pub amount_original: Option<f64>,
    /// Original currency.
    pub currency_original: Option<String>,
    /// Units per USD used.
    pub fx_rate: Option<f64>,
    /// Current USD, cents.
    pub amount_usd_cents: Option<i64>,
    /// Constant USD of the base year, cents.
    pub amount_usd_constant_cents: Option<i64>,
    /// Why a dollar value is missing.
    pub usd_gap: Option<&'static str>,
    /// Confirmed in a primary document.
    pub confirmed: bool,
    /// Document title.
    pub document: Option<String>,
    /// Document date.
    pub document_date: Option<String>,
    /// Archive or collection.
    pub archive: Option<String>,
    /// URL or record id.
    pub document_url: Option<String>,
    /// Free text.
    pub note: Option<String>,
}

/// Where the rows come from, and the base year of constant dollars.
#[derive(Debug, Clone)]
pub struct AidContext {
    /// Source id.
    pub source_id: Arc<str>,
    /// File, relative to the pipeline file.
    pub source_file: Arc<str>,
    /// Base year of `amount_usd_constant`.
    pub base_year: i32,
}

/// What one file's aid records became: per record kept, its events.
#[derive(Debug, Clone, Default)]
pub struct NormalizedAid {
    /// Records kept, each with the events it yields (one, or one per stage/year).
    pub records: Vec<Vec<AidEvent>>,
    /// Records that could not be used.
    pub rejects: Vec<RowReject>,
    /// Records dropped on purpose, by reason.
    pub dropped: BTreeMap<String, u64>,
}

/// Tons from a quantity in a mass unit; `None` for other units.
pub fn to_tons(quantity: f64, unit: &str) -> Option<f64> {
    match unit {
        "t" | "tonnes" | "tons" | "mt" | "MT" => Some(quantity),
        "kt" => Some(quantity * 1_000.0),
        "Mt" => Some(quantity * 1_000_000.0),
        "kg" => Some(quantity / 1_000.0),
        _ => None,
    }
}

/// Constant dollars of `base_year` from current dollars of `year`, in cents.
fn constant(usd_cents: i64, year: i32, base_year: i32) -> Result<i64, ConversionGap> {
    let f = MoneyTables::builtin().deflator(year, base_year)?;
    Ok((usd_cents as f64 * f).round() as i64)
}

/// Dollar values of an amount (in hundredths of `currency`) dated `year`.
fn to_usd(
    amount_cents: Option<i64>,
    currency: Option<&str>,
    year: i32,
    base_year: i32,
) -> (Option<f64>, Option<i64>, Option<i64>, Option<&'static str>) {
    let (Some(cents), Some(cur)) = (amount_cents, currency) else {
        return (None, None, None, Some("no_amount"));
    };
    let rate = match MoneyTables::builtin().rate(cur, year) {
        Ok(r) => r.units_per_usd,
        Err(gap) => return (None, None, None, Some(gap.reason())),
    };
    let usd = (cents as f64 / rate).round() as i64;
    match constant(usd, year, base_year) {
        Ok(c) => (Some(rate), Some(usd), Some(c), None),
        Err(gap) => (Some(rate), Some(usd), None, Some(gap.reason())),
    }
}

/// Ledger lines to events; a donor or recipient the registry does not know in
/// that year is a reject.
pub fn ledger(rows: Vec<LedgerRow>, ctx: &AidContext) -> NormalizedAid {
    let registry = CountryRegistry::comtrade();
    let mut out = NormalizedAid::default();
    for r in rows {
        let mut bad = None;
        for (what, code) in [("donor", &r.donor), ("recipient", &r.recipient)] {
            if bad.is_none() && !registry.iso3_valid_in(code, r.year) {
                bad = Some(format!(
                    "column `{what}`: `{code}` is not an ISO3 code the country registry knows for {}",
                    r.year
                ));
            }
        }
        if let Some(detail) = bad {
            out.rejects
                .push(RowReject::new(r.line, "unknown_country", detail, &r.raw));
            continue;
        }
        let (fx_rate, usd, usd_constant, gap) =
            to_usd(r.amount_cents, r.currency.as_deref(), r.year, ctx.base_year);
        let quantity_t = match (r.quantity, r.unit.as_deref()) {
            (Some(q), Some(u)) => to_tons(q, u),
            _ => None,
        };
        out.records.push(vec![AidEvent {
            source_id: ctx.source_id.clone(),
            source_file: ctx.source_file.clone(),
            source_line: r.line,
            source_ref: format!("{}:{}", ctx.source_file, r.line),
            event_id: r.event_id,
            package_id: r.package_id,
            date: Some(r.date),
            year: r.year,
            donor_iso3: Some(r.donor.clone()),
            donor: r.donor,
            recipient_iso3: Some(r.recipient.clone()),
            recipient: r.recipient,
            stage: r.stage,
            instrument: r.instrument,
            category: r.category,
            item: r.item,
            quantity: r.quantity,
            quantity_unit: r.unit,
            quantity_t,
            amount_original: r.amount_cents.map(|c| c as f64 / 100.0),
            currency_original: r.currency,
            fx_rate,
            amount_usd_cents: usd,
            amount_usd_constant_cents: usd_constant,
            usd_gap: gap,
            confirmed: r.confirmed,
            document: Some(r.doc_title),
            document_date: r.doc_date,
            archive: r.archive,
            document_url: r.doc_url,
            note: r.note,
        }]);
    }
    out
}

/// What became of one FTS flow.
#[derive(Debug, Clone, PartialEq)]
pub enum FtsOutcome {
    /// Kept as these events (one per usage year).
    Kept(Vec<AidEvent>),
    /// Dropped on purpose, with the reason.
    Dropped(&'static str),
    /// Not usable.
    Rejected(RowReject),
}

/// The country of an FTS location: a cited FTS id, or an exact registry name.
fn fts_location_iso3(id: &str, name: &str, year: i32) -> Option<String> {
    FTS_LOCATIONS
        .iter()
        .find(|(i, _)| *i == id)
        .map(|(_, iso3)| iso3.to_string())
        .or_else(|| {
            CountryRegistry::comtrade()
                .by_name(name, year)
                .map(|c| c.iso3.clone())
        })
}

/// What becomes of incoming FTS flows shared with other locations or years
/// (`onBoundary` shared).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SharedBoundary {
    /// Dropped and counted (`fts_shared_boundary`), as FTS's own funding total
    /// leaves them out: the default.
    #[default]
    Drop,
    /// Kept at their whole amount (FTS does not say which part reached which
    /// location).
    Keep,
}

/// Curate and split the flows of one FTS source, given in page-chain order with
/// the context of the file each came from. Returns one outcome per flow, in order.
pub fn fts(flows: &[(&FtsFlow, &AidContext)], shared: SharedBoundary) -> Vec<FtsOutcome> {
    // Why a flow goes, judged on the flow alone; `None` for a flow that may stay.
    let alone = |f: &FtsFlow| -> Option<FtsOutcome> {
        match f.boundary.as_str() {
            "outgoing" => return Some(FtsOutcome::Dropped("fts_outgoing_flow")),
            "internal" => return Some(FtsOutcome::Dropped("fts_internal_flow")),
            _ => {}
        }
        match f.on_boundary.as_deref() {
            Some("single") => None,
            Some("shared") if shared == SharedBoundary::Keep => None,
            Some("shared") => Some(FtsOutcome::Dropped("fts_shared_boundary")),
            other => Some(FtsOutcome::Rejected(RowReject::new(
                f.line,
                "unknown_on_boundary",
                format!(
                    "flow {}: incoming, with `onBoundary` {}: expected `single` or `shared`, which says whether FTS counts it in the location's funding",
                    f.id,
                    other.map_or("missing".to_string(), |o| format!("`{o}`"))
                ),
                &f.raw,
            )
            .at_column(f.column))),
        }
    };
    let verdicts: Vec<Option<FtsOutcome>> = flows.iter().map(|(f, _)| alone(f)).collect();
    // The copy of each id that is kept: the first that may stay.
    let mut first: HashMap<&str, usize> = HashMap::new();
    for (i, (f, _)) in flows.iter().enumerate() {
        if verdicts[i].is_none() {
            first.entry(f.id.as_str()).or_insert(i);
        }
    }
    let present: HashSet<&str> = flows
        .iter()
        .filter(|(f, _)| f.boundary != "outgoing")
        .map(|(f, _)| f.id.as_str())
        .collect();
    flows
        .iter()
        .zip(verdicts)
        .enumerate()
        .map(|(i, ((f, ctx), verdict))| {
            if let Some(v) = verdict {
                return v;
            }
            if first.get(f.id.as_str()) != Some(&i) {
                return FtsOutcome::Dropped("fts_duplicate_flow");
            }
            let listed: Vec<&str> = f
                .child_flow_ids
                .iter()
                .map(String::as_str)
                .filter(|c| present.contains(c))
                .collect();
            if !listed.is_empty() && f.amount_usd_cents == 0 {
                return FtsOutcome::Dropped("fts_parent_of_listed_children");
            }
            fts_events(f, ctx, &listed)
        })
        .collect()
}

/// The events of a kept flow; `listed` are its children in the pull, if any.
fn fts_events(f: &FtsFlow, ctx: &AidContext, listed: &[&str]) -> FtsOutcome {
    let mut years: Vec<i32> = if f.destination.usage_years.is_empty() {
        f.source.usage_years.clone()
    } else {
        f.destination.usage_years.clone()
    };
    years.sort_unstable();
    years.dedup();
    if years.is_empty() {
        return FtsOutcome::Rejected(
            RowReject::new(
                f.line,
                "no_usage_year",
                format!("flow {}: no UsageYear object on either side", f.id),
                &f.raw,
            )
            .at_column(f.column),
        );
    }
    let stage = match f.status.as_str() {
        "paid" => AidStage::Paid,
        "commitment" => AidStage::Committed,
        _ => AidStage::Pledged,
    };
    let side = |o: &patronage_extract::ocha_fts::FtsObjects| -> String {
        if !o.organizations.is_empty() {
            o.organizations.join("; ")
        } else {
            o.locations
                .iter()
                .map(|(_, n)| n.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        }
    };
    let country =
        |o: &patronage_extract::ocha_fts::FtsObjects, year: i32| match o.locations.as_slice() {
            [(id, name)] => fts_location_iso3(id, name, year),
            _ => None,
        };
    let n = years.len() as i64;
    let (share, extra) = (f.amount_usd_cents / n, f.amount_usd_cents % n);
    let events = years
        .iter()
        .enumerate()
        .map(|(k, &year)| {
            let usd = share + i64::from((k as i64) < extra);
            let (usd_constant, gap) = match constant(usd, year, ctx.base_year) {
                Ok(c) => (Some(c), None),
                Err(g) => (None, Some(g.reason())),
            };
            let split = (n > 1).then(|| format!("split equally over usage years {years:?}"));
            let parent = (!listed.is_empty()).then(|| {
                format!(
                    "parent of flows {} in this pull: its amount is what FTS counts beside theirs",
                    listed.join(", ")
                )
            });
            let note = match (split, parent) {
                (Some(a), Some(b)) => Some(format!("{a}; {b}")),
                (a, b) => a.or(b),
            };
            AidEvent {
                source_id: ctx.source_id.clone(),
                source_file: ctx.source_file.clone(),
                source_line: f.line,
                source_ref: format!("fts:flow:{}", f.id),
                event_id: format!("{}/{year}", f.id),
                package_id: None,
                date: f
                    .date
                    .as_deref()
                    .map(|d| d.get(..10).unwrap_or(d).to_string()),
                year,
                donor: side(&f.source),
                donor_iso3: country(&f.source, year),
                recipient: side_locations(&f.destination),
                recipient_iso3: country(&f.destination, year),
                stage,
                // FTS says whether a flow is in kind, not whether money is a grant or a loan.
                instrument: (f.contribution_type.as_deref() == Some("in kind"))
                    .then(|| "in_kind".to_string()),
                category: f.contribution_type.clone(),
                item: f.description.clone(),
                quantity: None,
                quantity_unit: None,
                quantity_t: None,
                amount_original: f.original_amount.map(|a| a / n as f64),
                currency_original: f.original_currency.clone(),
                fx_rate: f.exchange_rate,
                amount_usd_cents: Some(usd),
                amount_usd_constant_cents: usd_constant,
                usd_gap: gap,
                confirmed: true,
                document: Some(format!("OCHA FTS flow {}", f.id)),
                document_date: None,
                archive: Some("UN OCHA Financial Tracking Service".to_string()),
                document_url: Some(format!("https://fts.unocha.org/flows/{}", f.id)),
                note,
            }
        })
        .collect();
    FtsOutcome::Kept(events)
}

/// Recipient locations of a flow, by name.
fn side_locations(o: &patronage_extract::ocha_fts::FtsObjects) -> String {
    let names: Vec<&str> = o.locations.iter().map(|(_, n)| n.as_str()).collect();
    if names.is_empty() {
        o.organizations.join("; ")
    } else {
        names.join("; ")
    }
}

/// CRS activities to events: a commitment and a disbursement per line when
/// published; a line with neither is dropped and counted.
pub fn crs(rows: Vec<CrsRow>, ctx: &AidContext) -> NormalizedAid {
    let mut out = NormalizedAid::default();
    for r in rows {
        let mut events = Vec::new();
        for (stage, measure, cents, defl) in [
            (
                AidStage::Committed,
                "commitment",
                r.commitment_cents,
                r.commitment_defl_cents,
            ),
            (
                AidStage::Paid,
                "disbursement",
                r.disbursement_cents,
                r.disbursement_defl_cents,
            ),
        ] {
            let Some(usd) = cents else { continue };
            let (usd_constant, gap) = match constant(usd, r.year, ctx.base_year) {
                Ok(c) => (Some(c), None),
                Err(g) => (None, Some(g.reason())),
            };
            let column = if stage == AidStage::Committed {
                "USD_Commitment_Defl"
            } else {
                "USD_Disbursement_Defl"
            };
            events.push(AidEvent {
                source_id: ctx.source_id.clone(),
                source_file: ctx.source_file.clone(),
                source_line: r.line,
                source_ref: format!("{}:{}", ctx.source_file, r.line),
                event_id: format!("L{}/{measure}", r.line),
                package_id: None,
                date: Some(r.year.to_string()),
                year: r.year,
                donor: r.donor_name.clone(),
                donor_iso3: dac_area_iso3(r.donor_code).map(str::to_string),
                recipient: r.recipient_name.clone(),
                recipient_iso3: dac_area_iso3(r.recipient_code).map(str::to_string),
                stage,
                instrument: r.flow_name.as_deref().and_then(|f| {
                    if f.contains("Loan") {
                        Some("loan".to_string())
                    } else if f.contains("Grant") {
                        Some("grant".to_string())
                    } else {
                        None
                    }
                }),
                category: r.purpose_name.clone(),
                item: r.project_title.clone(),
                quantity: None,
                quantity_unit: None,
                quantity_t: None,
                amount_original: Some(usd as f64 / 100.0),
                currency_original: Some("USD".to_string()),
                fx_rate: Some(1.0),
                amount_usd_cents: Some(usd),
                amount_usd_constant_cents: usd_constant,
                usd_gap: gap,
                confirmed: true,
                document: Some("OECD Creditor Reporting System".to_string()),
                document_date: None,
                archive: Some("OECD.Stat CRS bulk download".to_string()),
                document_url: r.crs_id.as_ref().map(|c| format!("CrsID {c}")),
                note: defl.map(|d| {
                    format!(
                        "OECD constant-price figure ({column}): {:.2} USD",
                        d as f64 / 100.0
                    )
                }),
            });
        }
        if events.is_empty() {
            *out.dropped.entry("crs_no_amount".to_string()).or_default() += 1;
        } else {
            out.records.push(events);
        }
    }
    out
}

/// Dollars from cents, for output columns.
fn dollars(c: Option<i64>) -> Option<f64> {
    c.map(|c| c as f64 / 100.0)
}

/// Build the `aid_events` frame (columns in contract order, not yet sorted).
pub fn aid_events_frame(events: &[AidEvent]) -> PolarsResult<DataFrame> {
    patronage_core::frame!(
        events,
        [
            column!("source_id", |e| e.source_id.as_ref()),
            column!("source_file", |e| e.source_file.as_ref()),
            column!("source_line", |e| e.source_line as i64),
            column!("source_ref", |e| e.source_ref.as_str()),
            column!("event_id", |e| e.event_id.as_str()),
            column!("package_id", |e| e.package_id.as_deref()),
            column!("date", |e| e.date.as_deref()),
            column!("year", |e| e.year),
            column!("donor", |e| e.donor.as_str()),
            column!("donor_iso3", |e| e.donor_iso3.as_deref()),
            column!("recipient", |e| e.recipient.as_str()),
            column!("recipient_iso3", |e| e.recipient_iso3.as_deref()),
            column!("stage", |e| e.stage.as_str()),
            column!("instrument", |e| e.instrument.as_deref()),
            column!("category", |e| e.category.as_deref()),
            column!("item", |e| e.item.as_deref()),
            column!("quantity", |e| e.quantity),
            column!("quantity_unit", |e| e.quantity_unit.as_deref()),
            column!("quantity_t", |e| e.quantity_t),
            column!("amount_original", |e| e.amount_original),
            column!("currency_original", |e| e.currency_original.as_deref()),
            column!("fx_rate", |e| e.fx_rate),
            column!("amount_usd", |e| dollars(e.amount_usd_cents)),
            column!("amount_usd_constant", |e| dollars(
                e.amount_usd_constant_cents
            )),
            column!("usd_gap", |e| e.usd_gap),
            column!("confirmed", |e| e.confirmed),
            column!("document", |e| e.document.as_deref()),
            column!("document_date", |e| e.document_date.as_deref()),
            column!("archive", |e| e.archive.as_deref()),
            column!("document_url", |e| e.document_url.as_deref()),
            column!("note", |e| e.note.as_deref()),
        ]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rubles_of_1956_at_four_per_dollar_and_no_rate_is_a_gap() {
        // 41.7 million rubles at 4 rubles per dollar = 10,425,000 USD.
        let (rate, usd, _, gap) = to_usd(Some(4_170_000_000), Some("RUB_1947"), 1956, 2020);
        assert_eq!((rate, usd, gap), (Some(4.0), Some(1_042_500_000), None));
        let (rate, usd, c, gap) = to_usd(Some(100), Some("SUR"), 1956, 2020);
        assert_eq!(
            (rate, usd, c, gap),
            (None, None, None, Some("no_fx_rate_for_year"))
        );
        assert_eq!(to_tons(75.0, "kt"), Some(75_000.0));
        assert_eq!(to_tons(3.0, "bales"), None);
    }

    fn flow(id: &str, boundary: &str, cents: i64, years: &[i32]) -> FtsFlow {
        FtsFlow {
            line: 1,
            column: 1,
            id: id.to_string(),
            amount_usd_cents: cents,
            status: "paid".to_string(),
            boundary: boundary.to_string(),
            on_boundary: Some("single".to_string()),
            flow_type: None,
            contribution_type: None,
            parent_flow_id: None,
            child_flow_ids: Vec::new(),
            date: None,
            description: None,
            original_amount: None,
            original_currency: None,
            exchange_rate: None,
            source: Default::default(),
            destination: patronage_extract::ocha_fts::FtsObjects {
                usage_years: years.to_vec(),
                ..Default::default()
            },
            raw: String::new(),
        }
    }

    fn ctx() -> AidContext {
        AidContext {
            source_id: Arc::from("f"),
            source_file: Arc::from("p.json"),
            base_year: 2020,
        }
    }

    /// The first copy of a duplicated id stays, a parent with listed children
    /// goes when it holds nothing of its own and stays with what it holds
    /// otherwise, a multi-year flow is split to the cent.
    #[test]
    fn fts_curation() {
        let ctx = ctx();
        let mut empty_parent = flow("10", "incoming", 0, &[2019, 2020]);
        empty_parent.child_flow_ids = vec!["11".to_string(), "99".to_string()];
        let mut holding_parent = flow("20", "incoming", 40_000, &[2020]);
        holding_parent.child_flow_ids = vec!["21".to_string()];
        let flows = [
            flow("1", "incoming", 500, &[2020]),
            flow("1", "incoming", 500, &[2020]),
            empty_parent,
            flow("11", "incoming", 100, &[2020]),
            flow("12", "incoming", 1_000, &[2022, 2020, 2021]),
            holding_parent,
            flow("21", "incoming", 60_000, &[2020]),
        ];
        let input: Vec<_> = flows.iter().map(|f| (f, &ctx)).collect();
        let out = fts(&input, SharedBoundary::Drop);
        assert!(matches!(&out[0], FtsOutcome::Kept(e) if e.len() == 1));
        assert_eq!(out[1], FtsOutcome::Dropped("fts_duplicate_flow"));
        assert_eq!(out[2], FtsOutcome::Dropped("fts_parent_of_listed_children"));
        let FtsOutcome::Kept(split) = &out[4] else {
            panic!("{:?}", out[4])
        };
        let parts: Vec<_> = split
            .iter()
            .map(|e| (e.year, e.amount_usd_cents, e.event_id.as_str()))
            .collect();
        assert_eq!(
            parts,
            [
                (2020, Some(334), "12/2020"),
                (2021, Some(333), "12/2021"),
                (2022, Some(333), "12/2022")
            ]
        );
        // Flow 20 holds $400 beside its child's $600: both count, $1,000 in all.
        let FtsOutcome::Kept(parent) = &out[5] else {
            panic!("{:?}", out[5])
        };
        assert_eq!(parent[0].amount_usd_cents, Some(40_000));
        assert_eq!(
            parent[0].note.as_deref(),
            Some("parent of flows 21 in this pull: its amount is what FTS counts beside theirs")
        );
        assert!(matches!(&out[6], FtsOutcome::Kept(_)));
    }

    /// A pull by location lists, besides the money coming in (`incoming`,
    /// `onBoundary` single), money moving inside the location (`internal`: already
    /// counted when it came in), money shared with other locations or years
    /// (`onBoundary` shared) and money leaving it (`outgoing`). Only the first is
    /// aid the location received, as FTS's own funding total counts it: of
    /// $1 + $20 + $300 + $4,000 here, $1; with shared flows kept, $4,001.
    #[test]
    fn fts_internal_and_shared_flows_are_not_counted_as_aid_received() {
        let ctx = ctx();
        let mut shared = flow("3", "incoming", 400_000, &[2020]);
        shared.on_boundary = Some("shared".to_string());
        let mut unknown = flow("5", "incoming", 7, &[2020]);
        unknown.on_boundary = None;
        // An internal or outgoing flow is not asked what its `onBoundary` is.
        let mut internal = flow("2", "internal", 2_000, &[2020]);
        internal.on_boundary = None;
        let flows = [
            flow("1", "incoming", 100, &[2020]),
            internal,
            flow("4", "outgoing", 30_000, &[2020]),
            shared,
            unknown,
            // The same id as an internal flow: the incoming copy is the one counted.
            flow("2", "incoming", 5_000, &[2020]),
        ];
        let input: Vec<_> = flows.iter().map(|f| (f, &ctx)).collect();
        let kept_cents = |out: &[FtsOutcome]| -> i64 {
            out.iter()
                .filter_map(|o| match o {
                    FtsOutcome::Kept(e) => {
                        Some(e.iter().filter_map(|e| e.amount_usd_cents).sum::<i64>())
                    }
                    _ => None,
                })
                .sum()
        };
        let out = fts(&input[..5], SharedBoundary::Drop);
        assert_eq!(out[1], FtsOutcome::Dropped("fts_internal_flow"));
        assert_eq!(out[2], FtsOutcome::Dropped("fts_outgoing_flow"));
        assert_eq!(out[3], FtsOutcome::Dropped("fts_shared_boundary"));
        let FtsOutcome::Rejected(r) = &out[4] else {
            panic!("{:?}", out[4])
        };
        assert_eq!(r.reason, "unknown_on_boundary");
        assert_eq!(kept_cents(&out), 100);
        let out = fts(&input[..5], SharedBoundary::Keep);
        assert!(matches!(&out[3], FtsOutcome::Kept(_)));
        assert_eq!(kept_cents(&out), 400_100);
        let out = fts(&input, SharedBoundary::Drop);
        assert_eq!(out[1], FtsOutcome::Dropped("fts_internal_flow"));
        assert!(matches!(&out[5], FtsOutcome::Kept(_)));
        assert_eq!(kept_cents(&out), 5_100);
    }

    #[test]
    fn crs_line_without_amounts_is_dropped_and_counted() {
        let ctx = AidContext {
            source_id: Arc::from("c"),
            source_file: Arc::from("crs.txt"),
            base_year: 2020,
        };
        let row = |line, c: Option<i64>, d: Option<i64>| CrsRow {
            line,
            year: 2019,
            donor_code: 11,
            donor_name: "Switzerland".to_string(),
            recipient_code: 740,
            recipient_name: "DPRK".to_string(),
            crs_id: None,
            flow_name: Some("ODA Grants".to_string()),
            purpose_name: None,
            project_title: None,
            commitment_cents: c,
            disbursement_cents: d,
            commitment_defl_cents: None,
            disbursement_defl_cents: None,
            raw: String::new(),
        };
        let out = crs(vec![row(2, Some(100), Some(50)), row(3, None, None)], &ctx);
        assert_eq!(out.records.len(), 1);
        assert_eq!(out.records[0].len(), 2);
        assert_eq!(out.records[0][0].donor_iso3.as_deref(), Some("CHE"));
        assert_eq!(out.records[0][0].recipient_iso3.as_deref(), Some("PRK"));
        assert_eq!(out.records[0][1].stage, AidStage::Paid);
        assert_eq!(out.dropped.get("crs_no_amount"), Some(&1));
    }
}
