//! `ObjectReader`: reads crossing blocks and seeks give the object's bytes; an
//! object replaced while it is read is an error naming the URL.

use std::io::{Read, Seek, SeekFrom};

use crate::common::{bytes, server};

#[test]
fn reads_crossing_blocks_and_seeks_give_the_bytes() {
    let Some(s3) = server() else { return };
    let store = s3.store().unwrap();
    // SYNTHETIC: 10,007 bytes read in blocks of 1,000 (11 blocks, the last 7 bytes).
    let want = bytes(10_007, 3);
    let url = s3.url("data/blocks.bin");
    store.put(&url, want.clone()).unwrap();

    let mut r = store.reader_with_block(&url, 1_000).unwrap();
    assert_eq!(r.size(), 10_007);
    let mut got = Vec::new();
    // Odd-sized reads, so most cross a block boundary.
    let mut buf = [0u8; 777];
    loop {
        let n = r.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(got, want);

    // Seeks: backwards into an earlier block, from the end, and past the end.
    let mut two = [0u8; 2_500];
    r.seek(SeekFrom::Start(1_500)).unwrap();
    r.read_exact(&mut two).unwrap();
    assert_eq!(&two[..], &want[1_500..4_000]);
    let at = r.seek(SeekFrom::End(-10)).unwrap();
    assert_eq!(at, 9_997);
    let mut tail = Vec::new();
    r.read_to_end(&mut tail).unwrap();
    assert_eq!(tail, &want[9_997..]);
    r.seek(SeekFrom::Current(-3_000)).unwrap();
    let mut mid = [0u8; 100];
    r.read_exact(&mut mid).unwrap();
    assert_eq!(&mid[..], &want[7_007..7_107]);
    r.seek(SeekFrom::Start(20_000)).unwrap();
    assert_eq!(r.read(&mut mid).unwrap(), 0);
    assert!(r.seek(SeekFrom::Current(-30_000)).is_err());

    // The default 8 MiB block over a 9 MiB object: two ranged GETs.
    let big = bytes(9 << 20, 11);
    let url = s3.url("data/big.bin");
    store.put(&url, big.clone()).unwrap();
    let mut all = Vec::new();
    store.reader(&url).unwrap().read_to_end(&mut all).unwrap();
    assert!(all == big, "9 MiB read back differs");
}

#[test]
fn an_object_replaced_while_read_is_an_error_naming_it() {
    let Some(s3) = server() else { return };
    let store = s3.store().unwrap();
    let url = s3.url("data/changing.bin");
    store.put(&url, bytes(3_000, 0)).unwrap();
    let mut r = store.reader_with_block(&url, 1_000).unwrap();
    let mut first = [0u8; 1_000];
    r.read_exact(&mut first).unwrap();
    // Replaced by an object of another size: the next blocks (one may already
    // be fetched ahead) cannot all be the old bytes.
    store.put(&url, bytes(5_000, 1)).unwrap();
    let mut rest = Vec::new();
    let e = r.read_to_end(&mut rest).unwrap_err().to_string();
    assert!(
        e.contains("read s3://patronage-test/data/changing.bin"),
        "{e}"
    );
    assert!(e.contains("changed"), "{e}");
}
