// Open MPI's handles are macros over the addresses of global structs
// (`#define MPI_COMM_WORLD OMPI_PREDEFINED_GLOBAL(MPI_Comm, ompi_mpi_comm_world)`),
// which Swift's importer cannot see. These static-inline getters make each one
// an ordinary C function; only the `Cluster` module imports this.
#ifndef LMSWEEP_CMPI_SHIM_H
#define LMSWEEP_CMPI_SHIM_H
#include <mpi.h>

static inline MPI_Comm lmsweep_mpi_comm_world(void) { return MPI_COMM_WORLD; }

static inline MPI_Datatype lmsweep_mpi_byte(void) { return MPI_BYTE; }

static inline int lmsweep_mpi_any_source(void) { return MPI_ANY_SOURCE; }
static inline int lmsweep_mpi_any_tag(void) { return MPI_ANY_TAG; }
static inline int lmsweep_mpi_success(void) { return MPI_SUCCESS; }
static inline int lmsweep_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline int lmsweep_mpi_max_processor_name(void) { return MPI_MAX_PROCESSOR_NAME; }
static inline MPI_Status *lmsweep_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Errhandler lmsweep_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }

#endif
