//! The one delimited-text reader every CSV/TSV format goes through: byte-order
//! mark, CRLF or LF, quoted fields, blank lines, a trailing delimiter on every
//! line, rows with the wrong number of fields, bytes that are not UTF-8. Formats
//! differ only in their header checks and field parsing, which they pass in.
//!
//! Rows are parsed straight from the bytes, never held as a table of strings. A
//! large file without quote characters is cut at line ends into chunks parsed in
//! parallel; results are put back in file order, so output never depends on the
//! number of threads. A file with quotes (where a quoted field may hold a line
//! break) is parsed in one piece.

use std::path::Path;

use patronage_core::RowReject;
use rayon::prelude::*;

use crate::{text, ExtractError, Extracted};

/// Below this many bytes a file is parsed in one piece.
const CHUNK_BYTES: usize = 4 << 20;

/// The largest piece a streamed file is cut into (a block holds one per
/// thread). The records a piece keeps live until its block is handed on, and a
/// run of rows that are all kept (a focus country's own rows, contiguous in a
/// file sorted by reporter) costs about three times the piece's text: small
/// pieces keep that peak near the read buffers' size.
const STREAM_PIECE_BYTES: usize = 1 << 20;

/// The header line of a delimited file.
#[derive(Debug, Clone)]
pub struct Header {
    /// Names, trimmed, without the empty name a trailing delimiter makes.
    pub names: Vec<String>,
    /// Line of the header (1 unless blank lines precede it).
    pub line: u64,
}

impl Header {
    /// Index of each name in `wanted`, or a layout error listing those missing.
    pub fn columns(
        &self,
        path: &Path,
        wanted: &[&str],
        hint: &str,
    ) -> Result<Vec<usize>, ExtractError> {
        let missing: Vec<String> = wanted
            .iter()
            .filter(|w| !self.names.iter().any(|h| h == *w))
            .map(|m| format!("`{m}`"))
            .collect();
        if !missing.is_empty() {
            // A header read as one field is usually another delimiter.
            let delimiter = match self.names.as_slice() {
                [one] => [';', ',', '\t', '|']
                    .into_iter()
                    .find(|d| one.contains(*d))
                    .map(|d| format!(" (the header is one field: is the file delimited by {d:?}?)"))
                    .unwrap_or_default(),
                _ => String::new(),
            };
            return Err(ExtractError::Layout {
                path: path.to_path_buf(),
                line: self.line,
                message: format!(
                    "missing column{} {}{delimiter}; {hint}",
                    if missing.len() > 1 { "s" } else { "" },
                    missing.join(", "),
                ),
            });
        }
        Ok(wanted
            .iter()
            .filter_map(|w| self.names.iter().position(|h| h == *w))
            .collect())
    }
}

/// One data row with exactly one field per header column.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    /// Line where the row starts.
    pub line: u64,
    /// Fields, one per header column.
    pub fields: &'a [&'a str],
}

impl Row<'_> {
    /// The row as it was read, fields joined by `delimiter`.
    pub fn raw(&self, delimiter: u8) -> String {
        self.fields
            .join(char::from(delimiter).encode_utf8(&mut [0; 4]))
    }
}

/// How a delimited file is cut: its delimiter, and the chunk size above which a
/// file is parsed in parallel pieces.
#[derive(Debug, Clone, Copy)]
pub struct Dialect {
    /// Field delimiter (`b','`, `b'\t'`, ...).
    pub delimiter: u8,
    chunk_bytes: usize,
    sheet: bool,
}

impl Dialect {
    /// A dialect with the given delimiter and the default chunk size.
    pub const fn new(delimiter: u8) -> Self {
        Dialect {
            delimiter,
            chunk_bytes: CHUNK_BYTES,
            sheet: false,
        }
    }

    /// A spreadsheet saved as text: the first line is a row like any other (a
    /// title row's trailing empty cells are kept), a line that stops before the
    /// last column has empty cells there, and extra fields are allowed when empty.
    pub const fn saved_sheet(delimiter: u8) -> Self {
        Dialect {
            delimiter,
            chunk_bytes: CHUNK_BYTES,
            sheet: true,
        }
    }
}

