//! Aid analysis tables from `aid_events`: what was requested, promised and
//! delivered per package (`aid_fulfillment`), and aid per donor and year by status
//! (`aid_by_donor_year`). Events are read in key order, and dollar sums are taken
//! in integer cents, so results never depend on thread count.

use std::collections::{BTreeMap, BTreeSet};

use polars::prelude::*;

use patronage_tables::columns::{floats, ints, strs};

use crate::Mills;

/// The `aid_events` columns the aggregates read, one row.
#[derive(Debug, Clone)]
struct Event {
    key: (String, String, String),
    package_id: Option<String>,
    category: String,
    year: i32,
    donor: String,
    donor_iso3: Option<String>,
    recipient: String,
    recipient_iso3: Option<String>,
    stage: String,
    quantity_t: Option<f64>,
    amount_original: Option<f64>,
    currency: Option<String>,
    usd_cents: Option<i64>,
    usd_constant_cents: Option<i64>,
    confirmed: bool,
}

fn cents(v: Option<f64>) -> Option<i64> {
    v.map(|d| (d * 100.0).round() as i64)
}

/// The events, sorted by the table key.
fn events(df: &DataFrame) -> PolarsResult<Vec<Event>> {
    let (sid, sref, eid) = (
        strs(df, "source_id")?,
        strs(df, "source_ref")?,
        strs(df, "event_id")?,
    );
    let (pkg, cat) = (strs(df, "package_id")?, strs(df, "category")?);
    let years = ints(df, "year")?;
    let (donor, donor_iso3) = (strs(df, "donor")?, strs(df, "donor_iso3")?);
    let (recipient, recipient_iso3) = (strs(df, "recipient")?, strs(df, "recipient_iso3")?);
    let stage = strs(df, "stage")?;
    let (qt, amount, currency) = (
        floats(df, "quantity_t")?,
        floats(df, "amount_original")?,
        strs(df, "currency_original")?,
    );
    let (usd, usd_c) = (
        floats(df, "amount_usd")?,
        floats(df, "amount_usd_constant")?,
    );
    let confirmed = df.column("confirmed")?.bool()?;
    let confirmed: Vec<Option<bool>> = (0..confirmed.len()).map(|i| confirmed.get(i)).collect();
    let mut out: Vec<Event> = (0..df.height())
        .map(|i| Event {
            key: (
                sid[i].clone().unwrap_or_default(),
                sref[i].clone().unwrap_or_default(),
                eid[i].clone().unwrap_or_default(),
            ),
            package_id: pkg[i].clone(),
            category: cat[i].clone().unwrap_or_default(),
            year: years[i].unwrap_or_default(),
            donor: donor[i].clone().unwrap_or_default(),
            donor_iso3: donor_iso3[i].clone(),
            recipient: recipient[i].clone().unwrap_or_default(),
            recipient_iso3: recipient_iso3[i].clone(),
            stage: stage[i].clone().unwrap_or_default(),
            quantity_t: qt[i],
            amount_original: amount[i],
            currency: currency[i].clone(),
            usd_cents: cents(usd[i]),
            usd_constant_cents: cents(usd_c[i]),
            confirmed: confirmed[i].unwrap_or(true),
        })
        .collect();
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

/// One `aid_fulfillment` row.
#[derive(Debug, Clone, PartialEq)]
pub struct Fulfillment {
    /// Package.
    pub package_id: String,
    /// Category ("" when none).
    pub category: String,
    /// `t`, a currency code, or `none`.
    pub measure: String,
    /// Donors, comma separated.
    pub donor: String,
    /// Recipients, comma separated.
    pub recipient: String,
    /// Earliest year.
    pub year: i32,
    /// Requested.
    pub requested: Option<f64>,
    /// Committed, else pledged.
    pub promised: Option<f64>,
    /// Delivered or paid.
    pub delivered: Option<f64>,
    /// Whether more was promised than requested.
    pub promise_exceeds_request: bool,
    /// All figures confirmed in a primary document.
    pub confirmed: bool,
    /// Events behind the row.
    pub events: i32,
    /// Sources, comma separated.
    pub source_ids: String,
}

impl Fulfillment {
    /// promised / requested.
    pub fn promised_over_requested(&self) -> Option<f64> {
        ratio(self.promised, self.requested)
    }

    /// delivered / promised.
    pub fn delivered_over_promised(&self) -> Option<f64> {
        ratio(self.delivered, self.promised)
    }
}

fn ratio(num: Option<f64>, den: Option<f64>) -> Option<f64> {
    match (num, den) {
        (Some(n), Some(d)) if d > 0.0 => Some(n / d),
        _ => None,
    }
}

fn sum(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    values
        .flatten()
        .fold(None, |acc, v| Some(acc.unwrap_or(0.0) + v))
}

fn joined(items: impl Iterator<Item = String>) -> String {
    items
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
        .join(",")
}

/// Requested, promised and delivered per package and category.
pub fn fulfillment_rows(aid_events: &DataFrame) -> PolarsResult<Vec<Fulfillment>> {
    let mut groups: BTreeMap<(String, String), Vec<Event>> = BTreeMap::new();
    for e in events(aid_events)? {
        if let Some(p) = e.package_id.clone() {
            groups.entry((p, e.category.clone())).or_default().push(e);
        }
    }
    let mut out = Vec::with_capacity(groups.len());
    for ((package_id, category), evs) in groups {
        let currencies: BTreeSet<&str> = evs
            .iter()
            .filter(|e| e.amount_original.is_some())
            .filter_map(|e| e.currency.as_deref())
            .collect();
        let measure = if evs.iter().any(|e| e.quantity_t.is_some()) {
            "t".to_string()
        } else if currencies.len() == 1 {
            currencies.iter().next().map_or("none", |c| *c).to_string()
        } else if currencies.len() > 1 {
            "USD".to_string()
        } else {
            "none".to_string()
        };
        let value = |e: &Event| -> Option<f64> {
            match measure.as_str() {
                "t" => e.quantity_t,
                "none" => None,
                "USD" if currencies.len() > 1 => e.usd_cents.map(|c| c as f64 / 100.0),
                m => e
                    .amount_original
                    .filter(|_| e.currency.as_deref() == Some(m)),
            }
        };
        let at = |stages: &[&str]| {
            sum(evs
                .iter()
                .filter(|e| stages.contains(&e.stage.as_str()))
                .map(value))
        };
        let requested = at(&["requested"]);
        let promised = at(&["committed"]).or_else(|| at(&["pledged"]));
        let delivered = at(&["delivered", "paid"]);
        out.push(Fulfillment {
            donor: joined(evs.iter().map(|e| e.donor.clone())),
            recipient: joined(evs.iter().map(|e| e.recipient.clone())),
            year: evs.iter().map(|e| e.year).min().unwrap_or_default(),
            promise_exceeds_request: matches!((promised, requested), (Some(p), Some(r)) if p > r),
            confirmed: evs.iter().all(|e| e.confirmed),
            events: evs.len() as i32,
            source_ids: joined(evs.iter().map(|e| e.key.0.clone())),
            package_id,
            category,
            measure,
            requested,
            promised,
            delivered,
        });
    }
    Ok(out)
}

/// The `aid_fulfillment` frame.
pub fn aid_fulfillment_frame(rows: &[Fulfillment]) -> PolarsResult<DataFrame> {
    patronage_core::frame!(
        rows,
        [
            column!("package_id", |r| r.package_id.as_str()),
            column!("category", |r| r.category.as_str()),
            column!("measure", |r| r.measure.as_str()),
            column!("donor", |r| r.donor.as_str()),
            column!("recipient", |r| r.recipient.as_str()),
            column!("year", |r| r.year),
            column!("requested", |r| r.requested),
            column!("promised", |r| r.promised),
            column!("delivered", |r| r.delivered),
            column!(
                "promised_over_requested",
                Fulfillment::promised_over_requested
            ),
            column!(
                "delivered_over_promised",
                Fulfillment::delivered_over_promised
            ),
            column!("promise_exceeds_request", |r| r.promise_exceeds_request),
            column!("confirmed", |r| r.confirmed),
            column!("events", |r| r.events),
            column!("source_ids", |r| r.source_ids.as_str()),
        ]
    )
}

#[derive(Default)]
struct DonorYear {
    donor_iso3: BTreeSet<String>,
    recipient_iso3: BTreeSet<String>,
    /// paid, committed, pledged: (current, constant) cents, None until a value.
    sums: [(Option<Mills>, Option<Mills>); 3],
    events: i32,
    without_usd: i32,
}

fn add(slot: &mut Option<Mills>, v: Option<i64>) {
    if let Some(v) = v {
        *slot = Some(slot.unwrap_or(0) + Mills::from(v));
    }
}

/// The `aid_by_donor_year` frame: paid (paid or delivered), committed and pledged
/// per donor, recipient and year, in current and constant dollars.
pub fn aid_by_donor_year_frame(aid_events: &DataFrame, base_year: i32) -> PolarsResult<DataFrame> {
    let mut groups: BTreeMap<(String, String, i32), DonorYear> = BTreeMap::new();
    for e in events(aid_events)? {
        let slot = match e.stage.as_str() {
            "paid" | "delivered" => 0,
            "committed" => 1,
            "pledged" => 2,
            _ => continue,
        };
        // Countries by code where known, so a ledger's `PRK` and a CRS file's
        // "Democratic People's Republic of Korea" land in one row.
        let donor = e.donor_iso3.clone().unwrap_or_else(|| e.donor.clone());
        let recipient = e
            .recipient_iso3
            .clone()
            .unwrap_or_else(|| e.recipient.clone());
        let g = groups.entry((donor, recipient, e.year)).or_default();
        g.donor_iso3.extend(e.donor_iso3.clone());
        g.recipient_iso3.extend(e.recipient_iso3.clone());
        g.events += 1;
        if e.usd_cents.is_none() {
            g.without_usd += 1;
        }
        add(&mut g.sums[slot].0, e.usd_cents);
        add(&mut g.sums[slot].1, e.usd_constant_cents);
    }
    let rows: Vec<_> = groups.into_iter().collect();
    let one = |s: &BTreeSet<String>| (s.len() == 1).then(|| s.iter().next().cloned()).flatten();
    let usd = |v: Option<Mills>| v.map(|c| c as f64 / 100.0);
    patronage_core::frame!(
        rows,
        [
            column!("donor", |((d, _, _), _)| d.as_str()),
            column!("donor_iso3", |(_, g)| one(&g.donor_iso3)),
            column!("recipient", |((_, r, _), _)| r.as_str()),
            column!("recipient_iso3", |(_, g)| one(&g.recipient_iso3)),
            column!("year", |((_, _, y), _)| *y),
            column!("paid_usd", |(_, g)| usd(g.sums[0].0)),
            column!("committed_usd", |(_, g)| usd(g.sums[1].0)),
            column!("pledged_usd", |(_, g)| usd(g.sums[2].0)),
            column!("paid_usd_constant", |(_, g)| usd(g.sums[0].1)),
            column!("committed_usd_constant", |(_, g)| usd(g.sums[1].1)),
            column!("pledged_usd_constant", |(_, g)| usd(g.sums[2].1)),
            column!("base_year", |_| base_year),
            column!("events", |(_, g)| g.events),
            column!("events_without_usd", |(_, g)| g.without_usd),
        ]
    )
}
