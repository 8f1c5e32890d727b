//! Binary property lists (Apple's `CFBinaryPList`): `bplist00`, objects, an offset table and
//! a 32-byte trailer (sizes of offsets and object references, object count, top object,
//! where the offset table starts). Arrays (`0xA`) and dictionaries (`0xD`) refer to other
//! objects by index, and may share them: the `plist` crate expands every reference, so 40
//! arrays that each hold the next one twice are 2^40 values. Before the crate reads
//! anything, the object graph is walked once, as the crate reads it, to find the expanded
//! number of values and the depth; only a file within [`MAX_DEVICE_FILE_VALUES`] and [`MAX_DEPTH`] is
//! handed to the crate.

use super::{error, start, too_deep, too_many};
use crate::diagnostics::{Code, Diagnostic};
use crate::limits::{MAX_DEPTH, MAX_DEVICE_FILE_VALUES};
use crate::parse::{Entry, Node, Value};
use std::io::Cursor;

/// The tree of a binary plist; no positions (every node is at the start of the file).
pub fn parse(file: &str, bytes: &[u8]) -> Result<Node, Box<Diagnostic>> {
    if !bytes.starts_with(b"bplist00") {
        return Err(Box::new(invalid(file, "only version `bplist00` is read")));
    }
    let trailer = Trailer::read(bytes).map_err(|reason| Box::new(invalid(file, reason)))?;
    match expanded(bytes, &trailer) {
        Ok(_) => {}
        Err(Limit::Values) => return Err(Box::new(too_many(file, start()))),
        Err(Limit::Depth) => return Err(Box::new(too_deep(file, start()))),
        Err(Limit::Invalid(reason)) => return Err(Box::new(invalid(file, reason))),
    }
    let value = plist::Value::from_reader(Cursor::new(bytes)).map_err(|e| Box::new(invalid(file, &e.to_string())))?;
    Ok(to_node(&value, 0))
}

fn invalid(file: &str, reason: &str) -> Diagnostic {
    error(Code::Syntax, format!("not a valid binary property list: {reason}"), file, start())
        .label("the binary plist reader stopped")
        .help("is the file complete? convert it on a Mac with `plutil -convert xml1` to inspect it")
}

/// Why the walk stopped.
#[derive(Debug, PartialEq)]
enum Limit {
    Values,
    Depth,
    Invalid(&'static str),
}

struct Trailer {
    offset_size: usize,
    ref_size: usize,
    objects: usize,
    top: usize,
    table: usize,
    /// Where the trailer starts: objects and the offset table end here.
    end: usize,
}

impl Trailer {
    /// The trailer, checked as the `plist` crate checks it.
    fn read(bytes: &[u8]) -> Result<Trailer, &'static str> {
        if bytes.len() < 8 + 32 {
            return Err("the file is too short for a trailer");
        }
        let end = bytes.len() - 32;
        let t = &bytes[end..];
        let number = |at: usize| usize::try_from(be(&t[at..at + 8]));
        let sizes = [1, 2, 3, 4, 8];
        let (offset_size, ref_size) = (usize::from(t[6]), usize::from(t[7]));
        if !sizes.contains(&offset_size) || !sizes.contains(&ref_size) {
            return Err("the trailer's offset or reference size is not 1, 2, 3, 4 or 8");
        }
        let (Ok(objects), Ok(top), Ok(table)) = (number(8), number(16), number(24)) else {
            return Err("the trailer's numbers are out of range");
        };
        let table_end = objects.checked_mul(offset_size).and_then(|n| n.checked_add(table));
        if table_end.is_none_or(|e| e > end) {
            return Err("the offset table runs past the trailer");
        }
        if top >= objects {
            return Err("the top object is not in the offset table");
        }
        Ok(Trailer { offset_size, ref_size, objects, top, table, end })
    }

    /// Where object `index` starts.
    fn offset(&self, bytes: &[u8], index: usize) -> Result<usize, Limit> {
        let at = self.table + index * self.offset_size;
        let offset = usize::try_from(be(&bytes[at..at + self.offset_size])).unwrap_or(usize::MAX);
        if offset >= self.end {
            return Err(Limit::Invalid("an object starts past the offset table"));
        }
        Ok(offset)
    }

