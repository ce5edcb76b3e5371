//! Text encodings the agencies publish in: China customs downloads are GB18030,
//! older Russian exports windows-1251, the Comtrade Plus website's CSV exports
//! windows-1252, everything else UTF-8. A file is decoded to UTF-8 before the
//! delimited reader sees it; a file in another encoding than the one declared is
//! an error that says which encoding it is in.

use std::borrow::Cow;
use std::path::Path;

use crate::ExtractError;

/// A declared text encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8 (a byte-order mark is allowed).
    Utf8,
    /// GB18030, China customs' encoding (a superset of GBK and GB2312).
    Gb18030,
    /// windows-1251 (Cyrillic).
    Windows1251,
    /// windows-1252 (Latin-1 and its superset: older BACI and Comtrade lists).
    Windows1252,
}

impl TextEncoding {
    /// Every encoding, with the name used in pipeline files.
    pub const ALL: [(TextEncoding, &'static str); 4] = [
        (TextEncoding::Utf8, "utf-8"),
        (TextEncoding::Gb18030, "gb18030"),
        (TextEncoding::Windows1251, "windows-1251"),
        (TextEncoding::Windows1252, "windows-1252"),
    ];

    /// The name used in pipeline files.
    pub fn as_str(self) -> &'static str {
        TextEncoding::ALL
            .iter()
            .find(|(e, _)| *e == self)
            .map_or("", |(_, n)| n)
    }

    /// The encoding named `name`, if known.
    pub fn from_name(name: &str) -> Option<TextEncoding> {
        TextEncoding::ALL
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(e, _)| *e)
    }

    fn codec(self) -> &'static encoding_rs::Encoding {
        match self {
            TextEncoding::Utf8 => encoding_rs::UTF_8,
            TextEncoding::Gb18030 => encoding_rs::GB18030,
            TextEncoding::Windows1251 => encoding_rs::WINDOWS_1251,
            TextEncoding::Windows1252 => encoding_rs::WINDOWS_1252,
        }
    }

    /// The text when `bytes` are well-formed in this encoding.
    fn strict_decode(self, bytes: &[u8]) -> Option<String> {
        self.codec()
            .decode_without_bom_handling_and_without_replacement(bytes)
            .map(Cow::into_owned)
    }
}

/// `bytes` as UTF-8 when they are, else decoded from `fallback` (for code lists
/// whose releases changed encoding: BACI's V202001 country file is Latin-1).
pub fn utf8_or(bytes: &[u8], fallback: TextEncoding) -> Cow<'_, [u8]> {
    if std::str::from_utf8(bytes).is_ok() {
        return Cow::Borrowed(bytes);
    }
    let (text, _, _) = fallback.codec().decode(bytes);
    Cow::Owned(text.into_owned().into_bytes())
}

/// Decode a file of a format saved as UTF-8 by some tools and as windows-1252 by
/// others (Comtrade's CSV: `comtradeapicall` and pandas write UTF-8, the Comtrade
/// Plus website's `TradeData_*.csv` exports are windows-1252, so "Côte d'Ivoire"
/// and "Türkiye" are one byte each). With an encoding declared, as [`decode`] (a
/// file declared UTF-8 that is not is an error saying to declare windows-1252).
/// Without, the bytes as they are when they are UTF-8, else decoded from
/// windows-1252, which gives every byte a character: a description in either
/// encoding is read, and no row is lost for a column the tables do not use.
pub fn decode_utf8_or_windows_1252<'a>(
    path: &Path,
    bytes: &'a [u8],
    declared: Option<TextEncoding>,
) -> Result<Cow<'a, [u8]>, ExtractError> {
    if let Some(declared) = declared {
        return decode(path, bytes, declared, &[TextEncoding::Windows1252], |_| {
            true
        });
    }
    crate::text::refuse_utf16(path, bytes)?;
    Ok(utf8_or(bytes, TextEncoding::Windows1252))
}

