//! SHA-256 as the manifests, caches and footers write it: lower-case hex of the
//! digest. One hex encoder serves every digest, so a hash taken in one read
//! ([`HashingReader`]) and one taken of bytes in memory ([`sha256_hex`]) of the
//! same content are the same string.

use sha2::Digest;

/// Lower-case hex of a digest.
fn hex(digest: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(digest.len() * 2);
    for b in digest {
        // Writing to a String cannot fail.
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&sha2::Sha256::digest(bytes))
}

/// Size and hex SHA-256 of a file, read in blocks of 1 MiB (for files too
/// large to hold; large reads keep the system calls a small part of the cost).
pub fn sha256_file(path: &std::path::Path) -> std::io::Result<(u64, String)> {
    sha256_read(std::fs::File::open(path)?)
}

/// Size and hex SHA-256 of the byte slices `parts` yields, in order (a mapped
/// file's windows: hashed where they lie, without a copy).
pub fn sha256_parts<B: AsRef<[u8]>>(
    parts: impl IntoIterator<Item = std::io::Result<B>>,
) -> std::io::Result<(u64, String)> {
    let mut hasher = sha2::Sha256::new();
    let mut bytes = 0u64;
    for part in parts {
        let part = part?;
        hasher.update(part.as_ref());
        bytes += part.as_ref().len() as u64;
    }
    Ok((bytes, hex(&hasher.finalize())))
}

/// Size and hex SHA-256 of what `input` yields, read in blocks of 1 MiB.
pub fn sha256_read(mut input: impl std::io::Read) -> std::io::Result<(u64, String)> {
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        bytes += n as u64;
    }
    Ok((bytes, hex(&hasher.finalize())))
}

/// A reader that counts, and hashes (SHA-256) when asked, what passes through
/// it, so a file read once for its rows is also fingerprinted in that one read.
pub struct HashingReader<R> {
    inner: R,
    hasher: Option<sha2::Sha256>,
    bytes: u64,
}

impl<R> HashingReader<R> {
    /// Count what `inner` yields, and hash it when `hash` is true.
    pub fn new(inner: R, hash: bool) -> Self {
        HashingReader {
            inner,
            hasher: hash.then(sha2::Sha256::new),
            bytes: 0,
        }
    }

    /// Bytes read and, when hashed, their hex SHA-256.
    pub fn finish(self) -> (u64, Option<String>) {
        (self.bytes, self.hasher.map(|h| hex(&h.finalize())))
    }
}

impl<R: std::io::Read> std::io::Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        self.bytes += n as u64;
        Ok(n)
    }
}

/// A writer that counts and hashes (SHA-256) what passes through it, so a file
/// written once is fingerprinted in that one write.
pub struct HashingWriter<W> {
    inner: W,
    hasher: sha2::Sha256,
    bytes: u64,
}

impl<W> HashingWriter<W> {
    /// Count and hash what is written to `inner`.
    pub fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: sha2::Sha256::new(),
            bytes: 0,
        }
    }

    /// The inner writer, the bytes written and their hex SHA-256.
    pub fn finish(self) -> (W, u64, String) {
        (self.inner, self.bytes, hex(&self.hasher.finalize()))
    }
}

impl<W: std::io::Write> std::io::Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    /// SHA-256 of "abc" (FIPS 180-2, appendix B.1), hashed in parts.
    #[test]
    fn parts_hash_as_one() {
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        let parts: [std::io::Result<&[u8]>; 3] = [Ok(b"a"), Ok(b""), Ok(b"bc")];
        assert_eq!(super::sha256_parts(parts).unwrap(), (3, abc.to_string()));
        assert_eq!(super::sha256_hex(b"abc"), abc);
    }

    #[test]
    fn one_read_hashes_as_the_bytes_do() {
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        let want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(super::sha256_hex(b"abc"), want);
        let mut r = super::HashingReader::new(&b"abc"[..], true);
        let mut sink = Vec::new();
        r.read_to_end(&mut sink).unwrap();
        assert_eq!(r.finish(), (3, Some(want.to_string())));
        let mut w = super::HashingWriter::new(Vec::new());
        std::io::Write::write_all(&mut w, b"ab").unwrap();
        std::io::Write::write_all(&mut w, b"c").unwrap();
        assert_eq!(w.finish(), (b"abc".to_vec(), 3, want.to_string()));
    }

    #[test]
    fn a_file_hashes_as_its_bytes_across_read_blocks() {
        // SYNTHETIC bytes spanning three 1 MiB read blocks.
        let bytes: Vec<u8> = (0..(2u32 << 20) + 3).map(|i| (i % 251) as u8).collect();
        let p = std::env::temp_dir().join(format!("patronage-hash-{}.bin", std::process::id()));
        std::fs::write(&p, &bytes).unwrap();
        let (n, sha) = super::sha256_file(&p).unwrap();
        assert_eq!((n, sha), (bytes.len() as u64, super::sha256_hex(&bytes)));
        std::fs::write(&p, b"abc").unwrap();
        assert_eq!(
            super::sha256_file(&p).unwrap().1,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        std::fs::remove_file(&p).unwrap();
    }
}
