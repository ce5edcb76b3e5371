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
//!
//! [`ascii_lines`] is the faster pass for text that is plain ASCII (no quote,
//! no byte above 0x7F, no carriage return but one before a line feed): a
//! classifier compares 64 bytes at a time against the delimiter, the line feed,
//! the quote and the carriage return (AVX2 where the CPU has it, else SSE2 on
//! x86-64, a scalar loop elsewhere), turns each into a bit mask, and walks the set bits, so every
//! field boundary of a line is found in that one pass and a line is handed on
//! as its bytes and its delimiters' offsets ([`Split`]). It stops at the first
//! byte outside plain ASCII; the caller then reads the text by the paths above.

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
/// the rows read (blank lines are not rows). The lines are found by the
/// classifier of [`ascii_lines`] as far as the text is plain ASCII, the rest
/// by [`rows_memchr2`], with the same rows either way.
pub fn rows(
    text: &str,
    first_line: u64,
    delimiter: u8,
    width: usize,
    each: impl FnMut(u64, &[&str], &str),
) -> u64 {
    rows_settling(text, first_line, delimiter, width, |_, _| false, each)
}

/// [`rows`], offering each row of the header's width that the classifier
/// reads to `settle(line, split)` first, as its bytes and delimiter offsets: a
/// row `settle` takes (it returns true) is read but never cut into a field list
/// nor handed to `each`. Rows read by the `memchr2` path all go to `each`.
pub fn rows_settling(
    text: &str,
    first_line: u64,
    delimiter: u8,
    width: usize,
    mut settle: impl FnMut(u64, Split<'_, '_>) -> bool,
    mut each: impl FnMut(u64, &[&str], &str),
) -> u64 {
    let bytes = text.as_bytes();
    let mut fields: Vec<&str> = Vec::with_capacity(width + 1);
    let mut read = 0u64;
    let mut line = first_line;
    let scanned = scan_ascii(bytes, delimiter, |s| {
        // A line of the header's width is not blank: it is a row.
        if s.count() == width && !s.line.is_empty() && settle(line, s) {
            read += 1;
            line += 1;
            return;
        }
        // `s.line` lies in `text`: its offset there, and a dropped carriage
        // return put back for `end_line` to drop as the other path does.
        let start = s.line.as_ptr() as usize - bytes.as_ptr() as usize;
        let mut end = start + s.line.len();
        if bytes.get(end) == Some(&b'\r') {
            end += 1;
        }
        let mut from = start;
        for d in s.delims {
            let at = start + *d as usize;
            fields.push(&text[from..at]);
            from = at + 1;
        }
        read += end_line(
            text,
            (start, from, end),
            line,
            width,
            &mut fields,
            &mut each,
        );
        line += 1;
    });
    match scanned {
        Ok(_) => read,
        // Not plain ASCII from the line starting at `at` on.
        Err(at) => read + rows_memchr2(&text[at..], line, delimiter, width, each),
    }
}

/// [`rows`] by one `memchr2` pass (16 or 32 bytes at a time, stopping at
/// every delimiter and line feed), for any plain text; also the reference
/// the classifier is tested and benched against.
pub fn rows_memchr2(
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

/// A line of plain ASCII text cut at its delimiters: the line's bytes (line
/// feed and a carriage return before it dropped) and the offsets of its
/// delimiters in it, in order.
#[derive(Debug, Clone, Copy)]
pub struct Split<'a, 'd> {
    /// The line.
    pub line: &'a [u8],
    /// Offsets of the delimiters in `line`.
    pub delims: &'d [u32],
}

impl<'a> Split<'a, '_> {
    /// The number of fields (delimiters + 1).
    #[inline]
    pub fn count(&self) -> usize {
        self.delims.len() + 1
    }

    /// Field `n` (from 0), or `None` past the last.
    #[inline]
    pub fn field(&self, n: usize) -> Option<&'a [u8]> {
        let start = match n {
            0 => 0,
            _ => *self.delims.get(n - 1)? as usize + 1,
        };
        let end = self.delims.get(n).map_or(self.line.len(), |d| *d as usize);
        self.line.get(start..end)
    }
}

