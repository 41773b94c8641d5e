import Sweep
import XCTest

/// `--shard slurm`: a job-array task's piece from SLURM_ARRAY_TASK_ID, _MIN, _MAX and _COUNT.
final class SlurmArrayShardTests: XCTestCase {
    private func environment(id: String?, min: String? = "0", max: String? = "3", count: String? = "4") -> [String: String] {
        var environment: [String: String] = [:]
        environment["SLURM_ARRAY_TASK_ID"] = id
        environment["SLURM_ARRAY_TASK_MIN"] = min
        environment["SLURM_ARRAY_TASK_MAX"] = max
        environment["SLURM_ARRAY_TASK_COUNT"] = count
        return environment
    }

    func testArrayFromZeroMapsTaskIToPieceIPlusOne() throws {
        for id in 0...3 {
            XCTAssertEqual(try Shard(parsing: "slurm", environment: environment(id: "\(id)")), try Shard(index: id + 1, count: 4))
        }
    }

    func testArrayFromOneOrHigherCountsFromItsMinimum() throws {
        XCTAssertEqual(try Shard(parsing: "slurm", environment: environment(id: "1", min: "1", max: "8", count: "8")),
                       try Shard(index: 1, count: 8))
        XCTAssertEqual(try Shard(parsing: "slurm", environment: environment(id: "17", min: "10", max: "19", count: "10")),
                       try Shard(index: 8, count: 10))
        XCTAssertEqual(try Shard(parsing: "SLURM", environment: environment(id: "0", min: "0", max: "0", count: "1")),
                       try Shard(index: 1, count: 1))
    }

    func testExplicitShardsKeepTheirOneBasedMeaningInsideAnArrayTask() throws {
        XCTAssertEqual(try Shard(parsing: "1/4", environment: environment(id: "3")), try Shard(index: 1, count: 4))
    }

    func testMissingVariablesAreNamedWithTheFix() {
        for missing in ["SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_MAX", "SLURM_ARRAY_TASK_COUNT"] {
            var values = environment(id: "1")
            values[missing] = nil
            XCTAssertThrowsError(try Shard(parsing: "slurm", environment: values), missing) { error in
                XCTAssertEqual("\(error)", "--shard: 'slurm': \(missing) is not set: this is not a SLURM job-array task "
                               + "(submit with sbatch --array=0-N-1, or use --shard K/N)")
            }
        }
    }

    func testMalformedValuesNameTheVariableAndTheValue() {
        let cases: [([String: String], String)] = [
            (environment(id: "x"), "SLURM_ARRAY_TASK_ID='x' is not a whole number ≥ 0"),
            (environment(id: "-1"), "SLURM_ARRAY_TASK_ID='-1' is not a whole number ≥ 0"),
            (environment(id: ""), "SLURM_ARRAY_TASK_ID='' is not a whole number ≥ 0"),
            (environment(id: "1", min: "0.5"), "SLURM_ARRAY_TASK_MIN='0.5' is not a whole number ≥ 0"),
            (environment(id: "1", max: "three"), "SLURM_ARRAY_TASK_MAX='three' is not a whole number ≥ 0"),
            (environment(id: "1", count: "0"), "SLURM_ARRAY_TASK_COUNT='0' is not a whole number ≥ 1"),
        ]
        for (values, reason) in cases {
            XCTAssertThrowsError(try Shard(parsing: "slurm", environment: values), reason) { error in
                XCTAssertEqual("\(error)", "--shard: 'slurm': \(reason)")
            }
        }
    }

    func testArraysWithGapsOrATaskOutsideThemAreRefused() {
        // --array=0-10:2 (6 tasks over 11 indices) and --array=1,3,5: pieces would have no task.
        XCTAssertThrowsError(try Shard(parsing: "slurm", environment: environment(id: "4", min: "0", max: "10", count: "6"))) { error in
            XCTAssertEqual("\(error)", "--shard: 'slurm': SLURM_ARRAY_TASK_COUNT=6 tasks but SLURM_ARRAY_TASK_MIN=0 to "
                           + "SLURM_ARRAY_TASK_MAX=10 spans 11 indices: --shard slurm needs a contiguous array, e.g. --array=0-5")
        }
        XCTAssertThrowsError(try Shard(parsing: "slurm", environment: environment(id: "3", min: "1", max: "5", count: "3")))
        XCTAssertThrowsError(try Shard(parsing: "slurm", environment: environment(id: "2", min: "3", max: "1", count: "3"))) { error in
            XCTAssertEqual("\(error)", "--shard: 'slurm': SLURM_ARRAY_TASK_MIN=3 is above SLURM_ARRAY_TASK_MAX=1")
        }
        XCTAssertThrowsError(try Shard(parsing: "slurm", environment: environment(id: "4"))) { error in
            XCTAssertEqual("\(error)", "--shard: 'slurm': SLURM_ARRAY_TASK_ID=4 is outside SLURM_ARRAY_TASK_MIN=0 to SLURM_ARRAY_TASK_MAX=3")
        }
    }
}
