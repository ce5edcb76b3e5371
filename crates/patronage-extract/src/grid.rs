//! A table as a grid of cell texts with the rows and columns a spreadsheet would
//! show, whether it came from an `.xlsx` sheet or from that sheet saved as CSV.
//! Layout readers (`labor_sheet`) work on the grid, so the two files of the same
//! table give the same rows. Numbers in an `.xlsx` become the text a CSV export
//! writes (`34000`), merged cells are listed (a CSV has none to list), and blank
//! rows are skipped in both.

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Reader, Xlsx};
use patronage_core::RowReject;

use crate::delimited::{self, Dialect};
use crate::ExtractError;

/// One non-blank row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridRow {
    /// Row number as the spreadsheet shows it (1-based); for a CSV, the line.
    pub line: u64,
    /// Cell texts; index 0 is column A. Missing trailing cells are empty.
    pub cells: Vec<String>,
}

impl GridRow {
    /// The cell in column `col` (0-based), empty when the row is shorter.
    pub fn cell(&self, col: usize) -> &str {
        self.cells.get(col).map_or("", |c| c.trim())
    }

    /// The row as read, cells joined by commas, for rejects.
    pub fn raw(&self) -> String {
        self.cells.join(",")
    }
}

/// A merged range of cells, 1-based rows and 0-based columns, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Merge {
    /// First row.
    pub first_row: u64,
    /// First column.
    pub first_col: usize,
    /// Last row.
    pub last_row: u64,
    /// Last column.
    pub last_col: usize,
}

impl Merge {
    /// Whether the cell at `row`, `col` lies inside.
    pub fn contains(&self, row: u64, col: usize) -> bool {
        (self.first_row..=self.last_row).contains(&row)
            && (self.first_col..=self.last_col).contains(&col)
    }

    /// `B3:F3`.
    pub fn a1(&self) -> String {
        format!(
            "{}:{}",
            cell_name(self.first_row, self.first_col),
            cell_name(self.last_row, self.last_col)
        )
    }
}

/// A sheet's cells.
#[derive(Debug, Clone, Default)]
pub struct Grid {
    /// Non-blank rows, in order.
    pub rows: Vec<GridRow>,
    /// Merged ranges (only an `.xlsx` has them).
    pub merged: Vec<Merge>,
    /// Lines of a CSV that could not be split into cells (wrong field count,
    /// bytes that are not UTF-8).
    pub rejects: Vec<RowReject>,
}

/// Spreadsheet column letters for a 0-based column: 0 → `A`, 27 → `AB`.
pub fn column_name(col: usize) -> String {
    let mut n = col + 1;
    let mut s = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        s.push(b'A' + r as u8);
        n = (n - 1) / 26;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// A cell's A1 name: row 7, column 4 → `E7`.
pub fn cell_name(row: u64, col: usize) -> String {
    format!("{}{row}", column_name(col))
}

/// Read one sheet of an `.xlsx` workbook already in memory. A sheet that is not
/// there is an error listing the sheets there are.
pub fn from_xlsx(path: &Path, bytes: Vec<u8>, sheet: &str) -> Result<Grid, ExtractError> {
    let workbook_error = |message: String| ExtractError::Workbook {
        path: path.to_path_buf(),
        message,
    };
    crate::xlsx_guard::check(&bytes)
        .map_err(|m| workbook_error(format!("not a readable .xlsx workbook: {m}")))?;
    // calamine is third-party code: should it still panic on some damaged part,
    // the panic is this workbook's error, not the end of the run.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_xlsx(path, bytes, sheet)
    }))
    .unwrap_or_else(|_| {
        Err(workbook_error(
            "not a readable .xlsx workbook: the xlsx parser failed on a damaged part".to_string(),
        ))
    })
}

