/*
 * guc.c
 *		parproc.* settings.
 */
#include "postgres.h"

#include <limits.h>

#include "utils/guc.h"

#include "parproc.h"

int			parproc_percentile_max_memory = 1024 * 1024;	/* 1GB in kB */
int			parproc_graph_memory = 1024 * 1024; /* 1GB in kB */
int			parproc_max_workers = 8;
int			parproc_max_workers_per_run = 4;
int			parproc_chunk_size = 1024;
int			parproc_batch_size = 1024;
int			parproc_max_error_rows = 1000;
int			parproc_chunk_retries = 5;
bool		parproc_vectorize = true;

/* Register every parproc.* setting and reserve the prefix. */
void
DefineGucs(void)
{
	DefineCustomIntVariable("parproc.percentile_max_memory",
							"Sets the maximum memory one exact-percentile aggregate state may use.",
							"An exact percentile keeps every input value of its group (8 bytes each); "
							"a state that would grow past this limit fails with an error instead of "
							"exhausting the server's memory.",
							&parproc_percentile_max_memory,
							1024 * 1024,
							64,
							MAX_KILOBYTES,
							PGC_USERSET,
							GUC_UNIT_KB,
							NULL, NULL, NULL);

	/*
	 * With preload the graphs live in one DSA area shared by all sessions,
	 * whose size limit this is: one value for the server, changed by a reload
	 * (the area grows on demand, so nothing is reserved at start and a
	 * restart is not needed).  Without preload each session caches its own
	 * graphs and a superuser may set the limit per session.
	 */
	DefineCustomIntVariable("parproc.graph_memory",
							"Sets the maximum memory of the graphs loaded for spread_activation.",
							"A graph takes 24 bytes per edge (an undirected edge counts twice) and 32 "
							"bytes per node. With parproc in shared_preload_libraries the limit applies to "
							"the graphs shared by all sessions, else to each session's own; a "
							"graph that does not fit evicts graphs not in use, then fails.",
							&parproc_graph_memory,
							1024 * 1024,
							64,
							MAX_KILOBYTES,
							parproc_preloaded ? PGC_SIGHUP : PGC_SUSET,
							GUC_UNIT_KB,
							NULL, NULL, NULL);

	DefineCustomIntVariable("parproc.max_workers",
							"Sets the maximum number of pipeline workers of all runs together.",
							"Pipeline workers are also parallel workers: each counts against "
							"max_parallel_workers and max_worker_processes. A run that finds "
							"the limit reached gets fewer workers, at least its coordinator.",
							&parproc_max_workers,
							8, 0, 1024,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("parproc.max_workers_per_run",
							"Sets the maximum number of workers of one pipeline run.",
							"Also the number of workers when parproc.run or parproc.start "
							"is called without one; at most 64.",
							&parproc_max_workers_per_run,
							4, 0, 64,
							PGC_USERSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("parproc.chunk_size",
							"Sets the number of heap blocks in one chunk of a pipeline run.",
							"A chunk is the unit workers claim and commit: its rows and its "
							"done mark commit together.",
							&parproc_chunk_size,
							1024, 1, 1024 * 1024,
							PGC_USERSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("parproc.batch_size",
							"Sets the number of rows a pipeline worker evaluates and writes at once.",
							NULL,
							&parproc_batch_size,
							1024, 1, 65536,
							PGC_USERSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("parproc.max_error_rows",
							"Sets the maximum number of failed rows of a pipeline run with on_error => 'skip'.",
							"A run with more failed rows stops with an error.",
							&parproc_max_error_rows,
							1000, 0, INT_MAX,
							PGC_USERSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("parproc.chunk_retries",
							"Sets how many times a pipeline chunk that failed with a transient error is retried.",
							"A chunk that fails with a deadlock (40P01), a serialization failure "
							"(40001) or a lock timeout (55P03) is rolled back and run again after a "
							"growing pause, this many times at most, before the run fails.",
							&parproc_chunk_retries,
							5, 0, 1000,
							PGC_USERSET, 0,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("parproc.vectorize",
							 "Evaluates pipeline stages with column kernels where it can.",
							 "Expressions whose every operation has a kernel are computed a batch "
							 "at a time; the others, and rows a kernel cannot decide, by "
							 "PostgreSQL's expression evaluator.  Results are the same either way.",
							 &parproc_vectorize,
							 true,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);

	MarkGUCPrefixReserved("parproc");
}
