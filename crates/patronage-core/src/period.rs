//! Calendar periods: a year-month, and a range of months inside one year.

use std::fmt;
use std::str::FromStr;

/// A calendar month, written `YYYY-MM` in pipeline files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    /// Calendar year.
    pub year: i32,
    /// Month, 1..=12.
    pub month: u32,
}

impl YearMonth {
    /// Months since year 0, so that ranges across years compare and count.
    pub fn ordinal(self) -> i64 {
        i64::from(self.year) * 12 + i64::from(self.month) - 1
    }
}

impl FromStr for YearMonth {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || format!("`{s}` is not a month written YYYY-MM");
        let (y, m) = s.split_once('-').ok_or_else(err)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(err());
        }
        let year = y.parse().map_err(|_| err())?;
        let month = m.parse().map_err(|_| err())?;
        if !(1..=12).contains(&month) {
            return Err(err());
        }
        Ok(YearMonth { year, month })
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The months a figure covers inside one year: 1..=12 for an annual figure, m..=m
/// for a month, 1..=2 for a January–February cumulative figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonthRange {
    /// Calendar year.
    pub year: i32,
    /// First month covered.
    pub first: u32,
    /// Last month covered.
    pub last: u32,
}

impl MonthRange {
    /// A whole year.
    pub fn annual(year: i32) -> Self {
        MonthRange {
            year,
            first: 1,
            last: 12,
        }
    }

    /// The single month, or `None` when the range spans several months.
    pub fn single_month(self) -> Option<u32> {
        (self.first == self.last).then_some(self.first)
    }

    /// Number of months covered.
    pub fn months(self) -> u32 {
        self.last + 1 - self.first
    }
}

impl FromStr for MonthRange {
    type Err = String;
    /// `2019` (the year), `2019-03` (a month) or `2019-01..2019-02` (a published
    /// span, within one year).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.len() == 4 {
            let y: i32 = s
                .parse()
                .map_err(|_| format!("period `{s}`: expected YYYY, YYYY-MM or YYYY-MM..YYYY-MM"))?;
            return Ok(MonthRange::annual(y));
        }
        let (a, b) = s.split_once("..").unwrap_or((s, s));
        let (a, b): (YearMonth, YearMonth) = (a.parse()?, b.parse()?);
        if a.year != b.year || b < a {
            return Err(format!("period `{s}` must run forward within one year"));
        }
        Ok(MonthRange {
            year: a.year,
            first: a.month,
            last: b.month,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_order() {
        let a: YearMonth = "2016-02".parse().unwrap();
        let b: YearMonth = "2017-01".parse().unwrap();
        assert_eq!(b.ordinal() - a.ordinal(), 11);
        assert_eq!(a.to_string(), "2016-02");
        assert!("2016-13".parse::<YearMonth>().is_err());
        assert!("201602".parse::<YearMonth>().is_err());
        assert_eq!(MonthRange::annual(2017).months(), 12);
        assert_eq!(
            MonthRange {
                year: 2017,
                first: 1,
                last: 2
            }
            .single_month(),
            None
        );
    }
}