fn read_xlsx(path: &Path, bytes: Vec<u8>, sheet: &str) -> Result<Grid, ExtractError> {
    let workbook_error = |message: String| ExtractError::Workbook {
        path: path.to_path_buf(),
        message,
    };
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| workbook_error(format!("not a readable .xlsx workbook: {e}")))?;
    let names = wb.sheet_names();
    if !names.iter().any(|n| n == sheet) {
        let listed: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
        return Err(workbook_error(format!(
            "no sheet `{sheet}`; the workbook has {}",
            if listed.is_empty() {
                "no sheets".to_string()
            } else {
                listed.join(", ")
            }
        )));
    }
    let range = wb
        .worksheet_range(sheet)
        .map_err(|e| workbook_error(format!("sheet `{sheet}`: {e}")))?;
    let merged = match wb.worksheet_merge_cells(sheet) {
        None => Vec::new(),
        Some(r) => r.map_err(|e| workbook_error(format!("sheet `{sheet}` merged cells: {e}")))?,
    };
    let mut grid = Grid {
        merged: merged
            .iter()
            .map(|d| Merge {
                first_row: u64::from(d.start.0) + 1,
                first_col: d.start.1 as usize,
                last_row: u64::from(d.end.0) + 1,
                last_col: d.end.1 as usize,
            })
            .collect(),
        ..Grid::default()
    };
    let (row0, col0) = range.start().unwrap_or((0, 0));
    for (i, row) in range.rows().enumerate() {
        let mut cells = vec![String::new(); col0 as usize];
        cells.extend(row.iter().map(cell_text));
        trim_trailing_empty(&mut cells);
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        grid.rows.push(GridRow {
            line: u64::from(row0) + i as u64 + 1,
            cells,
        });
    }
    Ok(grid)
}

/// Read a sheet saved as delimited text, through the one delimited reader. Every
/// line is a row (the first one too: a saved sheet's first line is often a title);
/// `dialect` should be [`Dialect::saved_sheet`].
pub fn from_delimited(path: &Path, bytes: &[u8], dialect: Dialect) -> Result<Grid, ExtractError> {
    let mut first = None;
    let x = delimited::read(
        path,
        bytes,
        dialect,
        |h| {
            first = Some(GridRow {
                line: h.line,
                cells: h.names.clone(),
            });
            Ok(())
        },
        |_, row| {
            Ok(GridRow {
                line: row.line,
                cells: row.fields.iter().map(|f| f.to_string()).collect(),
            })
        },
    )?;
    let mut grid = Grid {
        rejects: x.rejects,
        ..Grid::default()
    };
    grid.rows.extend(first);
    grid.rows.extend(x.rows);
    grid.rows.retain_mut(|r| {
        trim_trailing_empty(&mut r.cells);
        !r.cells.iter().all(|c| c.trim().is_empty())
    });
    Ok(grid)
}

fn trim_trailing_empty(cells: &mut Vec<String>) {
    while cells.last().is_some_and(|c| c.trim().is_empty()) {
        cells.pop();
    }
}

/// The text a CSV export writes for a cell: whole numbers without a fraction.
fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) => format!("date {dt}"),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_cells() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(27), "AB");
        assert_eq!(cell_name(7, 4), "E7");
        let m = Merge {
            first_row: 3,
            first_col: 3,
            last_row: 3,
            last_col: 6,
        };
        assert_eq!(m.a1(), "D3:G3");
        assert!(m.contains(3, 5) && !m.contains(4, 5));
    }

    #[test]
    fn csv_grid_keeps_lines_and_skips_blank_rows() {
        let g = from_delimited(
            Path::new("t.csv"),
            b"Title,,\n,,\nA,B,C\n1,2\n",
            Dialect::saved_sheet(b','),
        )
        .unwrap();
        assert_eq!(g.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [1, 3, 4]);
        assert_eq!(g.rows[0].cells, ["Title"]);
        assert_eq!(g.rows[2].cell(1), "2");
        assert_eq!(g.rows[2].cell(2), "");
        assert_eq!(g.rows[2].cell(9), "");
    }

    #[test]
    fn not_a_workbook_is_an_error_naming_the_file() {
        let e = from_xlsx(Path::new("x.xlsx"), b"not a zip".to_vec(), "S").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("x.xlsx: not a readable .xlsx workbook"),
            "{e}"
        );
    }
}