/// Read a delimited file already in memory. The header is the first non-blank
/// line; `on_header` checks it and returns what `parse` needs (column indices).
/// `parse` turns each row into a `T` or a reject. A row with one field more than
/// the header whose last field is empty is accepted (a trailing delimiter, as GACC
/// and the Comtrade reference lists write).
pub fn read<C, T>(
    path: &Path,
    bytes: &[u8],
    dialect: Dialect,
    on_header: impl FnOnce(&Header) -> Result<C, ExtractError>,
    parse: impl Fn(&C, Row<'_>) -> Result<T, RowReject> + Sync,
) -> Result<Extracted<T>, ExtractError>
where
    C: Sync,
    T: Send,
{
    let Dialect {
        delimiter,
        chunk_bytes,
        sheet,
    } = dialect;
    text::refuse_utf16(path, bytes)?;
    // The csv crate's own line numbers go wrong after CRLF and blank lines, so
    // lines are counted here from byte offsets into LF-normalized text.
    let text = lf_endings(text::strip_bom(bytes));
    let text = text.as_ref();
    let (header, data_start) = read_header(path, text, delimiter, sheet)?;
    let ctx = on_header(&header)?;
    let data = &text[data_start..];
    let first_line = 1 + text[..data_start].iter().filter(|b| **b == b'\n').count() as u64;

    let chunks = if data.len() >= 2 * chunk_bytes && !data.contains(&b'"') {
        split_at_lines(data, first_line, chunk_bytes)
    } else {
        vec![(data, first_line)]
    };
    let parts: Vec<Result<Extracted<T>, ExtractError>> = chunks
        .par_iter()
        .map(|&(chunk, line)| {
            scan(path, chunk, line, (delimiter, sheet), &header, |row| {
                parse(&ctx, row)
            })
        })
        .collect();
    let mut out = Extracted {
        rows: Vec::new(),
        rejects: Vec::new(),
        rows_read: 0,
    };
    for part in parts {
        let part = part?;
        out.rows.extend(part.rows);
        out.rejects.extend(part.rejects);
        out.rows_read += part.rows_read;
    }
    Ok(out)
}

/// Read a delimited file from `input` in fixed-size blocks, never holding the
/// whole file: each block is cut at its last line end, parsed in parallel pieces
/// like [`read`], and handed to `sink` in file order, so memory stays flat however
/// large the file grows. For files whose fields never hold a line break (CEPII
/// BACI); a block with an unbalanced quote is an error naming its first line.
/// Returns the number of data rows read.
pub fn read_stream<C, T>(
    path: &Path,
    input: impl std::io::Read + Send,
    dialect: Dialect,
    on_header: impl FnOnce(&Header) -> Result<C, ExtractError>,
    (settle, parse): (
        impl Fn(&C, u64, crate::plain::Split<'_, '_>) -> Option<T> + Sync,
        impl Fn(&C, Row<'_>) -> Result<T, RowReject> + Sync,
    ),
    mut sink: impl FnMut(Extracted<T>),
) -> Result<u64, ExtractError>
where
    C: Sync,
    T: Send,
{
    let Dialect {
        delimiter,
        chunk_bytes,
        sheet,
    } = dialect;
    let chunk_bytes = chunk_bytes.clamp(1, STREAM_PIECE_BYTES);
    let mut rows_read = 0u64;
    stream_blocks(
        path,
        input,
        chunk_bytes,
        (delimiter, sheet),
        on_header,
        |header, ctx, line, data| {
            // Pieces end at a line feed, so a CRLF never straddles two. Their
            // line feeds and quotes are counted on every thread at once: the
            // lines each piece starts on, and whether the block's quotes pair.
            let pieces = cut_at_lines(data, chunk_bytes);
            let counts: Vec<(u64, usize)> = pieces
                .par_iter()
                .map(|piece| {
                    (
                        memchr::memchr_iter(b'\n', piece).count() as u64,
                        memchr::memchr_iter(b'"', piece).count(),
                    )
                })
                .collect();
            if counts.iter().map(|c| c.1).sum::<usize>() % 2 == 1 {
                return Err(ExtractError::Layout {
                    path: path.to_path_buf(),
                    line,
                    message: "a quoted field spans lines in this block: the streaming reader needs one record per line".to_string(),
                });
            }
            let mut at = line;
            let starts: Vec<u64> = counts
                .iter()
                .map(|c| {
                    let start = at;
                    at += c.0;
                    start
                })
                .collect();
            let parts: Vec<Result<Extracted<T>, ExtractError>> = pieces
                .par_iter()
                .zip(starts.par_iter())
                .map(|(&chunk, &l)| {
                    // Plain text in one pass, CRLF and all (same rows and
                    // rejects); any other through the csv crate, with its line
                    // ends made LF, piece by piece.
                    if let Some(text) = crate::plain::plain_text(chunk).filter(|_| !sheet) {
                        return Ok(plain_extracted(
                            text,
                            l,
                            (delimiter, header),
                            |line, split| settle(ctx, line, split),
                            |row| parse(ctx, row),
                        ));
                    }
                    let lf = lf_endings(chunk);
                    scan(path, &lf, l, (delimiter, sheet), header, |row| {
                        parse(ctx, row)
                    })
                })
                .collect();
            for part in parts {
                let part = part?;
                rows_read += part.rows_read;
                sink(part);
            }
            // The lines of the block.
            Ok(at - line)
        },
    )?;
    Ok(rows_read)
}

/// The rows of a plain chunk ([`crate::plain`]): those `settle` reads from
/// their bytes alone (a row of the header's width read by the classifier),
/// the rest parsed by `parse`, in file order.
fn plain_extracted<T>(
    text: &str,
    first_line: u64,
    (delimiter, header): (u8, &Header),
    settle: impl Fn(u64, crate::plain::Split<'_, '_>) -> Option<T>,
    parse: impl Fn(Row<'_>) -> Result<T, RowReject>,
) -> Extracted<T> {
    // Both callbacks add to the rows, one at a time, in file order.
    let out = std::cell::RefCell::new(Extracted {
        rows: Vec::new(),
        rejects: Vec::new(),
        rows_read: 0,
    });
    let width = header.names.len();
    let read = crate::plain::rows_settling(
        text,
        first_line,
        delimiter,
        width,
        |line, split| match settle(line, split) {
            Some(t) => {
                out.borrow_mut().rows.push(t);
                true
            }
            None => false,
        },
        |line, fields, raw| {
            let parsed = if fields.len() == width {
                parse(Row { line, fields })
            } else {
                Err(field_count_reject(line, width, fields.len(), raw))
            };
            let mut out = out.borrow_mut();
            match parsed {
                Ok(t) => out.rows.push(t),
                Err(e) => out.rejects.push(e),
            }
        },
    );
    let mut out = out.into_inner();
    out.rows_read = read;
    out
}

/// The streaming core shared by [`read_stream`] and [`crate::fold`]: `input` is
/// read in blocks of about `chunk_bytes` per thread, cut at line ends, by a
/// thread of its own while the caller works on the previous block; the header is
/// taken off the first block (a UTF-16 file is refused, a BOM dropped), and
/// `each(header, ctx, line, data)` gets every block's data lines in file order
/// with the line they start on, and returns how many lines they hold (callers
/// count them as they split the block). A file without a header line is an error.
pub(crate) fn stream_blocks<C>(
    path: &Path,
    input: impl std::io::Read + Send,
    chunk_bytes: usize,
    (delimiter, sheet): (u8, bool),
    on_header: impl FnOnce(&Header) -> Result<C, ExtractError>,
    mut each: impl FnMut(&Header, &C, u64, &[u8]) -> Result<u64, ExtractError>,
) -> Result<(), ExtractError> {
    let block = chunk_bytes.max(1) * rayon::current_num_threads().max(1);
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    // Blocks done with go back to the reader to be filled again: a file costs
    // the same few buffers however many blocks it has.
    let (spare_tx, spare_rx) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::scope(|scope| {
        scope.spawn(move || read_blocks(input, block, &tx, &spare_rx));
        let mut on_header = Some(on_header);
        let mut state: Option<(Header, C, u64)> = None;
        let mut first = true;
        // Returning early drops `rx`, which stops the reader thread.
        for buf in rx {
            let buf = buf.map_err(|source| ExtractError::Io {
                path: path.to_path_buf(),
                source,
            })?;
            let mut data: &[u8] = if first {
                text::refuse_utf16(path, &buf)?;
                text::strip_bom(&buf)
            } else {
                &buf
            };
            first = false;
            if state.is_none() {
                let (header, data_start, line) = header_of(path, data, delimiter, sheet)?;
                let make = on_header.take().ok_or_else(|| ExtractError::Layout {
                    path: path.to_path_buf(),
                    line: 1,
                    message: "header read twice".to_string(),
                })?;
                let ctx = make(&header)?;
                data = &data[data_start..];
                state = Some((header, ctx, line));
            }
            if let Some((header, ctx, line)) = state.as_mut() {
                *line += each(header, ctx, *line, data)?;
            }
            let _ = spare_tx.send(buf); // the reader may have finished: then it is freed
        }
        if state.is_none() {
            return Err(ExtractError::Layout {
                path: path.to_path_buf(),
                line: 1,
                message: "the file is empty: no header line".to_string(),
            });
        }
        Ok(())
    })
}

/// Read `input` in blocks of about `block` bytes that end at a line end (the last
/// one at the end of the input), and send them on until the receiver hangs up;
/// each block is filled in a buffer handed back on `spare` when there is one.
fn read_blocks(
    mut input: impl std::io::Read,
    block: usize,
    tx: &std::sync::mpsc::SyncSender<std::io::Result<Vec<u8>>>,
    spare: &std::sync::mpsc::Receiver<Vec<u8>>,
) {
    use std::io::Read;
    let mut tail: Vec<u8> = Vec::new();
    loop {
        let mut buf = spare.try_recv().unwrap_or_default();
        buf.clear();
        buf.reserve(block + tail.len() + (64 << 10));
        buf.append(&mut tail);
        let got = match (&mut input).take(block as u64).read_to_end(&mut buf) {
            Ok(n) => n,
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        };
        let eof = got < block;
        if !eof {
            match buf.iter().rposition(|b| *b == b'\n') {
                Some(p) => {
                    tail.extend_from_slice(&buf[p + 1..]);
                    buf.truncate(p + 1);
                }
                None => {
                    tail = buf; // no complete line yet
                    continue;
                }
            }
        }
        if tx.send(Ok(buf)).is_err() || eof {
            return;
        }
    }
}

/// The header of `text` (the file's first bytes, BOM already dropped), the byte
/// offset where its data starts and the line that data starts on.
pub fn header_of(
    path: &Path,
    text: &[u8],
    delimiter: u8,
    sheet: bool,
) -> Result<(Header, usize, u64), ExtractError> {
    let (header, data_start) = read_header(path, text, delimiter, sheet)?;
    let line = 1 + text[..data_start].iter().filter(|b| **b == b'\n').count() as u64;
    Ok((header, data_start, line))
}

/// The header and the byte offset where the data starts.
pub(crate) fn read_header(
    path: &Path,
    text: &[u8],
    delimiter: u8,
    sheet: bool,
) -> Result<(Header, usize), ExtractError> {
    let layout = |line: u64, message: String| ExtractError::Layout {
        path: path.to_path_buf(),
        line,
        message,
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text);
    let mut record = csv::ByteRecord::new();
    let mut lines = LineCounter {
        text,
        scanned: 0,
        line: 1,
    };
    match reader.read_byte_record(&mut record) {
        Err(e) => return Err(layout(lines.line_of(e.position()), e.to_string())),
        Ok(false) => return Err(layout(1, "the file is empty: no header line".to_string())),
        Ok(true) => {}
    }
    let line = lines.line_of(record.position());
    let mut names = Vec::with_capacity(record.len());
    for (i, f) in record.iter().enumerate() {
        let name = std::str::from_utf8(f)
            .map_err(|_| layout(line, format!("header field {} is not UTF-8", i + 1)))?;
        names.push(name.trim().to_string());
    }
    if !sheet && names.len() > 1 && names.last().is_some_and(String::is_empty) {
        names.pop();
    }
    let data_start = usize::try_from(reader.position().byte())
        .unwrap_or(text.len())
        .min(text.len());
    Ok((Header { names, line }, data_start))
}

/// Cut `data` into pieces of about `chunk_bytes` that end at a line end.
pub fn cut_at_lines(data: &[u8], chunk_bytes: usize) -> Vec<&[u8]> {
    let mut chunks = Vec::new();
    let mut start = 0;
    while start < data.len() {
        let target = (start + chunk_bytes).min(data.len());
        let end = memchr::memchr(b'\n', &data[target..]).map_or(data.len(), |p| target + p + 1);
        chunks.push(&data[start..end]);
        start = end;
    }
    chunks
}

/// Cut `data` (which starts on line `first_line`) into pieces of about
/// `chunk_bytes` that end at a line end, each with the line it starts on.
fn split_at_lines(data: &[u8], first_line: u64, chunk_bytes: usize) -> Vec<(&[u8], u64)> {
    let mut line = first_line;
    cut_at_lines(data, chunk_bytes)
        .into_iter()
        .map(|chunk| {
            let at = line;
            line += memchr::memchr_iter(b'\n', chunk).count() as u64;
            (chunk, at)
        })
        .collect()
}

/// Parse the data rows of one chunk, which starts on line `first_line`.
pub(crate) fn scan<T>(
    path: &Path,
    chunk: &[u8],
    first_line: u64,
    (delimiter, sheet): (u8, bool),
    header: &Header,
    parse: impl Fn(Row<'_>) -> Result<T, RowReject>,
) -> Result<Extracted<T>, ExtractError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(chunk);
    let mut lines = LineCounter {
        text: chunk,
        scanned: 0,
        line: first_line,
    };
    let mut record = csv::ByteRecord::new();
    let width = header.names.len();
    let sep = char::from(delimiter).to_string();
    // The csv crate ends a quoted field left open at the end of the text there,
    // as if closed: a file cut inside a quoted field would lose its tail silently.
    let open_record = open_quote_record(chunk, delimiter);
    let mut out = Extracted {
        rows: Vec::new(),
        rejects: Vec::new(),
        rows_read: 0,
    };
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                return Err(ExtractError::Layout {
                    path: path.to_path_buf(),
                    line: lines.line_of(e.position()),
                    message: e.to_string(),
                })
            }
        }
        out.rows_read += 1;
        let line = lines.line_of(record.position());
        let mut fields: Vec<&str> = Vec::with_capacity(width + 1);
        let mut bad_utf8 = None;
        for (i, f) in record.iter().enumerate() {
            match std::str::from_utf8(f) {
                Ok(s) => fields.push(s),
                Err(_) => {
                    bad_utf8 = Some(i);
                    break;
                }
            }
        }
        if let Some(i) = bad_utf8 {
            let raw: Vec<String> = record
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect();
            let name = header.names.get(i).map_or("?", String::as_str);
            let detail = format!("column {} `{name}`: bytes that are not UTF-8", i + 1);
            out.rejects.push(RowReject::new(
                line,
                "bad_encoding",
                detail,
                &raw.join(&sep),
            ));
            continue;
        }
        if open_record.is_some_and(|at| record.position().is_some_and(|p| p.byte() >= at)) {
            out.rejects.push(RowReject::new(
                line,
                "unterminated_quote",
                "a quoted field is not closed before the end of the file (a truncated file?)"
                    .to_string(),
                &fields.join(&sep),
            ));
            continue;
        }
        if fields.len() == width + 1 && fields.last().is_some_and(|f| f.is_empty()) {
            fields.pop();
        }
        if sheet {
            while fields.len() > width && fields.last().is_some_and(|f| f.is_empty()) {
                fields.pop();
            }
            fields.resize(width.max(fields.len()), "");
        }
        if fields.len() != width {
            out.rejects.push(field_count_reject(
                line,
                width,
                fields.len(),
                &fields.join(&sep),
            ));
            continue;
        }
        match parse(Row {
            line,
            fields: &fields,
        }) {
            Ok(t) => out.rows.push(t),
            Err(r) => out.rejects.push(r),
        }
    }
    Ok(out)
}

