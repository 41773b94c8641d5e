import Foundation
import XCTest
@testable import Training

/// Run ids are what journals, resume and merge rely on: pinned here to fixed values, computed
/// from an explicit encoding that a new field at its default cannot change.
final class RunIdentityTests: XCTestCase {
    /// Fixed ids of fixed configs, as the first build of run ids computed them (the preset's is
    /// also in docs/results/study-tiny, the attention run's in the journals of the first sweeps/smoke.yaml).
    func testIDsOfFixedConfigsNeverChange() throws {
        XCTAssertEqual(RunConfig().id, "8050db192d5ca938")
        let preset = try XCTUnwrap(Presets.config(named: "study-tiny-transformer"))
        XCTAssertEqual(preset.id, "d4efe57a3691bc1b")
        var mlp = RunConfig()
        mlp.arch = .mlp; mlp.context = 8; mlp.hidden = [16, 8]; mlp.heads = 4
        XCTAssertEqual(mlp.id, "805ad34e482f4514")
        var attention = RunConfig()
        attention.arch = .attention; attention.context = 32; attention.dModel = 32; attention.heads = 2
        attention.ffnWidth = 64; attention.epochs = 2; attention.windowsPerEpoch = 1024; attention.batchSize = 32
        attention.evalWindows = 500
        XCTAssertEqual(attention.id, "7c686b9ac3676ac6", "the first sweeps/smoke.yaml's attention run at T = 32")
    }

    /// The encoding is the canonical config's compact JSON with sorted keys: the bytes every
    /// id so far hashed.
    func testCanonicalEncodingIsCompactJSONWithSortedKeys() throws {
        var mlp = RunConfig()
        mlp.arch = .mlp; mlp.context = 8; mlp.hidden = [16, 8]; mlp.heads = 4
        let json = String(decoding: RunIdentity.canonicalJSON(of: mlp.canonicalized()), as: UTF8.self)
        XCTAssertEqual(json, #"{"arch":"mlp","batch_size":64,"beta1":0.9,"beta2":0.999,"context":8,"convention":"study","#
                       + #""d_model":128,"dataset":"tinyshakespeare","depth":2,"dropout":0.1,"epochs":4,"eval_mode":"study","#
                       + #""eval_windows":10000,"hidden":[16,8],"lr":0.0003,"momentum":0.9,"objective":"last","optimizer":"adam","#
                       + #""restore_best":true,"schedule":"constant","seed":0,"warmup_steps":0,"weight_decay":0,"#
                       + #""windows_per_epoch":50000}"#)
        XCTAssertFalse(json.contains("heads"), "a key that does not apply is left out")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        XCTAssertEqual(json, String(decoding: try encoder.encode(mlp.canonicalized()), as: UTF8.self),
                       "version 1 writes exactly what JSONEncoder writes for the canonical config")
    }

    /// Every key of the config is in the encoding's version-1 list or registered as a later key
    /// with its default: a field added without that would change every id, and fails here.
    func testEveryConfigKeyIsVersionOneOrRegisteredWithItsDefault() {
        let known = RunIdentity.version1Keys.union(RunIdentity.laterKeyDefaults.keys).union(RunIdentity.operationalKeys)
        XCTAssertEqual(Set(RunConfig.keys).subtracting(known), [], "register new keys in RunIdentity.laterKeyDefaults")
        XCTAssertEqual(RunIdentity.version1Keys.subtracting(RunConfig.keys), [], "a version-1 key was removed")
    }

    /// `save_weights` says what to keep of a run, not what it computes: no id changes with it.
    func testSaveWeightsIsNotPartOfARunsIdentity() {
        var plain = RunConfig(); plain.arch = .mlp
        for policy in RunConfig.WeightsPolicy.allCases {
            var keeping = plain; keeping.saveWeights = policy
            XCTAssertEqual(keeping.id, plain.id, policy.rawValue)
        }
        var all = plain; all.saveWeights = .all
        XCTAssertEqual(all.canonicalized().saveWeights, .all, "kept in the config, so the worker sees it")
        var none = plain; none.saveWeights = .discard
        XCTAssertNil(none.canonicalized().saveWeights, "the default is not spelt out")
    }

    /// The rule for later keys, exercised through the encoding itself: a key at its registered
    /// default is left out, at another value it is written.
    func testALaterKeyAtItsDefaultIsLeftOut() {
        let fields = [RunField(key: "zeta", value: .int(0), json: "0"), RunField(key: "arch", value: .text("mlp"), json: "\"mlp\"")]
        XCTAssertEqual(RunIdentity.encode(fields, laterDefaults: ["zeta": "0"]), #"{"arch":"mlp"}"#)
        let other = [RunField(key: "zeta", value: .int(1), json: "1"), fields[1]]
        XCTAssertEqual(RunIdentity.encode(other, laterDefaults: ["zeta": "0"]), #"{"arch":"mlp","zeta":1}"#)
    }

    func testSpellingsOfOneRunShareAnIDAndAxesThatDoNotApplyCollapse() {
        var byDepth = RunConfig(); byDepth.arch = .mlp; byDepth.depth = 2; byDepth.hiddenWidth = 256
        var byList = RunConfig(); byList.arch = .mlp; byList.hidden = [256, 256]; byList.depth = 7
        XCTAssertEqual(byDepth.id, byList.id)
        var linear = RunConfig(); linear.arch = .linear
        var deep = linear; deep.depth = 9; deep.heads = 3; deep.objective = .all
        XCTAssertEqual(linear.id, deep.id)
        var other = linear; other.seed = 1
        XCTAssertNotEqual(linear.id, other.id)
    }

    /// `block_style` came after version 1: `standard` is the block every earlier run trained,
    /// so it changes no id and is not spelt out; `study` is a new run; it does not apply to
    /// linear or MLP models, and the study's block is pre-LN only.
    func testBlockStyleChangesNoExistingIdAndIsPreLNOnly() throws {
        let preset = try XCTUnwrap(Presets.config(named: "positions-rope"))
        var standard = preset; standard.blockStyle = .standard
        XCTAssertEqual(standard.id, preset.id)
        XCTAssertNil(standard.canonicalized().blockStyle)
        var study = preset; study.blockStyle = .study
        XCTAssertNotEqual(study.id, preset.id)
        XCTAssertEqual(study.id, try XCTUnwrap(Presets.config(named: "positions-rope-exact")).id)
        XCTAssertTrue(String(decoding: RunIdentity.canonicalJSON(of: study.canonicalized()), as: UTF8.self)
            .contains(#""block_style":"study""#))
        XCTAssertTrue(study.resolved().summary.hasSuffix("pos=rope block=study d=128 seed=0"), study.resolved().summary)
        var linear = RunConfig(); linear.arch = .linear
        var styled = linear; styled.blockStyle = .study
        XCTAssertEqual(styled.id, linear.id)
        var postLN = study; postLN.norm = .post
        XCTAssertEqual(postLN.validate().map(\.key), ["block_style"])
        XCTAssertEqual(study.validate(), [])
    }
}
