//! Labor statistics sheets as Russian agencies publish them, from an `.xlsx`
//! sheet or the same sheet saved as CSV (both arrive here as a [`Grid`]):
//!
//! * `form_2t`: Rosstat form N 2-T (migratsiya), section II, foreign workers by
//!   country of origin: country name, OKSM code, then under the merged heading
//!   "Численность иностранных работников" the columns "на начало периода",
//!   "прибыло", "выбыло", "на конец периода" (persons). The year is the form's
//!   period, declared in the pipeline file.
//! * `permits_by_citizenship`: MVD work permits issued by citizenship: citizenship,
//!   OKSM code, then under the merged heading "Выдано разрешений на работу" one
//!   column per year.
//!
//! Headers may span several rows (`header_rows`); a column's name is its header
//! cells top to bottom joined by ` / `, a merged cell counting in every column it
//! covers (in a CSV, where merges are lost, an empty cell of an upper header row
//! takes the text to its left). Header names are compared with spaces collapsed
//! and case ignored.
//!
//! A record is one figure cell: every data row gives one record per figure
//! column. An empty cell, or Rosstat's `…`, `-`, `x`, is a figure not reported. A
//! text cell in a number column is parsed with its hedge ("~8,000", "около 34
//! 000", "more than 20,000") or rejected with the reason.

use std::path::Path;

use patronage_core::labor::{Measure, Qualifier};
use patronage_core::RowReject;

use crate::grid::{cell_name, column_name, Grid, GridRow};
use crate::{text, ExtractError, Extracted};

/// The sheet layouts the reader knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetLayout {
    /// Rosstat form 2-T section II: stocks and movements by country of origin.
    Form2T,
    /// MVD work permits issued, by citizenship, one column per year.
    PermitsByCitizenship,
}

impl SheetLayout {
    /// Every layout, with the name used in pipeline files.
    pub const ALL: [(SheetLayout, &'static str); 2] = [
        (SheetLayout::Form2T, "form_2t"),
        (SheetLayout::PermitsByCitizenship, "permits_by_citizenship"),
    ];

    /// The name used in pipeline files.
    pub fn as_str(self) -> &'static str {
        SheetLayout::ALL
            .iter()
            .find(|(l, _)| *l == self)
            .map_or("", |(_, n)| n)
    }
}

/// Where the table sits in the sheet, as the pipeline file declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetSpec {
    /// Layout.
    pub layout: SheetLayout,
    /// Sheet name: the sheet read from an `.xlsx`; for a CSV, the sheet it was
    /// saved from (used in `source_ref`). None for a CSV that names none.
    pub sheet: Option<String>,
    /// First header row (1-based, as the spreadsheet numbers rows).
    pub header_row: u64,
    /// Header rows (2 when a merged heading sits above the column names).
    pub header_rows: u64,
    /// The period's year, for layouts whose year is not in a column (form 2-T).
    pub year: Option<i32>,
}

/// What a figure column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    /// A measure of the canonical table, with the date a stock refers to
    /// (`-01-01`, `-12-31` appended to the year), if any.
    Measure(Measure, Option<&'static str>),
    /// Workers who left during the period: read and counted, not a measure the
    /// canonical table carries.
    Departed,
}

/// A figure cell's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CellValue {
    /// A number, with how it was published.
    Count(u64, Qualifier),
    /// No figure: an empty cell or a "not available" sign.
    NotReported,
}

/// One figure cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetFigure {
    /// Sheet row.
    pub line: u64,
    /// The cell, `SHEET!E7` (or `E7` when no sheet is named).
    pub cell: String,
    /// The column's composed header name.
    pub column: String,
    /// What the column holds.
    pub figure: Figure,
    /// Year of the figure.
    pub year: i32,
    /// Country as named in the sheet.
    pub country_name: String,
    /// OKSM (ISO 3166 numeric) code as written; empty on total rows.
    pub country_code: String,
    /// The value.
    pub value: CellValue,
    /// The row as read.
    pub raw: String,
}

