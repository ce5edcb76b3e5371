//! `patronage report`: one self-contained, reproducible HTML file, and (when a
//! Chromium is installed; always under CI) that a headless browser renders
//! every chart without a console message.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;

/// The charts of the report, by `data-chart` id; the log-scale trade chart is
/// hidden until its toggle is picked.
const CHARTS: [&str; 5] = ["trade_linear", "trade_log", "windows", "aid", "workers"];

fn report(out: &Path, html: &Path, env: &[(&str, &str)]) -> String {
    let o = patronage(
        &[
            "report",
            "pipelines/dprk.toml",
            "--out",
            out.to_str().unwrap(),
            "-o",
            html.to_str().unwrap(),
        ],
        env,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::read_to_string(html).unwrap()
}

#[test]
fn report_is_self_contained_and_reproducible() {
    let tmp = tempfile::tempdir().unwrap();
    let a = report(&tmp.path().join("out"), &tmp.path().join("a.html"), &[]);
    // A warm rerun, and a fresh build on one thread, give the same bytes.
    let b = report(&tmp.path().join("out"), &tmp.path().join("b.html"), &[]);
    let c = report(
        &tmp.path().join("out1"),
        &tmp.path().join("c.html"),
        &[("POLARS_MAX_THREADS", "1")],
    );
    assert_eq!(a, b);
    assert_eq!(a, c);

    // Nothing is fetched when the file is opened.
    for fetch in [" src=", "href=", "url(", "@import", "<link"] {
        assert!(!a.contains(fetch), "the report loads something: {fetch}");
    }
    for chart in CHARTS {
        assert_eq!(
            a.matches(&format!("data-chart=\"{chart}\"")).count(),
            1,
            "{chart}"
        );
    }
    // The trade chart has one line per patron series across the decades, the
    // 1991 succession marked (the USSR's 1989-1991 figures and Russia's from
    // 2000 are one series): one marker between 1991 and 1992 in each of the
    // linear and log charts.
    let linear = &a[a.find("data-chart=\"trade_linear\"").unwrap()..];
    let linear = &linear[..linear.find("</svg>").unwrap()];
    assert!(linear.contains("data-series=\"China\""));
    assert!(linear.contains("data-series=\"USSR / Russia\""));
    assert_eq!(linear.matches("class=\"marker\"").count(), 1);
    assert!(linear.contains("SUN → RUS"));
    assert!(a.contains("the dashed vertical line marks the change"));
    // Points: 19 USSR/Russia years and 30 China years with a full-year figure;
    // solid lines join consecutive years, dotted ones bridge the gaps.
    assert_eq!(linear.matches("<title>USSR / Russia ").count(), 19);
    assert_eq!(linear.matches("<title>China ").count(), 30);
    assert!(linear.contains("<polyline"));
    assert!(linear.contains("class=\"gap\""));
    // Every claim is a row of the claims table; the headline one with its deviation.
    assert_eq!(a.matches("<tr data-claim=").count(), 13);
    let row = &a[a
        .find("data-claim=\"ru_prk_trade_jan_feb_2017_up_73pct\"")
        .unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("class=\"reproduced\""), "{row}");
    assert!(row.contains("71.70 percent"), "{row}");
    assert!(row.contains("-1.30 (-1.8%)"), "{row}");
    // Windows: +71.7% for 2017, -84.6% for 2018 ($3.04M against $19.8M).
    assert!(a.contains("2016-01..2016-02: +71.7%"));
    assert!(a.contains("2017-01..2017-02: -84.6%"));
}

/// Debian's Chromium, or the one `PATRONAGE_CHROMIUM` names.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATRONAGE_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    required_under_ci(path.is_file(), path)
}

fn headless(browser: &Path, profile: &Path, extra: &[&str], page: &Path) -> std::process::Output {
    Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("start chromium")
}

#[test]
fn report_renders_in_headless_chromium() {
    let Some(browser) = chromium() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let html = tmp.path().join("report.html");
    report(&tmp.path().join("out"), &html, &[]);

    let o = headless(
        &browser,
        &tmp.path().join("profile-dom"),
        &["--window-size=1000,4000", "--dump-dom"],
        &html,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let log = stderr(&o);
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    let dom = String::from_utf8_lossy(&o.stdout).into_owned();
    // The page's layout check ran and recorded each chart's rendered size.
    assert!(
        dom.contains("data-layout-checked=\"true\""),
        "{}",
        &dom[..dom.len().min(2000)]
    );
    for chart in CHARTS {
        let at = dom
            .find(&format!("data-chart=\"{chart}\""))
            .unwrap_or_else(|| panic!("{chart} missing from the DOM"));
        let tag = &dom[dom[..at].rfind('<').unwrap()..at + dom[at..].find('>').unwrap()];
        let size = tag
            .split("data-rendered=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or_else(|| panic!("{chart} has no rendered size: {tag}"));
        let (w, h) = size.split_once('x').unwrap();
        let (w, h): (u32, u32) = (w.parse().unwrap(), h.parse().unwrap());
        if chart == "trade_log" {
            assert_eq!((w, h), (0, 0), "the log chart is hidden until picked");
        } else {
            assert!(w > 500 && h > 200, "{chart} rendered at {w}x{h}");
        }
    }

    // A screenshot of the page: a PNG of the window's size, and far from blank
    // (a blank page of this size is about 20 KB; the report about 400 KB).
    let png = tmp.path().join("report.png");
    let o = headless(
        &browser,
        &tmp.path().join("profile-png"),
        &[
            "--window-size=1000,4000",
            &format!("--screenshot={}", png.display()),
        ],
        &html,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    assert_eq!((be(16), be(20)), (1000, 4000), "IHDR width and height");
    assert!(
        bytes.len() > 150_000,
        "screenshot of {} bytes: blank?",
        bytes.len()
    );
}
