//! Source files as they ship: a plain file, a `.gz` file (inflated as it is read,
//! every gzip member in turn, as Comtrade's bulk files come), or a member of a
//! `.zip` file named as a path below the archive (`BACI_HS17_V202401.zip/
//! BACI_HS17_Y2019_V202401.csv`). Every reader opens its input here, so a member
//! or a `.gz` file gives the reader exactly the bytes of the unpacked file, and
//! nothing is unpacked to disk.
//!
//! A damaged archive is an error naming the archive, the member and the offset
//! (in the member's unpacked bytes) where reading stopped; a member's CRC-32 is
//! checked when its last byte is read, so a member that inflates to wrong bytes
//! is an error too, never rows.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::ExtractError;

/// Where a path leads: a file, or a member of a `.zip` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A file of the file system (a `.gz` one is inflated as it is read).
    File(PathBuf),
    /// A member of a `.zip` file: the archive and the member's name in it.
    Member(PathBuf, String),
}

/// Whether `path` names a `.zip` file by its extension.
pub fn is_zip(path: &Path) -> bool {
    has_extension(path, "zip")
}

/// Whether `path` names a `.gz` file by its extension.
pub fn is_gz(path: &Path) -> bool {
    has_extension(path, "gz")
}

fn has_extension(path: &Path, ext: &str) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

/// Where `path` leads: a member when a folder of it is a `.zip` file (the rest of
/// the path is the member's name), else the file itself.
pub fn locate(path: &Path) -> Location {
    if path.is_file() {
        return Location::File(path.to_path_buf());
    }
    let mut archive = path.to_path_buf();
    let mut rest: Vec<String> = Vec::new();
    while let (Some(parent), Some(name)) = (archive.parent(), archive.file_name()) {
        rest.push(name.to_string_lossy().into_owned());
        let parent = parent.to_path_buf();
        if is_zip(&parent) && parent.is_file() {
            rest.reverse();
            return Location::Member(parent, rest.join("/"));
        }
        archive = parent;
    }
    Location::File(path.to_path_buf())
}

/// The name a reader sees for `path`: a member's or file's name without a `.gz`
/// (`x.tsv.gz` reads as `x.tsv`).
pub fn shown_name(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match name.len().checked_sub(3) {
        Some(cut) if is_gz(path) => name[..cut].to_string(),
        _ => name,
    }
}

/// Whether `path` is a file, or a member of a `.zip` file that has it.
pub fn exists(path: &Path) -> bool {
    match locate(path) {
        Location::File(f) => f.is_file(),
        Location::Member(archive, member) => members(&archive).is_ok_and(|m| m.contains(&member)),
    }
}

/// The file that holds `path`: the archive of a member, else the path.
pub fn container(path: &Path) -> PathBuf {
    match locate(path) {
        Location::File(f) => f,
        Location::Member(archive, _) => archive,
    }
}

/// The files of a `.zip` archive, in the archive's order (folders left out).
pub fn members(archive: &Path) -> Result<Vec<String>, ExtractError> {
    let zip = open_zip(archive)?;
    Ok(zip
        .file_names()
        .filter(|n| !n.ends_with('/'))
        .map(str::to_string)
        .collect::<Vec<_>>())
}

/// Open `path` for reading: a file, a `.gz` file inflated, or a `.zip` member
/// inflated; the reader's errors name the archive, member and offset.
pub fn open(path: &Path) -> Result<Box<dyn Read + Send>, ExtractError> {
    match locate(path) {
        Location::File(file) => {
            let f = File::open(&file).map_err(|source| ExtractError::Io {
                path: file.clone(),
                source,
            })?;
            if is_gz(&file) {
                Ok(open_gz(f, &file))
            } else {
                Ok(Box::new(f))
            }
        }
        Location::Member(archive, member) => open_member(&archive, &member),
    }
}

