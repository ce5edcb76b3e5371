//! Field parsers shared by every reader: numbers, money, booleans, byte-order
//! marks. Each returns a message naming what it expected, which the caller turns
//! into a reject naming the column.

use patronage_core::labor::Qualifier;

/// A field's text as a message quotes it: escaped and bounded.
fn q(t: &str) -> String {
    patronage_core::quote_input(t)
}

/// Remove a UTF-8 byte-order mark.
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// The UTF-16 encoding `bytes` are in, if they look like one: by byte-order mark,
/// or by the NUL byte every ASCII character carries in UTF-16. Readers refuse such
/// a file with this name rather than report its header as garbage.
pub fn utf16_encoding(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0xFF, 0xFE, ..] => Some("UTF-16 LE"),
        [0xFE, 0xFF, ..] => Some("UTF-16 BE"),
        [a, 0, b, 0, ..] if *a != 0 && *b != 0 => Some("UTF-16 LE"),
        [0, a, 0, b, ..] if *a != 0 && *b != 0 => Some("UTF-16 BE"),
        _ => None,
    }
}

/// The layout error for a file in UTF-16, naming the encoding found.
pub fn refuse_utf16(path: &std::path::Path, bytes: &[u8]) -> Result<(), crate::ExtractError> {
    match utf16_encoding(bytes) {
        None => Ok(()),
        Some(enc) => Err(crate::ExtractError::Layout {
            path: path.to_path_buf(),
            line: 1,
            message: format!("the file is {enc} text; expected UTF-8 (convert it to UTF-8)"),
        }),
    }
}

