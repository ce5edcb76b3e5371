//! Field parsers shared by every reader: numbers, money, booleans, byte-order
//! marks. Each returns a message naming what it expected, which the caller turns
//! into a reject naming the column.

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

/// Parse a decimal amount into thousandths (mills), exactly: `4982.402` →
/// `4_982_402`. Summing integers keeps totals independent of order and thread
/// count. Digits past the third decimal are rounded half away from zero; a value
/// in exponent notation (`1.5e+10`) goes through `f64` and is rounded to the mill.
pub fn parse_mills(s: &str) -> Result<i64, String> {
    let t = s.trim();
    let bad = || format!("`{t}` is not a number");
    if t.is_empty() {
        return Err("empty, a number is required".to_string());
    }
    if t.contains(['e', 'E']) {
        let v: f64 = t.parse().map_err(|_| bad())?;
        let m = (v * 1000.0).round();
        if !m.is_finite() || m.abs() > 9.0e15 {
            return Err(format!("`{t}` is out of range"));
        }
        return Ok(m as i64);
    }
    let (neg, body) = match t.as_bytes()[0] {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let mut mills: i64 = 0;
    for b in int.bytes() {
        mills = mills
            .checked_mul(10)
            .and_then(|m| m.checked_add(i64::from(b - b'0')))
            .ok_or_else(|| format!("`{t}` is out of range"))?;
    }
    let mut f = frac.bytes().map(|b| i64::from(b - b'0'));
    let mut thousandths = 0;
    for _ in 0..3 {
        thousandths = thousandths * 10 + f.next().unwrap_or(0);
    }
    let round_up = f.next().is_some_and(|d| d >= 5);
    mills = mills
        .checked_mul(1000)
        .and_then(|m| m.checked_add(thousandths + i64::from(round_up)))
        .filter(|m| *m <= 9_000_000_000_000_000)
        .ok_or_else(|| format!("`{t}` is out of range"))?;
    Ok(if neg { -mills } else { mills })
}

/// Parse an optional float; empty means absent.
pub fn parse_opt_f64(s: &str) -> Result<Option<f64>, String> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        _ => Err(format!("`{t}` is not a number")),
    }
}

/// Parse a required integer.
pub fn parse_int<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("empty, an integer is required".to_string());
    }
    // JSON and pandas write integers as floats ("156.0"); accept a zero fraction.
    let t = t.strip_suffix(".0").unwrap_or(t);
    t.parse()
        .map_err(|_| format!("`{}` is not an integer", s.trim()))
}

/// Parse an optional integer; empty means absent.
pub fn parse_opt_int<T: std::str::FromStr>(s: &str) -> Result<Option<T>, String> {
    if s.trim().is_empty() {
        Ok(None)
    } else {
        parse_int(s).map(Some)
    }
}

/// Parse a boolean written 0/1, true/false or True/False; empty means absent.
pub fn parse_opt_bool(s: &str) -> Result<Option<bool>, String> {
    match s.trim() {
        "" => Ok(None),
        "1" | "true" | "True" | "TRUE" => Ok(Some(true)),
        "0" | "false" | "False" | "FALSE" => Ok(Some(false)),
        t => Err(format!("`{t}` is not a boolean (0/1, true/false)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mills_are_exact() {
        assert_eq!(parse_mills("4982.402"), Ok(4_982_402));
        assert_eq!(parse_mills("6804128143.0"), Ok(6_804_128_143_000));
        assert_eq!(parse_mills("19500000"), Ok(19_500_000_000));
        assert_eq!(parse_mills("0.0005"), Ok(1));
        assert_eq!(parse_mills("0.0004"), Ok(0));
        assert_eq!(parse_mills("-12.5"), Ok(-12_500));
        assert_eq!(parse_mills("1.5e+10"), Ok(15_000_000_000_000));
        assert_eq!(parse_mills(".5"), Ok(500));
        assert!(parse_mills("12x").is_err());
        assert!(parse_mills("").is_err());
        assert!(parse_mills("1,000").is_err());
        assert!(parse_mills("99999999999999999999").is_err());
        assert!(parse_mills("-").is_err());
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
}
