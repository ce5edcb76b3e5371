//! The stages an aid figure can record, from a request to the money or goods
//! arriving. One vocabulary for archival ledgers (requested, promised, delivered),
//! OCHA FTS (pledge, commitment, paid) and OECD CRS (commitment, disbursement).

/// Where in the life of an aid package a figure sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AidStage {
    /// The recipient asked for it.
    Requested,
    /// The donor announced or promised it.
    Pledged,
    /// The donor bound itself to it (an agreement, a signed commitment).
    Committed,
    /// Goods or services arrived.
    Delivered,
    /// Money was paid out (FTS paid, CRS disbursement).
    Paid,
}

impl AidStage {
    /// Every stage with its name in tables and ledgers.
    pub const ALL: [(AidStage, &'static str); 5] = [
        (AidStage::Requested, "requested"),
        (AidStage::Pledged, "pledged"),
        (AidStage::Committed, "committed"),
        (AidStage::Delivered, "delivered"),
        (AidStage::Paid, "paid"),
    ];

    /// The name used in tables.
    pub fn as_str(self) -> &'static str {
        AidStage::ALL
            .iter()
            .find(|(s, _)| *s == self)
            .map_or("", |(_, n)| n)
    }

    /// The stage named `name`, if any.
    pub fn parse(name: &str) -> Option<AidStage> {
        AidStage::ALL
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(s, _)| *s)
    }

    /// The names, for messages.
    pub fn names() -> String {
        AidStage::ALL.map(|(_, n)| n).join(", ")
    }
}