/// `s` without leading and trailing whitespace, as [`str::trim`]; a field that
/// starts and ends with a visible ASCII character (most fields of a large file)
/// is returned without the Unicode scan.
pub fn trim(s: &str) -> &str {
    match s.as_bytes() {
        [first, .., last] if first.is_ascii_graphic() && last.is_ascii_graphic() => s,
        [only] if only.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

/// The reject reason of an amount that has more decimals than the unit it is
/// kept in: rounding it would change the figure without saying so.
pub const VALUE_PRECISION: &str = "value_precision";

/// Why an amount could not be read exactly: the message names the text, and
/// `loses_digits` says the text is a number whose digits past the kept unit are
/// not all zero (its reject reason is [`VALUE_PRECISION`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmountError {
    /// The number has digits finer than the unit it is kept in.
    pub loses_digits: bool,
    /// What is wrong, quoting the text.
    pub message: String,
}

impl AmountError {
    fn new(message: String) -> Self {
        AmountError {
            loses_digits: false,
            message,
        }
    }

    /// The reject reason: [`VALUE_PRECISION`] for a value that would lose
    /// digits, else `other` (the reader's own reason for a bad number).
    pub fn reason_or(&self, other: &'static str) -> &'static str {
        if self.loses_digits {
            VALUE_PRECISION
        } else {
            other
        }
    }

    /// Whether the field was empty.
    pub fn is_empty_field(&self) -> bool {
        self.message.starts_with("empty")
    }
}

impl std::fmt::Display for AmountError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<AmountError> for String {
    fn from(e: AmountError) -> String {
        e.message
    }
}

/// Largest amount in thousandths a reader accepts (nine trillion dollars).
const MAX_MILLS: i64 = 9_000_000_000_000_000;

/// Parse a decimal amount into thousandths of a dollar (mills), exactly:
/// `4982.402` → `4_982_402`, `1.5e+10` → `15_000_000_000_000`. Summing integers
/// keeps totals independent of order and thread count. A value with a non-zero
/// digit past the third decimal (`0.0004`, `0.0005`, `1234.5678`) is an error
/// with `loses_digits` set, never rounded: a figure is kept as published or
/// rejected as `value_precision`. Trailing zeros (`1234.5670`) lose nothing.
pub fn parse_mills(s: &str) -> Result<i64, AmountError> {
    parse_exact(s, 3)
}

/// Parse a decimal amount, plain or in exponent notation, into an integer count
/// of `10^-scale` units, exactly (see [`parse_mills`]): `parse_exact("49.5005", 6)`
/// → `49_500_500`. A non-zero digit past `scale` decimals is an error with
/// `loses_digits` set.
pub fn parse_exact(s: &str, scale: u32) -> Result<i64, AmountError> {
    let t = trim(s);
    if t.is_empty() {
        return Err(AmountError::new("empty, a number is required".to_string()));
    }
    // Quoted only for a message: escaping the text costs more than parsing it.
    let q = || patronage_core::quote_input(t);
    let bad = || AmountError::new(format!("`{}` is not a number", q()));
    let range = || AmountError::new(format!("`{}` is out of range", q()));
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        None => (t, 0i64),
        Some(i) => {
            let e = &t[i + 1..];
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            // Any exponent beyond this puts a non-zero digit out of range or
            // below the unit; zero is handled below whatever the exponent.
            let magnitude: i64 = digits.parse().unwrap_or(i64::MAX).min(1_000_000);
            (
                &t[..i],
                if e.starts_with('-') {
                    -magnitude
                } else {
                    magnitude
                },
            )
        }
    };
    let (neg, int, frac) = decimal_parts(mantissa).ok_or_else(bad)?;
    // The value is the significant digits × 10^shift units.
    let all = || int.bytes().chain(frac.bytes());
    let lead = all().take_while(|b| *b == b'0').count();
    let n = int.len() + frac.len() - lead;
    if n == 0 {
        return Ok(0);
    }
    let shift = exponent - frac.len() as i64 + i64::from(scale);
    let keep = if shift >= 0 {
        n
    } else {
        n.saturating_sub(usize::try_from(-shift).unwrap_or(usize::MAX))
    };
    if all().skip(lead + keep).any(|b| b != b'0') {
        return Err(AmountError {
            loses_digits: true,
            message: format!(
                "`{}` has more than {scale} decimals: amounts are kept exactly to {scale}, and rounding would change the figure",
                q()
            ),
        });
    }
    let mut units: i64 = 0;
    for d in all().skip(lead).take(keep) {
        units = units * 10 + i64::from(d - b'0');
        if units > MAX_MILLS {
            return Err(range());
        }
    }
    for _ in 0..shift.max(0) {
        units *= 10;
        if units > MAX_MILLS {
            return Err(range());
        }
    }
    Ok(if neg { -units } else { units })
}

/// Parse a count of people as agencies and the press write it: digits with
/// optional thousands separators (`24,000`, `24 000`, `24 000`, `24000`; a
/// spreadsheet's `24000.0`). Anything else is an error naming what was found.
pub fn parse_count(s: &str) -> Result<u64, String> {
    let t = trim(s);
    if t.is_empty() {
        return Err("empty, a number is required".to_string());
    }
    let t2 = t.strip_suffix(".0").unwrap_or(t);
    let groups: Vec<&str> = t2.split([',', ' ', '\u{a0}', '\u{202f}', '\'']).collect();
    let well_grouped = groups.len() == 1
        || (!groups[0].is_empty()
            && groups[0].len() <= 3
            && groups[1..].iter().all(|g| g.len() == 3));
    if !well_grouped || !groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit())) {
        return Err(
            if t.contains('.') && t2.split('.').all(|p| p.bytes().all(|b| b.is_ascii_digit())) {
                format!("`{}` is not a whole number of people", q(t))
            } else {
                format!("`{}` is not a number", q(t))
            },
        );
    }
    groups
        .concat()
        .parse()
        .map_err(|_| format!("`{}` is out of range", q(t)))
}

