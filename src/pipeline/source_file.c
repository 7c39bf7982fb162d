/*
 * source_file.c
 *		The file source: files on the server read as COPY FROM reads them,
 *		with COPY's own parser (BeginCopyFrom / NextCopyFrom over a byte
 *		range of a file), a chunk being a range of whole records that
 *		src/kernels/recsplit.c cut when the run was planned.
 *
 * A chunk's COPY reads only its range; a scan of the same bytes with the
 * record splitter runs in step with it (one record per row COPY returns),
 * so every row and every failed record has its line and byte offset.  With
 * on_error => 'skip' rows are read in batches in a subtransaction; a record
 * COPY rejects (a wrong number of fields, a value its type rejects, bad
 * encoding) is taken back, reported with the line as read, and COPY starts
 * afresh at the next record, behind a synthetic empty header line that
 * gives it the file's line ending (COPY takes it from the first line it
 * reads).
 *
 * BeginCopyFrom wants a relation for the rows' shape: a relation descriptor
 * that is only that shape (the columns, the pipeline's name for messages),
 * which COPY uses for nothing else when every column is read from the file.
 */
#include "postgres.h"

#include <glob.h>
#include <zlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "commands/copy.h"
#include "executor/tuptable.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "parser/parse_type.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "kernels/recsplit.h"
#include "pipeline/pipeline.h"

#define FILE_AHEAD 256			/* rows read per batch (a subtransaction with
								 * 'skip') */
#define FILE_SCAN_BUF 65536
#define RAW_LINE_MAX 65536		/* bytes of a failed line reported */

/* A gzip file's data, decompressed as it is read (GzRead). */
typedef struct GzStream
{
	z_stream	zs;
	int64		zpos;			/* compressed bytes read, */
	int64		zsize;			/* of these */
	unsigned char zbuf[FILE_SCAN_BUF];
	char	   *buf;			/* decompressed bytes base..base + len */
	size_t		cap;
	int64		base;
	size_t		len;
	bool		eof;
} GzStream;

typedef struct FileScan
{
	const PpRunSpec *spec;
	const char *path;
	int			fd;
	GzStream   *gz;				/* a .gz file, or NULL */
	int64		start;			/* the chunk's bytes (a .gz file's compressed
								 * bytes; its data are read to their end) */
	int64		end;
	int64		first_line;
	int			encoding;		/* the file's */
	bool		skip;			/* on_error => 'skip' */
	RelationData rel;			/* the rows' shape, for BeginCopyFrom */
	FormData_pg_class relform;
	List	   *options;		/* COPY's, without HEADER */
	List	   *first_options;	/* with the user's HEADER: chunk 0 */
	List	   *restart_options;	/* with HEADER true: after a failed record */
	CopyFromState cstate;
	const char *prefix;			/* handed to COPY before the file's bytes */
	int			prefix_len;
	int64		feed;			/* the next byte COPY gets */

	/* the records, scanned in step with COPY */
	PpRecSplit	rs;
	char	   *sbuf;
	size_t		sbuf_len;
	size_t		sbuf_pos;
	int64		sbuf_next;		/* file offset after sbuf's bytes */
	int64		cur_start;		/* the record COPY is reading */
	int64		cur_line;
	bool		in_copy;		/* an error now is the record's */

	/* rows read ahead */
	MemoryContext rowcxt;
	TupleTableSlot **ahead;
	int64	   *ahead_line;
	int64	   *ahead_start;
	int			nahead;
	int			pos;
	bool		eof;
	PpSourceFailure *failure;	/* to report after the rows before it */
	ErrorContextCallback errcb;
} FileScan;

static FileScan *reading;		/* COPY's data source callback has no argument */

/* The line ending of a file whose first line the scan read. */
static const char *
EolString(int eol)
{
	return eol == PP_EOL_CRNL ? "\r\n" : eol == PP_EOL_CR ? "\r" : "\n";
}

/*
 * The row type of source_columns, a column definition list ("id bigint, ts
 * text"): names and types (with typmods and collations), nothing else.
 */
