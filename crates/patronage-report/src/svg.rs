//! Hand-written SVG charts: line charts over years (linear or log scale, with
//! marked events) and grouped bar charts. Output is plain text built in a fixed
//! order, so the same tables give the same bytes.

use std::fmt::Write;

/// Chart size in SVG user units (scaled to the page width by CSS).
const WIDTH: f64 = 880.0;
const HEIGHT: f64 = 380.0;
const LEFT: f64 = 86.0;
const RIGHT: f64 = 150.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 48.0;

/// Colors of series, in order (readable by most color-blind readers).
pub const PALETTE: [&str; 8] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#555555", "#F0E442",
];

/// Escape text for SVG and HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A number the way axis labels and tooltips show it: 1.2B, 345M, 12k, 0.35.
pub fn short(v: f64) -> String {
    let a = v.abs();
    let (x, suffix) = if a >= 1e9 {
        (v / 1e9, "B")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e3 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let s = if x.abs() >= 100.0 || x.fract() == 0.0 {
        format!("{x:.0}")
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    };
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    format!("{s}{suffix}")
}

/// One line of a line chart.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend label.
    pub name: String,
    /// (year, value) points, in year order.
    pub points: Vec<(f64, f64)>,
}

/// A vertical line at `x` with a label (an event, a change of series).
#[derive(Debug, Clone)]
pub struct Marker {
    /// Position on the x axis.
    pub x: f64,
    /// Label.
    pub label: String,
}

/// Y axis scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Linear from zero.
    Linear,
    /// Base-10 logarithmic (values must be positive; others are left out).
    Log,
}

fn nice_step(range: f64, ticks: f64) -> f64 {
    let raw = range / ticks;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let nice = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

fn open(out: &mut String, id: &str, title: &str) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="{id}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{id}-title"><title id="{id}-title">{t}</title><rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="white"/><text x="{LEFT}" y="22" class="ctitle">{t}</text>"#,
        t = esc(title)
    );
}

/// A y axis: tick positions (value, pixel) and the mapping.
struct YAxis {
    scale: Scale,
    lo: f64,
    hi: f64,
}

impl YAxis {
    fn new(values: &[f64], scale: Scale) -> YAxis {
        match scale {
            Scale::Linear => {
                let max = values.iter().copied().fold(0.0, f64::max);
                let max = if max > 0.0 { max } else { 1.0 };
                let step = nice_step(max, 5.0);
                YAxis {
                    scale,
                    lo: 0.0,
                    hi: (max / step).ceil() * step,
                }
            }
            Scale::Log => {
                let pos: Vec<f64> = values.iter().copied().filter(|v| *v > 0.0).collect();
                let min = pos.iter().copied().fold(f64::INFINITY, f64::min);
                let max = pos.iter().copied().fold(0.0, f64::max);
                let (lo, hi) = if pos.is_empty() {
                    (0.0, 1.0)
                } else {
                    (
                        min.log10().floor(),
                        max.log10().ceil().max(min.log10().floor() + 1.0),
                    )
                };
                YAxis { scale, lo, hi }
            }
        }
    }

    fn y(&self, v: f64) -> Option<f64> {
        let t = match self.scale {
            Scale::Linear => v,
            Scale::Log if v > 0.0 => v.log10(),
            Scale::Log => return None,
        };
        let frac = (t - self.lo) / (self.hi - self.lo);
        Some(HEIGHT - BOTTOM - frac * (HEIGHT - TOP - BOTTOM))
    }

    fn ticks(&self) -> Vec<f64> {
        match self.scale {
            Scale::Linear => {
                let step = nice_step(self.hi - self.lo, 5.0);
                let n = ((self.hi - self.lo) / step).round() as i64;
                (0..=n).map(|i| self.lo + i as f64 * step).collect()
            }
            Scale::Log => (self.lo as i64..=self.hi as i64)
                .map(|e| 10f64.powi(e as i32))
                .collect(),
        }
    }

    fn draw(&self, out: &mut String, label: &str) {
        for t in self.ticks() {
            if let Some(y) = self.y(t) {
                let _ = write!(
                    out,
                    r#"<line x1="{LEFT}" y1="{y:.1}" x2="{x2}" y2="{y:.1}" class="grid"/><text x="{lx}" y="{ty:.1}" class="tick" text-anchor="end">{v}</text>"#,
                    x2 = WIDTH - RIGHT,
                    lx = LEFT - 6.0,
                    ty = y + 4.0,
                    v = short(t)
                );
            }
        }
        let _ = write!(
            out,
            r#"<text transform="translate(16 {my:.1}) rotate(-90)" class="axis" text-anchor="middle">{l}</text>"#,
            my = (TOP + HEIGHT - BOTTOM) / 2.0,
            l = esc(label)
        );
    }
}

