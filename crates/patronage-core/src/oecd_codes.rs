//! OECD DAC area codes (the donor and recipient codes of CRS files) to ISO3, from
//! the cited table `data/dac_area_codes.tsv` (740 = PRK, 87 = RUS, 730 = CHN).

use std::collections::BTreeMap;
use std::sync::OnceLock;

const DAC_TSV: &str = include_str!("../data/dac_area_codes.tsv");

/// The ISO3 code of a DAC area code, when the code is a country.
pub fn dac_area_iso3(code: u32) -> Option<&'static str> {
    static MAP: OnceLock<BTreeMap<u32, &'static str>> = OnceLock::new();
    MAP.get_or_init(|| {
        DAC_TSV
            .lines()
            .filter(|l| !l.starts_with('#'))
            .skip(1)
            .filter_map(|l| {
                let (code, iso3) = l.split_once('\t')?;
                Some((code.parse().ok()?, iso3.trim()))
            })
            .collect()
    })
    .get(&code)
    .copied()
}

#[cfg(test)]
mod tests {
    #[test]
    fn dprk_russia_china() {
        assert_eq!(super::dac_area_iso3(740), Some("PRK"));
        assert_eq!(super::dac_area_iso3(87), Some("RUS"));
        assert_eq!(super::dac_area_iso3(730), Some("CHN"));
        assert_eq!(super::dac_area_iso3(9998), None);
    }
}
