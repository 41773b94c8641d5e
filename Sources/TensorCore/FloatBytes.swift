/// Float32 values as little-endian bytes and back, one memory copy each way (file formats:
/// safetensors weights and checkpoints). Element-by-element shifts cost about 10 ns per value,
/// a second per 100 MB checkpoint; a copy costs a few milliseconds.
public enum FloatBytes {
    /// Appends `values` to `bytes`, 4 little-endian bytes each.
    public static func append(_ values: [Float], to bytes: inout [UInt8]) {
        #if _endian(little)
        values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #else
        for value in values {
            let bits = value.bitPattern
            for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt32(i)))) }
        }
        #endif
    }

    /// `count` values read from `bytes` at `offset` (the caller has checked the range).
    public static func floats(_ bytes: [UInt8], at offset: Int, count: Int) -> [Float] {
        precondition(offset >= 0 && count >= 0 && offset + 4 * count <= bytes.count, "FloatBytes: range outside the bytes")
        var values = [Float](repeating: 0, count: count)
        #if _endian(little)
        values.withUnsafeMutableBytes { destination in
            bytes.withUnsafeBytes { source in
                destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + 4 * count)]))
            }
        }
        #else
        for i in 0..<count {
            let at = offset + 4 * i
            values[i] = Float(bitPattern: UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24)
        }
        #endif
        return values
    }
}