/// Byte offset where the record starts whose quoted field is still open at the
/// end of `text` (RFC 4180: a quote opens a field only at its start; `""` inside
/// is an escaped quote), if one is.
fn open_quote_record(text: &[u8], delimiter: u8) -> Option<u64> {
    let (mut record_start, mut field_start, mut quoted) = (0usize, true, false);
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        if quoted {
            if b == b'"' {
                if text.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    quoted = false;
                }
            }
        } else if b == b'"' && field_start {
            quoted = true;
        } else if b == b'\n' || b == b'\r' {
            record_start = i + 1;
        }
        field_start = !quoted && (b == delimiter || b == b'\n' || b == b'\r');
        i += 1;
    }
    quoted.then_some(record_start as u64)
}

/// Turns the csv crate's byte offsets into 1-based line numbers, counting once.
struct LineCounter<'a> {
    text: &'a [u8],
    scanned: usize,
    line: u64,
}

impl LineCounter<'_> {
    /// Line of the first byte of a record; the offset the csv crate reports may
    /// sit on the blank lines it skipped before the record.
    fn line_of(&mut self, pos: Option<&csv::Position>) -> u64 {
        let mut at = pos
            .map_or(self.scanned, |p| {
                usize::try_from(p.byte()).unwrap_or(usize::MAX)
            })
            .clamp(self.scanned, self.text.len());
        while at < self.text.len() && self.text[at] == b'\n' {
            at += 1;
        }
        self.line += self.text[self.scanned..at]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        self.scanned = at;
        self.line
    }
}

