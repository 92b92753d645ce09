/// The EXIF orientation tag (1–8) of a JPEG file, read from its APP1 segment; 1 when absent.
enum Exif {
    static func jpegOrientation(_ bytes: UnsafeRawBufferPointer) -> Int {
        let n = bytes.count
        func u8(_ i: Int) -> Int { i < n ? Int(bytes[i]) : 0 }
        var i = 2
        while i + 4 <= n {
            if u8(i) != 0xFF { return 1 }
            let marker = u8(i + 1)
            if marker == 0xFF { i += 1; continue }          // fill byte
            if marker == 0xDA || marker == 0xD9 { return 1 } // start of scan / end: no EXIF before
            let length = (u8(i + 2) << 8) | u8(i + 3)
            if length < 2 { return 1 }
            let start = i + 4, end = min(n, i + 2 + length)
            if marker == 0xE1, end - start >= 14,
               u8(start) == 0x45, u8(start + 1) == 0x78, u8(start + 2) == 0x69, u8(start + 3) == 0x66,
               u8(start + 4) == 0, u8(start + 5) == 0 {
                return tiffOrientation(bytes, from: start + 6, to: end) ?? 1
            }
            i += 2 + length
        }
        return 1
    }

    private static func tiffOrientation(_ b: UnsafeRawBufferPointer, from t: Int, to end: Int) -> Int? {
        func u8(_ i: Int) -> Int? { i >= t && i < end ? Int(b[i]) : nil }
        guard let b0 = u8(t), let b1 = u8(t + 1) else { return nil }
        let little: Bool
        if b0 == 0x49 && b1 == 0x49 { little = true } else if b0 == 0x4D && b1 == 0x4D { little = false } else { return nil }
        func u16(_ o: Int) -> Int? {
            guard let a = u8(t + o), let c = u8(t + o + 1) else { return nil }
            return little ? a | (c << 8) : (a << 8) | c
        }
        func u32(_ o: Int) -> Int? {
            guard let lo = u16(little ? o : o + 2), let hi = u16(little ? o + 2 : o) else { return nil }
            return lo | (hi << 16)
        }
        guard let ifd = u32(4), ifd < end - t, let count = u16(ifd) else { return nil }
        for k in 0..<min(count, 512) {
            let e = ifd + 2 + 12 * k
            guard let tag = u16(e) else { return nil }
            if tag == 0x0112 {
                guard let type = u16(e + 2), type == 3, let value = u16(e + 8) else { return nil }
                return (1...8).contains(value) ? value : nil
            }
        }
        return nil
    }
}