TupleDesc
PpFileColumns(const char *columns)
{
	List	   *stmts;
	CreateStmt *cs;
	TupleDesc	desc;
	ListCell   *lc;
	int			i = 0;

	stmts = raw_parser(psprintf("CREATE TABLE x (%s)", columns), RAW_PARSE_DEFAULT);
	if (list_length(stmts) != 1 ||
		!IsA(((RawStmt *) linitial(stmts))->stmt, CreateStmt))
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("source_columns must be a column definition list"),
				 errhint("Write them as in CREATE TABLE: 'id bigint, ts text, value float8'.")));
	cs = (CreateStmt *) ((RawStmt *) linitial(stmts))->stmt;
	if (cs->tableElts == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source_columns has no columns")));
	desc = CreateTemplateTupleDesc(list_length(cs->tableElts));
	foreach(lc, cs->tableElts)
	{
		ColumnDef  *cd = lfirst(lc);
		Oid			typid;
		int32		typmod;

		if (!IsA(cd, ColumnDef) || cd->constraints != NIL || cd->raw_default != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("source_columns may only name columns and their types"),
					 errhint("Constraints and defaults belong to the target table.")));
		typenameTypeIdAndMod(NULL, cd->typeName, &typid, &typmod);
		if (get_typtype(typid) == TYPTYPE_PSEUDO)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TABLE_DEFINITION),
					 errmsg("column \"%s\" has pseudo-type %s", cd->colname,
							format_type_be(typid))));
		for (int j = 0; j < i; j++)
			if (strcmp(NameStr(TupleDescAttr(desc, j)->attname), cd->colname) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_COLUMN),
						 errmsg("column \"%s\" specified more than once", cd->colname)));
		TupleDescInitEntry(desc, ++i, cd->colname, typid, typmod, 0);
		TupleDescInitEntryCollation(desc, i, cd->collClause ?
									GetColumnDefCollation(NULL, cd, typid) :
									get_typcollation(typid));
	}
	return BlessTupleDesc(desc);
}

/*
 * COPY's options of a file source ("FORMAT csv, HEADER true"), checked as
 * COPY FROM checks them; the options pipelines do themselves or that have
 * no meaning here are refused.  Returns them (DefElems); *csv, *quote,
 * *escape and *encoding (-1: not given) tell how to cut the files, *header
 * whether the first line of each is a header.
 */
List *
PpFileOptions(const char *options, bool *csv, char *quote, char *escape, int *encoding,
			  bool *header)
{
	List	   *stmts;
	CopyStmt   *cs;
	CopyFormatOptions opts = {0};
	ListCell   *lc;

	stmts = raw_parser(options[0] ? psprintf("COPY x FROM STDIN WITH (%s)", options) :
					   "COPY x FROM STDIN", RAW_PARSE_DEFAULT);
	if (list_length(stmts) != 1 || !IsA(((RawStmt *) linitial(stmts))->stmt, CopyStmt))
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("source_options must be COPY options"),
				 errhint("Write them as in COPY ... WITH (...): 'FORMAT csv, HEADER true'.")));
	cs = (CopyStmt *) ((RawStmt *) linitial(stmts))->stmt;
	foreach(lc, cs->options)
	{
		DefElem    *d = lfirst(lc);

		if (strcmp(d->defname, "freeze") == 0 || strcmp(d->defname, "default") == 0 ||
			strcmp(d->defname, "on_error") == 0 || strcmp(d->defname, "log_verbosity") == 0 ||
			strcmp(d->defname, "reject_limit") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("COPY option \"%s\" cannot be used in source_options", d->defname),
					 errhint("Bad lines are handled by run(on_error => 'skip'), which records "
							 "them in parproc.errors.")));
	}
	ProcessCopyOptions(NULL, &opts, true, cs->options);
	if (opts.binary)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("file sources read the text and CSV formats, not binary")));
	*csv = opts.csv_mode;
	*header = opts.header_line != COPY_HEADER_FALSE;
	*quote = *csv ? opts.quote[0] : '\0';
	*escape = *csv ? opts.escape[0] : '\0';
	*encoding = opts.file_encoding;
	return cs->options;
}