/// Words and signs that hedge a published count, longest first, with the
/// qualifier each means (English and Russian, as officials and Rosstat write them).
const HEDGES: &[(&str, Qualifier)] = &[
    ("approximately", Qualifier::About),
    ("more than", Qualifier::MoreThan),
    ("fewer than", Qualifier::LessThan),
    ("less than", Qualifier::LessThan),
    ("at least", Qualifier::AtLeast),
    ("не менее", Qualifier::AtLeast),
    ("roughly", Qualifier::About),
    ("approx.", Qualifier::About),
    ("nearly", Qualifier::Almost),
    ("almost", Qualifier::Almost),
    ("around", Qualifier::About),
    ("примерно", Qualifier::About),
    ("свыше", Qualifier::MoreThan),
    ("больше", Qualifier::MoreThan),
    ("более", Qualifier::MoreThan),
    ("менее", Qualifier::LessThan),
    ("почти", Qualifier::Almost),
    ("около", Qualifier::About),
    ("about", Qualifier::About),
    ("under", Qualifier::LessThan),
    ("up to", Qualifier::UpTo),
    ("over", Qualifier::MoreThan),
    ("some", Qualifier::About),
    ("до", Qualifier::UpTo),
    ("ca.", Qualifier::About),
    ("c.", Qualifier::About),
    (">=", Qualifier::AtLeast),
    ("<=", Qualifier::UpTo),
    ("≥", Qualifier::AtLeast),
    ("≤", Qualifier::UpTo),
    ("~", Qualifier::About),
    ("≈", Qualifier::About),
    (">", Qualifier::MoreThan),
    ("<", Qualifier::LessThan),
];

/// Parse a count that may carry a hedge: `8000` is exact; `~8,000`, `about 8,000`
/// and `около 8 000` are 8000 [`Qualifier::About`]; `more than 20,000` is 20000
/// [`Qualifier::MoreThan`]; `almost 24,000`, `under 10,000`, `up to 3,000`... A
/// hedge the list does not know, a range (`12,000-15,000`) or text after the
/// number is an error saying what was found, never a guess.
pub fn parse_qualified_count(s: &str) -> Result<(u64, Qualifier), String> {
    let t = trim(s);
    let lower = t.to_lowercase();
    let (qualifier, rest) = HEDGES
        .iter()
        .find_map(|(w, q)| {
            let rest = lower.strip_prefix(w)?;
            // A word hedge must be followed by a space ("over 20,000", not "overtime").
            let is_word = w.chars().last().is_some_and(char::is_alphabetic);
            if is_word && !rest.starts_with(char::is_whitespace) {
                return None;
            }
            Some((*q, rest))
        })
        .unwrap_or((Qualifier::Exact, lower.as_str()));
    parse_count(rest).map(|n| (n, qualifier)).map_err(|e| {
        if qualifier == Qualifier::Exact {
            format!(
                "`{}` is neither a number nor a hedged number (\"about 8,000\", \"more than 20,000\", \"~8,000\", \"up to 3,000\")", q(t)
            )
        } else {
            format!("`{}`: after the hedge, {e}", q(t))
        }
    })
}

/// Parse an ISO 8601 date as precise as a source gives it — `YYYY-MM-DD`,
/// `YYYY-MM` or `YYYY` (a longer timestamp is cut to its date) — checking month
/// and day; returns the year and the text kept.
pub fn parse_partial_date(s: &str) -> Result<(i32, String), String> {
    let t = trim(s);
    let t = t
        .get(..10)
        .filter(|_| t.len() > 10 && t.as_bytes()[10] == b'T')
        .unwrap_or(t);
    let bad = || format!("`{}` is not a date (YYYY-MM-DD, YYYY-MM or YYYY)", q(t));
    let parts: Vec<&str> = t.split('-').collect();
    let widths = [4, 2, 2];
    if parts.is_empty()
        || parts.len() > 3
        || parts
            .iter()
            .zip(widths)
            .any(|(p, w)| p.len() != w || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(bad());
    }
    let year: i32 = parts[0].parse().map_err(|_| bad())?;
    if let Some(m) = parts.get(1) {
        let m: u32 = m.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&m) {
            return Err(format!("`{}`: month {m} is not 1-12", q(t)));
        }
        if let Some(d) = parts.get(2) {
            let d: u32 = d.parse().map_err(|_| bad())?;
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
            let days = match m {
                2 if leap => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            if !(1..=days).contains(&d) {
                return Err(format!("`{}`: day {d} is not in month {m}", q(t)));
            }
        }
    }
    Ok((year, t.to_string()))
}

