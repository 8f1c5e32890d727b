//! The nesting depth of a binary property list, read without building it. The `plist`
//! crate reads any depth, but dropping what it built (even after an error) recurses once
//! per level: a hostile file nested a million levels deep would overflow the stack.
//!
//! Format (Apple's `CFBinaryPList`): `bplist00`, objects, an offset table, and a 32-byte
//! trailer with the sizes of offsets and object references, the object count, the top
//! object and where the offset table starts. Arrays (`0xA`), sets (`0xC`) and dictionaries
//! (`0xD`) refer to other objects; everything else is a leaf.

/// Whether any chain of containers from the top object is more than `max` deep. Whatever
/// cannot be read counts as a leaf: the `plist` crate cannot read it either.
pub fn deeper_than(bytes: &[u8], max: usize) -> bool {
    let Some(t) = Trailer::read(bytes) else { return false };
    // The deepest level each object was explored from: an object reached again at the same
    // depth or shallower has nothing new to say, which bounds the walk by `max` visits per
    // object however much the graph shares.
    let mut seen = vec![usize::MAX; t.objects];
    let mut stack = vec![(t.top, 0usize)];
    while let Some((object, depth)) = stack.pop() {
        if depth > max {
            return true;
        }
        let Some(slot) = seen.get_mut(object) else { continue };
        if *slot != usize::MAX && *slot >= depth {
            continue;
        }
        *slot = depth;
        for child in t.children(bytes, object) {
            stack.push((child, depth + 1));
        }
    }
    false
}

struct Trailer {
    offset_size: usize,
    ref_size: usize,
    objects: usize,
    top: usize,
    table: usize,
}

impl Trailer {
    fn read(bytes: &[u8]) -> Option<Self> {
        if !bytes.starts_with(b"bplist") || bytes.len() < 8 + 32 {
            return None;
        }
        let t = &bytes[bytes.len() - 32..];
        let number = |at: usize| usize::try_from(be(t.get(at..at + 8)?)).ok();
        Some(Trailer {
            offset_size: usize::from(*t.get(6)?),
            ref_size: usize::from(*t.get(7)?),
            objects: number(8)?.min(bytes.len()),
            top: number(16)?,
            table: number(24)?,
        })
    }

    /// Where object `index` starts.
    fn offset(&self, bytes: &[u8], index: usize) -> Option<usize> {
        let at = self.table.checked_add(index.checked_mul(self.offset_size)?)?;
        usize::try_from(be(bytes.get(at..at.checked_add(self.offset_size)?)?)).ok()
    }

    /// The objects a container refers to; empty for leaves and for anything unreadable.
    fn children(&self, bytes: &[u8], index: usize) -> Vec<usize> {
        self.try_children(bytes, index).unwrap_or_default()
    }

    fn try_children(&self, bytes: &[u8], index: usize) -> Option<Vec<usize>> {
        let at = self.offset(bytes, index)?;
        let marker = *bytes.get(at)?;
        let refs_per_entry = match marker >> 4 {
            0xA | 0xC => 1,
            0xD => 2,
            _ => return Some(Vec::new()),
        };
        let (count, start) = match marker & 0x0F {
            0x0F => {
                // The count is an integer object: `0x1n` and 2^n big-endian bytes.
                let int = *bytes.get(at + 1)?;
                let size = 1usize.checked_shl(u32::from(int & 0x0F))?;
                let count = usize::try_from(be(bytes.get(at + 2..at + 2 + size)?)).ok()?;
                (count, at + 2 + size)
            }
            n => (usize::from(n), at + 1),
        };
        let refs = count.checked_mul(refs_per_entry)?;
        let end = start.checked_add(refs.checked_mul(self.ref_size)?)?;
        let data = bytes.get(start..end)?;
        if self.ref_size == 0 {
            return Some(Vec::new());
        }
        Some(data.chunks(self.ref_size).filter_map(|r| usize::try_from(be(r)).ok()).collect())
    }
}

/// A big-endian unsigned number of up to 8 bytes (longer ones do not fit; they read as 0).
fn be(bytes: &[u8]) -> u64 {
    if bytes.len() > 8 {
        return 0;
    }
    bytes.iter().fold(0, |n, b| (n << 8) | u64::from(*b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A binary plist of `depth` nested one-element arrays around `true`.
    fn nested(depth: usize) -> Vec<u8> {
        let mut bytes = b"bplist00".to_vec();
        let mut offsets = Vec::new();
        // Object i is an array holding object i + 1; the last object is `true`.
        for i in 0..depth {
            offsets.push(bytes.len());
            bytes.extend([0xA1]);
            bytes.extend(u32::try_from(i + 1).expect("small").to_be_bytes());
        }
        offsets.push(bytes.len());
        bytes.push(0x09);
        let table = bytes.len();
        for offset in &offsets {
            bytes.extend(u32::try_from(*offset).expect("small").to_be_bytes());
        }
        bytes.extend([0, 0, 0, 0, 0, 0, 4, 4]);
        bytes.extend(u64::try_from(offsets.len()).expect("small").to_be_bytes());
        bytes.extend(0u64.to_be_bytes());
        bytes.extend(u64::try_from(table).expect("small").to_be_bytes());
        bytes
    }

    #[test]
    fn depth_is_measured_as_the_plist_crate_reads_it() {
        let shallow = nested(3);
        let value = plist::Value::from_reader(std::io::Cursor::new(&shallow)).expect("valid binary plist");
        assert!(matches!(value, plist::Value::Array(_)));
        assert!(!deeper_than(&shallow, 3));
        assert!(deeper_than(&shallow, 2));
        assert!(deeper_than(&nested(100_000), 100));
    }

    #[test]
    fn garbage_is_shallow() {
        assert!(!deeper_than(b"bplist00", 1));
        assert!(!deeper_than(&[0xFF; 64], 1));
        let mut cut = nested(10);
        cut.truncate(30);
        assert!(!deeper_than(&cut, 100));
    }
}
