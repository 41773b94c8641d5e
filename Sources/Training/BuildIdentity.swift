import Foundation

/// Which build of LMSweep this process runs: the GNU build id the linker stamps into every
/// ELF executable (`readelf -n`), a hash of the code and data it linked. Two hosts that show
/// the same build id run the same bytes; a rebuild, another compiler or another
/// `LMSWEEP_TARGET_CPU` shows another.
public enum BuildIdentity {
    /// This process's build id in hex, or "unknown" where the executable has none (or is not ELF).
    public static let current: String = (try? buildID(ofELF: "/proc/self/exe")) ?? "unknown"

    struct NotELF: Error {}

    /// Reads the `NT_GNU_BUILD_ID` note from the program headers of a 64-bit little-endian ELF
    /// file: only the header, the program header table and the notes are read, not the file.
    static func buildID(ofELF path: String) throws -> String {
        let file = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? file.close() }
        func read(at offset: UInt64, count: Int) throws -> [UInt8] {
            try file.seek(toOffset: offset)
            let bytes = [UInt8](try file.read(upToCount: count) ?? Data())
            guard bytes.count == count else { throw NotELF() }
            return bytes
        }
        let header = try read(at: 0, count: 64)
        // "\x7FELF", 64-bit class, little-endian data.
        guard header[0..<4] == [0x7F, 0x45, 0x4C, 0x46], header[4] == 2, header[5] == 1 else { throw NotELF() }
        let programHeaders = header.littleEndian(at: 0x20, bytes: 8)
        let entrySize = Int(header.littleEndian(at: 0x36, bytes: 2))
        let entryCount = Int(header.littleEndian(at: 0x38, bytes: 2))
        guard entrySize >= 56, entryCount <= 4096 else { throw NotELF() }
        let table = try read(at: programHeaders, count: entrySize * entryCount)
        for index in 0..<entryCount {
            let entry = Array(table[(index * entrySize)..<(index * entrySize + 56)])
            let noteSegment: UInt64 = 4  // PT_NOTE
            guard entry.littleEndian(at: 0, bytes: 4) == noteSegment else { continue }
            let size = Int(entry.littleEndian(at: 32, bytes: 8))
            guard size <= 1 << 20 else { continue }
            let notes = try read(at: entry.littleEndian(at: 8, bytes: 8), count: size)
            if let id = gnuBuildID(inNotes: notes) { return id }
        }
        throw NotELF()
    }

    /// Walks a note segment: (name size, descriptor size, type, name, descriptor), each part
    /// padded to 4 bytes.
    static func gnuBuildID(inNotes notes: [UInt8]) -> String? {
        var at = 0
        func padded(_ n: Int) -> Int { (n + 3) & ~3 }
        while at + 12 <= notes.count {
            let nameSize = Int(notes.littleEndian(at: at, bytes: 4))
            let descriptorSize = Int(notes.littleEndian(at: at + 4, bytes: 4))
            let type = notes.littleEndian(at: at + 8, bytes: 4)
            let name = at + 12, descriptor = name + padded(nameSize)
            guard descriptor + descriptorSize <= notes.count else { return nil }
            let gnuBuildIDType: UInt64 = 3  // NT_GNU_BUILD_ID
            if type == gnuBuildIDType, notes[name..<(name + nameSize)] == [0x47, 0x4E, 0x55, 0] {
                return notes[descriptor..<(descriptor + descriptorSize)].map { String(format: "%02x", $0) }.joined()
            }
            at = descriptor + padded(descriptorSize)
        }
        return nil
    }
}

extension Array where Element == UInt8 {
    /// The unsigned little-endian integer of `bytes` bytes at `offset`.
    func littleEndian(at offset: Int, bytes: Int) -> UInt64 {
        (0..<bytes).reduce(UInt64(0)) { value, i in value | UInt64(self[offset + i]) << (8 * UInt64(i)) }
    }
}
