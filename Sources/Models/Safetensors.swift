import Foundation
import TensorCore

/// The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of
/// JSON `{name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__":
/// {string: string}}` padded with spaces to a multiple of 8, then the raw little-endian data,
/// offsets relative to the end of the header. Only F32 is written or read: the tensor core is fp32.
public enum Safetensors {
    public struct Tensor: Equatable, Sendable {
        public var name: String
        public var shape: [Int]
        public var values: [Float]
        public init(name: String, shape: [Int], values: [Float]) {
            self.name = name; self.shape = shape; self.values = values
        }
    }

    public struct FormatError: Error, CustomStringConvertible {
        public let path: String
        public let message: String
        public init(path: String, message: String) { self.path = path; self.message = message }
        public var description: String { "\(path): \(message)" }
    }

    /// The file's bytes for `tensors`, in the given order, with optional string metadata.
    public static func encode(_ tensors: [Tensor], metadata: [String: String] = [:]) -> Data {
        var header = "{"
        var entries: [String] = []
        if !metadata.isEmpty {
            let fields = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            entries.append("\"__metadata__\":{\(fields.joined(separator: ","))}")
        }
        var offset = 0
        for t in tensors {
            precondition(t.shape.reduce(1, *) == t.values.count, "\(t.name): shape \(t.shape) does not match \(t.values.count) values")
            let end = offset + 4 * t.values.count
            entries.append("\(jsonString(t.name)):{\"dtype\":\"F32\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        header += entries.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        // One copy per tensor (TensorCore's FloatBytes: unsafe code stays in TensorCore).
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + headerBytes.count + offset)
        appendLittleEndian(UInt64(headerBytes.count), bytes: 8, to: &bytes)
        bytes.append(contentsOf: headerBytes)
        for t in tensors { FloatBytes.append(t.values, to: &bytes) }
        return Data(bytes)
    }

    public static func write(_ tensors: [Tensor], metadata: [String: String] = [:], to path: String) throws {
        try encode(tensors, metadata: metadata).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Reads every tensor (in file order) and the metadata. Any inconsistency is an error naming
    /// the file and the tensor.
    public static func read(path: String) throws -> (tensors: [Tensor], metadata: [String: String]) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw FormatError(path: path, message: "cannot read the file (\(error.localizedDescription))")
        }
        return try decode(data, path: path)
    }

    public static func decode(_ data: Data, path: String = "<memory>") throws -> (tensors: [Tensor], metadata: [String: String]) {
        let bytes = [UInt8](data)
        func fail(_ message: String) -> FormatError { FormatError(path: path, message: "not a valid F32 safetensors file: " + message) }
        guard bytes.count >= 8 else { throw fail("\(bytes.count) bytes, shorter than the 8-byte header length") }
        let headerLength = bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw fail("header length \(headerLength) exceeds the file's \(bytes.count - 8) remaining bytes")
        }
        let dataStart = 8 + Int(headerLength)
        guard let header = try? JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart])) as? [String: Any] else {
            throw fail("the header is not a JSON object")
        }
        var metadata: [String: String] = [:]
        if let m = header["__metadata__"] {
            guard let m = m as? [String: String] else { throw fail("__metadata__ must map strings to strings") }
            metadata = m
        }
        var tensors: [(begin: Int, tensor: Tensor)] = []
        for (name, value) in header where name != "__metadata__" {
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int],
                  offsets.count == 2 else {
                throw fail("tensor '\(name)': needs dtype, shape and data_offsets [begin, end]")
            }
            guard dtype == "F32" else { throw fail("tensor '\(name)': dtype \(dtype); only F32 is supported") }
            let (begin, end) = (offsets[0], offsets[1])
            let dataBytes = bytes.count - dataStart
            // Every field bounded before any arithmetic on it: a header can claim anything.
            var count = 1
            for extent in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: extent)
                guard extent >= 0, !overflow, product <= dataBytes / 4 else {
                    throw fail("tensor '\(name)': shape \(shape) holds more values than the file's \(dataBytes) data bytes")
                }
                count = product
            }
            guard (0...dataBytes).contains(begin), (begin...dataBytes).contains(end), end - begin == 4 * count else {
                throw fail("tensor '\(name)': shape \(shape) and data_offsets [\(begin), \(end)] disagree or run past the file's \(dataBytes) data bytes")
            }
            let values = FloatBytes.floats(bytes, at: dataStart + begin, count: count)
            tensors.append((begin, Tensor(name: name, shape: shape, values: values)))
        }
        return (tensors.sorted { $0.begin < $1.begin }.map(\.tensor), metadata)
    }

    private static func appendLittleEndian(_ value: UInt64, bytes count: Int, to bytes: inout [UInt8]) {
        for i in 0..<count { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }

    private static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
