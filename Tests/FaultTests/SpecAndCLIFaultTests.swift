import Foundation
import TestSupport
import XCTest

/// Malformed specs and bad command lines: every one a clean refusal naming the file, line, key
/// or value, with exit ≠ 0 and nothing trained.
final class SpecAndCLIFaultTests: FaultCase {
    /// (spec text, what stderr must say; `SPEC` stands for the spec's path).
    static let badSpecs: [(String, [String])] = [
        ("name: x\nbase: {arch: linear\n", ["SPEC:3: not valid YAML"]),
        ("name: x\nname: y\n", ["not valid YAML: duplicated keys name"]),
        ("", ["a spec is a mapping with at least `name`"]),
        ("- a\n- b\n", ["SPEC:1: a spec is a mapping with at least `name`"]),
        ("base: {arch: linear}\n", ["SPEC:1: name: missing: a spec needs a name"]),
        ("name: x\nbase: {contxt: 16}\n", ["SPEC:2: base.contxt = contxt: unknown run-config key 'contxt' (did you mean 'context'?)"]),
        ("name: x\nbase: {context: sixteen}\n", ["SPEC:2: base.context = sixteen: expected an integer"]),
        ("name: x\nbase: {lr: fast}\n", ["SPEC:2: base.lr = fast: expected a number"]),
        ("name: x\nbase: {arch: rnn}\n", ["SPEC:2: base.arch = rnn: expected one of linear, mlp, attention, transformer"]),
        ("name: x\nbase: {hidden: 64}\n", ["base.hidden = 64: expected a list of integers"]),
        ("name: x\nbase: {restore_best: maybe}\n", ["expected true or false"]),
        ("name: x\nbase: {seed: -1}\n", ["base.seed = -1: expected a non-negative integer"]),
        ("name: x\nbase: {lr: null}\n", ["SPEC:2: base.lr = null: needs a value"]),
        ("name: x\nbase: {lr: .nan}\n", ["SPEC:2: lr = nan: must be a positive number"]),
        ("name: x\nbase: {weight_decay: .inf}\n", ["SPEC:2: weight_decay = inf: must be a non-negative number"]),
        ("name: x\nbase: {context: 100000000}\n", ["SPEC:2: context = 100000000: must be in 1...1048576"]),
        ("name: x\nbase: {arch: transformer, depth: -1}\n", ["SPEC:2: depth = -1: must be in 1...1024"]),
        ("name: x\nbase: {arch: mlp, depth: -3}\n", ["SPEC:2: depth = -3: must be in 1...1024"]),
        ("name: x\nbase: {batch_size: 0}\n", ["SPEC:2: batch_size = 0: must be in 1...1048576"]),
        ("name: x\nbase: {arch: transformer, d_model: 30, heads: 4}\n", ["heads = 4: must divide d_model (30)"]),
        ("name: x\nbase: {dropout: 1.5}\n", ["dropout = 1.5: must be in [0, 1)"]),
        ("name: x\nbase: {epochs: 99999999999}\n", ["epochs = 99999999999: must be in 1...1048576"]),
        ("name: x\nbase: {flop_budget: 1e30}\n", ["flop_budget = 1e+30: must be a positive number at most 1e24"]),
        ("name: x\nbase: {dataset: ptb, convention: nanogpt}\n", ["convention = nanogpt: applies to tinyshakespeare only"]),
        ("name: x\nbase: {dataset: text}\n", ["SPEC:2: text_path: dataset text needs the corpus file"]),
        ("name: x\nbase: {text_path: a.txt}\n", ["text_path = a.txt: applies to dataset text only"]),
        ("name: x\nbase: {context: 200000}\n", ["context = 200000: longer than the"]),
        ("name: x\naxes: {context: []}\n", ["SPEC:2: axes.context = []: an axis lists its values"]),
        ("name: x\naxes: {arch: [linear, cnn]}\n", ["SPEC:2: axes.arch[1] = cnn: expected one of"]),
        ("name: x\noverrides: {rnn: {lr: 0.1}}\n", ["overrides = rnn: not an architecture"]),
        ("name: x\noverrides: {mlp: {arch: linear}}\n", ["an override cannot change the architecture it belongs to"]),
        ("name: x\ngrids: {set: {}}\n", ["grids = ", "must be a list of grids"]),
        ("name: x\nnonsense: 1\n", ["SPEC:2: top level = nonsense: unknown spec key"]),
        ("name: x\nbase: [1, 2]\n", ["SPEC:2: base = [1, 2]: must be a mapping of run-config keys"]),
    ]

