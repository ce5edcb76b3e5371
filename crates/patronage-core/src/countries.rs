//! Country registry: numeric trade codes (UN Comtrade / M49 style) to ISO 3166
//! alpha-3, with the years in which each code is valid.
//!
//! The table is generated from the official Comtrade reference lists by
//! `scripts/make_country_registry.py` and compiled into the binary, so a run
//! never depends on files outside the checkout. Historical states keep their
//! own codes (USSR = `SUN` through 1991, Russia = `RUS` from 1992, East Germany
//! `DDR`, Czechoslovakia `CSK`, Yugoslavia `YUG`, South Yemen `YMD`): a
//! registry that folded them into their successors would silently move the
//! DPRK's Cold War trade onto the wrong partner.

use std::collections::HashMap;

/// The generated registry: tab separated `code iso3 name valid_from valid_to kind`.
const COMTRADE_COUNTRIES: &str = include_str!("../data/comtrade_countries.tsv");

/// What a code stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountryKind {
    /// Code 0, the world total.
    World,
    /// A country or territory that exists today.
    Country,
    /// A state that no longer exists (USSR, East Germany, ...).
    Historical,
    /// A "not elsewhere specified" area or a group without an ISO code.
    Area,
}

/// One registry entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Country {
    /// The numeric code as published by the source.
    pub code: u32,
    /// ISO 3166-1 alpha-3 (or `WLD`, or Comtrade's own code for areas).
    pub iso3: String,
    /// Name as in the reference list.
    pub name: String,
    /// First year the code is valid; `None` = open.
    pub valid_from: Option<i32>,
    /// Last year the code is valid; `None` = open.
    pub valid_to: Option<i32>,
    /// What the code stands for.
    pub kind: CountryKind,
}

impl Country {
    /// Whether the code may be used for data about `year`.
    pub fn valid_in(&self, year: i32) -> bool {
        self.valid_from.is_none_or(|f| year >= f) && self.valid_to.is_none_or(|t| year <= t)
    }
}

/// Why a code could not be mapped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// The code is in no reference list.
    #[error("unknown country code {0}")]
    Unknown(u32),
    /// The code exists, but not in that year (a USSR row dated 1995).
    #[error("country code {code} ({iso3}) is valid {from}..={to}, not in {year}")]
    NotValidInYear {
        /// The code looked up.
        code: u32,
        /// What it maps to when valid.
        iso3: String,
        /// The year asked for.
        year: i32,
        /// First valid year, or "open".
        from: String,
        /// Last valid year, or "open".
        to: String,
    },
}

impl LookupError {
    /// A stable reason code for the rejects table.
    pub fn reason(&self) -> &'static str {
        match self {
            LookupError::Unknown(_) => "unknown_country_code",
            LookupError::NotValidInYear { .. } => "country_code_not_valid_in_year",
        }
    }
}

/// A state and the state that continued it under another code, so that a series
/// over time can run across the change and say where it happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Succession {
    /// The earlier state's ISO3.
    pub before: &'static str,
    /// The successor's ISO3.
    pub after: &'static str,
    /// Last year of the earlier state; the successor's codes start the year after.
    pub last_year: i32,
    /// The joint series name, `<before>-<after>`.
    pub series: &'static str,
}

/// Successions the tables join into one series. Only the continuator states are
/// here: the USSR's international obligations passed to Russia (1991-12); the
/// other successor states start series of their own.
pub const SUCCESSIONS: &[Succession] = &[Succession {
    before: "SUN",
    after: "RUS",
    last_year: 1991,
    series: "SUN-RUS",
}];

/// The series `iso3` belongs to: a succession's joint name, else `iso3` itself.
pub fn series_of(iso3: &str) -> &str {
    SUCCESSIONS
        .iter()
        .find(|s| s.before == iso3 || s.after == iso3)
        .map_or(iso3, |s| s.series)
}

/// Numeric code → ISO3 with validity years.
#[derive(Debug, Clone)]
pub struct CountryRegistry {
    by_code: HashMap<u32, Country>,
}