/* Reading server files takes what COPY FROM a file takes. */
void
PpCheckFileAccess(Oid role, const char *pattern)
{
	if (!superuser_arg(role) && !has_privs_of_role(role, ROLE_PG_READ_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to read files of the server for a pipeline"),
				 errdetail("Only roles with privileges of the \"%s\" role may read server files.",
						   "pg_read_server_files"),
				 errhint("Load files on the client with psql's \\copy, or ask for that role.")));
	if (!is_absolute_path(pattern))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a file source must be an absolute path: \"%s\"", pattern)));
}

/* The files of a glob, in name order (glob(3): no shell). */
List *
PpFileParts(const char *pattern)
{
	glob_t		g;
	int			rc = glob(pattern, GLOB_ERR, NULL, &g);
	List	   *files = NIL;

	if (rc == GLOB_NOMATCH)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FILE),
				 errmsg("no file matches \"%s\"", pattern)));
	if (rc != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read the files of \"%s\": %m", pattern)));
	for (size_t i = 0; i < g.gl_pathc; i++)
		files = lappend(files, pstrdup(g.gl_pathv[i]));
	globfree(&g);
	return files;
}

/* A gzip file, by its name: read whole (a chunk), decompressed. */
static bool
IsGzip(const char *path)
{
	size_t		len = strlen(path);

	return len > 3 && strcmp(path + len - 3, ".gz") == 0;
}

/* Open a file for reading, with its size and modification time. */
static int
OpenSourceFile(const char *path, int64 *bytes, TimestampTz *mtime)
{
	int			fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
	struct stat st;

	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\" for reading: %m", path)));
	if (fstat(fd, &st) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat file \"%s\": %m", path)));
	if (S_ISDIR(st.st_mode))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is a directory", path)));
	*bytes = st.st_size;
	*mtime = time_t_to_timestamptz(st.st_mtime) + (st.st_mtim.tv_nsec / 1000);
	return fd;
}

/* A file's size and modification time. */
void
PpFileStat(const char *path, int64 *bytes, TimestampTz *mtime)
{
	CloseTransientFile(OpenSourceFile(path, bytes, mtime));
}

/* The chunks of a file as they are found. */
typedef struct ChunkList
{
	int32		part;
	int64		n;
	int64		max;
	PpChunkRef *c;
} ChunkList;

static void
AddChunk(ChunkList *l, int64 start, int64 end, int64 line)
{
	if (end <= start)
		return;
	if (l->n == l->max)
		l->c = repalloc(l->c, sizeof(PpChunkRef) * (l->max *= 2));
	l->c[l->n] = (PpChunkRef)
	{
		l->part, (int32) l->n, start, end, line
	};
	l->n++;
}

/* Where the physical line that begins at from ends (after its newline). */
static int64
LineEnd(int fd, const char *path, int64 from, int64 bytes, char newline)
{
	char		buf[FILE_SCAN_BUF];

	while (from < bytes)
	{
		ssize_t		got = pg_pread(fd, buf, Min((int64) sizeof(buf), bytes - from), from);
		char	   *nl;

		if (got <= 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read file \"%s\": %m", path)));
		nl = memchr(buf, newline, got);
		if (nl)
			return from + (nl - buf) + 1;
		from += got;
	}
	return bytes;
}

/*
 * The chunks of file part (index part of the run): ranges of whole records
 * of at least chunk_bytes, or the whole file when it cannot be cut (an
 * encoding whose characters may hold a quote or backslash byte).  A CSV
 * record whose quote is still open at the end of the file (a stray quote:
 * COPY rejects it, and every line after it would be in it) is cut after
 * its first line, a chunk of its own, and the scan begins afresh at the
 * next line: with on_error => 'skip' that line is the bad one and the lines
 * after it load.  A gzip file (named *.gz) is one chunk.  Returns how many,
 * in *chunks (palloc'd).
 */
