//! The labor vocabulary: what a figure of workers measures, the sector it covers,
//! how exactly it was published ("about", "more than"...), and the kinds of events
//! the timeline records. Measures differ in kind (permits issued in a year, workers
//! present on a date, quotas, border entries, press estimates) and are never added
//! together; the closed lists here are what the readers accept and the tables hold.

use std::fmt;

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $what:literal, { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, with the name used in files and tables.
            pub const ALL: &'static [($name, &'static str)] = &[$(($name::$variant, $text)),+];

            /// The name used in files and tables.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Parse a name; the error lists the names there are.
            pub fn parse(s: &str) -> Result<Self, String> {
                let t = s.trim();
                Self::ALL
                    .iter()
                    .find(|(_, n)| *n == t)
                    .map(|(v, _)| *v)
                    .ok_or_else(|| {
                        let known: Vec<&str> = Self::ALL.iter().map(|(_, n)| *n).collect();
                        format!(concat!("unknown ", $what, " `{}`; known: {}"), t, known.join(", "))
                    })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary!(
    /// What a number of workers counts. Two different measures are never summed.
    Measure, "measure", {
        /// Work permits (or work visas) issued during the year: a flow.
        WorkPermitsIssued => "work_permits_issued",
        /// Workers present on a date (`as_of`): a stock.
        WorkersPresent => "workers_present",
        /// Workers a quota allows for the year.
        Quota => "quota",
        /// Border entries or arrivals during the year: a flow.
        Entries => "entries",
        /// An estimate of workers present whose basis the source does not state
        /// (officials' or press figures of unclear kind).
        Estimate => "estimate",
    }
);

impl Measure {
    /// True for measures that count people present on a date (several dates in a
    /// year are alternatives, never summed); false for counts over the year.
    pub fn is_stock(self) -> bool {
        matches!(self, Measure::WorkersPresent | Measure::Estimate)
    }
}

vocabulary!(
    /// The sector a figure covers; `all` when the source gives no breakdown.
    Sector, "sector", {
        /// Logging and timber processing.
        Timber => "timber",
        /// Construction.
        Construction => "construction",
        /// Agriculture.
        Agriculture => "agriculture",
        /// Fishing and fish processing.
        Fishing => "fishing",
        /// Named sectors outside the four above, or a mix of them.
        Other => "other",
        /// Every sector together.
        All => "all",
    }
);

vocabulary!(
    /// How a figure was published: exactly, or hedged. The number is kept as
    /// published and the hedge beside it, never folded into the number.
    Qualifier, "qualifier", {
        /// A plain number.
        Exact => "exact",
        /// "about", "around", "~", "some", "roughly".
        About => "about",
        /// "more than", "over", ">".
        MoreThan => "more_than",
        /// "at least", ">=".
        AtLeast => "at_least",
        /// "almost", "nearly".
        Almost => "almost",
        /// "under", "less than", "fewer than", "<".
        LessThan => "less_than",
        /// "up to", "<=".
        UpTo => "up_to",
    }
);

vocabulary!(
    /// What kind of event a timeline row is.
    EventKind, "event kind", {
        /// A sanctions resolution or measure, or one of its deadlines.
        Sanction => "sanction",
        /// An agreement between governments.
        Agreement => "agreement",
        /// A transport link opened or closed.
        Transport => "transport",
        /// A leader's or official's visit.
        Visit => "visit",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_list_the_known() {
        for (m, n) in Measure::ALL {
            assert_eq!(Measure::parse(n), Ok(*m));
            assert_eq!(m.as_str(), *n);
        }
        let e = Measure::parse("workers").unwrap_err();
        assert!(
            e.starts_with("unknown measure `workers`; known: work_permits_issued"),
            "{e}"
        );
        assert_eq!(Sector::parse(" timber "), Ok(Sector::Timber));
        assert!(EventKind::parse("summit").is_err());
        assert!(Measure::WorkersPresent.is_stock());
        assert!(!Measure::WorkPermitsIssued.is_stock());
    }
}