    /// The objects a container refers to (a dictionary's keys, then its values); empty
    /// for anything else. A container that cannot be read is an error: the crate would
    /// stop there too.
    fn children(&self, bytes: &[u8], index: usize) -> Result<Vec<usize>, Limit> {
        const CUT: Limit = Limit::Invalid("an array or dictionary runs past the offset table");
        let at = self.offset(bytes, index)?;
        let marker = bytes[at];
        let per_entry = match marker >> 4 {
            0xA => 1,
            0xD => 2,
            _ => return Ok(Vec::new()),
        };
        let (count, refs_at) = if marker & 0x0F == 0x0F {
            // The count is an integer object: `0x1n` and 2^(n & 3) big-endian bytes.
            let int = *bytes.get(at + 1).ok_or(CUT)?;
            let size = 1usize << (int & 0x03);
            let raw = bytes.get(at + 2..at + 2 + size).ok_or(CUT)?;
            (usize::try_from(be(raw)).map_err(|_| CUT)?, at + 2 + size)
        } else {
            (usize::from(marker & 0x0F), at + 1)
        };
        let len = count.checked_mul(per_entry).and_then(|n| n.checked_mul(self.ref_size)).ok_or(CUT)?;
        let refs_end = refs_at.checked_add(len).filter(|&e| e <= self.end).ok_or(CUT)?;
        let mut out = Vec::with_capacity(count * per_entry);
        for chunk in bytes[refs_at..refs_end].chunks(self.ref_size) {
            let child = usize::try_from(be(chunk)).unwrap_or(usize::MAX);
            if child >= self.objects {
                return Err(Limit::Invalid("an object reference is not in the offset table"));
            }
            out.push(child);
        }
        Ok(out)
    }
}

/// The number of values the top object expands to (each object counted once per reference
/// to it, as the crate reads them), without building anything. A reference cycle is an
/// error (the crate refuses it too); the walk stops as soon as a limit is passed, so it is
/// linear in the size of the file.
fn expanded(bytes: &[u8], t: &Trailer) -> Result<usize, Limit> {
    const NEW: u8 = 0;
    const OPEN: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![NEW; t.objects];
    // Values below each finished object, itself included.
    let mut values = vec![0usize; t.objects];
    // (object, its children, how many of them are summed)
    let mut stack: Vec<(usize, Vec<usize>, usize)> = Vec::new();
    state[t.top] = OPEN;
    stack.push((t.top, t.children(bytes, t.top)?, 0));
    while let Some((object, children, next)) = stack.last_mut() {
        if let Some(&child) = children.get(*next) {
            *next += 1;
            match state[child] {
                DONE => {}
                OPEN => return Err(Limit::Invalid("an object contains itself")),
                _ => {
                    // Every open object is a container one level deeper than its parent.
                    let grandchildren = t.children(bytes, child)?;
                    if grandchildren.is_empty() {
                        state[child] = DONE;
                        values[child] = 1;
                    } else {
                        if stack.len() >= MAX_DEPTH {
                            return Err(Limit::Depth);
                        }
                        state[child] = OPEN;
                        stack.push((child, grandchildren, 0));
                    }
                }
            }
            continue;
        }
        let object = *object;
        let total = children
            .iter()
            .try_fold(1usize, |sum, &c| sum.checked_add(values[c]).filter(|&s| s <= MAX_DEVICE_FILE_VALUES));
        values[object] = total.ok_or(Limit::Values)?;
        state[object] = DONE;
        stack.pop();
    }
    Ok(values[t.top].max(1))
}

/// A big-endian unsigned number of up to 8 bytes.
fn be(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0, |n, b| (n << 8) | u64::from(*b))
}