static int64
FileChunks(const char *path, int32 part, int64 chunk_bytes, bool csv, char quote,
		   char escape, bool cut, PpChunkRef **chunks)
{
	int64		bytes;
	TimestampTz mtime;
	int			fd = OpenSourceFile(path, &bytes, &mtime);
	ChunkList	l = {part, 0, 16, palloc(sizeof(PpChunkRef) * 16)};
	char	   *buf = palloc(FILE_SCAN_BUF * 4);
	PpRecSplit	rs;
	int64		from = 0,		/* where the scan began, */
				from_line = 1,	/* on this line */
				begin = 0,		/* the chunk being found */
				begin_line = 1;

	/* a gzip file is a chunk: its bytes are not its data */
	if (IsGzip(path))
	{
		AddChunk(&l, 0, bytes, 1);
		CloseTransientFile(fd);
		*chunks = l.c;
		return l.n;
	}
	for (;;)
	{
		int64		at = from;
		bool		again = false;

		pp_recsplit_init(&rs, csv, quote, escape, cut ? chunk_bytes : INT64_MAX);
		for (;;)
		{
			ssize_t		got = pg_pread(fd, buf, FILE_SCAN_BUF * 4, at);
			size_t		off = 0;

			if (got < 0)
				ereport(ERROR,
						(errcode_for_file_access(),
						 errmsg("could not read file \"%s\": %m", path)));
			at += got;
			if (got == 0)
			{
				int64		p = from + (int64) rs.rec_start;

				if (cut && csv && rs.in_quote && !rs.stopped && p < at)
				{
					/* a stray quote: its line alone, then the rest afresh */
					int64		line = from_line + (int64) rs.rec_line - 1;

					AddChunk(&l, begin, p, begin_line);
					from = LineEnd(fd, path, p, bytes, rs.eol == PP_EOL_CR ? '\r' : '\n');
					AddChunk(&l, p, from, line);
					begin = from;
					begin_line = from_line = line + 1;
					again = from < bytes;
				}
				else if (pp_recsplit_finish(&rs))
				{
					AddChunk(&l, begin, from + (int64) rs.cut, begin_line);
					begin = from + (int64) rs.cut;
					begin_line = from_line + (int64) rs.cut_line - 1;
				}
				break;
			}
			while (off < (size_t) got)
			{
				int			stop;

				off += pp_recsplit_feed(&rs, buf + off, got - off, &stop);
				if (stop)
				{
					AddChunk(&l, begin, from + (int64) rs.cut, begin_line);
					begin = from + (int64) rs.cut;
					begin_line = from_line + (int64) rs.cut_line - 1;
				}
			}
			CHECK_FOR_INTERRUPTS();
		}
		if (!again)
			break;
	}
	AddChunk(&l, begin, bytes, begin_line);
	CloseTransientFile(fd);
	pfree(buf);
	*chunks = l.c;
	return l.n;
}

/*
 * A read of the file failed: the run's error, never a record's (on_error
 * => 'skip' catches errors raised while COPY reads a record, and this one
 * may be raised inside COPY's read).
 */
static void
ReadFailed(FileScan *f, const char *why)
{
	int			save_errno = errno;

	f->in_copy = false;
	errno = save_errno;
	if (why == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read file \"%s\": %m", f->path)));
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("file \"%s\" changed during run %lld", f->path, (long long) f->spec->run_id),
			 errdetail("%s", why)));
}

/* zlib's memory, in the chunk's */
static void *
GzAlloc(void *opaque, unsigned items, unsigned size)
{
	return MemoryContextAlloc((MemoryContext) opaque, (Size) items * size);
}

static void
GzFree(void *opaque, void *address)
{
	pfree(address);
}

/*
 * Bytes of a gzip file's data from off on, decompressed once into a window
 * that keeps what a reader may still ask for: from the record COPY is
 * reading, the next byte COPY gets and the next the record scan reads,
 * whichever is first.
 */
