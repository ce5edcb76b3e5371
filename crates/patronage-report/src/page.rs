//! The HTML report: one file, styles and charts inline, nothing fetched, so it
//! opens the same from a laptop, a mail attachment or an archive.

use std::collections::BTreeMap;
use std::fmt::Write;

use patronage_tables::columns::{floats, ints, longs, strs};
use polars::prelude::*;

use crate::svg::{self, esc, short, Group, Marker, Scale, Series};
use crate::{claims, deviation_text, figure, stated, ReportError, Tables};

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0 auto;max-width:980px;padding:16px 24px;color:#222;line-height:1.45}
h1{font-size:1.6em;margin:.4em 0}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
.meta{color:#555;font-size:.9em}.note{color:#555;font-size:.9em}
svg.chart{width:100%;height:auto;border:1px solid #eee}
.ctitle{font-size:15px;font-weight:600}.tick,.legend,.mlabel,.barlabel{font-size:11px;fill:#333}.axis{font-size:12px;fill:#333}
.grid{stroke:#e6e6e6}.axisline{stroke:#888}.event{stroke:#999;stroke-dasharray:4 3}.mlabel{fill:#666}.empty{font-size:14px;fill:#999}
table{border-collapse:collapse;font-size:.88em;width:100%}th,td{border-bottom:1px solid #e4e4e4;padding:4px 6px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
td.num{text-align:right;white-space:nowrap}
.reproduced{color:#05603a;font-weight:600}.deviates{color:#b42318;font-weight:600}.not_computable{color:#6b6b6b;font-weight:600}
.scale-toggle label{margin-right:1em;cursor:pointer}.scaled .log{display:none}
#scale-log:checked~.scaled .log{display:block}#scale-log:checked~.scaled .linear{display:none}";

/// Records each chart's rendered size on the chart (`data-rendered`), so a
/// headless browser's DOM dump shows the charts were laid out.
const LAYOUT_CHECK: &str = "document.addEventListener('DOMContentLoaded',function(){document.querySelectorAll('svg[data-chart]').forEach(function(s){var b=s.getBoundingClientRect();s.setAttribute('data-rendered',Math.round(b.width)+'x'+Math.round(b.height));});document.body.setAttribute('data-layout-checked','true');});";

/// A text field of the manifest by its JSON pointer (`/pipeline/name`).
fn manifest_field<'a>(manifest: &'a serde_json::Value, pointer: &str) -> &'a str {
    manifest
        .pointer(pointer)
        .and_then(serde_json::Value::as_str)
        .unwrap_or("")
}

/// Display name of a patron series.
fn series_name(series: &str) -> String {
    match series {
        "SUN-RUS" => "USSR / Russia".to_string(),
        "CHN" => "China".to_string(),
        other => other.to_string(),
    }
}

fn trade_charts(t: &Tables) -> PolarsResult<(String, String, String)> {
    let df = &t.patron_influence;
    let (series, year, trade) = (
        strs(df, "patron_series")?,
        ints(df, "year")?,
        floats(df, "trade_usd")?,
    );
    let patron = strs(df, "patron_iso3")?;
    let mut by: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    let mut sides: BTreeMap<String, (bool, bool)> = BTreeMap::new();
    for i in 0..df.height() {
        let (Some(s), Some(y), Some(v)) = (&series[i], year[i], trade[i]) else {
            continue;
        };
        by.entry(s.clone()).or_default().push((y as f64, v));
        let e = sides.entry(s.clone()).or_default();
        let successor = patronage_core::SUCCESSIONS
            .iter()
            .any(|x| patron[i].as_deref() == Some(x.after));
        if successor {
            e.1 = true;
        } else {
            e.0 = true;
        }
    }
    let lines: Vec<Series> = by
        .into_iter()
        .map(|(s, points)| Series {
            name: series_name(&s),
            points,
        })
        .collect();
    let mut markers = Vec::new();
    for s in patronage_core::SUCCESSIONS {
        if sides.get(s.series).is_some_and(|(a, b)| *a && *b) {
            markers.push(Marker {
                x: s.last_year as f64 + 0.5,
                label: format!("{} → {}", s.before, s.after),
            });
        }
    }
    let title = "DPRK trade by patron, full years (US dollars)";
    let linear = svg::line_chart(
        "trade_linear",
        title,
        "US dollars",
        &lines,
        &markers,
        Scale::Linear,
    );
    let log = svg::line_chart(
        "trade_log",
        &format!("{title}, log scale"),
        "US dollars (log)",
        &lines,
        &markers,
        Scale::Log,
    );
    let gaps = " A solid line joins consecutive years; a dotted line bridges years with no figure and is not data.";
    let spans = if markers.is_empty() {
        format!("No series in this build spans a change of state.{gaps}")
    } else {
        format!("The USSR (through 1991) and Russia (from 1992) are one series; the dashed vertical line marks the change.{gaps}")
    };
    Ok((linear, log, spans))
}

fn windows_chart(t: &Tables) -> PolarsResult<(String, String)> {
    let df = &t.trade_windows;
    let (id, partner) = (strs(df, "window_id")?, strs(df, "partner_iso3")?);
    let (cur, base, change) = (
        floats(df, "current_total_usd")?,
        floats(df, "baseline_total_usd")?,
        floats(df, "total_change_pct")?,
    );
    let (cf, ct, bf, bt) = (
        strs(df, "current_from")?,
        strs(df, "current_to")?,
        strs(df, "baseline_from")?,
        strs(df, "baseline_to")?,
    );
    let mut groups = Vec::new();
    let mut notes = String::new();
    for i in 0..df.height() {
        let label = id[i].clone().unwrap_or_default();
        let bar = |v: Option<f64>| v.map(|v| (v, format!("${}", short(v))));
        groups.push(Group {
            label: label.clone(),
            bars: vec![bar(base[i]), bar(cur[i])],
        });
        let _ = write!(
            notes,
            "<li><b>{}</b> ({}): {}..{} against {}..{}: {}</li>",
            esc(&label),
            esc(partner[i].as_deref().unwrap_or("")),
            esc(cf[i].as_deref().unwrap_or("")),
            esc(ct[i].as_deref().unwrap_or("")),
            esc(bf[i].as_deref().unwrap_or("")),
            esc(bt[i].as_deref().unwrap_or("")),
            change[i].map_or("n/a".to_string(), |c| format!("{c:+.1}%"))
        );
    }
    let chart = svg::bar_chart(
        "windows",
        "Trade in each window: baseline period against current period",
        "US dollars",
        &["baseline", "current"],
        &groups,
    );
    Ok((chart, format!("<ul>{notes}</ul>")))
}

fn aid_chart(t: &Tables) -> PolarsResult<String> {
    let df = &t.aid_fulfillment;
    let (donor, category, measure) = (
        strs(df, "donor")?,
        strs(df, "category")?,
        strs(df, "measure")?,
    );
    let year = ints(df, "year")?;
    let stages = [
        floats(df, "requested")?,
        floats(df, "promised")?,
        floats(df, "delivered")?,
    ];
    let rows: Vec<usize> = (0..df.height()).collect();
    let two = |i: &usize| stages.iter().filter(|s| s[*i].is_some()).count() >= 2;
    let shown: Vec<usize> = if rows.iter().any(two) {
        rows.into_iter().filter(two).collect()
    } else {
        rows
    };
    let groups: Vec<Group> = shown
        .iter()
        .map(|&i| {
            let unit = measure[i].clone().unwrap_or_default();
            let max = stages.iter().filter_map(|s| s[i]).fold(0.0, f64::max);
            Group {
                label: format!(
                    "{} {} {}",
                    year[i].map_or(String::new(), |y| y.to_string()),
                    donor[i].as_deref().unwrap_or(""),
                    category[i].as_deref().unwrap_or("")
                ),
                bars: stages
                    .iter()
                    .map(|s| {
                        s[i].map(|v| {
                            let pct = if max > 0.0 { 100.0 * v / max } else { 0.0 };
                            (pct, format!("{} {unit}", short(v)))
                        })
                    })
                    .collect(),
            }
        })
        .collect();
    Ok(svg::bar_chart(
        "aid",
        "Aid requested, promised and delivered (packages with two stages or more)",
        "% of the package's largest figure",
        &["requested", "promised", "delivered"],
        &groups,
    ))
}

fn workers_chart(t: &Tables, focus: &str) -> PolarsResult<String> {
    let df = &t.labor_summary;
    let (host, origin, measure) = (
        strs(df, "host_iso3")?,
        strs(df, "origin_iso3")?,
        strs(df, "measure")?,
    );
    let (year, workers) = (ints(df, "year")?, longs(df, "workers")?);
    let mut by: BTreeMap<(String, String), Vec<(f64, f64)>> = BTreeMap::new();
    for i in 0..df.height() {
        let (Some(h), Some(o), Some(m), Some(y), Some(w)) =
            (&host[i], &origin[i], &measure[i], year[i], workers[i])
        else {
            continue;
        };
        if o != focus {
            continue;
        }
        let series = patronage_core::series_of(h).to_string();
        by.entry((m.clone(), series))
            .or_default()
            .push((y as f64, w as f64));
    }
    let hosts: std::collections::BTreeSet<&String> = by.keys().map(|k| &k.1).collect();
    let several = hosts.len() > 1;
    let lines: Vec<Series> = by
        .iter()
        .map(|((m, host), points)| {
            let short = match m.as_str() {
                "workers_present" => "present",
                "work_permits_issued" => "permits issued",
                other => other,
            };
            Series {
                name: if several {
                    format!("{short} ({host})")
                } else {
                    short.to_string()
                },
                points: points.clone(),
            }
        })
        .collect();
    let e = &t.events;
    let (eyear, title) = (ints(e, "year")?, strs(e, "title")?);
    // One marker per year: the first event's title, and how many more.
    let mut per_year: BTreeMap<i32, Vec<String>> = BTreeMap::new();
    for i in 0..e.height() {
        if let (Some(y), Some(t)) = (eyear[i], &title[i]) {
            per_year.entry(y).or_default().push(t.clone());
        }
    }
    let markers: Vec<Marker> = per_year
        .into_iter()
        .map(|(y, titles)| {
            let mut label: String = titles[0].clone();
            if label.chars().count() > 26 {
                label = label.chars().take(25).collect::<String>() + "…";
            }
            if titles.len() > 1 {
                label = format!("{label} +{}", titles.len() - 1);
            }
            Marker {
                x: y as f64 + 0.5,
                label: format!("{y}: {label}"),
            }
        })
        .collect();
    let host_names: Vec<String> = hosts.iter().map(|h| series_name(h)).collect();
    Ok(svg::line_chart(
        "workers",
        &format!(
            "Workers from {focus} in {}, by measure (events marked)",
            host_names.join(", ")
        ),
        "workers",
        &lines,
        &markers,
        Scale::Linear,
    ))
}

fn lead_table(t: &Tables) -> PolarsResult<String> {
    let df = &t.patron_influence;
    let (year, lead, basis) = (
        ints(df, "year")?,
        strs(df, "lead_patron")?,
        strs(df, "lead_basis")?,
    );
    let compared = ints(df, "patrons_compared")?;
    let mut rows = BTreeMap::new();
    for i in 0..df.height() {
        if let Some(y) = year[i] {
            rows.entry(y)
                .or_insert((lead[i].clone(), basis[i].clone(), compared[i]));
        }
    }
    let mut out = String::from(
        "<table data-table=\"lead\"><tr><th>year</th><th>lead patron</th><th>decided on</th><th>patrons compared</th></tr>",
    );
    for (y, (l, b, c)) in rows {
        let _ = write!(
            out,
            "<tr><td>{y}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            esc(l.as_deref().unwrap_or("—")),
            esc(b.as_deref().unwrap_or("")),
            c.unwrap_or(0)
        );
    }
    out.push_str("</table>");
    Ok(out)
}

fn claims_table(t: &Tables) -> PolarsResult<String> {
    let mut out = String::from(
        "<table data-table=\"claims\"><tr><th>verdict</th><th>claim</th><th>stated</th><th>computed</th><th>deviation</th><th>how</th></tr>",
    );
    for c in claims(&t.claims)? {
        let _ = write!(
            out,
            "<tr data-claim=\"{id}\"><td class=\"{s}\">{s}</td><td><b>{id}</b><br>{text}<br><span class=\"note\">{source}</span></td><td class=\"num\">{stated}</td><td class=\"num\">{computed}</td><td class=\"num\">{dev}</td><td class=\"note\">{from}<br>{reason}</td></tr>",
            id = esc(&c.id),
            s = esc(&c.status),
            text = esc(&c.text),
            source = esc(&c.source),
            stated = esc(&stated(&c)),
            computed = c.computed.map_or("—".to_string(), |v| esc(&format!("{} {}", figure(v), c.unit))),
            dev = esc(&deviation_text(&c)),
            from = esc(&c.computed_from),
            reason = esc(&c.reason),
        );
    }
    out.push_str("</table>");
    Ok(out)
}

/// The report page for the tables of one run.
pub fn html(t: &Tables) -> Result<String, ReportError> {
    let manifest: serde_json::Value =
        serde_json::from_str(&t.manifest).unwrap_or(serde_json::Value::Null);
    let name = manifest_field(&manifest, "/pipeline/name");
    let focus = manifest_field(&manifest, "/pipeline/focus");
    let inputs = manifest_field(&manifest, "/inputs_sha256");
    let version = manifest_field(&manifest, "/tool_version");
    let (linear, log, spans) = trade_charts(t).map_err(t.error("patron_influence"))?;
    let (windows, window_notes) = windows_chart(t).map_err(t.error("trade_windows"))?;
    let aid = aid_chart(t).map_err(t.error("aid_fulfillment"))?;
    let workers = workers_chart(t, focus).map_err(t.error("labor_summary"))?;
    let lead = lead_table(t).map_err(t.error("patron_influence"))?;
    let claims = claims_table(t).map_err(t.error("claims"))?;
    let (goods, goods_rows) =
        crate::groups::sanctioned_goods_chart(&t.trade_by_group, &t.commodity_group_bans)
            .map_err(t.error("trade_by_group"))?;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title}</title><style>{STYLE}</style></head>
<body>
<h1>{title}</h1>
<p class="meta">Pipeline <b>{name}</b>, focus <b>{focus}</b>; built by patronage {version} from inputs with SHA-256 <code>{inputs}</code> (manifest.json). Every figure below is read from the run's Parquet tables.</p>
<h2 id="claims">Claims checked against the tables</h2>
{claims}
<h2 id="trade">Trade by patron</h2>
<div class="scale-toggle"><input type="radio" name="scale" id="scale-linear" checked><label for="scale-linear">linear scale</label><input type="radio" name="scale" id="scale-log"><label for="scale-log">log scale</label>
<div class="scaled"><div class="linear">{linear}</div><div class="log">{log}</div></div></div>
<p class="note">{spans} Full-year figures only (mirror_trade rows covering 12 months); gaps in the line are years without a figure.</p>
<h3>Lead patron by year</h3>
{lead}
<p class="note">Decided on trade where any patron has a full-year figure, else aid in constant dollars, else workers, else the count of aid records, else part-year trade (patron_influence.lead_basis).</p>
<h2 id="windows">Russia–DPRK windows</h2>
{windows}
{window_notes}
<h2 id="aid">Aid requested, promised and delivered</h2>
{aid}
<p class="note">Each package's bars are scaled to its own largest figure, since units differ (tonnes, rubles, dollars); the labels give the figures.</p>
<h2 id="workers">Workers over time</h2>
{workers}
<p class="note">Each measure is its own line (people present, permits issued, estimates): they are never added. Dashed lines are events from the events table.</p>
<h2 id="sanctioned-goods">Sanctioned goods</h2>
{goods}
<p class="note">{goods_rows} figures of trade_by_group: each drawn at the middle of its period as the average per month, full years and part years as separate lines; dashed lines are the bans and caps of commodity_group_bans. trade_by_group.commodity_level_used says whether a figure was summed from 6-digit, 4-digit or chapter rows.</p>
<script>{LAYOUT_CHECK}</script>
</body></html>
"#,
        title = esc(&format!("{name}: the focus country and its patrons")),
        name = esc(name),
        focus = esc(focus),
        version = esc(version),
        inputs = esc(inputs),
    );
    Ok(out)
}
