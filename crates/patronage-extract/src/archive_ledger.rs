//! The archival aid ledger: a CSV file in which a researcher records aid
//! statements found in documents, one statement per line, each tied to its
//! document. Columns (all required in the header, in any order):
//!
//! `event_id, package_id, doc_title, doc_date, archive, doc_url, date, donor,
//! recipient, stage, instrument, category, item, quantity, unit, amount, currency,
//! confirmed, note`
//!
//! `stage` is requested, pledged, committed, delivered or paid; `instrument` grant,
//! loan, credit, in_kind or barter (or empty); `quantity` is a non-negative number
//! in `unit` (empty when the document gives none); `amount` a non-negative plain
//! decimal in `currency`; `confirmed` is 1/0 (0 = the figure is not confirmed in a
//! primary document). A line that breaks a rule is rejected with its reason.

use std::path::Path;

use patronage_core::{AidStage, RowReject};

use crate::{delimited, text, ExtractError, Extracted};

/// The ledger's columns.
pub const COLUMNS: [&str; 19] = [
    "event_id",
    "package_id",
    "doc_title",
    "doc_date",
    "archive",
    "doc_url",
    "date",
    "donor",
    "recipient",
    "stage",
    "instrument",
    "category",
    "item",
    "quantity",
    "unit",
    "amount",
    "currency",
    "confirmed",
    "note",
];

/// Instruments a ledger may name.
pub const INSTRUMENTS: [&str; 5] = ["grant", "loan", "credit", "in_kind", "barter"];

/// One ledger line, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerRow {
    /// Line in the file.
    pub line: u64,
    /// Event id, unique in the source.
    pub event_id: String,
    /// Package linking the stages of one request.
    pub package_id: Option<String>,
    /// Title of the document.
    pub doc_title: String,
    /// Date of the document.
    pub doc_date: Option<String>,
    /// Archive or collection.
    pub archive: Option<String>,
    /// URL or record id.
    pub doc_url: Option<String>,
    /// Date of the statement as written.
    pub date: String,
    /// Its year.
    pub year: i32,
    /// Donor, ISO3.
    pub donor: String,
    /// Recipient, ISO3.
    pub recipient: String,
    /// Stage.
    pub stage: AidStage,
    /// Instrument.
    pub instrument: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Finer label.
    pub item: Option<String>,
    /// Quantity in `unit`.
    pub quantity: Option<f64>,
    /// Unit of the quantity.
    pub unit: Option<String>,
    /// Amount in hundredths of the currency unit (exact).
    pub amount_cents: Option<i64>,
    /// Currency of the amount.
    pub currency: Option<String>,
    /// Confirmed in a primary document.
    pub confirmed: bool,
    /// Free text.
    pub note: Option<String>,
    /// The line as read.
    pub raw: String,
}

