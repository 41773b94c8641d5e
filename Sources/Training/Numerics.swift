import Foundation
import TensorCore

/// How a process computes: the fingerprint of its rounding, and the facts that decide it.
///
/// Same config, seed and numerics give the same bits (DESIGN.md). The numeric environment is
/// not the same everywhere: OpenBLAS picks its kernels per process from `OPENBLAS_CORETYPE` or
/// CPUID, and the environment does not cross ssh, so two ranks of one sweep can round
/// differently. The fingerprint is measured, not inferred from the facts: it is the hash of
/// ``NumericsCanary``'s result bits. Equal fingerprints mean the same kernels in the same order;
/// the facts say why two differ.
public struct Numerics: Codable, Hashable, Sendable {
    /// 16 hex digits of the SHA-256 of the canary's result bits.
    public var fingerprint: String
    /// The CPU's model name (/proc/cpuinfo).
    public var cpu: String
    /// The kernel family OpenBLAS runs (`openblas_get_corename()`).
    public var blasCore: String
    /// `openblas_get_config()`: version, build options, core.
    public var blasConfig: String
    /// The instruction set LMSweep's own kernels were compiled for.
    public var kernelISA: String
    public var version: String
    /// The executable's GNU build id (``BuildIdentity``).
    public var buildID: String
    /// Every `OPENBLAS_*` environment variable set in the process, by name.
    public var blasEnvironment: [String: String]

    enum CodingKeys: String, CodingKey {
        case fingerprint, cpu, blasCore = "blas_core", blasConfig = "blas_config", kernelISA = "kernel_isa"
        case version, buildID = "build_id", blasEnvironment = "blas_environment"
    }

    public init(fingerprint: String, cpu: String, blasCore: String, blasConfig: String, kernelISA: String,
                version: String, buildID: String, blasEnvironment: [String: String]) {
        self.fingerprint = fingerprint; self.cpu = cpu; self.blasCore = blasCore; self.blasConfig = blasConfig
        self.kernelISA = kernelISA; self.version = version; self.buildID = buildID
        self.blasEnvironment = blasEnvironment
    }

    /// This process's numerics, measured once (the canary runs on first use) with the time the
    /// canary took. Measure it after setting the BLAS thread count the runs will use.
    public static let measured: (numerics: Numerics, canarySeconds: Double) = {
        let started = Date()
        let digest = NumericsCanary.digest()
        let seconds = Date().timeIntervalSince(started)
        let hex = digest.prefix(8).map { String(format: "%02x", $0) }.joined()
        let environment = ProcessInfo.processInfo.environment.filter { $0.key.hasPrefix("OPENBLAS_") }
        let numerics = Numerics(fingerprint: hex, cpu: cpuModelName(), blasCore: TensorCore.blasCoreName,
                                blasConfig: TensorCore.blasConfig, kernelISA: TensorCore.kernelISA,
                                version: LMSweepVersion.current, buildID: BuildIdentity.current,
                                blasEnvironment: environment)
        return (numerics, seconds)
    }()

    public static var thisProcess: Numerics { measured.numerics }

    /// The facts as (name, value) pairs, in the order a reader wants them: what most often
    /// differs first.
    public var facts: [(name: String, value: String)] {
        var facts: [(String, String)] = [("OpenBLAS core", blasCore)]
        for name in Set(blasEnvironment.keys).union(["OPENBLAS_CORETYPE"]).sorted() {
            facts.append((name, blasEnvironment[name] ?? "(unset)"))
        }
        facts += [("CPU", cpu), ("OpenBLAS build", blasBuild), ("kernel ISA", kernelISA),
                  ("lmsweep version", version), ("build id", buildID)]
        return facts
    }

    /// The names of the facts whose values are not the same in all of `all`, in facts order.
    public static func differingFacts(_ all: [Numerics]) -> [String] {
        var names: [String] = []
        for numerics in all {
            for fact in numerics.facts where !names.contains(fact.name) { names.append(fact.name) }
        }
        return names.filter { name in Set(all.map { $0.fact(name) }).count > 1 }
    }

    /// `openblas_get_config()` without the core's name (a fact of its own): what two nodes
    /// with the same OpenBLAS build share whichever kernels they pick.
    public var blasBuild: String {
        blasConfig.split(separator: " ").filter { $0.lowercased() != blasCore.lowercased() }.joined(separator: " ")
    }

    /// One fact's value, "(unset)" where this process has none by that name.
    public func fact(_ name: String) -> String { facts.first { $0.name == name }?.value ?? "(unset)" }

    /// "/proc/cpuinfo"'s first `model name`, or the architecture where there is none.
    static func cpuModelName(cpuinfo path: String = "/proc/cpuinfo") -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
              let colon = line.firstIndex(of: ":") else {
            #if arch(x86_64)
            return "x86_64"
            #else
            return "unknown"
            #endif
        }
        return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
}
