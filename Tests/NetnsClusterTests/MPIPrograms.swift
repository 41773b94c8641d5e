import Foundation
import TestSupport

/// Small C MPI programs the tests compile with `mpicc` in their temporary directory: real MPI
/// traffic between the test hosts, independent of LMSweep's own code.
enum MPIPrograms {
    /// Prints `rank R on HOST` per rank and `pingpong ok: ... 0 mismatches` on success.
    static let pingPong = #"""
/* Rank 0 sends 1 MiB to every other rank, which adds its rank to each element and sends it
   back; rank 0 checks every element. Then every rank reports MPI_Get_processor_name. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size, len; char name[MPI_MAX_PROCESSOR_NAME];
  MPI_Comm_rank(MPI_COMM_WORLD, &rank); MPI_Comm_size(MPI_COMM_WORLD, &size);
  MPI_Get_processor_name(name, &len);
  const int count = 1 << 18, rounds = 8;            /* 1 MiB of int32 per message */
  int *buf = malloc(sizeof(int) * count); long bad = 0;
  for (int r = 0; r < rounds; r++) for (int peer = 1; peer < size; peer++) {
    if (rank == 0) {
      for (int i = 0; i < count; i++) buf[i] = i ^ (r * 7919 + peer);
      MPI_Send(buf, count, MPI_INT, peer, r, MPI_COMM_WORLD);
      MPI_Recv(buf, count, MPI_INT, peer, r, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      for (int i = 0; i < count; i++) if (buf[i] != (i ^ (r * 7919 + peer)) + peer) bad++;
    } else if (rank == peer) {
      MPI_Recv(buf, count, MPI_INT, 0, r, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      for (int i = 0; i < count; i++) buf[i] += rank;
      MPI_Send(buf, count, MPI_INT, 0, r, MPI_COMM_WORLD);
    }
  }
  char all[64 * MPI_MAX_PROCESSOR_NAME];
  MPI_Gather(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, all, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, 0, MPI_COMM_WORLD);
  if (rank == 0) {
    for (int p = 0; p < size; p++) printf("rank %d on %s\n", p, all + p * MPI_MAX_PROCESSOR_NAME);
    printf("pingpong %s: %d rounds x %d peers x %zu bytes, %ld mismatches\n", bad ? "FAILED" : "ok", rounds, size - 1, sizeof(int) * count, bad);
  }
  free(buf);
  MPI_Finalize();
  return bad ? 1 : 0;
}
"""#

    /// Prints `ready N ranks` once every rank is in; runs for argv[1] seconds.
    static let heartbeat = #"""
/* Rank 0 polls for messages (MPI_Iprobe + a short sleep, as the sweep coordinator does);
   every other rank sends one every 50 ms. Runs for argv[1] seconds, then meets at a barrier:
   a rank that vanished leaves the others waiting there for ever unless mpirun ends the job. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size; MPI_Comm_rank(MPI_COMM_WORLD, &rank); MPI_Comm_size(MPI_COMM_WORLD, &size);
  double seconds = argc > 1 ? atof(argv[1]) : 60, start = MPI_Wtime();
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0) { printf("ready %d ranks\n", size); fflush(stdout); }
  long beats = 0;
  while (MPI_Wtime() - start < seconds) {
    if (rank == 0) {
      int flag; MPI_Status st;
      MPI_Iprobe(MPI_ANY_SOURCE, 0, MPI_COMM_WORLD, &flag, &st);
      if (flag) { long b; MPI_Recv(&b, 1, MPI_LONG, st.MPI_SOURCE, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE); beats++; }
      else usleep(10000);
    } else {
      MPI_Send(&beats, 1, MPI_LONG, 0, 0, MPI_COMM_WORLD); beats++; usleep(50000);
    }
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0) printf("done %ld beats\n", beats);
  MPI_Finalize();
  return 0;
}
"""#

    /// Compiles `source` into `directory/name` and returns the binary's path.
    static func compile(_ source: String, named name: String, in directory: URL) throws -> String {
        let sourceURL = directory.appendingPathComponent(name + ".c")
        try source.write(to: sourceURL, atomically: true, encoding: .utf8)
        let binary = directory.appendingPathComponent(name).path
        let result = try Command.run("mpicc", ["-O2", "-o", binary, sourceURL.path])
        guard result.status == 0 else { throw CompileError.failed(name, result.stderr) }
        return binary
    }

    enum CompileError: Error { case failed(String, String) }
}
