//! Structured values read off the fuzzer's bytes. Past the end every read
//! gives zero or an empty string, so any input is a valid one.

pub(crate) struct Bytes<'a> {
    data: &'a [u8],
}

impl<'a> Bytes<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((b, rest)) => {
                self.data = rest;
                *b
            }
            None => 0,
        }
    }

    pub fn bool(&mut self) -> bool {
        self.byte() & 1 == 1
    }

    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        match n {
            0 => 0,
            1..=256 => usize::from(self.byte()) % n,
            257..=65536 => usize::from(self.u16()) % n,
            _ => self.u32() as usize % n,
        }
    }

    /// A number in `lo..=hi`.
    pub fn in_range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = u64::try_from(hi - lo).unwrap_or(0) + 1;
        let raw = u64::from(self.u32()) << 16 | u64::from(self.u16());
        lo + i64::try_from(raw % span).unwrap_or(0)
    }

    /// A string of up to 255 bytes, invalid UTF-8 replaced (U+FFFD).
    pub fn string(&mut self) -> String {
        let len = usize::from(self.byte()).min(self.data.len());
        let (s, rest) = self.data.split_at(len);
        self.data = rest;
        String::from_utf8_lossy(s).into_owned()
    }

    /// `None` or a string.
    pub fn opt_string(&mut self) -> Option<String> {
        self.bool().then(|| self.string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_past_the_end_as_zeros() {
        let mut b = Bytes::new(&[3, b'a', 0xff, b'c', 7]);
        assert_eq!(b.string(), "a\u{fffd}c");
        assert_eq!(b.byte(), 7);
        assert_eq!(b.byte(), 0);
        assert_eq!(b.string(), "");
        assert_eq!(b.in_range(-5, 5), -5);
        assert_eq!(b.below(0), 0);
    }
}