/// Decode `bytes`, declared to be in `declared`, to UTF-8.
///
/// * A file declared GB18030 or windows-1251 whose bytes are UTF-8 (with some
///   non-ASCII text) is an error suggesting `utf-8`: decoding it would turn every
///   non-ASCII character into mojibake without a single failure.
/// * A file declared UTF-8 that is not UTF-8 is an error when one of `candidates`
///   decodes it and `fits` accepts the text (the reader knows what its files
///   contain: `ИМ`/`ЭК` for Russian customs); otherwise it is passed through and
///   the rows with bad bytes become rejects.
/// * A file not well-formed in its declared legacy encoding is an error naming the line.
pub fn decode<'a>(
    path: &Path,
    bytes: &'a [u8],
    declared: TextEncoding,
    candidates: &[TextEncoding],
    fits: impl Fn(&str) -> bool,
) -> Result<Cow<'a, [u8]>, ExtractError> {
    let line_at =
        |offset: usize| 1 + bytes[..offset].iter().filter(|b| **b == b'\n').count() as u64;
    let layout = |line: u64, message: String| ExtractError::Layout {
        path: path.to_path_buf(),
        line,
        message,
    };
    // UTF-16 decodes "successfully" as GB18030 or windows-1251 (into garbage).
    crate::text::refuse_utf16(path, bytes)?;
    let utf8 = std::str::from_utf8(crate::text::strip_bom(bytes));
    match declared {
        TextEncoding::Utf8 => match utf8 {
            Ok(_) => Ok(Cow::Borrowed(bytes)),
            Err(e) => {
                let line =
                    line_at(e.valid_up_to() + (bytes.len() - crate::text::strip_bom(bytes).len()));
                for c in candidates {
                    if let Some(text) = c.strict_decode(bytes) {
                        if fits(&text) {
                            return Err(layout(
                                line,
                                format!(
                                    "the file is not UTF-8 (first bad byte on this line) but reads as {0}: declare encoding = \"{0}\"",
                                    c.as_str()
                                ),
                            ));
                        }
                    }
                }
                Ok(Cow::Borrowed(bytes))
            }
        },
        legacy => {
            if utf8.is_ok() && !bytes.is_ascii() {
                let first = bytes.iter().position(|b| !b.is_ascii()).unwrap_or(0);
                return Err(layout(
                    line_at(first),
                    format!(
                        "the file is UTF-8, not {} as declared (non-ASCII text first on this line): declare encoding = \"utf-8\"",
                        legacy.as_str()
                    ),
                ));
            }
            let (text, _, malformed) = legacy.codec().decode(bytes);
            if malformed {
                // Find the first line that does not decode, to name it.
                let mut offset = 0;
                for l in bytes.split_inclusive(|b| *b == b'\n') {
                    if legacy.strict_decode(l).is_none() {
                        break;
                    }
                    offset += l.len();
                }
                return Err(layout(
                    line_at(offset),
                    format!("bytes that are not {} on this line", legacy.as_str()),
                ));
            }
            Ok(Cow::Owned(text.into_owned().into_bytes()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_encodings_are_named() {
        let p = Path::new("f.csv");
        let gb = b"a,b\n1,\xba\xab\n"; // 韩 in GB18030
        assert_eq!(
            decode(p, gb, TextEncoding::Gb18030, &[], |_| true)
                .unwrap()
                .as_ref(),
            "a,b\n1,韩\n".as_bytes()
        );
        let e = decode(p, "a\n韩\n".as_bytes(), TextEncoding::Gb18030, &[], |_| {
            true
        })
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("f.csv:2: the file is UTF-8, not gb18030"),
            "{e}"
        );
        assert!(e.contains("declare encoding = \"utf-8\""), "{e}");
        let cp1251 = b"NAPR\n\xdd\xca\n"; // ЭК
        let e = decode(
            p,
            cp1251,
            TextEncoding::Utf8,
            &[TextEncoding::Windows1251],
            |t| t.contains("ЭК"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("declare encoding = \"windows-1251\""), "{e}");
        assert!(e.starts_with("f.csv:2:"), "{e}");
        // Not UTF-8 and nothing fits: passed through for row-level rejects.
        assert!(decode(
            p,
            b"a\n\xff\n",
            TextEncoding::Utf8,
            &[TextEncoding::Windows1251],
            |t| t.contains("ЭК")
        )
        .is_ok());
        let e = decode(p, b"a\n\x81\n", TextEncoding::Gb18030, &[], |_| true)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "f.csv:2: bytes that are not gb18030 on this line");
    }

    #[test]
    fn utf8_or_windows_1252() {
        let p = Path::new("TradeData.csv");
        let latin = b"a,b,\n384,C\xf4te d'Ivoire,\n792,T\xfcrkiye,\n";
        let text = decode_utf8_or_windows_1252(p, latin, None).unwrap();
        assert_eq!(
            std::str::from_utf8(&text).unwrap(),
            "a,b,\n384,Côte d'Ivoire,\n792,Türkiye,\n"
        );
        let utf8 = "a\nCôte d'Ivoire\n".as_bytes();
        assert!(matches!(
            decode_utf8_or_windows_1252(p, utf8, None).unwrap(),
            Cow::Borrowed(_)
        ));
        // Declared UTF-8 but windows-1252: an error saying what to declare.
        let e = decode_utf8_or_windows_1252(p, latin, Some(TextEncoding::Utf8))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("TradeData.csv:2:") && e.contains("declare encoding = \"windows-1252\""),
            "{e}"
        );
        let e = decode_utf8_or_windows_1252(p, b"\xff\xfea\x00", None).unwrap_err();
        assert!(e.to_string().contains("UTF-16"), "{e}");
    }
}
