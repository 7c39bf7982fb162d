/*
 * textfn.h
 *		Column kernels for text functions: length, ||, btrim/ltrim/rtrim,
 *		lower/upper, substr and md5, computing what varlena.c, oracle_compat.c
 *		and formatting.c compute, or flagging the row (conventions in
 *		batch.h).
 *
 * Text results are PpStr too.  Results that are part of an argument
 * (trims, substr) point into the argument's storage, so they live as long
 * as it does; new strings (||, lower/upper, md5) are written into one
 * buffer per call that the caller's allocator gives.
 *
 * utf8: the database encoding is UTF8 (characters are counted and
 * stepped over as pg_mblen does); otherwise it must be a single-byte
 * encoding, where a character is a byte.  Callers use the kernels that
 * count characters (length, substr, trims) only in those two cases.
 */
#ifndef PARPROC_KERNELS_TEXTFN_H
#define PARPROC_KERNELS_TEXTFN_H

#include <stdbool.h>

#include "batch.h"

/* The longest text PostgreSQL can allocate (MaxAllocSize - VARHDRSZ). */
#define PP_TEXT_MAX_LEN (0x3fffffff - 4)

/* An allocator: size bytes that outlive the batch's use, or NULL. */
typedef struct PpAlloc
{
	void	   *(*alloc) (void *arg, size_t size);
	void	   *arg;
} PpAlloc;

/* Which ends a trim removes characters from. */
typedef enum PpTrimEnds
{
	PP_TRIM_LEADING = 1,
	PP_TRIM_TRAILING = 2,
	PP_TRIM_BOTH = 3
} PpTrimEnds;

/* length(a) in characters, as pg_mbstrlen_with_len; into integers. */
extern void pp_text_length(int utf8, const PpCol *a, PpCol *out, size_t n);

/* a || b (textcat); a result longer than PP_TEXT_MAX_LEN is flagged. */
extern void pp_text_cat(const PpCol *a, const PpCol *b, PpCol *out, size_t n,
						const PpAlloc *mem);

/*
 * btrim/ltrim/rtrim(a, set), set NULL meaning " " (btrim(a) etc.).  Rows
 * whose set has a non-ASCII byte are flagged (PP_ROW_SPECIAL): with an
 * ASCII set, trimming bytes is trimming characters, in UTF8 too.
 */
extern void pp_text_trim(PpTrimEnds ends, const PpCol *a, const PpCol *set,
						 PpCol *out, size_t n);

/*
 * lower(a) (upper = 0) or upper(a) (upper = 1) of pure-ASCII strings, as
 * under the "C" collation; rows with a non-ASCII byte are flagged
 * (PP_ROW_SPECIAL).  Only for expressions whose collation is "C" or
 * "POSIX".
 */
extern void pp_text_case(int upper, const PpCol *a, PpCol *out, size_t n,
						 const PpAlloc *mem);

/*
 * substr(a, start[, count]) (count NULL: to the end) in characters, as
 * text_substring; a negative count is flagged (PP_ROW_SPECIAL), so
 * PostgreSQL raises its error.  start and count are int4 values.
 */
extern void pp_text_substr(int utf8, const PpCol *a, const PpCol *start,
						   const PpCol *count, PpCol *out, size_t n);

/*
 * A digest of len bytes at p into 32 lower-case hex digits; false when it
 * cannot be computed.  The caller's: PostgreSQL's own MD5 (pg_md5_hash).
 */
typedef bool (*PpHexDigest) (const void *p, size_t len, char *hex);

/* md5(a) through digest; a row digest fails for is flagged (PP_ROW_SPECIAL). */
extern void pp_text_md5(const PpCol *a, PpCol *out, size_t n, const PpAlloc *mem,
						PpHexDigest digest);

#endif							/* PARPROC_KERNELS_TEXTFN_H */