    func testEveryMalformedSpecIsRefusedNamingItsFileLineAndKey() throws {
        for (index, (text, messages)) in Self.badSpecs.enumerated() {
            let spec = try write(text, to: "bad\(index).yaml")
            let out = scratch + "/out\(index)"
            try assertRefused(["run", spec, "--out", out] + TestData.dataArguments,
                              saying: messages.map { $0.replacingOccurrences(of: "SPEC", with: spec) })
            XCTAssertEqual(journalText(out), "", "case \(index): nothing trained")
        }
    }

    func testUnreadableSpecFilesAreRefusedSayingWhatTheyAre() throws {
        let binary = scratch + "/binary.yaml"
        try Data((0..<300).map { UInt8(($0 * 37 + 11) % 256) }).write(to: URL(fileURLWithPath: binary))
        try FileManager.default.createDirectory(atPath: scratch + "/folder.yaml", withIntermediateDirectories: true)
        for (spec, message) in [(binary, "not UTF-8 text (a binary file?)"), (scratch + "/folder.yaml", "is a folder; a spec is"),
                                (scratch + "/absent.yaml", "no such spec file")] {
            for command in ["run", "plan"] {
                try assertRefused([command, spec], saying: ["\(spec): \(message)"])
            }
        }
    }

    /// (arguments, what stderr must say).
    static var badCommandLines: [([String], String)] {
        [
            (["train", "--depth", "-1"], "depth = -1: must be in 1...1024"),
            (["train", "--context", "0"], "context = 0: must be in 1...1048576"),
            (["train", "--set", "heads=abc"], "--set heads=abc: heads: expected an integer"),
            (["train", "--set", "learning_rate=0.1"], "unknown run-config key 'learning_rate'"),
            (["train", "--set", "lr"], "--set lr: expected key=value"),
            (["train", "--set", "lr=null"], "lr needs a value"),
            (["train", "--preset", "study-tiny-transfomer"], "unknown preset 'study-tiny-transfomer'"),
            (["train", "--arch", "rnn"], "The value 'rnn' is invalid for '--arch <arch>'"),
            (["train", "--quiet", "--verbose"], "--quiet and --verbose exclude each other"),
            (["run", "SPEC", "--shard", "0/3"], "need 1 ≤ K ≤ N"),
            (["run", "SPEC", "--shard", "two"], "two"),
            (["run", "SPEC", "--blas-threads", "0"], "--blas-threads must be at least 1"),
            (["run", "SPEC", "--stall-limit", "0"], "--stall-limit must be at least 1 second"),
            (["run", "SPEC", "--stage-dir", "/tmp/x"], "--stage-dir needs --stage-data"),
            (["plan", "SPEC", "--ranks", "0"], "--ranks must be at least 1"),
            (["merge", "MISSING"], "name the merged folder with -o/--out"),
            (["merge", "MISSING", "-o", "OUT"], "MISSING: no such folder or journal"),
            (["report", "MISSING"], "MISSING: no such folder or journal"),
            (["eval", "--weights", "MISSING"], "MISSING"),
            (["bench", "--sections", "ops,warp"], "unknown section 'warp'"),
            (["bench", "--steps", "0"], "--steps: 0 must be positive"),
            (["data", "stats", "--dataset", "imagenet"], "--dataset imagenet: expected one of"),
            (["numerics", "--blas-threads", "0"], "--blas-threads must be at least 1"),
        ]
    }

    func testEveryBadCommandLineIsRefusedNamingTheOption() throws {
        let spec = try tinySpec()
        for (arguments, message) in Self.badCommandLines {
            let resolved = arguments.map {
                $0.replacingOccurrences(of: "SPEC", with: spec).replacingOccurrences(of: "MISSING", with: scratch + "/missing")
                    .replacingOccurrences(of: "OUT", with: scratch + "/merged")
            }
            try assertRefused(resolved, saying: [message.replacingOccurrences(of: "MISSING", with: scratch + "/missing")])
        }
    }

    /// Output folders that cannot be folders: a file, a path through a file, a link loop.
    func testOutputFoldersThatCannotBeFoldersAreNamed() throws {
        let file = try write("not a folder", to: "plain")
        try FileManager.default.createSymbolicLink(atPath: scratch + "/loop1", withDestinationPath: scratch + "/loop2")
        try FileManager.default.createSymbolicLink(atPath: scratch + "/loop2", withDestinationPath: scratch + "/loop1")
        for (out, message) in [(file, "\(file): exists and is a file, not a sweep folder"),
                               (file + "/sub", "\(file)/sub: cannot create the sweep folder (\(file)/sub: Not a directory)"),
                               (scratch + "/loop1", "\(scratch)/loop1: a symbolic link that leads to no folder")] {
            try assertRefused(["run", try tinySpec(), "--out", out] + TestData.dataArguments, saying: [message])
        }
    }
}
