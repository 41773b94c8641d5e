import Foundation

/// Several worlds of one: a launcher started N tasks (`srun -n 2` without MPI wiring, two
/// `mpirun`s' worth of environment), but MPI joined each into a world of its own, so every task
/// would run the whole sweep. Refused before anything starts, with the fix.
public struct WorldsOfOne: Error, CustomStringConvertible {
    public let variable: String
    public let declared: Int
    public let worldSize: Int
    public var description: String {
        let problem = "the launcher started \(declared) tasks (\(variable)=\(declared)) but MPI sees a world of \(worldSize): "
            + "each task would run the sweep on its own. "
        guard variable == "SLURM_STEP_NUM_TASKS" else {
            return problem + "Launch with mpirun, or with srun --mpi=pmix (srun --mpi=list shows what this SLURM supports)"
        }
        // srun without an MPI plugin (MpiDefault=none). Open MPI 4.1 wires up through PMIx
        // (Debian's SLURM 22.05 ships pmix_v4); or let mpirun start the ranks in the allocation.
        return problem + "Fix: srun --mpi=pmix -n \(declared) lmsweep run ... (srun --mpi=list shows what this SLURM "
            + "supports), or mpirun -np \(declared) lmsweep run ... inside the allocation (sbatch scripts/slurm.sbatch, salloc)"
    }
}

enum LaunchCheck {
    /// The task count a launcher declares in the environment: srun's step, PMI, Open MPI.
    static let variables = ["SLURM_STEP_NUM_TASKS", "PMI_SIZE", "PMIX_SIZE", "OMPI_COMM_WORLD_SIZE"]

    static func check(worldSize: Int, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        for variable in variables {
            guard let text = environment[variable], let declared = Int(text), declared > worldSize else { continue }
            throw WorldsOfOne(variable: variable, declared: declared, worldSize: worldSize)
        }
    }
}