/// A line chart over years. Points one year apart are joined by a solid line; a
/// gap of more than a year breaks it, and the points either side of the gap are
/// bridged by a thin dotted line (class `gap`), so a series sparse over decades
/// still reads as one line while missing years are not drawn as data.
pub fn line_chart(
    id: &str,
    title: &str,
    y_label: &str,
    series: &[Series],
    markers: &[Marker],
    scale: Scale,
) -> String {
    let mut out = String::new();
    open(&mut out, id, title);
    let xs: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .chain(markers.iter().map(|m| m.x))
        .collect();
    let (x0, x1) = match (
        xs.iter().copied().fold(f64::INFINITY, f64::min),
        xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    ) {
        (a, b) if a.is_finite() && b > a => (a - 1.0, b + 1.0),
        (a, _) if a.is_finite() => (a - 1.0, a + 1.0),
        _ => (0.0, 1.0),
    };
    let x = |v: f64| LEFT + (v - x0) / (x1 - x0) * (WIDTH - LEFT - RIGHT);
    let values: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .collect();
    let axis = YAxis::new(&values, scale);
    axis.draw(&mut out, y_label);
    let step = nice_step(x1 - x0, 8.0).max(1.0);
    let mut t = (x0 / step).ceil() * step;
    while t <= x1 {
        let _ = write!(
            out,
            r#"<text x="{px:.1}" y="{py}" class="tick" text-anchor="middle">{t}</text>"#,
            px = x(t),
            py = HEIGHT - BOTTOM + 18.0
        );
        t += step;
    }
    let _ = write!(
        out,
        r#"<line x1="{LEFT}" y1="{b}" x2="{r}" y2="{b}" class="axisline"/>"#,
        b = HEIGHT - BOTTOM,
        r = WIDTH - RIGHT
    );
    for (i, m) in markers.iter().enumerate() {
        let px = x(m.x);
        let ly = TOP + 12.0 + (i % 5) as f64 * 13.0;
        // Labels right of the middle run leftwards, away from the legend.
        let (tx, anchor) = if px > LEFT + (WIDTH - LEFT - RIGHT) * 0.55 {
            (px - 3.0, "end")
        } else {
            (px + 3.0, "start")
        };
        let _ = write!(
            out,
            r#"<g class="marker"><line x1="{px:.1}" y1="{TOP}" x2="{px:.1}" y2="{b}" class="event"/><text x="{tx:.1}" y="{ly:.1}" class="mlabel" text-anchor="{anchor}">{l}</text></g>"#,
            b = HEIGHT - BOTTOM,
            l = esc(&m.label)
        );
    }
    for (i, s) in series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let pts: Vec<(f64, f64, f64, f64)> = s
            .points
            .iter()
            .filter_map(|&(px, v)| axis.y(v).map(|py| (x(px), py, px, v)))
            .collect();
        let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut last: Option<f64> = None;
        for &(px, py, year, _) in &pts {
            if last.is_none_or(|l| year - l > 1.0) {
                runs.push(Vec::new());
            }
            if let Some(r) = runs.last_mut() {
                r.push((px, py));
            }
            last = Some(year);
        }
        let _ = write!(out, r#"<g class="series" data-series="{}">"#, esc(&s.name));
        for pair in runs.windows(2) {
            if let (Some(a), Some(b)) = (pair[0].last(), pair[1].first()) {
                let _ = write!(
                    out,
                    r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" class="gap" stroke="{color}" stroke-width="1" stroke-dasharray="2,4"/>"#,
                    a.0, a.1, b.0, b.1
                );
            }
        }
        for r in runs.iter().filter(|r| r.len() > 1) {
            let d: Vec<String> = r.iter().map(|(a, b)| format!("{a:.1},{b:.1}")).collect();
            let _ = write!(
                out,
                r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="2"/>"#,
                d.join(" ")
            );
        }
        for &(px, py, year, v) in &pts {
            let _ = write!(
                out,
                r#"<circle cx="{px:.1}" cy="{py:.1}" r="3.5" fill="{color}"><title>{n} {year}: {v}</title></circle>"#,
                n = esc(&s.name),
                v = short(v)
            );
        }
        legend_entry(&mut out, i, &s.name);
        out.push_str("</g>");
    }
    close(&mut out, series.iter().all(|s| s.points.is_empty()));
    out
}

/// Legend entry `i` in the right margin, in the series' color.
fn legend_entry(out: &mut String, i: usize, name: &str) {
    let ly = TOP + 8.0 + i as f64 * 18.0;
    let _ = write!(
        out,
        r#"<rect x="{lx}" y="{ry:.1}" width="12" height="12" fill="{c}"/><text x="{tx}" y="{ly:.1}" class="legend">{n}</text>"#,
        lx = WIDTH - RIGHT + 12.0,
        ry = ly - 10.0,
        c = PALETTE[i % PALETTE.len()],
        tx = WIDTH - RIGHT + 30.0,
        n = esc(name)
    );
}

