//! Currencies and prices: historical exchange rates to the US dollar (Soviet
//! rubles before and after the 1961 redenomination, yuan before and after 1955)
//! and the annual US consumer price index, both from cited tables in `data/`.
//! A conversion that the tables cannot support returns a reason, never a guess.

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The exchange-rate table: `currency from_year to_year units_per_usd source`.
const FX_TSV: &str = include_str!("../data/fx_usd.tsv");
/// The price index table: `year cpi_u`.
const CPI_TSV: &str = include_str!("../data/us_cpi.tsv");

/// Dollars from exact thousandths of a dollar, as output columns write money
/// (trade values are carried in thousandths and summed as integers).
pub fn usd_from_mills(mills: i128) -> f64 {
    mills as f64 / 1000.0
}

/// One exchange rate, valid for a span of years.
#[derive(Debug, Clone, PartialEq)]
pub struct FxRate {
    /// Currency code (ISO 4217, or `RUB_1947` / `CNY_1948` for pre-reform units).
    pub currency: String,
    /// First year the rate applies to.
    pub from_year: i32,
    /// Last year the rate applies to.
    pub to_year: i32,
    /// Units of the currency one US dollar buys.
    pub units_per_usd: f64,
    /// Where the rate was published.
    pub source: String,
}

/// Why an amount has no US dollar value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversionGap {
    /// The currency is not in the rate table at all.
    UnknownCurrency,
    /// The currency is known, but no rate covers that year (e.g. new rubles in 1956).
    NoRateForYear,
    /// The price index has no value for the year (or the base year).
    NoPriceIndex,
}

impl ConversionGap {
    /// Stable reason code, as written into tables.
    pub fn reason(self) -> &'static str {
        match self {
            ConversionGap::UnknownCurrency => "unknown_currency",
            ConversionGap::NoRateForYear => "no_fx_rate_for_year",
            ConversionGap::NoPriceIndex => "no_price_index_for_year",
        }
    }
}

/// Exchange rates and the price index, loaded once.
#[derive(Debug)]
pub struct MoneyTables {
    rates: Vec<FxRate>,
    cpi: BTreeMap<i32, f64>,
}

/// Data lines of a TSV table: comments (`#`) and the header skipped.
fn data_lines(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .skip(1)
        .map(|l| l.split('\t').collect())
}

impl MoneyTables {
    /// The tables compiled into the tool.
    pub fn builtin() -> &'static MoneyTables {
        static TABLES: OnceLock<MoneyTables> = OnceLock::new();
        TABLES.get_or_init(|| {
            let rates = data_lines(FX_TSV)
                .filter_map(|f| {
                    Some(FxRate {
                        currency: f.first()?.to_string(),
                        from_year: f.get(1)?.parse().ok()?,
                        to_year: f.get(2)?.parse().ok()?,
                        units_per_usd: f.get(3)?.parse().ok()?,
                        source: f.get(4)?.to_string(),
                    })
                })
                .collect();
            let cpi = data_lines(CPI_TSV)
                .filter_map(|f| Some((f.first()?.parse().ok()?, f.get(1)?.parse().ok()?)))
                .collect();
            MoneyTables { rates, cpi }
        })
    }

    /// Every rate, in table order.
    pub fn rates(&self) -> &[FxRate] {
        &self.rates
    }

    /// Whether the currency appears in the rate table.
    pub fn knows_currency(&self, currency: &str) -> bool {
        self.rates.iter().any(|r| r.currency == currency)
    }

    /// The rate for a currency in a year.
    pub fn rate(&self, currency: &str, year: i32) -> Result<&FxRate, ConversionGap> {
        if !self.knows_currency(currency) {
            return Err(ConversionGap::UnknownCurrency);
        }
        self.rates
            .iter()
            .find(|r| r.currency == currency && (r.from_year..=r.to_year).contains(&year))
            .ok_or(ConversionGap::NoRateForYear)
    }

    /// The price index for a year.
    pub fn cpi(&self, year: i32) -> Option<f64> {
        self.cpi.get(&year).copied()
    }

    /// Factor that turns current dollars of `year` into constant dollars of `base_year`.
    pub fn deflator(&self, year: i32, base_year: i32) -> Result<f64, ConversionGap> {
        match (self.cpi(year), self.cpi(base_year)) {
            (Some(y), Some(b)) => Ok(b / y),
            _ => Err(ConversionGap::NoPriceIndex),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rubles_and_yuan_around_their_reforms() {
        let t = MoneyTables::builtin();
        assert_eq!(t.rate("RUB_1947", 1956).unwrap().units_per_usd, 4.0);
        assert_eq!(t.rate("SUR", 1967).unwrap().units_per_usd, 0.9);
        // Old rubles after the reform, new rubles before it: no rate, no guess.
        assert_eq!(t.rate("RUB_1947", 1961), Err(ConversionGap::NoRateForYear));
        assert_eq!(t.rate("SUR", 1956), Err(ConversionGap::NoRateForYear));
        // Gosbank's official rates of 1985-1990 (CIA World Factbook 1991); none
        // between 1972 and 1984, nor for 1991.
        assert_eq!(t.rate("SUR", 1985).unwrap().units_per_usd, 0.838);
        assert_eq!(t.rate("SUR", 1988).unwrap().units_per_usd, 0.629);
        assert_eq!(t.rate("SUR", 1989).unwrap().units_per_usd, 0.629);
        assert_eq!(t.rate("SUR", 1990).unwrap().units_per_usd, 0.58);
        assert_eq!(t.rate("SUR", 1980), Err(ConversionGap::NoRateForYear));
        assert_eq!(t.rate("SUR", 1991), Err(ConversionGap::NoRateForYear));
        assert_eq!(t.rate("CNY", 1960).unwrap().units_per_usd, 2.4618);
        assert_eq!(t.rate("CNY_1948", 1953).unwrap().units_per_usd, 26_170.0);
        assert_eq!(t.rate("CNY_1948", 1951), Err(ConversionGap::NoRateForYear));
        assert_eq!(t.rate("XYZ", 1960), Err(ConversionGap::UnknownCurrency));
    }

    #[test]
    fn price_index_deflates() {
        let t = MoneyTables::builtin();
        assert_eq!(t.cpi(1967), Some(33.4));
        // 1 dollar of 1967 in 2020 dollars: 258.811 / 33.4.
        let f = t.deflator(1967, 2020).unwrap();
        assert!((f - 258.811 / 33.4).abs() < 1e-12);
        assert_eq!(t.deflator(1900, 2020), Err(ConversionGap::NoPriceIndex));
        assert_eq!(t.cpi.len(), 74);
    }
}
