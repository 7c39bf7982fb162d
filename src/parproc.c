/*
 * parproc.c
 *		Module entry point: registers settings and, when preloaded, the
 *		shared state later features need.
 *
 * The library works both from shared_preload_libraries and from a plain
 * CREATE EXTENSION; features that need shared memory check
 * parproc_preloaded and fail with a hint naming shared_preload_libraries.
 */
#include "postgres.h"

#include "miscadmin.h"

#include "graph/cache.h"
#include "parproc.h"
#include "pipeline/pipeline.h"

PG_MODULE_MAGIC;

bool		parproc_preloaded = false;

void		_PG_init(void);

/* Load-time initialization: only delegates. */
void
_PG_init(void)
{
	parproc_preloaded = process_shared_preload_libraries_in_progress;
	DefineGucs();
	if (parproc_preloaded)
	{
		PipelineShmemRequest();
		GraphShmemRequest();
	}
}
