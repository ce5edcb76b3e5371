//! The documentation holds together: the data dictionary in docs/tables.md is the
//! one generated from the table contracts; README.md stays a short front door
//! that names the test command CI runs; and every relative link in README.md,
//! ARCHITECTURE.md, CONTRIBUTING.md and docs/*.md leads to a file that exists
//! and, for a `#anchor`, to a heading of that file under GitHub's anchor rules.
//! Only the standard library is used, and the repository root is found from
//! CARGO_MANIFEST_DIR, so this file can live in any crate of the workspace.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// The Markdown the contracts generate (`patronage schema` prints the same).
fn generated_dictionary() -> String {
    patronage_tables::dictionary::markdown()
}

/// The page that embeds the dictionary, and the markers around it.
const DICTIONARY_PAGE: &str = "docs/tables.md";
const BEGIN: &str = "<!-- tables:begin -->\n";
const END: &str = "<!-- tables:end -->";

/// README.md's length limit: a front door, not the manual.
const README_MAX_LINES: usize = 300;

/// The folder holding the workspace's Cargo.toml, above this crate.
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|d| {
            std::fs::read_to_string(d.join("Cargo.toml"))
                .is_ok_and(|t| t.lines().any(|l| l.trim() == "[workspace]"))
        })
        .expect("a folder above CARGO_MANIFEST_DIR holds the workspace's Cargo.toml")
        .to_path_buf()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn dictionary_matches_contracts() {
    let path = repo_root().join(DICTIONARY_PAGE);
    let page = read(&path);
    let start = page
        .find(BEGIN)
        .unwrap_or_else(|| panic!("{DICTIONARY_PAGE} has no {}", BEGIN.trim_end()))
        + BEGIN.len();
    let stop = page[start..]
        .find(END)
        .unwrap_or_else(|| panic!("{DICTIONARY_PAGE} has no {END} after {}", BEGIN.trim_end()))
        + start;
    let expected = generated_dictionary();
    assert!(
        page[start..stop] == expected,
        "{DICTIONARY_PAGE}'s data dictionary is out of date; replace the block between the \
         markers with `patronage schema` output (CONTRIBUTING.md, \"A new table or column\"):\n{expected}"
    );
}

#[test]
fn readme_is_a_front_door_with_the_ci_test_command() {
    let root = repo_root();
    let readme = read(&root.join("README.md"));
    let lines = readme.lines().count();
    assert!(
        lines <= README_MAX_LINES,
        "README.md has {lines} lines, more than {README_MAX_LINES}: move the detail to docs/"
    );
    let command = "cargo test --workspace";
    let ci = read(&root.join(".ci/run"));
    assert!(
        ci.lines().any(|l| l.trim() == command),
        ".ci/run does not run `{command}`"
    );
    let names = |l: &str, c: &str| {
        l.trim_start()
            .strip_prefix(c)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(char::is_whitespace))
    };
    assert!(
        readme.lines().any(|l| names(l, command)),
        "README.md's quick start does not give `{command}`, the command CI runs"
    );
    assert!(
        readme.lines().any(|l| names(l, "cargo run -- run")),
        "README.md's quick start does not give `cargo run -- run`"
    );
}