/// The text is not plain ASCII: [`ascii_lines`] stopped at a quote, a byte
/// above 0x7F or a carriage return not before a line feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotPlainAscii;

/// One 64-byte block's bit masks (bit `i` for byte `i`).
struct Masks {
    /// Delimiters and line feeds.
    stops: u64,
    /// Line feeds.
    lf: u64,
    /// Carriage returns.
    cr: u64,
    /// The block holds a quote or a byte above 0x7F.
    special: bool,
}

/// `x` as it is, behind a wall the optimizer does not see through: without
/// it, LLVM rewrites the masks built from `movemask` as vectors of booleans
/// and takes them apart a byte at a time, which costs more than the scan.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn opaque(mut x: u64) -> u64 {
    // SAFETY: an empty instruction sequence that only names a register: it
    // reads and writes nothing else.
    unsafe {
        std::arch::asm!("/* {0} */", inout(reg) x, options(pure, nomem, nostack, preserves_flags));
    }
    x
}

/// A way of classifying 64 bytes.
trait Classify {
    fn classify(block: &[u8; 64], delimiter: u8) -> Masks;
}

/// SSE2 on x86-64 (16 bytes at a time), a scalar loop elsewhere.
struct Baseline;

#[cfg(target_arch = "x86_64")]
impl Classify for Baseline {
    #[inline(always)]
    fn classify(block: &[u8; 64], delimiter: u8) -> Masks {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128,
            _mm_set1_epi8,
        };
        // SAFETY: SSE2 is part of every x86-64 target, so these instructions
        // exist wherever this code runs; each load reads bytes 16 * i .. 16 * i
        // + 16 of the 64-byte block (unaligned), nothing outside it.
        unsafe {
            let (d, n) = (_mm_set1_epi8(delimiter as i8), _mm_set1_epi8(b'\n' as i8));
            let (q, r) = (_mm_set1_epi8(b'"' as i8), _mm_set1_epi8(b'\r' as i8));
            let mut stops = 0u64;
            let mut lf = 0u64;
            let mut cr = 0u64;
            let mut special = _mm_set1_epi8(0);
            for i in 0..4 {
                let v = _mm_loadu_si128(block.as_ptr().add(16 * i).cast::<__m128i>());
                let is_lf = _mm_cmpeq_epi8(v, n);
                let stop = _mm_or_si128(_mm_cmpeq_epi8(v, d), is_lf);
                stops |= opaque(u64::from(_mm_movemask_epi8(stop) as u16)) << (16 * i);
                lf |= opaque(u64::from(_mm_movemask_epi8(is_lf) as u16)) << (16 * i);
                cr |= opaque(u64::from(_mm_movemask_epi8(_mm_cmpeq_epi8(v, r)) as u16)) << (16 * i);
                // The sign bit of each byte is set for a byte above 0x7F.
                special = _mm_or_si128(special, _mm_or_si128(v, _mm_cmpeq_epi8(v, q)));
            }
            Masks {
                stops,
                lf,
                cr,
                special: _mm_movemask_epi8(special) != 0,
            }
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
impl Classify for Baseline {
    #[inline(always)]
    fn classify(block: &[u8; 64], delimiter: u8) -> Masks {
        let mut m = Masks {
            stops: 0,
            lf: 0,
            cr: 0,
            special: false,
        };
        for (i, &b) in block.iter().enumerate() {
            let bit = 1u64 << i;
            if b == delimiter || b == b'\n' {
                m.stops |= bit;
            }
            if b == b'\n' {
                m.lf |= bit;
            }
            if b == b'\r' {
                m.cr |= bit;
            }
            m.special |= matches!(b, b'"' | 0x80..);
        }
        m
    }
}

/// AVX2 (32 bytes at a time); used only inside [`lines_avx2`], which runs
/// only on a CPU that has AVX2.
#[cfg(target_arch = "x86_64")]
struct Avx2;

#[cfg(target_arch = "x86_64")]
impl Classify for Avx2 {
    #[inline(always)]
    fn classify(block: &[u8; 64], delimiter: u8) -> Masks {
        use std::arch::x86_64::{
            __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_or_si256,
            _mm256_set1_epi8,
        };
        // SAFETY: this is inlined only into `lines_avx2`, which is called only
        // once the CPU is known to have AVX2; the loads read bytes 0..32 and
        // 32..64 of the 64-byte block (unaligned), nothing outside it.
        unsafe {
            let (d, n) = (
                _mm256_set1_epi8(delimiter as i8),
                _mm256_set1_epi8(b'\n' as i8),
            );
            let (q, r) = (_mm256_set1_epi8(b'"' as i8), _mm256_set1_epi8(b'\r' as i8));
            let v0 = _mm256_loadu_si256(block.as_ptr().cast::<__m256i>());
            let v1 = _mm256_loadu_si256(block.as_ptr().add(32).cast::<__m256i>());
            let (lf0, lf1) = (_mm256_cmpeq_epi8(v0, n), _mm256_cmpeq_epi8(v1, n));
            let stop0 = _mm256_or_si256(_mm256_cmpeq_epi8(v0, d), lf0);
            let stop1 = _mm256_or_si256(_mm256_cmpeq_epi8(v1, d), lf1);
            let mask = |v: __m256i| opaque(u64::from(_mm256_movemask_epi8(v) as u32));
            // The sign bit of each byte is set for a byte above 0x7F.
            let odd0 = _mm256_or_si256(v0, _mm256_cmpeq_epi8(v0, q));
            let odd1 = _mm256_or_si256(v1, _mm256_cmpeq_epi8(v1, q));
            let special = _mm256_or_si256(odd0, odd1);
            Masks {
                stops: mask(stop0) | mask(stop1) << 32,
                lf: mask(lf0) | mask(lf1) << 32,
                cr: mask(_mm256_cmpeq_epi8(v0, r)) | mask(_mm256_cmpeq_epi8(v1, r)) << 32,
                special: _mm256_movemask_epi8(special) != 0,
            }
        }
    }
}

/// Whether the block of `bytes` at `base` (up to 64 bytes) is plain ASCII: no
/// quote, no byte above 0x7F, and no carriage return but right before a line
/// feed (which may be the next block's first byte).
#[cold]
fn plain_block(bytes: &[u8], base: usize) -> bool {
    let end = bytes.len().min(base + 64);
    (base..end).all(|i| match bytes[i] {
        b'"' | 0x80.. => false,
        b'\r' => bytes.get(i + 1) == Some(&b'\n'),
        _ => true,
    })
}

/// Hand on each line of `bytes` in order as `each(split)` — blank lines
/// included (an empty `line`), the last line whether or not a line feed ends
/// it — and return the number of line feeds. `bytes` must be plain ASCII (no
/// quote, no byte above 0x7F, no carriage return but one right before a line
/// feed): at the first block of 64 bytes that is not, it stops with
/// [`NotPlainAscii`], after handing on the lines before that block, and the
/// caller reads the text another way. `delimiter` is an ASCII byte other than
/// the quote, the carriage return and the line feed.
pub fn ascii_lines<'a>(
    bytes: &'a [u8],
    delimiter: u8,
    each: impl FnMut(Split<'a, '_>),
) -> Result<u64, NotPlainAscii> {
    scan_ascii(bytes, delimiter, each).map_err(|_| NotPlainAscii)
}

/// [`ascii_lines`], stopping with the offset of the first line not handed on.
fn scan_ascii<'a>(
    bytes: &'a [u8],
    delimiter: u8,
    each: impl FnMut(Split<'a, '_>),
) -> Result<u64, usize> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above.
        return unsafe { lines_avx2(bytes, delimiter, each) };
    }
    lines_with::<Baseline>(bytes, delimiter, each)
}

