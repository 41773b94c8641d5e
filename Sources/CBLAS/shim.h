// OpenBLAS's C interface. `openblas_set_num_threads` is declared here too:
// LMSweep runs one BLAS thread per MPI rank (see DESIGN.md).
#include <cblas.h>
