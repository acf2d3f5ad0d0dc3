// Open MPI (Debian: libopenmpi-dev), imported into Swift as the CMPI module.
//
// Open MPI's predefined handles are macros that cast the address of a global
// (`#define MPI_COMM_WORLD ((MPI_Comm) &ompi_mpi_comm_world)`) or cast an integer to a pointer
// (`MPI_IN_PLACE`, `MPI_STATUS_IGNORE`). Swift imports neither kind, so each one we use is
// reached through a `static inline` accessor below: compiled into the caller, no C sources.
// Add an accessor here, named `cmpi_` plus the macro's name in lower case, when Swift needs
// another handle.
#ifndef CMPI_SHIM_H
#define CMPI_SHIM_H

#include <mpi.h>

// MARK: Communicators

static inline MPI_Comm cmpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Comm cmpi_comm_self(void) { return MPI_COMM_SELF; }

// MARK: Datatypes

static inline MPI_Datatype cmpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype cmpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype cmpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype cmpi_int32_t(void) { return MPI_INT32_T; }
static inline MPI_Datatype cmpi_int64_t(void) { return MPI_INT64_T; }

// MARK: Reduction operations

static inline MPI_Op cmpi_sum(void) { return MPI_SUM; }
static inline MPI_Op cmpi_max(void) { return MPI_MAX; }
static inline MPI_Op cmpi_min(void) { return MPI_MIN; }

// MARK: Sentinels

static inline void *cmpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Status *cmpi_status_ignore(void) { return MPI_STATUS_IGNORE; }

// MARK: Error handlers and limits

static inline MPI_Errhandler cmpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline MPI_Errhandler cmpi_errors_are_fatal(void) { return MPI_ERRORS_ARE_FATAL; }
static inline int cmpi_max_processor_name(void) { return MPI_MAX_PROCESSOR_NAME; }
static inline int cmpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }

#endif