/// README.md, ARCHITECTURE.md, CONTRIBUTING.md and every docs/*.md.
fn documents(root: &Path) -> Vec<PathBuf> {
    let mut docs: Vec<PathBuf> = ["README.md", "ARCHITECTURE.md", "CONTRIBUTING.md"]
        .iter()
        .map(|f| root.join(f))
        .collect();
    let mut pages: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/ exists")
        .map(|e| e.expect("a docs/ entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    pages.sort();
    docs.extend(pages);
    docs
}

#[test]
fn relative_links_resolve() {
    let root = repo_root();
    let mut anchors: HashMap<PathBuf, HashSet<String>> = HashMap::new();
    let mut broken = Vec::new();
    let mut checked = 0;
    for doc in documents(&root) {
        let text = read(&doc);
        let shown = doc
            .strip_prefix(&root)
            .unwrap_or(&doc)
            .display()
            .to_string();
        for (line, dest) in links(&text) {
            let Some((path, anchor)) = relative(&dest) else {
                continue;
            };
            checked += 1;
            let target = if path.is_empty() {
                doc.clone()
            } else if let Some(from_root) = path.strip_prefix('/') {
                root.join(from_root)
            } else {
                doc.parent().expect("a document's folder").join(path)
            };
            if !target.exists() {
                broken.push(format!("{shown}:{line}: `{dest}`: no such file"));
                continue;
            }
            let Some(anchor) = anchor else { continue };
            let page = if target.is_dir() {
                target.join("README.md")
            } else {
                target
            };
            if page.extension().is_none_or(|x| x != "md") {
                continue; // line anchors of source files are not headings
            }
            let known = anchors
                .entry(page.clone())
                .or_insert_with(|| heading_anchors(&read(&page)));
            if !known.contains(anchor) {
                broken.push(format!(
                    "{shown}:{line}: `{dest}`: no heading with the anchor `#{anchor}`"
                ));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "broken links ({} of {checked}):\n{}",
        broken.len(),
        broken.join("\n")
    );
    assert!(
        checked > 0,
        "no relative link found: the link scanner is broken"
    );
}

/// The destination of a link, split into path and anchor, when it points inside
/// the repository; `None` for a URL with a scheme (`https:`, `mailto:`).
fn relative(dest: &str) -> Option<(&str, Option<&str>)> {
    let before_path_end = dest.split(['/', '#', '?']).next().unwrap_or("");
    if before_path_end.contains(':') {
        return None;
    }
    Some(match dest.split_once('#') {
        Some((path, anchor)) => (path, Some(anchor)),
        None => (dest, None),
    })
}

/// Lines of `text` outside fenced code blocks, numbered from 1.
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut fence: Option<String> = None;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        let indent = line.len() - t.len();
        let run: String = t.chars().take_while(|&c| c == '`' || c == '~').collect();
        let is_fence = indent <= 3
            && run.len() >= 3
            && run.chars().all(|c| c == run.chars().next().unwrap_or('`'));
        match &fence {
            Some(open) => {
                if is_fence && run.starts_with(open.as_str()) && t[run.len()..].trim().is_empty() {
                    fence = None;
                }
            }
            None if is_fence => fence = Some(run),
            None => out.push((i + 1, line)),
        }
    }
    out
}

/// `line` with every inline code span replaced by `code`, so that text inside
/// backticks is neither a link nor markup.
fn without_code_spans(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find('`') {
        out.push_str(&rest[..at]);
        let ticks = rest[at..].chars().take_while(|&c| c == '`').count();
        let after = &rest[at + ticks..];
        let closing = "`".repeat(ticks);
        // The span ends at the next run of exactly as many backticks.
        let mut search = 0;
        let mut end = None;
        while let Some(i) = after[search..].find(&closing) {
            let i = search + i;
            let run = after[i..].chars().take_while(|&c| c == '`').count();
            if run == ticks {
                end = Some(i);
                break;
            }
            search = i + run;
        }
        match end {
            Some(i) => {
                out.push_str("code");
                rest = &after[i + ticks..];
            }
            None => {
                out.push_str(&rest[at..at + ticks]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Every link destination of `text` with its line: inline links and images
/// `[text](dest "title")` and reference definitions `[label]: dest`.
fn links(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in prose_lines(text) {
        let line = without_code_spans(line);
        let t = line.trim_start();
        if t.starts_with('[') {
            if let Some(close) = t.find("]:").filter(|&c| t.find(']') == Some(c)) {
                if let Some(dest) = t[close + 2..].split_whitespace().next() {
                    out.push((n, dest.trim_matches(['<', '>']).to_string()));
                    continue;
                }
            }
        }
        for dest in split_inline_links(&line).1 {
            out.push((n, dest));
        }
    }
    out
}

/// `line` with every inline link or image `[text](dest "title")` cut to `[text]`,
/// and the destinations in order.
fn split_inline_links(line: &str) -> (String, Vec<String>) {
    let mut text = String::new();
    let mut dests = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("](") {
        text.push_str(&rest[..=at]);
        let after = &rest[at + 2..];
        let mut depth = 0usize;
        let mut end = after.len();
        for (i, c) in after.char_indices() {
            match c {
                '(' => depth += 1,
                ')' if depth == 0 => {
                    end = i;
                    break;
                }
                ')' => depth -= 1,
                _ => {}
            }
        }
        let inner = after[..end].trim();
        let dest = match inner.strip_prefix('<') {
            Some(angled) => angled.split('>').next().unwrap_or(""),
            None => inner.split_whitespace().next().unwrap_or(""),
        };
        if !dest.is_empty() {
            dests.push(dest.to_string());
        }
        rest = after.get(end + 1..).unwrap_or("");
    }
    text.push_str(rest);
    (text, dests)
}

/// The anchors GitHub gives the headings of a Markdown page (ATX `#` headings and
/// setext headings, deduplicated with `-1`, `-2`...), and the `id`/`name` of
/// HTML anchors.
fn heading_anchors(text: &str) -> HashSet<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = HashSet::new();
    let mut add = |out: &mut HashSet<String>, heading: &str| {
        let base = slug(heading);
        let count = seen.entry(base.clone()).or_insert(0);
        out.insert(if *count == 0 {
            base
        } else {
            format!("{base}-{count}")
        });
        *count += 1;
    };
    let lines = prose_lines(text);
    let mut previous: Option<(usize, &str)> = None;
    for &(n, line) in &lines {
        let t = line.trim_start();
        let indent = line.len() - t.len();
        let hashes = t.chars().take_while(|&c| c == '#').count();
        if indent <= 3
            && (1..=6).contains(&hashes)
            && (t.len() == hashes || t[hashes..].starts_with([' ', '\t']))
        {
            let body = t[hashes..].trim();
            // A closing run of `#` preceded by a space is not part of the heading.
            let body = match body.trim_end_matches('#') {
                b if b.len() < body.len() && (b.is_empty() || b.ends_with(' ')) => b.trim_end(),
                _ => body,
            };
            add(&mut out, body);
        } else if let Some((pn, p)) = previous {
            let underline = line.trim();
            let setext = !underline.is_empty()
                && (underline.chars().all(|c| c == '=') || underline.chars().all(|c| c == '-'));
            let pt = p.trim();
            if setext
                && pn + 1 == n
                && !pt.is_empty()
                && !pt.starts_with(['#', '|', '-', '*', '>', '<'])
            {
                add(&mut out, pt);
            }
        }
        for attr in ["id=\"", "name=\""] {
            if t.starts_with("<a ") {
                if let Some(at) = t.find(attr) {
                    let v = &t[at + attr.len()..];
                    out.insert(v[..v.find('"').unwrap_or(v.len())].to_string());
                }
            }
        }
        previous = Some((n, line));
    }
    out
}

/// GitHub's anchor for a heading: the rendered text (code spans and link texts
/// kept, link destinations and markup dropped), lower-cased, with every character
/// that is not a letter, digit, space, `-` or `_` removed and spaces made `-`.
fn slug(heading: &str) -> String {
    // `[text](dest)` renders as `text`; the brackets go with the punctuation.
    let (text, _) = split_inline_links(heading);
    text.trim()
        .to_lowercase()
        .chars()
        .filter(|&c| c.is_alphanumeric() || c == '-' || c == '_' || c == ' ')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

#[test]
fn slugs_follow_github() {
    assert_eq!(
        slug("Patrons, claims and the report"),
        "patrons-claims-and-the-report"
    );
    assert_eq!(
        slug("Every country at full scale: `patronage mirror-all`"),
        "every-country-at-full-scale-patronage-mirror-all"
    );
    assert_eq!(slug("`aid_fulfillment`"), "aid_fulfillment");
    assert_eq!(
        slug("Russian customs: the unit of STOIM"),
        "russian-customs-the-unit-of-stoim"
    );
    assert_eq!(slug("Russia–DPRK — 2017"), "russiadprk--2017");
    assert_eq!(slug("See [the docs](docs/x.md) here"), "see-the-docs-here");
    assert_eq!(slug("Численность работников"), "численность-работников");
}

#[test]
fn the_scanner_finds_links_and_headings() {
    let page = "# Title\n\
        \n\
        A [link](other.md#part) and ![img](pic.png \"t\"), `[not](code.md)`.\n\
        [`code text`](x.md) and <https://example.org> and [web](https://x.org/a#b).\n\
        \n\
        ```text\n\
        [inside](fence.md)\n\
        # not a heading\n\
        ```\n\
        \n\
        ## Title\n\
        Setext\n\
        ---\n\
        [ref]: ref.md#r\n\
        ### Closed ###\n";
    let found: Vec<String> = links(page).into_iter().map(|(_, d)| d).collect();
    assert_eq!(
        found,
        [
            "other.md#part",
            "pic.png",
            "x.md",
            "https://x.org/a#b",
            "ref.md#r"
        ]
    );
    assert_eq!(relative("https://x.org/a#b"), None);
    assert_eq!(relative("other.md#part"), Some(("other.md", Some("part"))));
    assert_eq!(relative("#part"), Some(("", Some("part"))));
    let anchors = heading_anchors(page);
    let mut anchors: Vec<&str> = anchors.iter().map(String::as_str).collect();
    anchors.sort_unstable();
    assert_eq!(anchors, ["closed", "setext", "title", "title-1"]);
}
