//! Rows of plain delimited text in one SIMD pass: the scanner behind the
//! streaming readers (`delimited::read_stream`, `patronage run` on BACI) and
//! `mirror-all`'s fold.
//!
//! Invariant: on text that is valid UTF-8 and holds no quote character (plain
//! text, as BACI and the Comtrade bulk files are written), [`rows`] finds the
//! rows, their line numbers, their fields and their raw text exactly as the
//! csv-crate path of `delimited` does on the same text with its line ends made
//! LF: `memchr2` (16 or 32 bytes at a time) stops only at a delimiter or a line
//! feed, a field is the text between two stops, and the fields of a row are
//! kept in one buffer reused for every row, so nothing is allocated per row. A
//! carriage return ending a line is dropped, a blank line is not a row, and one
//! empty field after a trailing delimiter is dropped when the row then has the
//! header's width; the caller turns a row of another width into its reject.
//! Text with quotes, a carriage return inside a line (the csv crate ends a
//! record there), or bytes that are not UTF-8 is for the general parser:
//! [`plain_text`] says which text qualifies.

/// `bytes` as text when the one-pass scanner reads it as the general parser
/// does: valid UTF-8, no quote character, and no carriage return other than
/// one right before a line feed.
pub fn plain_text(bytes: &[u8]) -> Option<&str> {
    let mut from = 0;
    while let Some(i) = memchr::memchr2(b'"', b'\r', &bytes[from..]) {
        let at = from + i;
        if bytes[at] == b'"' || bytes.get(at + 1) != Some(&b'\n') {
            return None;
        }
        from = at + 1;
    }
    std::str::from_utf8(bytes).ok()
}

/// Hand on each row of `text` (which starts on line `first_line`) in order, as
/// `each(line, fields, raw text)`; `width` is the header's field count. Returns
/// the rows read (blank lines are not rows).
pub fn rows(
    text: &str,
    first_line: u64,
    delimiter: u8,
    width: usize,
    mut each: impl FnMut(u64, &[&str], &str),
) -> u64 {
    let bytes = text.as_bytes();
    let mut fields: Vec<&str> = Vec::with_capacity(width + 1);
    let mut read = 0u64;
    let mut line = first_line;
    let mut line_start = 0usize;
    let mut field_start = 0usize;
    // Delimiters and line feeds are ASCII, so every offset is a character
    // boundary and the slices below cannot fail.
    for at in memchr::memchr2_iter(delimiter, b'\n', bytes) {
        if bytes[at] == delimiter {
            fields.push(&text[field_start..at]);
            field_start = at + 1;
            continue;
        }
        read += end_line(
            text,
            (line_start, field_start, at),
            line,
            width,
            &mut fields,
            &mut each,
        );
        line += 1;
        line_start = at + 1;
        field_start = at + 1;
    }
    if line_start < bytes.len() {
        // The last line, without a line feed.
        let end = (line_start, field_start, bytes.len());
        read += end_line(text, end, line, width, &mut fields, &mut each);
    }
    read
}

/// Finish the line `text[start..end]` whose fields before the last are in
/// `fields` and whose last field starts at `last`: drop a carriage return, skip
/// a blank line, then hand on the row. Returns 1 for a row read, 0 for a blank
/// line; `fields` is left empty for the next line.
#[inline]
fn end_line<'t>(
    text: &'t str,
    (start, last, end): (usize, usize, usize),
    line: u64,
    width: usize,
    fields: &mut Vec<&'t str>,
    each: &mut impl FnMut(u64, &[&str], &str),
) -> u64 {
    let bytes = text.as_bytes();
    let end = if end > start && bytes[end - 1] == b'\r' {
        end - 1
    } else {
        end
    };
    if end == start {
        fields.clear();
        return 0;
    }
    // The dropped carriage return lies after every delimiter of the line, so
    // `last <= end`.
    fields.push(&text[last.min(end)..end]);
    if fields.len() == width + 1 && fields.last().is_some_and(|f| f.is_empty()) {
        fields.pop();
    }
    each(line, fields.as_slice(), &text[start..end]);
    fields.clear();
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_quote_free_utf8_with_crlf_only() {
        assert_eq!(plain_text(b"a,b\r\nc,d\n"), Some("a,b\r\nc,d\n"));
        assert_eq!(plain_text(b"a,b\r"), None); // a CR not before a LF
        assert_eq!(plain_text(b"a\rb\n"), None);
        assert_eq!(plain_text(b"a,\"b\"\n"), None);
        assert_eq!(plain_text(b"a,\xFF\n"), None);
        assert_eq!(plain_text(b""), Some(""));
    }

    #[test]
    fn rows_lines_and_rejects_by_hand() {
        // SYNTHETIC text from line 10: a row, a trailing delimiter (dropped),
        // two blank lines (12, 13), a short row, a long row whose last field is
        // empty (kept: without it the row is still too long), three empty
        // fields, a last row without a line feed.
        let text = "1,2,3\n4,5,6,\r\n\n\r\n7,8\n9,10,11,12,\n,,\n13,14,15";
        let mut got = Vec::new();
        let read = rows(text, 10, b',', 3, |line, fields, raw| {
            got.push((line, format!("{} <- {raw}", fields.join("|"))))
        });
        assert_eq!(read, 6);
        let want = [
            (10, "1|2|3 <- 1,2,3"),
            (11, "4|5|6 <- 4,5,6,"),
            (14, "7|8 <- 7,8"),
            (15, "9|10|11|12| <- 9,10,11,12,"),
            (16, "|| <- ,,"),
            (17, "13|14|15 <- 13,14,15"),
        ];
        let want: Vec<(u64, String)> = want.iter().map(|(l, s)| (*l, s.to_string())).collect();
        assert_eq!(got, want);
    }
}