/// Column names each layout needs (before the figure columns).
const FORM_2T_COUNTRY: &str = "Наименование страны";
const CITIZENSHIP: &str = "Гражданство";
const OKSM: &str = "Код страны по ОКСМ";
const WORKERS_GROUP: &str = "Численность иностранных работников";
const PERMITS_GROUP: &str = "Выдано разрешений на работу";
const FORM_2T_FIGURES: [(&str, Figure); 4] = [
    (
        "на начало периода",
        Figure::Measure(Measure::WorkersPresent, Some("-01-01")),
    ),
    ("прибыло", Figure::Measure(Measure::Entries, None)),
    ("выбыло", Figure::Departed),
    (
        "на конец периода",
        Figure::Measure(Measure::WorkersPresent, Some("-12-31")),
    ),
];

/// Signs statistical tables print where there is no figure.
const NOT_REPORTED: [&str; 6] = ["…", "...", "-", "–", "—", "x"];

/// Read the figures of one sheet. Header problems (a missing column, two needed
/// columns with one name, merged cells over figures) are errors naming the sheet,
/// row and cells; a cell that cannot be read is a reject naming row and column.
pub fn read(
    path: &Path,
    grid: &Grid,
    spec: &SheetSpec,
) -> Result<Extracted<SheetFigure>, ExtractError> {
    let sheet_label = spec
        .sheet
        .as_ref()
        .map_or(String::new(), |s| format!("sheet `{s}`, "));
    let layout_error = |line: u64, message: String| ExtractError::Layout {
        path: path.to_path_buf(),
        line,
        message: format!("{sheet_label}{message}"),
    };
    let first = spec.header_row.max(1);
    // The pipeline bounds both; a caller that does not cannot overflow this.
    let last = first.saturating_add(spec.header_rows.max(1) - 1);
    let header: Vec<&GridRow> = grid
        .rows
        .iter()
        .filter(|r| (first..=last).contains(&r.line))
        .collect();
    if header.is_empty() {
        // Past the end: name the sheet's last row (a line of the file), not a
        // row that does not exist.
        return Err(match grid.rows.last().map(|r| r.line).filter(|l| *l < first) {
            Some(end) => layout_error(
                end,
                format!(
                    "the sheet ends at row {end}: no header where the pipeline says it starts (header_row = {first})"
                ),
            ),
            None if grid.rows.is_empty() => layout_error(
                1,
                format!(
                    "the sheet is empty: no header where the pipeline says it starts (header_row = {first})"
                ),
            ),
            None => layout_error(
                first,
                format!(
                    "row {first} is blank: no header where the pipeline says it starts (header_row = {first})"
                ),
            ),
        });
    }
    if let Some(r) = grid.rejects.iter().find(|r| r.line <= last) {
        return Err(layout_error(
            r.line,
            format!("header row cannot be read: {}", r.detail),
        ));
    }
    // Merged cells below the header would share one figure among columns or rows.
    if let Some(m) = grid.merged.iter().find(|m| m.last_row > last) {
        return Err(layout_error(
            m.first_row,
            format!(
                "cells {} are merged {}: a figure cannot belong to several cells; unmerge them",
                m.a1(),
                if m.first_row <= last {
                    "across the header and the data rows"
                } else {
                    "in the data rows"
                }
            ),
        ));
    }
    let width = header.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    let names: Vec<String> = (0..width)
        .map(|col| {
            let mut parts: Vec<String> = Vec::new();
            for (i, row) in header.iter().enumerate() {
                let is_last = i + 1 == header.len();
                let mut t = header_text(grid, &header, row, col);
                if t.is_empty() && !is_last && !grid_has_merges(grid) {
                    // A saved CSV keeps a merged heading in its first cell only.
                    t = (0..col)
                        .rev()
                        .map(|c| row.cell(c))
                        .find(|c| !c.is_empty())
                        .map(normalize_name)
                        .unwrap_or_default();
                }
                if !t.is_empty() && parts.last() != Some(&t) {
                    parts.push(t);
                }
            }
            parts.join(" / ")
        })
        .collect();
    let find = |wanted: &str| -> Vec<usize> {
        let w = normalize_name(wanted).to_lowercase();
        (0..names.len())
            .filter(|&c| names[c].to_lowercase() == w)
            .collect()
    };
    let one = |wanted: &str| -> Result<usize, ExtractError> {
        let found = find(wanted);
        match found.as_slice() {
            [c] => Ok(*c),
            [] => Err(layout_error(
                first,
                format!(
                    "no column `{wanted}` in header rows {first}-{last} (layout {}); columns there: {}",
                    spec.layout.as_str(),
                    patronage_core::quote_input(
                        &names
                            .iter()
                            .enumerate()
                            .filter(|(_, n)| !n.is_empty())
                            .map(|(c, n)| format!("{} `{n}`", column_name(c)))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                ),
            )),
            many => Err(layout_error(
                first,
                format!(
                    "columns {} all read `{wanted}`{}: each figure column needs a name of its own",
                    many.iter().map(|c| column_name(*c)).collect::<Vec<_>>().join(", "),
                    merge_note(grid, first, last, many)
                ),
            )),
        }
    };

    let (country_col, code_col, figures): (usize, usize, Vec<FigureColumn>) = match spec.layout {
        SheetLayout::Form2T => {
            let year = spec.year.ok_or_else(|| {
                layout_error(
                    first,
                    "layout form_2t needs the period's `year` in the pipeline's sheet table"
                        .to_string(),
                )
            })?;
            let mut figs = Vec::new();
            for (leaf, fig) in FORM_2T_FIGURES {
                let c = one(&format!("{WORKERS_GROUP} / {leaf}"))?;
                figs.push((c, fig, Some(year)));
            }
            (one(FORM_2T_COUNTRY)?, one(OKSM)?, figs)
        }
        SheetLayout::PermitsByCitizenship => {
            let group = PERMITS_GROUP.to_lowercase();
            let mut figs = Vec::new();
            for (c, n) in names.iter().enumerate() {
                let parts: Vec<&str> = n.split(" / ").collect();
                // The heading may carry a unit ("..., человек").
                if parts.len() >= 2 && parts[0].to_lowercase().starts_with(&group) {
                    let leaf = parts[parts.len() - 1];
                    figs.push((
                        c,
                        Figure::Measure(Measure::WorkPermitsIssued, None),
                        year_of(leaf),
                    ));
                }
            }
            if figs.is_empty() {
                return Err(layout_error(
                    first,
                    format!("no column under `{PERMITS_GROUP}` in header rows {first}-{last}"),
                ));
            }
            if let Some((c, _, _)) = figs.iter().find(|(_, _, y)| y.is_none()) {
                return Err(layout_error(
                    first,
                    format!(
                        "column {} `{}` is under `{PERMITS_GROUP}` but its name is not a year",
                        column_name(*c),
                        patronage_core::quote_input(&names[*c])
                    ),
                ));
            }
            let years: Vec<i32> = figs.iter().filter_map(|f| f.2).collect();
            if let Some(y) = years
                .iter()
                .find(|y| years.iter().filter(|z| z == y).count() > 1)
            {
                let cols: Vec<usize> = figs
                    .iter()
                    .filter(|f| f.2 == Some(*y))
                    .map(|f| f.0)
                    .collect();
                return Err(layout_error(
                    first,
                    format!(
                        "columns {} are all for {y}{}",
                        cols.iter()
                            .map(|c| column_name(*c))
                            .collect::<Vec<_>>()
                            .join(", "),
                        merge_note(grid, first, last, &cols)
                    ),
                ));
            }
            (one(CITIZENSHIP)?, one(OKSM)?, figs)
        }
    };

    let sheet_prefix = spec
        .sheet
        .as_ref()
        .map_or(String::new(), |s| format!("{s}!"));
    let mut out = Extracted {
        rows: Vec::new(),
        rejects: Vec::new(),
        rows_read: 0,
    };
    // Lines the delimited reader could not split: one record each, rejected.
    for r in grid.rejects.iter().filter(|r| r.line > last) {
        out.rows_read += 1;
        out.rejects.push(r.clone());
    }
    for row in grid.rows.iter().filter(|r| r.line > last) {
        let raw = row.raw();
        for &(col, figure, year) in &figures {
            out.rows_read += 1;
            let cell = row.cell(col);
            let at = || {
                format!(
                    "{sheet_label}row {} column {} `{}`",
                    row.line,
                    column_name(col),
                    names[col]
                )
            };
            let value = if cell.is_empty() || NOT_REPORTED.contains(&cell.to_lowercase().as_str()) {
                CellValue::NotReported
            } else {
                match text::parse_qualified_count(cell) {
                    Ok((n, q)) => CellValue::Count(n, q),
                    Err(e) => {
                        out.rejects.push(RowReject::new(
                            row.line,
                            "bad_number",
                            format!("{}: {e}", at()),
                            &raw,
                        ));
                        continue;
                    }
                }
            };
            out.rows.push(SheetFigure {
                line: row.line,
                cell: format!("{sheet_prefix}{}", cell_name(row.line, col)),
                column: names[col].clone(),
                figure,
                year: year.unwrap_or_default(),
                country_name: row.cell(country_col).to_string(),
                country_code: row.cell(code_col).to_string(),
                value,
                raw: raw.clone(),
            });
        }
    }
    out.rejects.sort_by_key(|r| r.line);
    Ok(out)
}

/// A figure column: its index, what it holds, its year when the header gives it.
type FigureColumn = (usize, Figure, Option<i32>);

fn grid_has_merges(grid: &Grid) -> bool {
    !grid.merged.is_empty()
}

/// A header cell's text, or that of the merged range covering it.
fn header_text(grid: &Grid, header: &[&GridRow], row: &GridRow, col: usize) -> String {
    let own = row.cell(col);
    if !own.is_empty() {
        return normalize_name(own);
    }
    let Some(m) = grid.merged.iter().find(|m| m.contains(row.line, col)) else {
        return String::new();
    };
    header
        .iter()
        .find(|r| r.line == m.first_row)
        .map(|r| normalize_name(r.cell(m.first_col)))
        .unwrap_or_default()
}

/// Why columns share a name, when merged header cells are the cause.
fn merge_note(grid: &Grid, first: u64, last: u64, cols: &[usize]) -> String {
    let merges: Vec<String> = grid
        .merged
        .iter()
        // The merge that names the columns reaches the last header row; merged
        // headings above it span their columns by design.
        .filter(|m| m.first_row >= first && m.last_row == last)
        .filter(|m| {
            m.last_col > m.first_col
                && cols.iter().filter(|c| m.contains(m.first_row, **c)).count() > 1
        })
        .map(|m| m.a1())
        .collect();
    if merges.is_empty() {
        String::new()
    } else {
        format!(" (merged header cells {})", merges.join(", "))
    }
}

/// Spaces collapsed (line breaks in header cells included).
fn normalize_name(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A year column's year: `2017`, `2017 г.`, `2017 год`.
fn year_of(name: &str) -> Option<i32> {
    let digits: String = name
        .trim()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let rest = name.trim()[digits.len()..].trim();
    if digits.len() == 4 && ["", "г.", "г", "год"].contains(&rest) {
        digits.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delimited::Dialect;

    /// `header_row = 18446744073709551615` panicked with "attempt to add with
    /// overflow"; the sheet (2 rows) ends before it, and the error says so.
    #[test]
    fn a_header_row_at_the_largest_integer_does_not_overflow() {
        let path = Path::new("sheet.csv");
        let grid =
            crate::grid::from_delimited(path, b"a,b\n1,2\n", Dialect::saved_sheet(b',')).unwrap();
        let spec = SheetSpec {
            layout: SheetLayout::PermitsByCitizenship,
            sheet: None,
            header_row: u64::MAX,
            header_rows: u64::MAX,
            year: None,
        };
        let e = read(path, &grid, &spec).unwrap_err().to_string();
        assert!(e.contains("the sheet ends at row 2"), "{e}");
    }
}