static ssize_t
GzRead(FileScan *f, char *out, size_t n, int64 off)
{
	GzStream   *g = f->gz;
	int64		low = Min(Min(f->cur_start, f->feed), f->sbuf_next);

	while (!g->eof && off + (int64) n > g->base + (int64) g->len)
	{
		int			rc;
		size_t		room;

		if (low > g->base)
		{
			size_t		drop = Min((size_t) (low - g->base), g->len);

			memmove(g->buf, g->buf + drop, g->len - drop);
			g->base += drop;
			g->len -= drop;
		}
		if (g->cap - g->len < FILE_SCAN_BUF)
		{
			g->cap = Max(2 * g->cap, g->len + FILE_SCAN_BUF);
			g->buf = repalloc(g->buf, g->cap);
		}
		if (g->zs.avail_in == 0)
		{
			ssize_t		got = pg_pread(f->fd, g->zbuf, sizeof(g->zbuf), g->zpos);

			if (got < 0)
				ReadFailed(f, NULL);
			if (got == 0)
			{
				f->in_copy = false;
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("could not decompress file \"%s\": it ends inside its compressed data",
								f->path)));
			}
			g->zpos += got;
			g->zs.next_in = g->zbuf;
			g->zs.avail_in = got;
		}
		room = g->cap - g->len;
		g->zs.next_out = (unsigned char *) g->buf + g->len;
		g->zs.avail_out = room;
		rc = inflate(&g->zs, Z_NO_FLUSH);
		g->len += room - g->zs.avail_out;
		if (rc == Z_STREAM_END)
		{
			/* another member may follow (concatenated gzip files) */
			if (g->zs.avail_in == 0 && g->zpos >= g->zsize)
				g->eof = true;
			else
				inflateReset(&g->zs);
		}
		else if (rc != Z_OK && rc != Z_BUF_ERROR)
		{
			f->in_copy = false;
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("could not decompress file \"%s\": %s", f->path,
							g->zs.msg ? g->zs.msg : "invalid gzip data")));
		}
	}
	if (off >= g->base + (int64) g->len)
		return 0;
	n = Min(n, (size_t) (g->base + g->len - off));
	memcpy(out, g->buf + (off - g->base), n);
	return n;
}

/*
 * Up to n bytes of the chunk from file offset off (of a gzip file's data,
 * decompressed); 0 at the chunk's end.
 */
static ssize_t
ReadAt(FileScan *f, char *buf, size_t n, int64 off)
{
	ssize_t		got;

	if (off >= f->end)
		return 0;
	if (f->gz)
		return GzRead(f, buf, Min((int64) n, f->end - off), off);
	got = pg_pread(f->fd, buf, Min((int64) n, f->end - off), off);
	if (got < 0)
		ReadFailed(f, NULL);
	if (got == 0)
		ReadFailed(f, psprintf("It ends before byte %lld, where the run found more.",
							   (long long) f->end));
	return got;
}

/* COPY's data source: the prefix, then the chunk's bytes. */
static int
FileSourceRead(void *outbuf, int minread, int maxread)
{
	FileScan   *f = reading;
	int			n = 0;

	if (f->prefix_len > 0)
	{
		n = Min(f->prefix_len, maxread);
		memcpy(outbuf, f->prefix, n);
		f->prefix += n;
		f->prefix_len -= n;
	}
	while (n < maxread)
	{
		ssize_t		got = ReadAt(f, (char *) outbuf + n, maxread - n, f->feed);

		if (got == 0)
			break;
		f->feed += got;
		n += got;
		if (n >= minread)
			break;
	}
	return n;
}

/* Move the record scan past one record (the one COPY just read). */
static void
AdvanceRecord(FileScan *f)
{
	for (;;)
	{
		int			stop;

		if (f->sbuf_pos == f->sbuf_len)
		{
			ssize_t		got = ReadAt(f, f->sbuf, FILE_SCAN_BUF, f->sbuf_next);

			if (got == 0)
			{
				(void) pp_recsplit_finish(&f->rs);
				return;
			}
			f->sbuf_len = got;
			f->sbuf_pos = 0;
			f->sbuf_next += got;
		}
		f->sbuf_pos += pp_recsplit_feed(&f->rs, f->sbuf + f->sbuf_pos,
										f->sbuf_len - f->sbuf_pos, &stop);
		if (stop)
			return;
	}
}

/* Where the next record begins in the file, and its line. */
#define NextRecordStart(f) ((f)->start + (int64) (f)->rs.rec_start)
#define NextRecordLine(f) ((f)->first_line + (int64) (f)->rs.rec_line - 1)