/// [`ascii_lines`] with the AVX2 classifier.
///
/// # Safety
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn lines_avx2<'a>(
    bytes: &'a [u8],
    delimiter: u8,
    each: impl FnMut(Split<'a, '_>),
) -> Result<u64, usize> {
    lines_with::<Avx2>(bytes, delimiter, each)
}

/// [`ascii_lines`] with the classifier `C`.
#[inline(always)]
fn lines_with<'a, C: Classify>(
    bytes: &'a [u8],
    delimiter: u8,
    mut each: impl FnMut(Split<'a, '_>),
) -> Result<u64, usize> {
    debug_assert!(delimiter.is_ascii() && !matches!(delimiter, b'"' | b'\r' | b'\n'));
    let mut delims: Vec<u32> = Vec::with_capacity(64);
    let mut line_start = 0usize;
    let mut lfs = 0u64;
    let mut base = 0usize;
    while base < bytes.len() {
        let m = match bytes.get(base..base + 64) {
            Some(b) => C::classify(b.try_into().unwrap_or(&[0; 64]), delimiter),
            None => {
                // The last block, padded with NUL bytes (none is a byte looked for).
                let mut pad = [0u8; 64];
                pad[..bytes.len() - base].copy_from_slice(&bytes[base..]);
                C::classify(&pad, delimiter)
            }
        };
        // A carriage return must stand right before a line feed, which for the
        // block's last byte is the next block's first.
        if (m.special || (m.cr != 0 && m.cr & !(m.lf >> 1) != 0)) && !plain_block(bytes, base) {
            return Err(line_start);
        }
        let mut bits = m.stops;
        while bits != 0 {
            let bit = bits.trailing_zeros();
            let at = base + bit as usize;
            if m.lf >> bit & 1 == 1 {
                let end = if at > line_start && bytes[at - 1] == b'\r' {
                    at - 1
                } else {
                    at
                };
                each(Split {
                    line: &bytes[line_start..end],
                    delims: &delims,
                });
                delims.clear();
                lfs += 1;
                line_start = at + 1;
            } else {
                delims.push((at - line_start) as u32);
            }
            bits &= bits - 1;
        }
        base += 64;
    }
    if line_start < bytes.len() {
        each(Split {
            line: &bytes[line_start..],
            delims: &delims,
        });
    }
    Ok(lfs)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `rows` (the classifier, then `memchr2` from the first line that is not
    /// plain ASCII) hands on what `rows_memchr2` does, with a non-ASCII
    /// character put at every position of a SYNTHETIC text, and cut anywhere.
    #[test]
    fn rows_switch_scanners_without_losing_a_line() {
        let base = "1,2,3\n4,5,6,\r\n\n\r\n7,8\n9,10,11,12,\n,,\n13,14,15\n".repeat(4);
        /// What `rows` hands on: line, fields, raw text.
        type Each<'e> = dyn FnMut(u64, &[&str], &str) + 'e;
        let collect = |f: &dyn Fn(&mut Each) -> u64| {
            let mut got = Vec::new();
            let read =
                f(&mut |line, fields, raw| got.push((line, fields.join("|"), raw.to_string())));
            (read, got)
        };
        for at in 0..=base.len() {
            for put in ["", "ä", "é,"] {
                let mut t = base.clone();
                if base.is_char_boundary(at) {
                    t.insert_str(at, put);
                }
                for cut in [t.len(), t.len() / 2] {
                    let Some(text) = t.get(..cut) else { continue };
                    let a = collect(&|each| rows(text, 3, b',', 3, each));
                    let b = collect(&|each| rows_memchr2(text, 3, b',', 3, each));
                    assert_eq!(a, b, "{at} {put:?} {cut}");
                }
            }
        }
    }

    /// Every line, field and delimiter of a SYNTHETIC text found by the
    /// classifier, against a naive split, with each special byte tried at
    /// every position of two 64-byte blocks and the text cut at every length.
    #[test]
    fn ascii_lines_find_every_boundary_at_every_position() {
        /// Each line's fields, and the line feeds.
        type Lines = (Vec<Vec<Vec<u8>>>, u64);
        fn naive(t: &[u8], d: u8) -> Lines {
            let lfs = t.iter().filter(|b| **b == b'\n').count() as u64;
            let mut lines: Vec<&[u8]> = t.split(|b| *b == b'\n').collect();
            if lines.last().is_some_and(|l| l.is_empty()) {
                lines.pop();
            }
            let out = lines
                .iter()
                .map(|l| {
                    let l = l.strip_suffix(b"\r").unwrap_or(l);
                    l.split(|b| *b == d).map(<[u8]>::to_vec).collect()
                })
                .collect();
            (out, lfs)
        }
        fn scanned(t: &[u8], d: u8) -> Result<Lines, NotPlainAscii> {
            let mut out = Vec::new();
            let lfs = ascii_lines(t, d, |s| {
                out.push(
                    (0..s.count())
                        .map(|n| s.field(n).unwrap().to_vec())
                        .collect(),
                );
                assert!(s.field(s.count()).is_none());
            })?;
            // The baseline classifier (SSE2 or scalar) finds the same, whatever
            // the CPU picked above.
            let mut base = Vec::new();
            let base_lfs = lines_with::<Baseline>(t, d, |s| {
                base.push(
                    (0..s.count())
                        .map(|n| s.field(n).unwrap().to_vec())
                        .collect(),
                );
            })
            .unwrap();
            assert_eq!((&base, base_lfs), (&out, lfs));
            Ok((out, lfs))
        }
        // 150 bytes: fields of 1 to 7 characters, a blank line, a CRLF line.
        let base: Vec<u8> = b"2020,4,8,010000,2712.453,8556.669\nab,,c\n\n1234567,x\r\n,\n"
            .iter()
            .copied()
            .cycle()
            .take(150)
            .collect();
        for d in [b',', b'\t'] {
            let text: Vec<u8> = base
                .iter()
                .map(|b| if *b == b',' { d } else { *b })
                .collect();
            for len in 0..=text.len() {
                let t = &text[..len];
                if t.last() == Some(&b'\r') {
                    assert_eq!(scanned(t, d), Err(NotPlainAscii), "{len}");
                } else {
                    assert_eq!(scanned(t, d), Ok(naive(t, d)), "{len}");
                }
            }
            // A delimiter, a line feed, a CRLF put at every position of 130
            // bytes (two blocks and a tail) of plain text.
            let plain = vec![b'7'; 130];
            for at in 0..plain.len() {
                for put in [&[d][..], b"\n", b"\r\n", b"\n\n"] {
                    let mut t = plain.clone();
                    t.splice(at..at, put.iter().copied());
                    assert_eq!(scanned(&t, d), Ok(naive(&t, d)), "{at} {put:?}");
                }
                // A quote, a byte above 0x7F, a lone CR: refused wherever they are.
                for bad in [&b"\""[..], b"\xC3\xA4", b"\r", b"\r7"] {
                    let mut t = plain.clone();
                    t.splice(at..at, bad.iter().copied());
                    assert_eq!(scanned(&t, d), Err(NotPlainAscii), "{at} {bad:?}");
                }
            }
        }
        // By hand: 3 lines, 2 line feeds; the last line has no line feed.
        let mut got = Vec::new();
        let lfs = ascii_lines(b"a,bc,\r\n\nd", b',', |s| {
            got.push((s.line.to_vec(), s.delims.to_vec()))
        });
        assert_eq!(lfs, Ok(2));
        assert_eq!(
            got,
            vec![
                (b"a,bc,".to_vec(), vec![1, 4]),
                (Vec::new(), vec![]),
                (b"d".to_vec(), vec![])
            ]
        );
    }

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
