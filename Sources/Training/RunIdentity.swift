import Foundation

/// A run's identity: 16 hex digits of the FNV-1a 64-bit hash of its canonical encoding.
/// Resume, dedupe and merge all follow from it, and journals hold it, so it never changes for
/// a run that already exists.
///
/// **The canonical encoding, version 1.** The canonical config (``Run/config``) as one compact
/// JSON object: its keys sorted (bytewise), each value as `JSONEncoder` writes it, keys whose
/// value is absent left out (an absent key means "does not apply"). Every key of
/// ``version1Keys`` that the config sets is written.
///
/// **Keys added later** are written only when they differ from the value they stand at in every
/// earlier run (``laterKeyDefaults``), so adding a field at its default changes no id. A key
/// that is in neither list is a programming error that a test catches before it can change ids.
public enum RunIdentity {
    /// The run-config keys when ids were first computed; each is written whenever it is set.
    public static let version1Keys: Set<String> = [
        "dataset", "convention", "max_train_tokens", "arch", "context", "d_model", "heads", "depth", "ffn_width",
        "hidden_width", "hidden", "dropout", "positions", "norm", "tied_head", "objective", "optimizer", "lr",
        "weight_decay", "beta1", "beta2", "momentum", "schedule", "warmup_steps", "grad_clip", "batch_size", "seed",
        "epochs", "windows_per_epoch", "token_budget", "flop_budget", "max_steps", "eval_every", "eval_mode",
        "eval_windows", "eval_stride", "restore_best",
    ]

    /// Keys added since version 1, each with its JSON value in runs from before it existed:
    /// at that value it is left out of the encoding.
    public static let laterKeyDefaults: [String: String] = [
        // A text corpus's keys: absent from every config before them, never `null` when set.
        "text_path": "null", "text_sha256": "null", "tokenizer": "null",
        // Absent unless a FLOP-budget run is sized to its budget (canonical form never holds false).
        "size_to_budget": "null",
        // Absent unless a block is the study's own (canonical form never holds `standard`).
        "block_style": "null",
    ]

    /// Keys that say how a run is carried out or kept, never what it computes
    /// (`checkpoint_every`, `save_weights`): never written, so setting one changes no id.
    public static let operationalKeys: Set<String> = ["checkpoint_every", "save_weights"]

    /// The bytes an id hashes, for a canonical config.
    public static func canonicalJSON(of canonical: RunConfig) -> Data {
        Data(encode(canonical.fields, laterDefaults: laterKeyDefaults).utf8)
    }

    /// The encoding of `fields`, with `laterDefaults` as the later keys' defaults.
    static func encode(_ fields: [RunField], laterDefaults: [String: String]) -> String {
        let written = fields.filter { field in
            !operationalKeys.contains(field.key) && (version1Keys.contains(field.key) || laterDefaults[field.key] != field.json)
        }
        let members = written.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            .map { "\"\($0.key)\":\($0.json)" }
        return "{" + members.joined(separator: ",") + "}"
    }

    /// The id of a canonical config.
    public static func id(of canonical: RunConfig) -> String {
        let hash = fnv1a64(canonicalJSON(of: canonical))
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// FNV-1a, 64-bit (Fowler–Noll–Vo): tiny, stable across platforms and Swift versions,
/// unlike `Hasher`, which is seeded per process.
func fnv1a64(_ data: Data) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in data {
        hash ^= UInt64(byte)
        hash = hash &* 0x0000_0100_0000_01b3
    }
    return hash
}
