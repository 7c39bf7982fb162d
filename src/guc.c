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

	DefineCustomIntVariable("parproc.graph_memory",
							"Sets the maximum memory of the graphs loaded for spread_activation.",
							"A graph takes about 24 bytes per edge in each direction and 24 bytes "
							"per node; loading a graph that would take the graphs of this process "
							"past the limit fails with an error.",
							&parproc_graph_memory,
							1024 * 1024,
							64,
							MAX_KILOBYTES,
							PGC_SUSET,
							GUC_UNIT_KB,
							NULL, NULL, NULL);

	MarkGUCPrefixReserved("parproc");
}