/* COPY over the chunk's bytes from feed on, behind prefix. */
static void
StartCopy(FileScan *f, List *options, const char *prefix)
{
	MemoryContext old = MemoryContextSwitchTo(GetMemoryChunkContext(f));

	f->prefix = prefix;
	f->prefix_len = prefix ? strlen(prefix) : 0;
	reading = f;
	f->cstate = BeginCopyFrom(NULL, &f->rel, NULL, NULL, false, FileSourceRead, NIL, options);
	MemoryContextSwitchTo(old);
}

/* The error context of a file's record. */
static void
FileErrorContext(void *arg)
{
	FileScan   *f = arg;

	if (f->in_copy)
		errcontext("file \"%s\", line %lld", f->path, (long long) f->cur_line);
}

/*
 * A file's header line, read by a COPY of its own with the user's HEADER
 * option (MATCH checks it against the columns), outside any subtransaction
 * of on_error => 'skip': a header that does not match stops the run, as it
 * stops COPY, rather than counting as a bad line.
 */
static void
ReadHeader(FileScan *f)
{
	int64		end = f->end;
	TupleTableSlot *s = f->ahead[0];

	AdvanceRecord(f);
	f->end = NextRecordStart(f);
	StartCopy(f, f->first_options, NULL);
	(void) NextCopyFrom(f->cstate, NULL, s->tts_values, s->tts_isnull);
	EndCopyFrom(f->cstate);
	f->end = end;
	f->feed = NextRecordStart(f);
}

static void *
FileSourceBegin(const PpRunSpec *spec, const PpPart *pt, const PpChunkRef *ref,
				Relation part, TupleDesc desc)
{
	FileScan   *f = palloc0(sizeof(FileScan));
	const char *pattern,
			   *options,
			   *columns;
	bool		csv;
	char		quote,
				escape;
	int			encoding;
	bool		header;
	int64		bytes;
	TimestampTz mtime;
	ListCell   *lc;

	f->spec = spec;
	f->path = PpSpecPath(spec, pt);
	f->fd = OpenSourceFile(f->path, &bytes, &mtime);
	if (bytes != pt->bytes || mtime != pt->mtime)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("file \"%s\" changed during run %lld", f->path,
						(long long) spec->run_id),
				 errdetail("Its size or modification time is not what the run found when it "
						   "began, so its chunks no longer match its lines."),
				 errhint("Start a new run into a fresh target.")));
	f->start = ref->start;
	f->end = ref->end;
	if (IsGzip(f->path))
	{
		f->gz = palloc0(sizeof(GzStream));
		f->gz->zsize = ref->end;
		f->gz->zs.zalloc = GzAlloc;
		f->gz->zs.zfree = GzFree;
		f->gz->zs.opaque = CurrentMemoryContext;
		if (inflateInit2(&f->gz->zs, 16 + MAX_WBITS) != Z_OK)
			elog(ERROR, "could not start decompressing \"%s\"", f->path);
		f->gz->cap = 4 * FILE_SCAN_BUF;
		f->gz->buf = palloc(f->gz->cap);
		f->end = PG_INT64_MAX;	/* its data, read to their end */
	}
	f->first_line = ref->line;
	f->feed = ref->start;
	f->skip = spec->on_error == PP_ON_ERROR_SKIP;

	PpSpecFileSource(spec, &pattern, &options, &columns);
	foreach(lc, PpFileOptions(options, &csv, &quote, &escape, &encoding, &header))
	{
		DefElem    *d = lfirst(lc);

		f->first_options = lappend(f->first_options, d);
		if (strcmp(d->defname, "header") != 0)
			f->options = lappend(f->options, d);
	}
	f->encoding = encoding >= 0 ? encoding : GetDatabaseEncoding();
	f->restart_options = lappend(list_copy(f->options),
								 makeDefElem("header", (Node *) makeString("true"), -1));

	/* the rows' shape for COPY: the columns, named after the pipeline */
	f->rel.rd_att = desc;
	f->rel.rd_rel = &f->relform;
	f->rel.rd_id = InvalidOid;
	namestrcpy(&f->relform.relname, spec->pipeline);

	f->sbuf = palloc(FILE_SCAN_BUF);
	f->sbuf_next = ref->start;
	pp_recsplit_init(&f->rs, csv, quote, escape, 0);
	f->rowcxt = AllocSetContextCreate(CurrentMemoryContext, "parproc file rows",
									  ALLOCSET_DEFAULT_SIZES);
	f->ahead = PpMakeSlots(FILE_AHEAD, desc, &TTSOpsVirtual);
	if (ref->start == 0 && header)
		ReadHeader(f);
	StartCopy(f, f->options, NULL);
	f->ahead_line = palloc(sizeof(int64) * FILE_AHEAD);
	f->ahead_start = palloc(sizeof(int64) * FILE_AHEAD);
	f->errcb.callback = FileErrorContext;
	f->errcb.arg = f;
	return f;
}