impl CountryRegistry {
    /// The registry compiled from the UN Comtrade reference lists.
    pub fn comtrade() -> &'static CountryRegistry {
        static REGISTRY: std::sync::OnceLock<CountryRegistry> = std::sync::OnceLock::new();
        REGISTRY.get_or_init(|| Self::parse(COMTRADE_COUNTRIES))
    }

    /// Parse the generated table. The data is compiled in and checked by tests, so a
    /// malformed line is a build defect; it is skipped rather than aborting a run.
    fn parse(text: &str) -> CountryRegistry {
        let mut by_code = HashMap::new();
        for line in text.lines().skip(1) {
            if let Some(c) = parse_line(line) {
                by_code.insert(c.code, c);
            }
        }
        CountryRegistry { by_code }
    }

    /// Number of codes known.
    pub fn len(&self) -> usize {
        self.by_code.len()
    }

    /// Whether the registry is empty (it never is once compiled).
    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }

    /// The entry for a code, regardless of year.
    pub fn get(&self, code: u32) -> Option<&Country> {
        self.by_code.get(&code)
    }

    /// The entry for a code in a given year.
    pub fn lookup(&self, code: u32, year: i32) -> Result<&Country, LookupError> {
        let c = self.by_code.get(&code).ok_or(LookupError::Unknown(code))?;
        if c.valid_in(year) {
            Ok(c)
        } else {
            let show = |y: Option<i32>| y.map_or_else(|| "open".to_string(), |y| y.to_string());
            Err(LookupError::NotValidInYear {
                code,
                iso3: c.iso3.clone(),
                year,
                from: show(c.valid_from),
                to: show(c.valid_to),
            })
        }
    }

    /// Whether some code maps to this ISO3 in `year` (SUN through 1991, RUS from
    /// 1992), for sources that write ISO3 codes themselves.
    pub fn iso3_valid_in(&self, iso3: &str, year: i32) -> bool {
        self.by_code
            .values()
            .any(|c| c.iso3 == iso3 && c.valid_in(year))
    }

    /// The lowest country code that maps to `iso3` in `year` (`RUS` → 643 from
    /// 1992): as the UN Comtrade API takes reporters and partners, and for
    /// sources that write ISO3 codes where trade rows carry a numeric one.
    pub fn code_of_iso3(&self, iso3: &str, year: i32) -> Option<u32> {
        self.by_code
            .values()
            .filter(|c| c.iso3 == iso3 && c.valid_in(year))
            .map(|c| c.code)
            .min()
    }

    /// Whether some code maps to this ISO3 (used to validate pipeline files).
    pub fn knows_iso3(&self, iso3: &str) -> bool {
        self.by_code.values().any(|c| c.iso3 == iso3)
    }

    /// The country whose registry name is exactly `name` in `year` (the lowest code
    /// when several are), for sources that name countries instead of coding them.
    pub fn by_name(&self, name: &str, year: i32) -> Option<&Country> {
        self.by_code
            .values()
            .filter(|c| c.name == name && c.valid_in(year) && c.kind == CountryKind::Country)
            .min_by_key(|c| c.code)
    }
}

/// One line of the generated table (tab separated; names hold commas, never tabs).
fn parse_line(line: &str) -> Option<Country> {
    let fields: Vec<String> = line.split('\t').map(str::to_string).collect();
    let [code, iso3, name, from, to, kind] = <[String; 6]>::try_from(fields).ok()?;
    let year = |s: &str| s.parse::<i32>().ok();
    Some(Country {
        code: code.parse().ok()?,
        iso3,
        name,
        valid_from: year(&from),
        valid_to: year(&to),
        kind: match kind.as_str() {
            "world" => CountryKind::World,
            "country" => CountryKind::Country,
            "historical" => CountryKind::Historical,
            _ => CountryKind::Area,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ussr_and_russia_split_at_1992() {
        let r = CountryRegistry::comtrade();
        assert_eq!(r.lookup(810, 1991).unwrap().iso3, "SUN");
        assert_eq!(r.lookup(643, 1992).unwrap().iso3, "RUS");
        assert_eq!(
            r.lookup(810, 1995).unwrap_err().reason(),
            "country_code_not_valid_in_year"
        );
        assert_eq!(
            r.lookup(643, 1991).unwrap_err().reason(),
            "country_code_not_valid_in_year"
        );
        assert!(r.iso3_valid_in("SUN", 1991) && !r.iso3_valid_in("SUN", 1995));
        assert!(r.iso3_valid_in("RUS", 1992) && !r.iso3_valid_in("RUS", 1991));
        assert!(!r.iso3_valid_in("XYZ", 2000));
        assert_eq!(r.code_of_iso3("SUN", 1989), Some(810));
        assert_eq!(r.code_of_iso3("RUS", 2000), Some(643));
        assert_eq!(r.code_of_iso3("SUN", 1995), None);
    }

    #[test]
    fn comtrade_specific_codes_map_to_iso3() {
        let r = CountryRegistry::comtrade();
        for (code, iso3) in [
            (842, "USA"),
            (251, "FRA"),
            (699, "IND"),
            (757, "CHE"),
            (490, "TWN"),
            (0, "WLD"),
            (408, "PRK"),
            (410, "KOR"),
            (156, "CHN"),
            (278, "DDR"),
            (200, "CSK"),
            (890, "YUG"),
            (720, "YMD"),
        ] {
            assert_eq!(r.lookup(code, 1985).unwrap().iso3, iso3, "code {code}");
        }
        assert_eq!(
            r.lookup(999_999, 2000).unwrap_err(),
            LookupError::Unknown(999_999)
        );
        assert_eq!(r.get(899).unwrap().kind, CountryKind::Area);
        assert_eq!(r.get(899).unwrap().iso3, "_X");
        // Every line of the compiled table parsed.
        assert_eq!(r.len(), COMTRADE_COUNTRIES.lines().count() - 1);
    }

    #[test]
    fn names_with_commas_parse() {
        let c = parse_line("490\tTWN\tOther Asia, nes\t\t\tcountry").unwrap();
        assert_eq!(c.name, "Other Asia, nes");
        assert_eq!(c.kind, CountryKind::Country);
        assert!(parse_line("1,2,3").is_none());
    }
}
