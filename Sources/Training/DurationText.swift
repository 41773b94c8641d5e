/// Durations for people: `42s`, `3m07s`, `2h05m` (progress lines, ETAs, plans).
public func durationText(_ seconds: Double) -> String {
    let s = seconds.isFinite ? Int(max(0, seconds).rounded()) : 0
    if s >= 3600 { return "\(s / 3600)h" + String(format: "%02d", s % 3600 / 60) + "m" }
    if s >= 60 { return "\(s / 60)m" + String(format: "%02d", s % 60) + "s" }
    return "\(s)s"
}
