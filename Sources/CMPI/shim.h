// Open MPI's handles are macros over the addresses of global structs
// (`#define MPI_COMM_WORLD OMPI_PREDEFINED_GLOBAL(MPI_Comm, ompi_mpi_comm_world)`),
// which Swift's importer cannot see. These static-inline getters make each one
// an ordinary C function; only the `Cluster` module imports this.
#ifndef LMSWEEP_CMPI_SHIM_H
#define LMSWEEP_CMPI_SHIM_H
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

static inline MPI_Comm lmsweep_mpi_comm_world(void) { return MPI_COMM_WORLD; }

static inline MPI_Datatype lmsweep_mpi_byte(void) { return MPI_BYTE; }

static inline int lmsweep_mpi_any_source(void) { return MPI_ANY_SOURCE; }
static inline int lmsweep_mpi_any_tag(void) { return MPI_ANY_TAG; }
static inline int lmsweep_mpi_success(void) { return MPI_SUCCESS; }
static inline int lmsweep_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline int lmsweep_mpi_max_processor_name(void) { return MPI_MAX_PROCESSOR_NAME; }
static inline MPI_Status *lmsweep_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Errhandler lmsweep_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }

// A nonblocking send or receive (MPI_Isend, MPI_Irecv) with its buffer, which MPI may read or
// write until the request completes, so C owns it: Swift holds only the opaque handle and
// copies bytes in at the start of a send and out at the end of a receive.
struct lmsweep_transfer;
struct lmsweep_transfer_state {
    MPI_Request request;
    int count;
    unsigned char *bytes;
};

static inline struct lmsweep_transfer_state *lmsweep_transfer_allocate(int count) {
    struct lmsweep_transfer_state *state = malloc(sizeof *state);
    if (state == NULL) return NULL;
    state->count = count;
    state->bytes = malloc(count > 0 ? (size_t)count : 1);
    if (state->bytes == NULL) { free(state); return NULL; }
    return state;
}

static inline void lmsweep_transfer_free(struct lmsweep_transfer *transfer) {
    struct lmsweep_transfer_state *state = (struct lmsweep_transfer_state *)transfer;
    free(state->bytes);
    free(state);
}

/// Starts sending a copy of `bytes`; NULL with `*code` set when it could not start.
static inline struct lmsweep_transfer *lmsweep_transfer_send(const void *bytes, int count, int destination, int tag,
                                                             MPI_Comm comm, int *code) {
    struct lmsweep_transfer_state *state = lmsweep_transfer_allocate(count);
    if (state == NULL) { *code = MPI_ERR_NO_MEM; return NULL; }
    if (count > 0) memcpy(state->bytes, bytes, (size_t)count);
    *code = MPI_Isend(state->bytes, count, MPI_BYTE, destination, tag, comm, &state->request);
    if (*code != MPI_SUCCESS) { lmsweep_transfer_free((struct lmsweep_transfer *)state); return NULL; }
    return (struct lmsweep_transfer *)state;
}

/// Starts receiving `count` bytes from `source` with `tag`; NULL with `*code` set when it could not start.
static inline struct lmsweep_transfer *lmsweep_transfer_receive(int count, int source, int tag, MPI_Comm comm, int *code) {
    struct lmsweep_transfer_state *state = lmsweep_transfer_allocate(count);
    if (state == NULL) { *code = MPI_ERR_NO_MEM; return NULL; }
    *code = MPI_Irecv(state->bytes, count, MPI_BYTE, source, tag, comm, &state->request);
    if (*code != MPI_SUCCESS) { lmsweep_transfer_free((struct lmsweep_transfer *)state); return NULL; }
    return (struct lmsweep_transfer *)state;
}

/// MPI_Test: sets `*done` when the transfer completed (the request is then freed by MPI).
static inline int lmsweep_transfer_test(struct lmsweep_transfer *transfer, int *done) {
    return MPI_Test(&((struct lmsweep_transfer_state *)transfer)->request, done, MPI_STATUS_IGNORE);
}

static inline int lmsweep_transfer_count(const struct lmsweep_transfer *transfer) {
    return ((const struct lmsweep_transfer_state *)transfer)->count;
}

/// Copies a completed receive's bytes into `out` (room for `lmsweep_transfer_count` bytes).
static inline void lmsweep_transfer_copy(const struct lmsweep_transfer *transfer, void *out) {
    const struct lmsweep_transfer_state *state = (const struct lmsweep_transfer_state *)transfer;
    if (state->count > 0) memcpy(out, state->bytes, (size_t)state->count);
}

#endif
