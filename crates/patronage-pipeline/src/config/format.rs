//! What the pipeline file needs to know of a source format: its name, the domain
//! its rows belong to, whether its reader streams the file, which option keys it
//! takes and how they are checked. The formats themselves (with their readers)
//! are declared in `domain/formats/`, one file each, and handed to
//! [`Pipeline::load`](super::Pipeline::load) as a list; this layer never names a
//! format. A source carries only its own format's options: they are built by the
//! format's `options` function and read back by the same format's reader.

use std::any::Any;
use std::fmt::Debug;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use patronage_tables::contracts::{self, TableSpec};
use toml::Spanned;

use super::sheet::RawSheet;

/// What a source feeds: each domain has one canonical table that all its
/// formats normalize into, and its own analysis tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    /// Trade flows (`trade_flows`).
    Trade,
    /// Aid requests, promises, deliveries and payments (`aid_events`).
    Aid,
    /// Workers abroad (`labor_stock`).
    Labor,
    /// The timeline of sanctions, agreements, transport links, visits (`events`).
    Events,
}

impl Domain {
    /// The canonical table the domain's sources normalize into.
    pub fn canonical_table(self) -> &'static TableSpec {
        match self {
            Domain::Trade => &contracts::TRADE_FLOWS,
            Domain::Aid => &contracts::AID_EVENTS,
            Domain::Labor => &contracts::LABOR_STOCK,
            Domain::Events => &contracts::EVENTS,
        }
    }
}

/// A validation failure: the span of the pipeline file it points at, and the
/// message (the caller adds the file and line).
pub type Invalid = (Range<usize>, String);

/// The declaration of a source format, as the pipeline file sees it.
pub struct FormatSpec {
    /// The name used in pipeline files and the manifest.
    pub name: &'static str,
    /// The domain its rows belong to.
    pub domain: Domain,
    /// Whether the reader streams the file itself instead of receiving its bytes
    /// (for files of hundreds of megabytes).
    pub streams: bool,
    /// The option keys of `[[sources]]` it takes; any other is an error naming
    /// its line.
    pub option_keys: &'static [&'static str],
    /// Check the options and build the format's own.
    pub options: fn(&OptionsInput<'_>) -> Result<Parsed, Invalid>,
}

impl Debug for FormatSpec {
    /// The name only: a function's address differs from one process to the next,
    /// and this text is part of a source's fingerprint.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl PartialEq for FormatSpec {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

/// A source's option keys as written, with what checking them needs.
pub struct OptionsInput<'a> {
    /// Source id.
    pub id: &'a str,
    /// Span of the source's `id` (for an option that is missing).
    pub id_span: Range<usize>,
    /// Span of the source's `format`.
    pub format_span: Range<usize>,
    /// The pipeline file's folder; relative paths start here.
    pub dir: &'a Path,
    /// Unit of STOIM.
    pub stoim_unit: Option<&'a Spanned<String>>,
    /// Flow the files hold.
    pub flow: Option<&'a Spanned<String>>,
    /// Period the files cover.
    pub period: Option<&'a Spanned<String>>,
    /// Text encoding.
    pub encoding: Option<&'a Spanned<String>>,
    /// Which rows are kept.
    pub scope: Option<&'a Spanned<String>>,
    /// A release's country code file.
    pub country_codes: Option<&'a Spanned<String>>,
    /// Partner code of a one-partner download.
    pub partner: Option<&'a Spanned<String>>,
    /// Whether FTS flows shared with other locations or years are kept.
    pub shared_boundary: Option<&'a Spanned<String>>,
    /// Where a statistics sheet's table sits and what it covers.
    pub sheet: Option<&'a Spanned<RawSheet>>,
}

impl OptionsInput<'_> {
    /// Every option key written, with its span, in a fixed order.
    pub fn given(&self) -> Vec<(&'static str, Range<usize>)> {
        let text = [
            ("stoim_unit", self.stoim_unit),
            ("flow", self.flow),
            ("period", self.period),
            ("encoding", self.encoding),
            ("scope", self.scope),
            ("country_codes", self.country_codes),
            ("partner", self.partner),
            ("shared_boundary", self.shared_boundary),
        ];
        let mut given: Vec<(&'static str, Range<usize>)> = text
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v.span())))
            .collect();
        if let Some(s) = self.sheet {
            given.push(("sheet", s.span()));
        }
        given
    }
}

/// A format's checked options, and the files its reader consults besides its
/// inputs (a code list), whose content is part of the source's fingerprint.
pub struct Parsed {
    /// The options.
    pub options: FormatOptions,
    /// Files read besides the inputs.
    pub auxiliary: Vec<PathBuf>,
}

impl Parsed {
    /// Options with no auxiliary file.
    pub fn new<T: Debug + Send + Sync + 'static>(options: T) -> Self {
        Parsed {
            options: FormatOptions::new(options),
            auxiliary: Vec::new(),
        }
    }
}

/// The options of a format that takes none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoOptions;

/// Parse the options of a format that takes none (its `option_keys` is empty, so
/// any key given was refused before this is called).
pub fn no_options(_: &OptionsInput<'_>) -> Result<Parsed, Invalid> {
    Ok(Parsed::new(NoOptions))
}

trait AnyOptions: Debug + Send + Sync {
    fn as_any(&self) -> &dyn Any;
}

impl<T: Debug + Send + Sync + 'static> AnyOptions for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// One format's options, of that format's own type. Their `Debug` text is part
/// of the source's fingerprint.
#[derive(Clone)]
pub struct FormatOptions(Arc<dyn AnyOptions>);

impl FormatOptions {
    /// Wrap a format's options.
    pub fn new<T: Debug + Send + Sync + 'static>(options: T) -> Self {
        FormatOptions(Arc::new(options))
    }

    /// The options as the type its format built them with; `None` for another type.
    pub fn get<T: 'static>(&self) -> Option<&T> {
        // Through the `dyn` value: the `Arc` itself is `Debug + Send + Sync` too,
        // and would answer as its own type.
        let options: &dyn AnyOptions = &*self.0;
        options.as_any().downcast_ref::<T>()
    }
}

impl Debug for FormatOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let options: &dyn AnyOptions = &*self.0;
        options.fmt(f)
    }
}
