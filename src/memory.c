/*
 * memory.c
 *		Large allocations whose pages are faulted in with one system call.
 *
 * Touching fresh memory page by page costs one page fault per 4 kB; on
 * virtual machines a fault can cost ~10 us, so filling an 80 MB array
 * spends more time in the kernel than in the copy (`make bench-kernels` on
 * the 2-core development VM: 216 ms to first touch 80 MB, 47 ms with the
 * pages populated by MADV_POPULATE_WRITE first).  The memory is still palloc'd,
 * so PostgreSQL's memory accounting sees it; on kernels without
 * MADV_POPULATE_WRITE (before Linux 5.14) the advice fails harmlessly.
 */
#include "postgres.h"

#include <sys/mman.h>
#include <unistd.h>

#include "utils/memutils.h"

#include "parproc.h"

/* Below this, faulting page by page is cheap enough. */
#define PREFAULT_MIN_BYTES (1024 * 1024)

/* Fault in the whole pages of [p, p + len) that are not yet mapped. */
void
ParprocPrefault(void *p, Size len)
{
#ifdef MADV_POPULATE_WRITE
	static Size pagesize = 0;
	uintptr_t	start,
				end;

	if (len < PREFAULT_MIN_BYTES)
		return;
	if (pagesize == 0)
		pagesize = (Size) sysconf(_SC_PAGESIZE);
	start = TYPEALIGN(pagesize, (uintptr_t) p);
	end = TYPEALIGN_DOWN(pagesize, (uintptr_t) p + len);
	if (end > start)
		(void) madvise((void *) start, end - start, MADV_POPULATE_WRITE);
#endif
}

/* MemoryContextAllocHuge, with the pages faulted in at once. */
void *
ParprocAllocHuge(MemoryContext context, Size size)
{
	void	   *p = MemoryContextAllocHuge(context, size);

	ParprocPrefault(p, size);
	return p;
}

/* repalloc_huge from oldsize to newsize, faulting in the new part at once. */
void *
ParprocReallocHuge(void *p, Size oldsize, Size newsize)
{
	char	   *q = repalloc_huge(p, newsize);

	if (newsize > oldsize)
		ParprocPrefault(q + oldsize, newsize - oldsize);
	return q;
}
