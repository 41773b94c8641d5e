// Open MPI's handles are macros over the addresses of global structs
// (`#define MPI_COMM_WORLD OMPI_PREDEFINED_GLOBAL(MPI_Comm, ompi_mpi_comm_world)`),
// which Swift's importer cannot see. These static-inline getters make each one
// an ordinary C function; only the `Cluster` module imports this.
#ifndef LMSWEEP_CMPI_SHIM_H
#define LMSWEEP_CMPI_SHIM_H
#include <mpi.h>

static inline MPI_Comm lmsweep_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Comm lmsweep_mpi_comm_self(void) { return MPI_COMM_SELF; }

static inline MPI_Datatype lmsweep_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype lmsweep_mpi_char(void) { return MPI_CHAR; }
static inline MPI_Datatype lmsweep_mpi_int(void) { return MPI_INT; }
static inline MPI_Datatype lmsweep_mpi_int32(void) { return MPI_INT32_T; }
static inline MPI_Datatype lmsweep_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype lmsweep_mpi_uint64(void) { return MPI_UINT64_T; }
static inline MPI_Datatype lmsweep_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype lmsweep_mpi_double(void) { return MPI_DOUBLE; }

static inline MPI_Op lmsweep_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op lmsweep_mpi_max(void) { return MPI_MAX; }
static inline MPI_Op lmsweep_mpi_min(void) { return MPI_MIN; }

static inline int lmsweep_mpi_any_source(void) { return MPI_ANY_SOURCE; }
static inline int lmsweep_mpi_any_tag(void) { return MPI_ANY_TAG; }
static inline int lmsweep_mpi_success(void) { return MPI_SUCCESS; }
static inline int lmsweep_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline int lmsweep_mpi_max_processor_name(void) { return MPI_MAX_PROCESSOR_NAME; }
static inline MPI_Status *lmsweep_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Errhandler lmsweep_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }

#endif