/* Read rows ahead until FILE_AHEAD, the end, or an error. */
static void
FillAhead(void *arg)
{
	FileScan   *f = arg;

	while (f->nahead < FILE_AHEAD)
	{
		TupleTableSlot *s = f->ahead[f->nahead];
		bool		more;

		f->cur_start = NextRecordStart(f);
		f->cur_line = NextRecordLine(f);
		ExecClearTuple(s);
		reading = f;
		f->in_copy = true;
		more = NextCopyFrom(f->cstate, NULL, s->tts_values, s->tts_isnull);
		f->in_copy = false;
		if (!more)
		{
			f->eof = true;
			break;
		}
		ExecStoreVirtualTuple(s);
		f->ahead_line[f->nahead] = f->cur_line;
		f->ahead_start[f->nahead] = f->cur_start;
		f->nahead++;
		AdvanceRecord(f);
	}
}

/*
 * FillAhead with on_error => 'abort': an error of a record says in its
 * detail where the record is (a run reports the message and detail of the
 * error that stopped it, not its context).
 */
static void
FillAheadOrSay(FileScan *f)
{
	MemoryContext cxt = CurrentMemoryContext;

	PG_TRY();
	{
		FillAhead(f);
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		char	   *where;

		if (!f->in_copy)
			PG_RE_THROW();
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		where = psprintf("File \"%s\", line %lld, byte offset %lld.", f->path,
						 (long long) f->cur_line, (long long) f->cur_start);
		edata->detail = edata->detail ? psprintf("%s %s", edata->detail, where) : where;
		ReThrowError(edata);
	}
	PG_END_TRY();
}

/*
 * The bytes start..end of the file (at most RAW_LINE_MAX of them) as text
 * of the database, for a report: converted from the file's encoding, and
 * what cannot be shown as \xNN.
 */
static char *
RawLine(FileScan *f, int64 start, int64 end)
{
	int			len = (int) Min(end - start, RAW_LINE_MAX);
	unsigned char *raw = palloc(len + 1);
	ssize_t		got = ReadAt(f, (char *) raw, len, start);
	int			db = GetDatabaseEncoding();
	int			done = 0;
	StringInfoData s;

	if (got < 0)
		got = 0;
	/* without the line ending */
	while (got > 0 && (raw[got - 1] == '\n' || raw[got - 1] == '\r'))
		got--;
	raw[got] = '\0';
	initStringInfo(&s);
	if (f->encoding == db || f->encoding == PG_SQL_ASCII || db == PG_SQL_ASCII)
	{
		if (end - start <= RAW_LINE_MAX && pg_verifymbstr((char *) raw, got, true))
			return (char *) raw;
	}
	else
	{
		Oid			proc = FindDefaultConversionProc(f->encoding, db);

		/* as much as converts, then the rest as bytes */
		if (OidIsValid(proc))
		{
			enlargeStringInfo(&s, got * MAX_CONVERSION_GROWTH + 1);
			done = pg_do_encoding_conversion_buf(proc, f->encoding, db, raw, got,
												 (unsigned char *) s.data,
												 got * MAX_CONVERSION_GROWTH + 1, true);
			s.len = strlen(s.data);
		}
	}
	/* from the first byte that could not be converted on, escaped */
	for (int i = done; i < got; i++)
		if (IS_HIGHBIT_SET(raw[i]))
			appendStringInfo(&s, "\\x%02x", raw[i]);
		else
			appendStringInfoChar(&s, raw[i]);
	if (end - start > RAW_LINE_MAX)
		appendStringInfo(&s, " [%lld more bytes]", (long long) (end - start - RAW_LINE_MAX));
	return s.data;
}