/// End the chart, saying so when it has nothing to show.
fn close(out: &mut String, empty: bool) {
    if empty {
        let _ = write!(
            out,
            r#"<text x="{cx}" y="{cy}" class="empty" text-anchor="middle">no figures in this build</text>"#,
            cx = WIDTH / 2.0,
            cy = HEIGHT / 2.0
        );
    }
    out.push_str("</svg>");
}

/// A group of bars (one per legend entry) with its label; `None` leaves a gap.
#[derive(Debug, Clone)]
pub struct Group {
    /// Label under the group.
    pub label: String,
    /// One value per legend entry, with the text shown on the bar.
    pub bars: Vec<Option<(f64, String)>>,
}

/// A grouped bar chart on a linear scale from zero.
pub fn bar_chart(
    id: &str,
    title: &str,
    y_label: &str,
    legend: &[&str],
    groups: &[Group],
) -> String {
    let mut out = String::new();
    open(&mut out, id, title);
    let values: Vec<f64> = groups
        .iter()
        .flat_map(|g| g.bars.iter().flatten().map(|b| b.0))
        .collect();
    let axis = YAxis::new(&values, Scale::Linear);
    axis.draw(&mut out, y_label);
    let plot = WIDTH - LEFT - RIGHT;
    let slot = plot / groups.len().max(1) as f64;
    let bar = (slot * 0.8 / legend.len().max(1) as f64).min(46.0);
    let base = HEIGHT - BOTTOM;
    for (gi, g) in groups.iter().enumerate() {
        let gx = LEFT + gi as f64 * slot + (slot - bar * legend.len() as f64) / 2.0;
        for (bi, b) in g.bars.iter().enumerate() {
            let Some((v, text)) = b else { continue };
            let Some(top) = axis.y(*v) else { continue };
            let bx = gx + bi as f64 * bar;
            let _ = write!(
                out,
                r#"<rect x="{bx:.1}" y="{top:.1}" width="{w:.1}" height="{h:.1}" fill="{c}" class="bar"><title>{g} {l}: {t}</title></rect><text x="{cx:.1}" y="{ty:.1}" class="barlabel" text-anchor="middle">{t}</text>"#,
                w = bar - 2.0,
                h = (base - top).max(0.5),
                c = PALETTE[bi % PALETTE.len()],
                g = esc(&g.label),
                l = esc(legend.get(bi).copied().unwrap_or("")),
                t = esc(text),
                cx = bx + bar / 2.0 - 1.0,
                ty = top - 4.0
            );
        }
        let _ = write!(
            out,
            r#"<text x="{cx:.1}" y="{ty}" class="tick" text-anchor="middle">{l}</text>"#,
            cx = LEFT + gi as f64 * slot + slot / 2.0,
            ty = base + 18.0,
            l = esc(&g.label)
        );
    }
    let _ = write!(
        out,
        r#"<line x1="{LEFT}" y1="{base}" x2="{r}" y2="{base}" class="axisline"/>"#,
        r = WIDTH - RIGHT
    );
    for (i, l) in legend.iter().enumerate() {
        legend_entry(&mut out, i, l);
    }
    close(&mut out, groups.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_numbers() {
        assert_eq!(short(5.06e9), "5.06B");
        assert_eq!(short(77_900_000.0), "77.9M");
        assert_eq!(short(40_000.0), "40k");
        assert_eq!(short(0.375), "0.38");
        assert_eq!(short(0.0), "0");
    }

    #[test]
    fn log_axis_spans_whole_decades() {
        // $42.7M and $5.06B: decades 10^7 to 10^10.
        let a = YAxis::new(&[4.274e7, 5.06e9], Scale::Log);
        assert_eq!((a.lo, a.hi), (7.0, 10.0));
        assert_eq!(a.ticks(), vec![1e7, 1e8, 1e9, 1e10]);
        assert_eq!(a.y(1e7), Some(HEIGHT - BOTTOM));
        assert_eq!(a.y(0.0), None);
    }

    #[test]
    fn a_gap_in_years_breaks_the_line() {
        // 2011, 2014, 2015: one segment (2014-2015) and three points.
        let s = Series {
            name: "RUS".into(),
            points: vec![(2011.0, 1.137e8), (2014.0, 8.477e7), (2015.0, 8.322e7)],
        };
        let svg = line_chart("t", "T", "USD", &[s], &[], Scale::Linear);
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert_eq!(svg.matches("<circle").count(), 3);
        // 2011 to 2014 is bridged by one dotted line, not drawn as data.
        assert_eq!(svg.matches(r#"class="gap""#).count(), 1);
    }
}