/// Parse an optional float; empty means absent.
pub fn parse_opt_f64(s: &str) -> Result<Option<f64>, String> {
    let t = trim(s);
    if t.is_empty() {
        return Ok(None);
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        _ => Err(format!("`{}` is not a number", q(t))),
    }
}

/// Parse a required integer.
pub fn parse_int<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    let t = trim(s);
    if t.is_empty() {
        return Err("empty, an integer is required".to_string());
    }
    // JSON and pandas write integers as floats ("156.0"); accept a zero fraction.
    let t = t.strip_suffix(".0").unwrap_or(t);
    t.parse()
        .map_err(|_| format!("`{}` is not an integer", q(trim(s))))
}

/// Parse an optional integer; empty means absent.
pub fn parse_opt_int<T: std::str::FromStr>(s: &str) -> Result<Option<T>, String> {
    if trim(s).is_empty() {
        Ok(None)
    } else {
        parse_int(s).map(Some)
    }
}

/// Parse a boolean written 0/1, true/false or True/False; empty means absent.
pub fn parse_opt_bool(s: &str) -> Result<Option<bool>, String> {
    match trim(s) {
        "" => Ok(None),
        "1" | "true" | "True" | "TRUE" => Ok(Some(true)),
        "0" | "false" | "False" | "FALSE" => Ok(Some(false)),
        t => Err(format!("`{}` is not a boolean (0/1, true/false)", q(t))),
    }
}

/// The value of `b` when it is 1 to 9 ASCII digits and nothing else, as
/// [`parse_int`] reads that text (leading zeros allowed); `None` for any other
/// text (empty, a sign, a space, `156.0`, ten digits or more), which the caller
/// hands to [`parse_int`] to be read or rejected by the general rules. For the
/// hot path of large files: no UTF-8 check, no trim, no allocation.
#[inline]
pub fn digits_u32(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 {
        return None;
    }
    let mut v = 0u32;
    for &c in b {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + u32::from(d);
    }
    Some(v)
}

/// `b` as a plain decimal — 1 to `max_int` digits, then optionally a point and
/// 1 to `scale` digits, nothing else — in units of `10^-scale`: the value
/// [`parse_exact`]`(b, scale)` gives for that text (`2712.453` at scale 6 →
/// `2_712_453_000`). `None` for any other text (a sign, spaces, an exponent,
/// more decimals than `scale`, `5.`), which the caller hands to
/// [`parse_exact`] to be read or rejected by the general rules. `max_int +
/// scale` must be at most 15, so the value stays below [`parse_exact`]'s bound
/// (nine trillion dollars in thousandths, 9 × 10^15).
#[inline]
pub fn plain_decimal(b: &[u8], scale: u32, max_int: usize) -> Option<i64> {
    debug_assert!(max_int + scale as usize <= 15);
    let mut v = 0u64;
    let mut i = 0;
    while i < b.len() {
        let d = b[i].wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        v = v * 10 + u64::from(d);
        i += 1;
    }
    if i == 0 || i > max_int {
        return None;
    }
    let mut decimals = 0u32;
    if i < b.len() {
        if b[i] != b'.' {
            return None;
        }
        for &c in &b[i + 1..] {
            let d = c.wrapping_sub(b'0');
            if d > 9 || decimals == scale {
                return None;
            }
            v = v * 10 + u64::from(d);
            decimals += 1;
        }
        if decimals == 0 {
            return None;
        }
    }
    i64::try_from(v * 10u64.pow(scale - decimals)).ok()
}