/// Read all of `path` (a file, a `.gz` file or a `.zip` member), unpacked.
pub fn read(path: &Path) -> Result<Vec<u8>, ExtractError> {
    if let Location::File(file) = locate(path) {
        if !is_gz(&file) {
            return std::fs::read(&file).map_err(|source| ExtractError::Io { path: file, source });
        }
    }
    let mut bytes = Vec::new();
    open(path)?
        .read_to_end(&mut bytes)
        .map_err(|source| ExtractError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(bytes)
}

/// The bytes of `reader` inflated as a `.gz` file's are, every gzip member in
/// turn; `shown` (a path or an object URL) names them in errors.
pub fn open_gz<R: Read + Send + 'static>(reader: R, shown: &Path) -> Box<dyn Read + Send> {
    let gz = flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 20, reader));
    Box::new(Damage::new(gz, shown.to_path_buf(), None, None))
}

fn open_zip(archive: &Path) -> Result<zip::ZipArchive<BufReader<File>>, ExtractError> {
    let f = File::open(archive).map_err(|source| ExtractError::Io {
        path: archive.to_path_buf(),
        source,
    })?;
    zip_of(f, archive)
}

fn zip_of<R: Read + Seek>(
    reader: R,
    archive: &Path,
) -> Result<zip::ZipArchive<BufReader<R>>, ExtractError> {
    zip::ZipArchive::new(BufReader::new(reader))
        .map_err(|e| damaged(archive, None, 0, &e.to_string()))
}

/// An archive that cannot be read, as an error naming it.
fn damaged(archive: &Path, member: Option<&str>, offset: u64, what: &str) -> ExtractError {
    ExtractError::Archive {
        path: archive.to_path_buf(),
        member: member.map(str::to_string),
        offset,
        message: what.to_string(),
    }
}

/// A member's bytes inflated as they are read, checked against its CRC-32.
fn open_member(archive: &Path, member: &str) -> Result<Box<dyn Read + Send>, ExtractError> {
    let f = File::open(archive).map_err(|source| ExtractError::Io {
        path: archive.to_path_buf(),
        source,
    })?;
    open_member_in(f, archive, member)
}

/// Member `member` of the `.zip` archive `reader` holds (any reader that
/// seeks: a file, an object read by ranged GETs), inflated as it is read and
/// checked against its CRC-32; `archive` (a path or an object URL) names it in
/// errors.
pub fn open_member_in<R: Read + Seek + Send + 'static>(
    reader: R,
    archive: &Path,
    member: &str,
) -> Result<Box<dyn Read + Send>, ExtractError> {
    let mut zip = zip_of(reader, archive)?;
    let index = zip
        .index_for_name(member)
        .ok_or_else(|| damaged(archive, Some(member), 0, "no such member in the archive"))?;
    let (start, packed, size, crc, method) = {
        let entry = zip
            .by_index_raw(index)
            .map_err(|e| damaged(archive, Some(member), 0, &e.to_string()))?;
        let start = entry.data_start().ok_or_else(|| {
            damaged(
                archive,
                Some(member),
                0,
                "the member's data cannot be located",
            )
        })?;
        (
            start,
            entry.compressed_size(),
            entry.size(),
            entry.crc32(),
            entry.compression(),
        )
    };
    let mut file = zip.into_inner().into_inner();
    file.seek(SeekFrom::Start(start))
        .map_err(|e| damaged(archive, Some(member), 0, &e.to_string()))?;
    let raw = BufReader::with_capacity(1 << 20, file).take(packed);
    let inflated: Box<dyn Read + Send> = match method {
        zip::CompressionMethod::Stored => Box::new(raw),
        zip::CompressionMethod::Deflated => Box::new(flate2::read::DeflateDecoder::new(raw)),
        other => {
            return Err(damaged(
                archive,
                Some(member),
                0,
                &format!("compression method {other:?} is not read (stored and deflate are)"),
            ))
        }
    };
    let checked = Checked {
        inner: inflated,
        crc: flate2::Crc::new(),
        expected_crc: crc,
        expected_size: size,
    };
    Ok(Box::new(Damage::new(
        checked,
        archive.to_path_buf(),
        Some(member.to_string()),
        Some(start),
    )))
}

/// A member's reader that checks its size and CRC-32 at its end.
struct Checked {
    inner: Box<dyn Read + Send>,
    crc: flate2::Crc,
    expected_crc: u32,
    expected_size: u64,
}

