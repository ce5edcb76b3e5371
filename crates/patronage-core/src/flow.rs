//! Trade flow directions, as seen from the reporting country.

use std::fmt;

/// A trade flow as the reporter records it. Comtrade's other flow codes (domestic
/// exports, foreign imports, processing trade) are subsets or re-cuts of these and
/// are dropped at normalization, counted by reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Flow {
    /// Goods entering the reporter (Comtrade M, legacy 1).
    Import,
    /// Goods leaving the reporter (Comtrade X, legacy 2).
    Export,
    /// Goods re-imported in the same state (Comtrade RM, legacy 4).
    ReImport,
    /// Foreign goods exported again (Comtrade RX, legacy 3).
    ReExport,
    /// Imports plus exports, as customs agencies publish a turnover (China
    /// customs' "import and export" query). Never used by the mirror tables,
    /// which need each direction; compared across sources in `source_comparison`.
    Total,
}

impl Flow {
    /// The name written in tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Flow::Import => "import",
            Flow::Export => "export",
            Flow::ReImport => "re_import",
            Flow::ReExport => "re_export",
            Flow::Total => "total",
        }
    }

    /// Map a Comtrade v1 flow code; `None` for codes the tables do not carry.
    pub fn from_comtrade_v1(code: &str) -> Option<Flow> {
        match code.trim() {
            "M" => Some(Flow::Import),
            "X" => Some(Flow::Export),
            "RM" => Some(Flow::ReImport),
            "RX" => Some(Flow::ReExport),
            _ => None,
        }
    }

    /// Map a legacy Comtrade "Trade Flow Code": 1 import, 2 export, 3 re-export,
    /// 4 re-import; `None` for any other code.
    pub fn from_comtrade_legacy(code: u32) -> Option<Flow> {
        match code {
            1 => Some(Flow::Import),
            2 => Some(Flow::Export),
            3 => Some(Flow::ReExport),
            4 => Some(Flow::ReImport),
            _ => None,
        }
    }

    /// How Comtrade values the flow: imports CIF, exports FOB; a total of both is
    /// `mixed`.
    pub fn valuation(self) -> &'static str {
        match self {
            Flow::Import | Flow::ReImport => "CIF",
            Flow::Export | Flow::ReExport => "FOB",
            Flow::Total => "mixed",
        }
    }
}

impl fmt::Display for Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comtrade_codes() {
        assert_eq!(Flow::from_comtrade_v1("M"), Some(Flow::Import));
        assert_eq!(Flow::from_comtrade_v1("RX"), Some(Flow::ReExport));
        assert_eq!(Flow::from_comtrade_v1("DX"), None);
        assert_eq!(Flow::Import.valuation(), "CIF");
    }
}