/// Whether `b`, once ASCII spaces around it are dropped, is empty, `NA`, `?`
/// or a plain decimal (digits, optionally a point and digits): text that
/// [`is_missing`] calls absent or [`parse_opt_f64`] reads as a finite number.
/// `false` says only that the general rules must decide.
#[inline]
pub fn plain_optional_number(b: &[u8]) -> bool {
    let start = b.iter().position(|c| *c != b' ').unwrap_or(b.len());
    let end = b.iter().rposition(|c| *c != b' ').map_or(start, |e| e + 1);
    let t = &b[start..end];
    if matches!(t, b"" | b"NA" | b"?") {
        return true;
    }
    let int = t.iter().take_while(|c| c.is_ascii_digit()).count();
    match &t[int..] {
        [] => int > 0,
        [b'.', frac @ ..] => int > 0 && !frac.is_empty() && frac.iter().all(|c| c.is_ascii_digit()),
        _ => false,
    }
}

/// A plain decimal's sign, integer digits and fraction digits (`-12.50` →
/// `(true, "12", "50")`); `None` unless it is an optional sign, digits, and an
/// optional point with digits, with at least one digit.
fn decimal_parts(t: &str) -> Option<(bool, &str, &str)> {
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    (!(int.is_empty() && frac.is_empty()) && digits(int) && digits(frac))
        .then_some((neg, int, frac))
}

/// Parse a plain decimal (no exponent, no thousands separators) into an integer
/// count of `10^-scale` units, exactly: `parse_scaled("0.123456", 8)` → `12_345_600`.
/// Digits past `scale` decimals are rounded half away from zero. For amounts whose
/// published precision exceeds a mill (OECD CRS: millions of USD to six places).
pub fn parse_scaled(s: &str, scale: u32) -> Result<i64, String> {
    let t = trim(s);
    let bad = || format!("`{}` is not a number", q(t));
    if t.is_empty() {
        return Err("empty, a number is required".to_string());
    }
    let (neg, int, frac) = decimal_parts(t).ok_or_else(bad)?;
    let range = || format!("`{}` is out of range", q(t));
    let mut units: i64 = 0;
    for b in int.bytes() {
        units = units
            .checked_mul(10)
            .and_then(|m| m.checked_add(i64::from(b - b'0')))
            .ok_or_else(range)?;
    }
    let mut f = frac.bytes().map(|b| i64::from(b - b'0'));
    for _ in 0..scale {
        units = units
            .checked_mul(10)
            .and_then(|m| m.checked_add(f.next().unwrap_or(0)))
            .ok_or_else(range)?;
    }
    if f.next().is_some_and(|d| d >= 5) {
        units = units.checked_add(1).ok_or_else(range)?;
    }
    Ok(if neg { -units } else { units })
}

/// Parse an optional plain decimal (see [`parse_scaled`]); empty means absent.
pub fn parse_opt_scaled(s: &str, scale: u32) -> Result<Option<i64>, String> {
    if trim(s).is_empty() {
        Ok(None)
    } else {
        parse_scaled(s, scale).map(Some)
    }
}

/// Whether a field marks a missing value: empty, `?` (China customs) or `NA`
/// (CEPII BACI, right-aligned in a padded field).
pub fn is_missing(s: &str) -> bool {
    matches!(trim(s), "" | "?" | "NA")
}

/// Parse an amount written with thousands separators (`17,715,334`, as China
/// customs writes dollars) into thousandths, exactly (see [`parse_mills`]).
/// Separators must group three digits, so a shifted or merged field (`1,2`) is
/// not read as a number.
pub fn parse_grouped_mills(s: &str) -> Result<i64, AmountError> {
    let t = trim(s);
    if !t.contains(',') {
        return parse_mills(t);
    }
    let (int, frac) = t.split_once('.').map_or((t, None), |(i, f)| (i, Some(f)));
    let digits = int.trim_start_matches(['-', '+']);
    let mut groups = digits.split(',');
    let first_ok = groups
        .next()
        .is_some_and(|g| (1..=3).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_digit()));
    if !first_ok || !groups.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit())) {
        return Err(AmountError::new(format!(
            "`{}` is not a number with thousands separators",
            patronage_core::quote_input(t)
        )));
    }
    let joined = int.replace(',', "");
    parse_mills(&match frac {
        Some(f) => format!("{joined}.{f}"),
        None => joined.clone(),
    })
    .map_err(|e| AmountError {
        message: e.message.replace(&joined, int),
        ..e
    })
}