/// The crate's value as a tree; its depth is bounded by the walk above.
fn to_node(value: &plist::Value, depth: usize) -> Node {
    let value = match value {
        _ if depth > MAX_DEPTH => Value::Null,
        plist::Value::Dictionary(dict) => Value::Map(
            dict.iter()
                .map(|(key, item)| Entry { key: key.clone(), key_span: start(), value: to_node(item, depth + 1) })
                .collect(),
        ),
        plist::Value::Array(items) => Value::Seq(items.iter().map(|item| to_node(item, depth + 1)).collect()),
        plist::Value::Boolean(b) => Value::Bool(*b),
        plist::Value::Integer(i) => match (i.as_signed(), i.as_unsigned()) {
            (Some(i), _) => Value::Int(i),
            (None, Some(u)) => Value::Float(u as f64),
            (None, None) => Value::Null,
        },
        plist::Value::Real(f) => Value::Float(*f),
        plist::Value::String(s) => Value::String(s.clone()),
        plist::Value::Date(d) => Value::String(d.to_xml_format()),
        plist::Value::Data(bytes) => Value::String(format!("<{} bytes of data>", bytes.len())),
        plist::Value::Uid(uid) => Value::Int(i64::try_from(uid.get()).unwrap_or(i64::MAX)),
        _ => Value::Null,
    };
    Node { value, span: start(), raw: None, plain: false }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A binary plist of `count` arrays, each holding the next one `fan` times; the last is
    /// empty. `fan` 2 and `count` 40 describe 2^40 values.
    pub fn shared(count: u8, fan: usize) -> Vec<u8> {
        let mut binary = b"bplist00".to_vec();
        let mut offsets = Vec::new();
        for i in 0..count {
            offsets.push(u8::try_from(binary.len()).expect("small"));
            if i + 1 < count {
                binary.push(0xA0 | u8::try_from(fan).expect("small"));
                binary.extend(std::iter::repeat_n(i + 1, fan));
            } else {
                binary.push(0xA0);
            }
        }
        let table = binary.len() as u64;
        binary.extend(offsets);
        binary.extend([0; 6]);
        binary.extend([1, 1]);
        binary.extend(u64::from(count).to_be_bytes());
        binary.extend(0u64.to_be_bytes());
        binary.extend(table.to_be_bytes());
        binary
    }

    /// `depth` nested one-element arrays around `true`.
    pub fn nested(depth: usize) -> Vec<u8> {
        let mut bytes = b"bplist00".to_vec();
        let mut offsets = Vec::new();
        for i in 0..depth {
            offsets.push(bytes.len());
            bytes.push(0xA1);
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

    fn walk(bytes: &[u8]) -> Result<usize, Limit> {
        let t = Trailer::read(bytes).map_err(Limit::Invalid)?;
        expanded(bytes, &t)
    }

    #[test]
    fn shared_children_count_as_often_as_they_are_referenced() {
        // 1 + 2 + 4 + 8 arrays: the crate reads 15 values.
        assert_eq!(walk(&shared(4, 2)), Ok(15));
        let value = plist::Value::from_reader(Cursor::new(shared(4, 2))).expect("valid");
        let mut count = 0;
        let mut stack = vec![&value];
        while let Some(v) = stack.pop() {
            count += 1;
            if let plist::Value::Array(items) = v {
                stack.extend(items);
            }
        }
        assert_eq!(count, 15);
        assert_eq!(walk(&shared(40, 2)), Err(Limit::Values));
    }

    #[test]
    fn depth_is_measured_as_the_crate_reads_it() {
        assert!(walk(&nested(MAX_DEPTH)).is_ok());
        assert_eq!(walk(&nested(MAX_DEPTH + 1)), Err(Limit::Depth));
        assert_eq!(walk(&nested(100_000)), Err(Limit::Depth));
    }

    #[test]
    fn garbage_is_invalid_not_a_panic() {
        for bytes in [&b"bplist00"[..], &[0xFF; 64], &nested(10)[..30]] {
            assert!(walk(bytes).is_err());
        }
        let mut cycle = shared(2, 1);
        cycle[9] = 0; // the first array holds itself
        assert_eq!(walk(&cycle), Err(Limit::Invalid("an object contains itself")));
    }
}
