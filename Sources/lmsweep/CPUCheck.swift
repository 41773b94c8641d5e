import Foundation

/// The tensor core is compiled for a CPU family (`LMSWEEP_TARGET_CPU` at build time, AVX2 + FMA by
/// default). On a CPU without those instructions its first kernel would die of SIGILL with no
/// word of why; this check runs first in `main` (this target is compiled for any x86-64) and
/// names what is missing and how to rebuild. Flags come from /proc/cpuinfo; where that is
/// unreadable (not Linux) the check passes.
enum CPUCheck {
    static var requiredFlags: [String] {
        var flags: [String] = []
        #if LMSWEEP_NEEDS_AVX2
        flags += ["avx2", "fma"]
        #endif
        #if LMSWEEP_NEEDS_AVX512
        flags += ["avx512f", "avx512dq", "avx512bw", "avx512vl"]
        #endif
        return flags
    }

    /// The required flags this machine's CPU lacks; empty when it has them all or cannot tell.
    static func missingFlags(cpuinfo path: String = "/proc/cpuinfo") -> [String] {
        guard !requiredFlags.isEmpty, let text = try? String(contentsOfFile: path, encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        let present = Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
        return requiredFlags.filter { !present.contains($0) }
    }

    /// Exits with status 1 and a message on stderr when the CPU lacks what the build assumes.
    static func exitIfUnsupported() {
        let missing = missingFlags()
        guard !missing.isEmpty else { return }
        let host = ProcessInfo.processInfo.hostName
        FileHandle.standardError.write(Data("""
            lmsweep: error: this build's tensor core needs CPU instructions that \(host) lacks: \
            \(missing.joined(separator: ", ")) (/proc/cpuinfo flags). Rebuild on or for this machine with \
            LMSWEEP_TARGET_CPU=baseline (any x86-64) or its CPU name, e.g. \
            `LMSWEEP_TARGET_CPU=baseline swift build -c release`.

            """.utf8))
        exit(1)
    }
}