/// Years a published trade or aid figure may carry: a wider span is a typo (2911)
/// or a shifted column, and reads as a reject `year_out_of_range`.
pub const YEARS: std::ops::RangeInclusive<i64> = 1900..=2100;

/// `Err` with the reason's detail when `year` is outside [`YEARS`].
pub fn check_year(year: i64) -> Result<(), String> {
    if YEARS.contains(&year) {
        Ok(())
    } else {
        Err(format!(
            "{year} is outside {}..={}",
            YEARS.start(),
            YEARS.end()
        ))
    }
}

/// `Err` with the reason's detail when a trade value is negative (a customs value
/// cannot be: a minus sign is a typo or a netted figure that is not a trade flow).
pub fn check_not_negative(mills: i64) -> Result<(), String> {
    if mills < 0 {
        Err("trade values cannot be negative".to_string())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte-level fast parsers agree with the general ones wherever they
    /// answer, and decline (None / false) everything else; values by hand.
    #[test]
    fn fast_parsers_agree_with_the_general_rules() {
        assert_eq!(digits_u32(b"2020"), Some(2020));
        assert_eq!(digits_u32(b"008"), Some(8));
        assert_eq!(digits_u32(b"999999999"), Some(999_999_999));
        for s in [
            "",
            " 8",
            "8 ",
            "+8",
            "-8",
            "8.0",
            "1000000000",
            "8a",
            "\u{663}",
        ] {
            assert_eq!(digits_u32(s.as_bytes()), None, "{s:?}");
        }
        for s in ["0", "7", "008", "2020", "999999999"] {
            assert_eq!(digits_u32(s.as_bytes()), parse_int::<u32>(s).ok(), "{s:?}");
        }
        // 2712.453 thousand dollars = 2,712,453,000 thousandths of a thousand.
        assert_eq!(plain_decimal(b"2712.453", 6, 9), Some(2_712_453_000));
        assert_eq!(plain_decimal(b"749567.796", 3, 12), Some(749_567_796));
        assert_eq!(plain_decimal(b"0.5", 3, 12), Some(500));
        assert_eq!(plain_decimal(b"12", 3, 12), Some(12_000));
        assert_eq!(plain_decimal(b"007.000001", 6, 9), Some(7_000_001));
        for s in [
            "0",
            "0.5",
            "12",
            "007.000001",
            "2712.453",
            "999999999.999999",
        ] {
            assert_eq!(
                plain_decimal(s.as_bytes(), 6, 9),
                parse_exact(s, 6).ok(),
                "{s:?}"
            );
        }
        // Nine trillion dollars is the bound: 9,000,000,000,000 in thousandths of
        // a thousand is out of range for the general parser, and ten integer
        // digits are declined here.
        assert!(parse_exact("9000000000.000001", 6).is_err());
        assert_eq!(plain_decimal(b"9000000000.000001", 6, 9), None);
        // Declined: the general parser reads some of these, rejects the rest.
        for s in [
            "",
            ".5",
            "5.",
            "-1",
            "+1",
            " 1",
            "1 ",
            "1e3",
            "1.2345678",
            "1,000",
            "1000000000",
            "1..2",
            "1.2.3",
            "NaN",
        ] {
            assert_eq!(plain_decimal(s.as_bytes(), 6, 9), None, "{s:?}");
        }
        for s in [
            "",
            "   ",
            "       8556.669",
            "12",
            "0.5 ",
            " 3 ",
            "NA",
            "  NA",
            "?",
        ] {
            assert!(plain_optional_number(s.as_bytes()), "{s:?}");
            assert!(
                is_missing(s) || parse_opt_f64(s).unwrap().is_some(),
                "{s:?}"
            );
        }
        for s in ["N/A", "na", ".5", "5.", "-1", "1e3", "1 2", "\t1", "inf"] {
            assert!(!plain_optional_number(s.as_bytes()), "{s:?}");
        }
    }

    #[test]
    fn mills_are_exact() {
        assert_eq!(parse_mills("4982.402"), Ok(4_982_402));
        assert_eq!(parse_mills("6804128143.0"), Ok(6_804_128_143_000));
        assert_eq!(parse_mills("19500000"), Ok(19_500_000_000));
        assert_eq!(parse_mills("1234.567"), Ok(1_234_567));
        assert_eq!(parse_mills("1234.5670000"), Ok(1_234_567));
        assert_eq!(parse_mills("6.804128143e9"), Ok(6_804_128_143_000));
        assert_eq!(parse_mills("1E-3"), Ok(1));
        assert_eq!(parse_mills("-0.000"), Ok(0));
        assert_eq!(parse_mills("0e999999999999999999"), Ok(0));
        assert_eq!(parse_mills("-12.5"), Ok(-12_500));
        assert_eq!(parse_mills("1.5e+10"), Ok(15_000_000_000_000));
        assert_eq!(parse_mills(".5"), Ok(500));
        assert!(parse_mills("12x").is_err());
        assert!(parse_mills("").is_err());
        assert!(parse_mills("1,000").is_err());
        assert!(parse_mills("99999999999999999999").is_err());
        assert!(parse_mills("-").is_err());
        assert!(parse_mills("1e").is_err());
        assert!(parse_mills("1e400").is_err());
        assert!(parse_mills("1.5e+10x").is_err());
    }

    /// `0.0004` used to become 0 and `0.0005` 0.001 without a word: a figure
    /// with a non-zero digit past the third decimal is refused as
    /// `value_precision` (the row is rejected, naming the column), never rounded.
    #[test]
    fn amounts_finer_than_a_thousandth_are_refused_not_rounded() {
        for v in [
            "0.0004",
            "0.0005",
            "1234.5678",
            "4e-4",
            "1.0000000001",
            "1e-400",
        ] {
            let e = parse_mills(v).unwrap_err();
            assert!(e.loses_digits, "{v}: {e}");
            assert_eq!(e.reason_or("bad_number"), VALUE_PRECISION);
        }
        assert_eq!(
            parse_mills("0.0005").unwrap_err().to_string(),
            "`0.0005` has more than 3 decimals: amounts are kept exactly to 3, and rounding would change the figure"
        );
        let e = parse_mills("12x").unwrap_err();
        assert!(!e.loses_digits);
        assert_eq!(e.reason_or("bad_number"), "bad_number");
        // BACI's thousands of dollars to six decimals are whole thousandths of a dollar.
        assert_eq!(parse_exact("49.5005", 6), Ok(49_500_500));
        assert!(parse_exact("49.5000005", 6).unwrap_err().loses_digits);
        assert_eq!(
            parse_grouped_mills("17,715,334.0005")
                .unwrap_err()
                .to_string(),
            "`17,715,334.0005` has more than 3 decimals: amounts are kept exactly to 3, and rounding would change the figure"
        );
    }

    #[test]
    fn grouped_amounts_and_missing_markers() {
        assert_eq!(parse_grouped_mills("17,715,334"), Ok(17_715_334_000));
        assert_eq!(parse_grouped_mills("315,286"), Ok(315_286_000));
        assert_eq!(parse_grouped_mills("4137"), Ok(4_137_000));
        assert_eq!(parse_grouped_mills("1,234.5"), Ok(1_234_500));
        assert!(parse_grouped_mills("1,2").is_err());
        assert!(parse_grouped_mills("1234,567").is_err());
        assert!(parse_grouped_mills("Kilogram").is_err());
        assert!(is_missing("           NA") && is_missing("?") && is_missing(" "));
        assert!(!is_missing("0"));
    }

    #[test]
    fn ints_bools_floats() {
        assert_eq!(parse_int::<u32>("156"), Ok(156));
        assert_eq!(parse_int::<u32>("156.0"), Ok(156));
        assert!(parse_int::<u32>("1x").is_err());
        assert_eq!(parse_opt_int::<i32>(" "), Ok(None));
        assert_eq!(parse_opt_bool("True"), Ok(Some(true)));
        assert_eq!(parse_opt_bool("0"), Ok(Some(false)));
        assert!(parse_opt_bool("yes").is_err());
        assert_eq!(parse_opt_f64("0.0"), Ok(Some(0.0)));
        assert!(parse_opt_f64("NaN").is_err());
        assert_eq!(strip_bom(b"\xEF\xBB\xBFa"), b"a");
    }
    #[test]
    fn scaled_decimals_and_partial_dates() {
        assert_eq!(parse_scaled("0.123456", 8), Ok(12_345_600));
        assert_eq!(parse_scaled("1.000000005", 8), Ok(100_000_001));
        assert_eq!(parse_scaled("-2", 2), Ok(-200));
        assert_eq!(parse_scaled("41700000", 0), Ok(41_700_000));
        assert!(parse_scaled("1e5", 2).is_err());
        assert_eq!(parse_opt_scaled(" ", 2), Ok(None));
        assert_eq!(
            parse_partial_date("2018-05-17T00:00:00Z"),
            Ok((2018, "2018-05-17".to_string()))
        );
        assert!(parse_partial_date("April 1956").is_err());
    }

    #[test]
    fn counts_with_hedges() {
        assert_eq!(parse_count("24,000"), Ok(24_000));
        assert_eq!(parse_count("24 000"), Ok(24_000));
        assert_eq!(parse_count("24\u{a0}000"), Ok(24_000));
        assert_eq!(parse_count("37000.0"), Ok(37_000));
        assert!(parse_count("24,00").is_err());
        assert!(parse_count("8000.5").unwrap_err().contains("whole number"));
        let q = parse_qualified_count;
        assert_eq!(q("8000"), Ok((8_000, Qualifier::Exact)));
        assert_eq!(q("~8,000"), Ok((8_000, Qualifier::About)));
        assert_eq!(q("About 8,000"), Ok((8_000, Qualifier::About)));
        assert_eq!(q("more than 20,000"), Ok((20_000, Qualifier::MoreThan)));
        assert_eq!(q("over 20,000"), Ok((20_000, Qualifier::MoreThan)));
        assert_eq!(q("almost 24,000"), Ok((24_000, Qualifier::Almost)));
        assert_eq!(q("under 10,000"), Ok((10_000, Qualifier::LessThan)));
        assert_eq!(q("up to 3,000"), Ok((3_000, Qualifier::UpTo)));
        assert_eq!(q("at least 700"), Ok((700, Qualifier::AtLeast)));
        assert_eq!(q("около 34 000"), Ok((34_000, Qualifier::About)));
        assert_eq!(q("<10000"), Ok((10_000, Qualifier::LessThan)));
        let e = q("12,000-15,000").unwrap_err();
        assert!(e.contains("neither a number nor a hedged number"), "{e}");
        assert!(q("overtime 5").is_err());
        assert!(q("about eight thousand")
            .unwrap_err()
            .contains("after the hedge"));
        assert!(q("").is_err());
        assert_eq!(
            parse_partial_date("2017-12-22"),
            Ok((2017, "2017-12-22".into()))
        );
        assert_eq!(parse_partial_date("1967-03"), Ok((1967, "1967-03".into())));
        assert_eq!(parse_partial_date("1985"), Ok((1985, "1985".into())));
        assert!(parse_partial_date("2019-02-29").is_err());
        assert!(parse_partial_date("2017-13").is_err());
        assert!(parse_partial_date("22.12.2017").is_err());
    }
}