/*
 * The record COPY rejected with edata: kept to report, and COPY started
 * again at the next record.
 */
static void
FailRecord(FileScan *f, ErrorData *edata)
{
	PpSourceFailure *fail = palloc0(sizeof(PpSourceFailure));

	fail->file = f->path;
	fail->line = f->cur_line;
	fail->offset = f->cur_start;
	fail->edata = edata;
	AdvanceRecord(f);
	fail->raw = RawLine(f, f->cur_start, Max(NextRecordStart(f), f->cur_start));
	f->failure = fail;

	EndCopyFrom(f->cstate);
	f->feed = NextRecordStart(f);
	StartCopy(f, f->restart_options, EolString(f->rs.eol));
}

static TupleTableSlot *
FileSourceNext(void *scan, PpSourceFailure **failure)
{
	FileScan   *f = scan;

	*failure = NULL;
	for (;;)
	{
		MemoryContext old;

		if (f->pos < f->nahead)
			return f->ahead[f->pos++];
		if (f->failure)
		{
			*failure = f->failure;
			f->failure = NULL;
			return NULL;
		}
		if (f->eof)
			return NULL;
		MemoryContextReset(f->rowcxt);
		f->nahead = f->pos = 0;
		old = MemoryContextSwitchTo(f->rowcxt);
		f->errcb.previous = error_context_stack;
		error_context_stack = &f->errcb;
		if (!f->skip)
			FillAheadOrSay(f);
		else
		{
			ErrorData  *edata = PpTrySubtransaction(FillAhead, f);

			if (edata && !f->in_copy)
				ReThrowError(edata);	/* not the record's: reading failed */
			f->in_copy = false;
			if (edata)
			{
				MemoryContextSwitchTo(GetMemoryChunkContext(f));
				FailRecord(f, edata);
			}
		}
		error_context_stack = f->errcb.previous;
		MemoryContextSwitchTo(old);
	}
}

static void
FileSourcePosition(void *scan, int64 *line, int64 *offset)
{
	FileScan   *f = scan;

	*line = f->ahead_line[f->pos - 1];
	*offset = f->ahead_start[f->pos - 1];
}

static void
FileSourceEnd(void *scan)
{
	FileScan   *f = scan;

	EndCopyFrom(f->cstate);
	for (int i = 0; i < FILE_AHEAD; i++)
		ExecDropSingleTupleTableSlot(f->ahead[i]);
	MemoryContextDelete(f->rowcxt);
	if (f->gz)
		inflateEnd(&f->gz->zs);
	CloseTransientFile(f->fd);
	reading = NULL;
}

/*
 * A file's chunks (its size and time are the ones PpRegisterRun found and
 * recorded; a chunk checks them again), cut as its COPY options say.
 */
static int64
FileSourcePlan(const PpRunSpec *req, PpPart *pt, const char *path, int32 part,
			   PpChunkRef **chunks)
{
	const char *pattern,
			   *options,
			   *columns;
	bool		csv,
				header;
	char		quote,
				escape;
	int			encoding;

	PpSpecFileSource(req, &pattern, &options, &columns);
	(void) PpFileOptions(options, &csv, &quote, &escape, &encoding, &header);
	/* a client-only encoding may hide a quote or backslash in a character */
	return FileChunks(path, part, (int64) req->chunk_size * BLCKSZ, csv, quote, escape,
					  encoding < 0 || !PG_ENCODING_IS_CLIENT_ONLY(encoding), chunks);
}

const		PpSourceOps PpFileSource = {
	NULL,
	FileSourcePlan,
	FileSourceBegin,
	FileSourceNext,
	FileSourceEnd,
	FileSourcePosition
};
