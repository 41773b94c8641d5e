import Foundation

/// How the benchmarks time and print: best-of interleaved rounds, resident memory, columns.
public enum Measure {
    /// Best per-call times of several bodies, measured in interleaved rounds after a warm-up. The
    /// minimum is the least disturbed figure on a shared machine, and interleaving the rounds lets
    /// a burst of load from other processes hit every body alike, so their ratio stays meaningful.
    public static func bestSecondsInterleaved(rounds: Int = 7, minRoundSeconds: Double = 0.03, _ bodies: [() -> Void]) -> [Double] {
        for body in bodies { body(); body() }
        var best = [Double](repeating: .infinity, count: bodies.count)
        for _ in 0..<rounds {
            for (index, body) in bodies.enumerated() {
                var calls = 0
                let start = DispatchTime.now().uptimeNanoseconds
                var elapsed: Double = 0
                repeat {
                    body()
                    calls += 1
                    elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
                } while elapsed < minRoundSeconds
                best[index] = min(best[index], elapsed / Double(calls))
            }
        }
        return best
    }

    /// Seconds since `start` (a `DispatchTime` reading in nanoseconds).
    static func seconds(since start: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
    }

    /// Resident set size from /proc/self/statm (Linux); 0 where unavailable.
    public static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count) }
    static func lpad(_ s: String, _ width: Int) -> String { s.count >= width ? " " + s : String(repeating: " ", count: width - s.count) + s }
    static func fixed(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