/// `bytes` with every CRLF turned into LF (mixed endings included).
pub(crate) fn lf_endings(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if !bytes.windows(2).any(|w| w == b"\r\n") {
        return std::borrow::Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len());
    strip_crlf(bytes, &mut out);
    std::borrow::Cow::Owned(out)
}

fn strip_crlf(bytes: &[u8], out: &mut Vec<u8>) {
    out.reserve(bytes.len());
    let mut iter = bytes.iter().peekable();
    while let Some(&b) = iter.next() {
        if !(b == b'\r' && iter.peek() == Some(&&b'\n')) {
            out.push(b);
        }
    }
}

/// The reject of a row whose field count is not the header's.
pub fn field_count_reject(line: u64, width: usize, found: usize, raw: &str) -> RowReject {
    let hint = if found < width {
        " (truncated line?)"
    } else {
        ""
    };
    RowReject::new(
        line,
        "field_count",
        format!("expected {width} fields as in the header, found {found}{hint}"),
        raw,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> &'static Path {
        Path::new("t.csv")
    }

    /// Rows as (line, fields), with the rejects and the header.
    fn collect(bytes: &[u8], delimiter: u8) -> Result<Collected, ExtractError> {
        collect_in_chunks(bytes, delimiter, CHUNK_BYTES)
    }

    type Collected = (Extracted<(u64, Vec<String>)>, Header);

    fn collect_in_chunks(
        bytes: &[u8],
        delimiter: u8,
        chunk_bytes: usize,
    ) -> Result<Collected, ExtractError> {
        let mut header = None;
        let x = read(
            p(),
            bytes,
            Dialect {
                delimiter,
                chunk_bytes,
                sheet: false,
            },
            |h| {
                header = Some(h.clone());
                Ok(())
            },
            |_, row| Ok((row.line, row.fields.iter().map(|f| f.to_string()).collect())),
        )?;
        Ok((
            x,
            header.unwrap_or_else(|| Header {
                names: vec![],
                line: 0,
            }),
        ))
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn a_quoted_field_open_at_the_end_is_a_reject() {
        // The last line cut inside its quoted citation: a reject naming line 3,
        // the line above kept (its quoted field holds a comma and an escaped quote).
        let text = b"date,title,citation\n2017-03,a,\"x, \"\"y\"\"\"\n2019-12,b,\"UNSCR 2397 par";
        let x = read(
            Path::new("t.csv"),
            text,
            Dialect::new(b','),
            |_| Ok(()),
            |_, row| Ok(row.fields.join("|")),
        )
        .unwrap();
        assert_eq!(x.rows, ["2017-03|a|x, \"y\""]);
        assert_eq!(
            (x.rejects[0].reason, x.rejects[0].line, x.rows_read),
            ("unterminated_quote", 3, 2)
        );
        assert_eq!(open_quote_record(b"a,\"b\"\"\"\n", b','), None);
        assert_eq!(open_quote_record(b"a,5'6\",x\n", b','), None);
    }

    #[test]
    fn lines_bom_crlf_trailing_delimiter_and_blank_lines() {
        let (x, header) = collect(b"\xEF\xBB\xBFa,b,\r\n1,2,\r\n\r\n3,4\r\n5\r\n", b',').unwrap();
        assert_eq!(header.names, ["a", "b"]);
        assert_eq!(x.rows, [(2, s(&["1", "2"])), (4, s(&["3", "4"]))]);
        assert_eq!(x.rejects.len(), 1);
        assert_eq!((x.rejects[0].line, x.rejects[0].reason), (5, "field_count"));
        assert_eq!(x.rows_read, 3);
        let (x, _) = collect(b"\n\na,b\n1,2\r\n3,4\n", b',').unwrap();
        assert_eq!(x.rows.iter().map(|r| r.0).collect::<Vec<_>>(), [4, 5]);
    }

    #[test]
    fn bad_utf8_is_a_reject_naming_the_column() {
        let (x, _) = collect(b"a\tb\nx\t\xE9t\xE9\n", b'\t').unwrap();
        assert_eq!(x.rejects[0].reason, "bad_encoding");
        assert!(
            x.rejects[0].detail.contains("column 2 `b`"),
            "{}",
            x.rejects[0].detail
        );
    }

    #[test]
    fn empty_file_and_missing_columns_are_errors() {
        let e = collect(b"", b',').unwrap_err();
        assert!(
            e.to_string().starts_with("t.csv:1: the file is empty"),
            "{e}"
        );
        let (_, header) = collect(b"a,b\n", b',').unwrap();
        let e = header.columns(p(), &["a", "c"], "hint").unwrap_err();
        assert_eq!(e.to_string(), "t.csv:1: missing column `c`; hint");
        assert_eq!(header.columns(p(), &["b", "a"], "").unwrap(), [1, 0]);
    }

    /// The streaming reader gives the same rows, lines and rejects as the
    /// in-memory one, whatever the block size, CRLF and a BOM included.
    #[test]
    fn streaming_equals_in_memory() {
        let mut text = String::from("\u{feff}id,value\r\n");
        for n in 1..=3000u64 {
            match n % 97 {
                0 => text.push_str("\r\n"),
                1 => text.push_str("short\r\n"),
                _ => text.push_str(&format!("{n},{}\r\n", n * 3)),
            }
        }
        let (whole, _) = collect(text.as_bytes(), b',').unwrap();
        for chunk in [4, 101, 4096] {
            let mut rows = Vec::new();
            let mut rejects = Vec::new();
            let read = read_stream(
                p(),
                text.as_bytes(),
                Dialect {
                    delimiter: b',',
                    chunk_bytes: chunk,
                    sheet: false,
                },
                |h| {
                    assert_eq!(h.names, ["id", "value"]);
                    Ok(())
                },
                (
                    |_: &(), _, _| None,
                    |_, row| {
                        Ok((
                            row.line,
                            row.fields.iter().map(|f| f.to_string()).collect::<Vec<_>>(),
                        ))
                    },
                ),
                |x| {
                    rows.extend(x.rows);
                    rejects.extend(x.rejects);
                },
            )
            .unwrap();
            assert_eq!(read, whole.rows_read);
            assert_eq!(rows, whole.rows);
            assert_eq!(rejects, whole.rejects);
        }
        let e = read_stream(
            p(),
            &b""[..],
            Dialect::new(b','),
            |_| Ok(()),
            (|_: &(), _, _| None, |_, _| Ok(())),
            |_: Extracted<()>| {},
        )
        .unwrap_err();
        assert!(e.to_string().contains("the file is empty"), "{e}");
    }

    /// Plain blocks go through the one-pass scanner, the others through the csv
    /// crate: the streaming reader still gives what the in-memory one gives, with
    /// blocks cut at every position of a SYNTHETIC file holding CRLF and LF
    /// lines, blank lines, a trailing delimiter, short and long rows, spaces, a
    /// quoted row, a lone carriage return, bytes that are not UTF-8 and no final
    /// line feed.
    #[test]
    fn streaming_equals_in_memory_with_blocks_cut_anywhere() {
        let text: &[u8] = b"id,value\r\n1,2\n3,4,\r\n\n\r\n5\n6,7,8\n , \n\"9\",10\n11,1\r2\n\xFF,13\n14,15\n16,17";
        let (whole, _) = collect(text, b',').unwrap();
        assert_eq!(whole.rows_read, 11);
        let settled = std::sync::atomic::AtomicU64::new(0);
        for chunk in 1..=text.len() + 1 {
            let mut rows = Vec::new();
            let mut rejects = Vec::new();
            let read = read_stream(
                p(),
                text,
                Dialect {
                    delimiter: b',',
                    chunk_bytes: chunk,
                    sheet: false,
                },
                |_| Ok(()),
                // Rows of two fields whose first is even digits are settled
                // from their bytes, as `parse` would read them.
                (
                    |_: &(), line, split: crate::plain::Split<'_, '_>| {
                        let first = split.field(0)?;
                        let even = first.last().is_some_and(|b| b % 2 == 0);
                        (first.iter().all(u8::is_ascii_digit) && even).then(|| {
                            settled.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let field = |n| {
                                String::from_utf8_lossy(split.field(n).unwrap_or_default())
                                    .into_owned()
                            };
                            (line, vec![field(0), field(1)])
                        })
                    },
                    |_, row| {
                        Ok((
                            row.line,
                            row.fields.iter().map(|f| f.to_string()).collect::<Vec<_>>(),
                        ))
                    },
                ),
                |x| {
                    rows.extend(x.rows);
                    rejects.extend(x.rejects);
                },
            )
            .unwrap();
            assert_eq!(read, whole.rows_read, "{chunk}");
            assert_eq!(rows, whole.rows, "{chunk}");
            assert_eq!(rejects, whole.rejects, "{chunk}");
        }
        // The settling path was taken (the plain pieces hold rows 14 and 16).
        assert!(settled.into_inner() > 0);
    }

    /// A file cut into chunks gives the same rows, lines and rejects, in the same
    /// order, as the file parsed in one piece.
    #[test]
    fn chunked_parse_equals_one_piece() {
        let mut text = String::from("id,value\n");
        for n in 1..=5000u64 {
            match n % 100 {
                0 => text.push('\n'),          // a blank line
                1 => text.push_str("short\n"), // a reject
                _ => text.push_str(&format!("{n},{}\n", n * 7)),
            }
        }
        let chunk = 997;
        assert!(split_at_lines(&text.as_bytes()[9..], 2, chunk).len() > 40);
        let (cut, _) = collect_in_chunks(text.as_bytes(), b',', chunk).unwrap();
        let (whole, _) = collect(text.as_bytes(), b',').unwrap();
        assert_eq!(cut.rows, whole.rows);
        assert_eq!(cut.rejects, whole.rejects);
        assert_eq!(cut.rows_read, whole.rows_read);
        assert_eq!(whole.rows_read, 4950);
        // Line numbers are physical lines: the row with id k sits on line k + 1.
        assert!(cut
            .rows
            .iter()
            .all(|(line, f)| *line == f[0].parse::<u64>().unwrap() + 1));
        assert!(cut.rejects.iter().all(|r| r.line % 100 == 2));
        // With a quote in the data the file is parsed in one piece, with the same result.
        let quoted = format!("{text}\"q\",1\n");
        let (one, _) = collect_in_chunks(quoted.as_bytes(), b',', chunk).unwrap();
        assert_eq!(&one.rows[..one.rows.len() - 1], &whole.rows[..]);
    }
}