/// Parse a ledger file already in memory; `path` is used in messages.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Extracted<LedgerRow>, ExtractError> {
    delimited::read(
        path,
        bytes,
        delimited::Dialect::new(b','),
        |header| {
            header.columns(
                path,
                &COLUMNS,
                "this is not an archival aid ledger (see docs/sources.md, \"Archival aid ledger\")",
            )
        },
        |idx, row| {
            let raw = row.raw(b',');
            let get = |name: &str| -> &str {
                COLUMNS
                    .iter()
                    .position(|c| *c == name)
                    .and_then(|i| row.fields.get(idx[i]))
                    .map_or("", |f| f.trim())
            };
            let opt = |name: &str| Some(get(name).to_string()).filter(|s| !s.is_empty());
            let reject = |reason: &'static str, detail: String| {
                RowReject::new(row.line, reason, detail, &raw)
            };
            let required = |name: &str| -> Result<String, RowReject> {
                opt(name)
                    .ok_or_else(|| reject("missing_field", format!("column `{name}` is empty")))
            };
            let event_id = required("event_id")?;
            let doc_title = opt("doc_title").ok_or_else(|| {
                reject(
                    "missing_citation",
                    "column `doc_title` is empty: every figure needs its document".to_string(),
                )
            })?;
            let (year, date) = text::parse_partial_date(get("date"))
                .map_err(|m| reject("bad_date", format!("column `date`: {m}")))?;
            let donor = required("donor")?;
            let recipient = required("recipient")?;
            let stage = AidStage::parse(get("stage")).ok_or_else(|| {
                reject(
                    "unknown_stage",
                    format!(
                        "column `stage`: `{}` is not one of {}",
                        get("stage"),
                        AidStage::names()
                    ),
                )
            })?;
            let instrument = opt("instrument");
            if let Some(i) = &instrument {
                if !INSTRUMENTS.contains(&i.as_str()) {
                    return Err(reject(
                        "unknown_instrument",
                        format!(
                            "column `instrument`: `{i}` is not one of {}",
                            INSTRUMENTS.join(", ")
                        ),
                    ));
                }
            }
            let quantity = text::parse_opt_f64(get("quantity"))
                .map_err(|m| reject("bad_number", format!("column `quantity`: {m}")))?;
            if quantity.is_some_and(|q| q < 0.0) {
                return Err(reject(
                    "negative_quantity",
                    format!("column `quantity`: `{}` is negative", get("quantity")),
                ));
            }
            let unit = opt("unit");
            if quantity.is_some() && unit.is_none() {
                return Err(reject(
                    "missing_unit",
                    "column `unit` is empty but `quantity` is given".to_string(),
                ));
            }
            let amount_cents = text::parse_opt_scaled(get("amount"), 2)
                .map_err(|m| reject("bad_number", format!("column `amount`: {m}")))?;
            if amount_cents.is_some_and(|a| a < 0) {
                return Err(reject(
                    "negative_amount",
                    format!("column `amount`: `{}` is negative", get("amount")),
                ));
            }
            let currency = opt("currency");
            if amount_cents.is_some() && currency.is_none() {
                return Err(reject(
                    "missing_currency",
                    "column `currency` is empty but `amount` is given".to_string(),
                ));
            }
            let confirmed = text::parse_opt_bool(get("confirmed"))
                .map_err(|m| reject("bad_boolean", format!("column `confirmed`: {m}")))?
                .ok_or_else(|| {
                    reject(
                        "missing_field",
                        "column `confirmed` is empty (1 or 0)".to_string(),
                    )
                })?;
            Ok(LedgerRow {
                line: row.line,
                event_id,
                package_id: opt("package_id"),
                doc_title,
                doc_date: opt("doc_date"),
                archive: opt("archive"),
                doc_url: opt("doc_url"),
                date,
                year,
                donor,
                recipient,
                stage,
                instrument,
                category: opt("category"),
                item: opt("item"),
                quantity,
                unit,
                amount_cents,
                currency,
                confirmed,
                note: opt("note"),
                raw: patronage_core::bound_text(&raw),
            })
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "event_id,package_id,doc_title,doc_date,archive,doc_url,date,donor,recipient,stage,instrument,category,item,quantity,unit,amount,currency,confirmed,note\n";

    fn parse_str(body: &str) -> Extracted<LedgerRow> {
        parse(Path::new("l.csv"), format!("{HEADER}{body}").as_bytes()).unwrap()
    }

    #[test]
    fn a_line_with_quoted_title_and_no_quantity() {
        let x = parse_str("e1,p1,\"Note, 2 Jul 1964\",1964-07-02,PolA,https://x,1964-06,SUN,PRK,requested,,cotton,,,,,,1,\n");
        assert_eq!(x.rows.len(), 1, "{:?}", x.rejects);
        let r = &x.rows[0];
        assert_eq!((r.line, r.year, r.stage), (2, 1964, AidStage::Requested));
        assert_eq!(r.doc_title, "Note, 2 Jul 1964");
        assert_eq!((r.quantity, r.amount_cents), (None, None));
    }

    #[test]
    fn rule_breaks_are_rejects_with_reasons() {
        let x = parse_str(concat!(
            "e1,p,T,,,,1967,SUN,PRK,promised,,grain,,1,t,,,1,\n",
            "e2,p,T,,,,1967,SUN,PRK,pledged,,grain,,-5,t,,,1,\n",
            "e3,p,,,,,1967,SUN,PRK,pledged,,grain,,5,t,,,1,\n",
            "e4,p,T,,,,1967,SUN,PRK,pledged,gift,grain,,5,t,,,1,\n",
            "e5,p,T,,,,1967,SUN,PRK,pledged,,grain,,5,,,,1,\n",
            "e6,p,T,,,,1967,SUN,PRK,pledged,,grain,,,,10,,1,\n",
        ));
        let reasons: Vec<_> = x.rejects.iter().map(|r| (r.line, r.reason)).collect();
        assert_eq!(
            reasons,
            [
                (2, "unknown_stage"),
                (3, "negative_quantity"),
                (4, "missing_citation"),
                (5, "unknown_instrument"),
                (6, "missing_unit"),
                (7, "missing_currency"),
            ]
        );
        assert_eq!(x.rows_read, 6);
        assert!(x.rejects[0].detail.contains("`promised`"));
    }
}