impl Read for Checked {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.crc.update(&buf[..n]);
        if n == 0 && !buf.is_empty() {
            let got = u64::from(self.crc.amount());
            if got != self.expected_size && got & 0xffff_ffff != self.expected_size & 0xffff_ffff {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "the member ends after {got} bytes; its header says {}",
                        self.expected_size
                    ),
                ));
            }
            if self.crc.sum() != self.expected_crc {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "CRC-32 {:08x} of the unpacked bytes is not the {:08x} the archive records",
                        self.crc.sum(),
                        self.expected_crc
                    ),
                ));
            }
        }
        Ok(n)
    }
}

/// Counts the unpacked bytes read, and turns a read error into one naming the
/// archive, the member, the offset in its unpacked bytes, and where the
/// member's packed data starts in the archive.
struct Damage<R> {
    inner: R,
    archive: PathBuf,
    member: Option<String>,
    start: Option<u64>,
    offset: u64,
}

impl<R> Damage<R> {
    fn new(inner: R, archive: PathBuf, member: Option<String>, start: Option<u64>) -> Self {
        Damage {
            inner,
            archive,
            member,
            start,
            offset: 0,
        }
    }
}

impl<R: Read> Read for Damage<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.offset += n as u64;
                Ok(n)
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                let what = match self.start {
                    Some(start) => format!(
                        "{e} (the member's packed data starts at byte {start} of the archive)"
                    ),
                    None => e.to_string(),
                };
                let error = damaged(&self.archive, self.member.as_deref(), self.offset, &what);
                Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    error.to_string(),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_with(dir: &Path, members: &[(&str, &[u8])]) -> PathBuf {
        let path = dir.join("release.zip");
        let mut w = zip::ZipWriter::new(File::create(&path).unwrap());
        for (name, bytes) in members {
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            w.start_file(*name, opts).unwrap();
            w.write_all(bytes).unwrap();
        }
        w.finish().unwrap();
        path
    }

    #[test]
    fn a_member_and_a_gz_read_as_the_unpacked_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let body: Vec<u8> = (0..200_000u32)
            .flat_map(|i| format!("{i},x\n").into_bytes())
            .collect();
        let zip = zip_with(dir.path(), &[("a.csv", b"t\n1\n"), ("b.csv", &body)]);
        assert_eq!(members(&zip).unwrap(), ["a.csv", "b.csv"]);
        assert_eq!(read(&zip.join("b.csv")).unwrap(), body);
        assert_eq!(read(&zip.join("a.csv")).unwrap(), b"t\n1\n");
        let gz = dir.path().join("b.csv.gz");
        let mut enc = flate2::write::GzEncoder::new(File::create(&gz).unwrap(), Default::default());
        enc.write_all(&body).unwrap();
        enc.finish().unwrap();
        assert_eq!(read(&gz).unwrap(), body);
        assert_eq!(shown_name(&gz), "b.csv");
        assert_eq!(
            locate(&zip.join("b.csv")),
            Location::Member(zip.clone(), "b.csv".into())
        );
    }

    #[test]
    fn a_damaged_member_names_archive_member_and_offset() {
        let dir = tempfile::tempdir().unwrap();
        let body: Vec<u8> = (0..100_000u32)
            .flat_map(|i| format!("{i},{}\n", i * 7919 % 1000).into_bytes())
            .collect();
        let zip = zip_with(dir.path(), &[("b.csv", &body)]);
        let mut bytes = std::fs::read(&zip).unwrap();
        // The member's data starts after its 30-byte local header and its name.
        for b in &mut bytes[30 + 5 + 2000..30 + 5 + 2100] {
            *b ^= 0x5a;
        }
        std::fs::write(&zip, &bytes).unwrap();
        let e = read(&zip.join("b.csv")).unwrap_err().to_string();
        assert!(
            e.contains("release.zip") && e.contains("member `b.csv`"),
            "{e}"
        );
        let offset: u64 = e
            .split("at byte ")
            .nth(1)
            .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no offset in {e}"));
        assert!(offset < body.len() as u64, "{e}");
        // Its packed data starts after the 30-byte local header and the name.
        assert!(e.contains("starts at byte 35 of the archive"), "{e}");
    }
}
