/*
 * pipeline.h
 *		Pipelines: chains of filter/map stages from a source table to a target
 *		table, run over chunks of heap blocks by background workers.
 *
 * The files of src/pipeline/ (see README.md there):
 *	catalog.c	definitions, catalog writes as the extension's owner
 *	stages.c	parsing stages into expressions; the target projection
 *	chunk.c		one chunk: read, evaluate batches, write, done mark
 *	source_heap.c	the heap source (the interface is below: PpSourceOps)
 *	source_file.c	files read as COPY reads them
 *	sink_insert.c	the insert sink (PpSinkOps)
 *	sink_upsert.c	the upsert sink
 *	aggregate.c	aggregate stages: partial states per chunk, the final step
 *	spec.c		the run spec: one flat buffer for coordinator and workers
 *	history.c	parproc.run_history and the done marks; planning chunks
 *	coordinator.c	the coordinator's transactions and the workers' loop
 *	api.c		start/run/wait/cancel/resume
 *	shmem.c		run slots in shared memory and the live views
 *	veccompile.c	compiling a stage's expressions into column kernels
 *	vecfuncs.c	the functions with kernels, by OID
 *	vecexec.c	running them over a batch, PostgreSQL's evaluator for the rest
 *	explain.c	explain_pipeline and dry_run
 */
#ifndef PARPROC_PIPELINE_H
#define PARPROC_PIPELINE_H

#include "compat.h"
#include "access/tupdesc.h"
#include "executor/execdesc.h"
#include "lib/stringinfo.h"
#include "nodes/execnodes.h"
#include "port/atomics.h"
#include "storage/condition_variable.h"
#include "storage/dsm.h"
#include "storage/lwlock.h"
#include "storage/spin.h"
#include "utils/relcache.h"
#include "utils/timestamp.h"

#define PP_MAX_STAGES 32
#define PP_MAX_RUN_WORKERS 64	/* per run, besides the coordinator */
#define PP_MAX_RUNS 32			/* runs in progress at once */
#define PP_ERRMSG_LEN 1024

typedef enum PpOnError
{
	PP_ON_ERROR_ABORT,
	PP_ON_ERROR_SKIP
} PpOnError;

typedef enum PpRunState
{
	PP_STATE_QUEUED,			/* slot taken, coordinator not yet started */
	PP_STATE_RUNNING,
	PP_STATE_DONE,
	PP_STATE_FAILED,
	PP_STATE_CANCELLED
} PpRunState;

/*
 * A stage as defined: its name, kind and SQL text: a filter's condition, a
 * map's select list, or an aggregate stage's aggregate calls (expr) and
 * group keys (group_by, "" for none; NULL for the other kinds).
 */
typedef struct PpStageDef
{
	char	   *name;
	bool		is_filter;
	char	   *expr;
	char	   *group_by;
} PpStageDef;

/*
 * A stage parsed against its input columns.  An aggregate stage is, per
 * row, a map that computes its group keys and the aggregates' arguments
 * (and FILTERs): the row the partial aggregation (PpAgg) takes.
 */
typedef struct PpStage
{
	const char *name;
	bool		is_filter;
	bool		is_agg;
	TupleDesc	indesc;			/* input columns */
	TupleDesc	outdesc;		/* output columns (the input, for a filter) */
	Expr	   *qual;			/* filter */
	int			ncols;			/* map */
	Expr	  **cols;
	ExprState  *qualstate;		/* set by PpPlanInit */
	ExprState **colstates;
} PpStage;

/* One aggregate call of an aggregate stage. */
typedef struct PpAggCall
{
	Aggref	   *aggref;			/* as parsed (its arguments give the types) */
	int			argcol;			/* its first argument's column in the row */
	int			nargs;
	int			filtercol;		/* its FILTER's column, or -1 */
}			PpAggCall;

/*
 * An aggregate stage: the row its map makes has the group keys in columns
 * 0..nkeys-1; the stage's output is the keys, then the aggregates' results
 * (outdesc), projected onto the target by the final step.
 */
typedef struct PpAgg
{
	int			nkeys;
	Oid		   *eqops;			/* per key: GROUP BY's equality operator */
	int			ncalls;
	PpAggCall  *calls;
	TupleDesc	outdesc;
	Expr	  **sink;			/* per target attribute, over outdesc */
}			PpAgg;

/*
 * Every stage, then the projection onto what the chunks write: the
 * target's columns, or for an aggregate stage its rows, which the chunks
 * aggregate (and the final step projects onto the target).
 */
typedef struct PpPlan
{
	int			nstages;
	PpStage    *stages;
	TupleDesc	lastdesc;		/* columns reaching the sink */
	TupleDesc	sinkdesc;		/* the sink's rows: the target's, or the
								 * aggregate stage's */
	int			natts;			/* sink attributes */
	Expr	  **sink;			/* per sink attribute; NULL: none/generated */
	ExprState **sinkstates;
	PpAgg	   *agg;			/* the last stage aggregates, or NULL */
} PpPlan;

/*
 * One relation of the source (the table, or a leaf partition), or one file
 * (its path in the spec's names, at path_off).
 */
typedef struct PpPart
{
	Oid			relid;
	Oid			filenode;
	int64		nblocks;
	int64		bytes;			/* a file's size */
	TimestampTz mtime;			/* its modification time */
	Size		path_off;
} PpPart;

/*
 * A chunk: chunk_size blocks of one part, or of a file the bytes start..end
 * (a range of whole records, cut by src/kernels/recsplit.c) beginning on
 * line line.
 */
typedef struct PpChunkRef
{
	int32		part;
	int32		chunk;
	int64		start;
	int64		end;
	int64		line;
} PpChunkRef;

/*
 * What a run needs, in one flat buffer: dynamic shared memory for
 * background workers, palloc'd when the calling session runs alone.
 * Variable-length sections follow the header at the offsets given.
 *
 * The rule for settings: a field here only for what belongs to the run
 * and must survive a resume unchanged by it, the chunk geometry
 * (chunk_size), with the run's identity and definition.  Every other
 * setting (parproc.batch_size, parproc.max_error_rows, parproc.vectorize,
 * search_path, TimeZone ...) the participants read from their own GUCs,
 * restored from the GUC state in the spec: the starting session's, or on a
 * resume the run's stored settings (history.c), applied by the coordinator
 * before it serializes the state its workers restore.
 */
typedef struct PpRunSpec
{
	Size		total_size;
	int64		run_id;
	int			slot;
	int			attempt;
	bool		resume;
	bool		recheck;		/* resume: check the stages resolve alike */
	bool		run_settings;	/* resume: the run's stored settings, not the
								 * session's */
	Oid			dboid;
	Oid			auth_user;
	Oid			outer_user;
	bool		outer_is_superuser;
	Oid			current_user;
	int			sec_context;
	Oid			source;			/* InvalidOid: files (file_source) */
	Oid			target;
	bool		file_source;	/* files, in the stages section after
								 * on_conflict: pattern \0 options \0 columns
								 * \0 */
	PpOnError	on_error;
	int			chunk_size;
	int			workers;
	char		pipeline[NAMEDATALEN];
	char		snapshot_id[64];	/* exported by the coordinator */
	int			nstages;
	Size		stages_off;		/* name \0 kind expr \0 [group_by \0], per
								 * stage; then on_conflict \0 if upsert */
	bool		upsert;			/* written by INSERT ... ON CONFLICT */
	bool		aggregate;		/* the last stage aggregates: the chunks write
								 * partial states, the final step the target */
	Size		resolved_off;	/* the stages resolved, as text
								 * (PpResolveStages) */
	Size		guc_off;
	Size		guc_len;
	int			nparts;
	Size		parts_off;		/* PpPart[nparts] */
	int64		nchunks;
	Size		chunks_off;		/* PpChunkRef[nchunks] */
	Size		names_off;		/* the files' paths, \0-terminated */
	pg_atomic_uint64 next_chunk;	/* claim counter */
	pg_atomic_uint64 next_range;	/* the final step's claim counter */
	/* in the request the caller hands the coordinator: its answer */
	pg_atomic_uint32 answer;	/* PP_ANSWER_* */
	int			refusal_code;	/* PP_ANSWER_REFUSED: the error */
	char		refusal_message[PP_ERRMSG_LEN];
	char		refusal_detail[PP_ERRMSG_LEN];
} PpRunSpec;

#define PP_ANSWER_PENDING 0
#define PP_ANSWER_BEGUN 1		/* the run is recorded (transaction A) */
#define PP_ANSWER_REFUSED 2

#define PpSpecResolved(spec) ((char *) (spec) + (spec)->resolved_off)
extern const char *PpSpecOnConflict(const PpRunSpec *spec);
extern void PpSpecFileSource(const PpRunSpec *spec, const char **pattern, const char **options,
							 const char **columns);
#define PpSpecPath(spec, pt) ((const char *) (spec) + (spec)->names_off + (pt)->path_off)
#define PpSpecParts(spec) ((PpPart *) ((char *) (spec) + (spec)->parts_off))
#define PpSpecChunks(spec) ((PpChunkRef *) ((char *) (spec) + (spec)->chunks_off))

/*
 * Sources and sinks.  The engine (coordinator, chunk claiming, the chunk's
 * transaction and done mark, error capture, views) does not know what it
 * reads or writes: a new kind of either is a new file with these
 * functions, chosen by PpRunSource / PpRunSink, never a branch elsewhere.
 *
 * A source has parts (a table's relations with storage, as SELECT from the
 * source reads them; a file source's files), each planned as chunks (of
 * blocks; of byte ranges of whole records); a chunk is read through
 * begin/next/end in the chunk's transaction and snapshot, a row at a time
 * into a slot of the source's rows (the slot is the source's; the engine
 * copies or pins what it keeps), next reporting a record it could not read
 * with on_error => 'skip', position where a row came from.
 *
 * Not yet behind these functions: what differs between the two kinds of
 * source outside reading, on spec->file_source (its definition in
 * catalog.c, the checks in api.c, finding and recording the files in
 * history.c, the source's columns and privileges in chunk.c, dry_run).
 *
 * A sink is opened for each chunk in the chunk's transaction, in the
 * chunk's executor state: check runs as part of a row's evaluation (what it
 * rejects is that row's error, recorded with on_error => 'skip'), put
 * queues a row in the target's shape, flush writes the queued rows and says
 * how many were written, end finishes the chunk's writes (AFTER triggers);
 * the engine then inserts the chunk's done mark, which commits with them.
 */
typedef struct PpSourceFailure
{
	const char *file;
	int64		line;
	int64		offset;
	char	   *raw;			/* the line as read, in the database encoding */
	ErrorData  *edata;
} PpSourceFailure;

typedef struct PpSourceOps
{
	List	   *(*parts) (Oid source);

	/*
	 * Measure part pt (a table's relid is set; a file's size and time) and
	 * return its chunks (palloc'd) and how many.
	 */
	int64		(*plan) (const struct PpRunSpec *req, PpPart *pt, const char *path, int32 part,
						 PpChunkRef **chunks);
	void	   *(*begin) (const struct PpRunSpec *spec, const PpPart *pt, const PpChunkRef *ref,
						  Relation part, TupleDesc desc);

	/*
	 * The next row, or NULL: at the chunk's end, or (*failure set) for a
	 * record the source could not read with on_error => 'skip'.
	 */
	TupleTableSlot *(*next) (void *scan, PpSourceFailure **failure);
	void		(*end) (void *scan);
	/* where the last row came from (NULL: rows have no file position) */
	void		(*position) (void *scan, int64 *line, int64 *offset);
}			PpSourceOps;

typedef struct PpSink PpSink;

typedef struct PpSinkOps
{
	PpSink	   *(*begin) (const struct PpRunSpec *spec, const PpPlan *plan, Relation target,
						  EState *estate, int batch_size);
	void		(*check) (PpSink * sink, TupleTableSlot *row);
	void		(*put) (PpSink * sink, TupleTableSlot *row);
	int			(*flush) (PpSink * sink);
	void		(*end) (PpSink * sink);

	/*
	 * The sink's writes must see rows committed since the run's snapshot (ON
	 * CONFLICT: a row another chunk committed is one to update, not a
	 * serialization failure): the chunk's transaction reads the source
	 * through the run's snapshot and writes at READ COMMITTED.
	 */
	bool		read_committed;
}			PpSinkOps;

/* Live counters of one participant (0 = coordinator). */
typedef struct PpWorkerSlot
{
	int			pid;
	TimestampTz started_at;
	pg_atomic_uint64 chunks;
	pg_atomic_uint64 rows;
	pg_atomic_uint64 busy_us;	/* in chunks, of which: */
	pg_atomic_uint64 read_us;	/* reading the source */
	pg_atomic_uint64 eval_us;	/* stages and the target's shape */
	pg_atomic_uint64 write_us;	/* inserting (heap, WAL, indexes, triggers) */
	pg_atomic_uint64 wal_bytes;
	pg_atomic_uint64 retries;	/* chunks retried after transient errors */
} PpWorkerSlot;

/* A counter of microseconds as a float8 Datum of milliseconds. */
#define PP_MS_DATUM(us) Float8GetDatum(pg_atomic_read_u64(&(us)) / 1000.0)

typedef struct PpStageSlot
{
	char		name[NAMEDATALEN];
	pg_atomic_uint64 rows_in;
	pg_atomic_uint64 rows_out;
	pg_atomic_uint64 rows_failed;
	pg_atomic_uint64 time_us;
	pg_atomic_uint64 deform_us; /* of time_us: reading columns for kernels */
	pg_atomic_uint64 kernel_us; /* ... running kernels */
	pg_atomic_uint64 kernel_values; /* expression values computed by kernels */
	pg_atomic_uint64 evaluator_values;	/* ... by PostgreSQL's evaluator */
} PpStageSlot;

/*
 * A run in progress.  in_use, run_id, generation and attached change under
 * PpShared->lock.  A slot is free when it is not in use and no worker of
 * its last run is still attached: a coordinator that dies may leave
 * workers stopping, which must not see a new run's flags.
 */
typedef struct PpRunSlot
{
	bool		in_use;
	int64		run_id;
	uint64		generation;		/* new at every reservation */
	int			attached;		/* workers of this generation still running */
	Oid			role;
	int			attempt;
	pg_atomic_uint32 state;
	pg_atomic_uint32 cancel;	/* cancel requested */
	pg_atomic_uint32 failed;	/* a participant raised an error */
	int			coordinator_pid;
	TimestampTz started_at;
	int			nworkers;		/* workers launched */
	pg_atomic_uint64 chunks_total;
	pg_atomic_uint64 chunks_done;
	pg_atomic_uint64 bytes_total;	/* a file source's bytes, */
	pg_atomic_uint64 bytes_done;	/* of which in chunks done */
	pg_atomic_uint64 rows_read;
	pg_atomic_uint64 rows_written;
	pg_atomic_uint64 rows_failed;
	int			nstages;
	PpStageSlot stages[PP_MAX_STAGES];
	PpWorkerSlot workers[PP_MAX_RUN_WORKERS + 1];
	slock_t		mutex;			/* protects the error fields */
	int			err_code;
	char		err_message[PP_ERRMSG_LEN];
	char		err_detail[PP_ERRMSG_LEN];
} PpRunSlot;

typedef struct PpSharedState
{
	LWLock	   *lock;
	ConditionVariable cv;		/* broadcast on every state change */
	int			workers_in_use; /* against parproc.max_workers */
	uint64		generations;	/* reservations so far */
	PpRunSlot	runs[PP_MAX_RUNS];
} PpSharedState;

extern PpSharedState *PpShared;

/* shmem.c */
extern Size PipelineShmemSize(void);
extern void PipelineShmemInit(LWLock *lock);
extern void PpRequirePreload(void);
extern void PpSlotInit(PpRunSlot *s);
extern int	PpSlotReserve(int64 run_id, Oid role, int attempt);
extern void PpSlotRelease(int slotno, uint64 generation);
extern PpRunSlot *PpSlotFind(int64 run_id, int *slotno);
extern int	PpSlotCancel(int64 run_id);
extern bool PpSlotAttach(int slotno, int64 run_id, uint64 generation);
extern void PpSlotDetach(int slotno);
extern void PpSlotSetState(PpRunSlot *slot, PpRunState state);
extern void PpSlotSetError(PpRunSlot *slot, ErrorData *edata);
extern int	PpWorkersReserve(int wanted);
extern void PpWorkersReturn(int n);
extern const char *PpStateName(PpRunState state);
extern double PpWorkerWaitMs(PpWorkerSlot *ws, TimestampTz now);

/* An identity PpActAs switched from. */
typedef struct PpIdentity
{
	Oid			user;
	int			sec_context;
	int			nest;			/* GUC nest level */
} PpIdentity;

/* catalog.c */
extern void PpActAs(Oid role, PpIdentity *saved);
extern void PpActAsEnd(PpIdentity *saved);
extern Oid	PpCatalogOwner(void);
extern int	PpCatalogExec(const char *sql, int nargs, Oid *types, Datum *values,
						  const char *nulls, bool read_only);
extern int	PpCatalogExecSnapshot(const char *sql, int nargs, Oid *types, Datum *values,
								  const char *nulls, bool read_only,
								  struct SnapshotData *snap);
struct _SPI_plan;
extern int	PpCatalogExecKept(struct _SPI_plan **kept, const char *sql, int nargs,
							  Oid *types, Datum *values, const char *nulls);
extern struct PortalData *PpCatalogCursor(const char *sql, int nargs, Oid *types,
										  Datum *values);
extern void PpRequireCatalogVersion(void);
extern List *PpParseStages(Datum stages);

/* A file source as defined: 'file:' glob, COPY options, columns. */
typedef struct PpFileDef
{
	char	   *pattern;		/* NULL: the source is a table */
	char	   *options;
	char	   *columns;
} PpFileDef;

extern char *PpLookupPipeline(const char *name, Oid *owner, Oid *source, Oid *target,
							  Datum *stages, char **on_conflict, PpFileDef *file);
extern Oid	PpLookupOwnedPipeline(const char *name, const char *verb, Oid *source,
								  Oid *target, Datum *stages, char **on_conflict,
								  PpFileDef *file);

/* stages.c */
extern char *PpResolveStages(List *defs, TupleDesc srcdesc);
extern PpPlan *PpCompile(List *defs, const char *resolved, TupleDesc rundesc,
						 Relation part, Relation target);
extern void PpPlanInit(PpPlan *plan, EState *estate);
extern void PpCheckTarget(Relation target);
extern void PpCheckSource(Relation source);
extern char *PpTargetColumns(List *defs, TupleDesc srcdesc);
extern char *PpColumnList(TupleDesc desc);

/* source_heap.c: tables and their partitions or inheritance children */
extern const PpSourceOps PpHeapSource;

/* source_file.c: files read as COPY reads them */
extern const PpSourceOps PpFileSource;
extern TupleDesc PpFileColumns(const char *columns);
extern List *PpFileOptions(const char *options, bool *csv, char *quote, char *escape,
						   int *encoding, bool *header);
extern void PpCheckFileAccess(Oid role, const char *pattern);
extern List *PpFileParts(const char *pattern);
extern void PpFileStat(const char *path, int64 *bytes, TimestampTz *mtime);
extern ErrorData *PpTrySubtransaction(void (*fn) (void *), void *arg);
extern const PpSourceOps *PpRunSource(const PpRunSpec *spec);
extern const PpSinkOps *PpRunSink(const PpRunSpec *spec);
extern const PpSinkOps *PpTargetSink(const PpRunSpec *spec);

/* sink_insert.c: rows written as INSERT writes them */
extern const PpSinkOps PpInsertSink;

/* sink_upsert.c: rows written as INSERT ... ON CONFLICT writes them */
extern const PpSinkOps PpUpsertSink;
extern void PpCheckOnConflict(Relation target, const char *on_conflict);

/* aggregate.c: an aggregate stage's partial states, and its final step */
extern const PpSinkOps PpPartialSink;
extern void PpCheckAggregate(PpAgg * agg, const char *stage);
extern bool PpAggregateFinalShared(PpRunSpec *spec);
extern void PpAggregateFinal(PpRunSpec *spec, PpRunSlot *slot, int first, int last, int worker);

/*
 * Slots for every row of a batch (chunk.c, sink_insert.c).  A slot pins a
 * reference-counted descriptor (a relation's) in the resource owner, whose
 * array finds entries by hashing the pointer: a thousand pins of one
 * descriptor probe past each other, quadratically (2 ms a chunk).  The
 * slots share an unpinned copy instead, with the defaults of attributes
 * missing from old tuples.
 */
static inline TupleTableSlot **
PpMakeSlots(int n, TupleDesc desc, const TupleTableSlotOps *ops)
{
	TupleTableSlot **s = palloc(sizeof(TupleTableSlot *) * n);

	if (desc->tdrefcount >= 0)
		desc = CreateTupleDescCopyConstr(desc);
	for (int i = 0; i < n; i++)
		s[i] = MakeSingleTupleTableSlot(desc, ops);
	return s;
}

/* chunk.c */
extern Relation PpOpenRunRelation(PpRunSpec *spec, Oid relid, LOCKMODE mode, const char *what);
extern TupleDesc PpOpenRunSource(PpRunSpec *spec, Relation *rel);
extern void PpProcessChunk(PpRunSpec *spec, PpRunSlot *slot, int64 g, int worker);
extern void PpDryRun(PpRunSpec *spec, PpRunSlot *slot, List *defs, PpPart *pt,
					 int64 *rows_read, int64 *rows_out);

/* veccompile.c, vecexec.c (private types in vecprog.h) */
typedef struct PpVecStage PpVecStage;
extern PpVecStage *PpVecCompile(PpStage *st, int batch);
extern bool PpVecUseful(PpVecStage *vs);
extern bool PpVecExprInfo(PpVecStage *vs, int e, const char **detail);

/* What vectorised evaluation of a stage did, added up over batches. */
typedef struct PpVecCounters
{
	uint64		kernel_values;	/* expression values computed by kernels */
	uint64		evaluator_values;	/* ... by PostgreSQL's evaluator */
	uint64		deform_us;		/* reading the kernels' input columns */
	uint64		kernel_us;		/* running the kernels */
} PpVecCounters;

extern void PpVecKernels(PpVecStage *vs, ExprContext *econtext, TupleTableSlot **cur,
						 HeapTuple *raw, const bool *alive, int n,
						 PpVecCounters *counters);
extern void PpVecFinish(PpVecStage *vs, PpStage *st, ExprContext *econtext,
						TupleTableSlot **cur, bool *alive, int n, TupleTableSlot **out,
						PpVecCounters *counters, int *pos);

/* spec.c */
extern List *PpSpecStageDefs(PpRunSpec *spec);
extern char *PpSpecStagesJson(PpRunSpec *spec);
extern void PpSpecEncodeStages(StringInfo buf, List *defs, const char *on_conflict);
extern PpRunSpec *PpBuildSpec(const PpRunSpec *head, const char *stages, Size stages_len,
							  const char *resolved, const char *guc, Size guc_len,
							  int nparts, int64 nchunks, const char *names, Size names_len,
							  void *(*alloc) (Size));

/* history.c */
extern void PpRegisterRun(PpRunSpec *spec, PpRunSlot *slot, MemoryContext keep,
						  List **parts_out);
extern PpRunSpec *PpPlanChunks(PpRunSpec *req, PpRunSlot *slot, List *parts,
							   void *(*alloc) (Size));
extern bool *PpChunksDone(PpRunSpec *spec, struct SnapshotData *snap);
extern void PpFinishRun(PpRunSpec *spec, PpRunSlot *slot, PpRunState state,
						ErrorData *edata, TimestampTz started);

/* coordinator.c */
/* What a background worker of a run finds in bgw_extra. */
typedef struct PpWorkerArgs
{
	dsm_handle	handle;
	int64		run_id;
	uint64		generation;		/* of the run's slot reservation */
	int			index;			/* 0: coordinator; 1..: workers */
	bool		final;			/* an aggregate run's final step: claim hash
								 * ranges, not chunks */
} PpWorkerArgs;

extern PGDLLEXPORT void PpCoordinatorMain(Datum arg);
extern PGDLLEXPORT void PpWorkerMain(Datum arg);

/*
 * An aggregate run's final step is PP_FINAL_RANGES steps, one per range of
 * the group keys' hashes, each committed on its own (a fixed number, so
 * that a resume's ranges are the first attempt's); PpProcessRetrying's g
 * for range r is PP_FINAL_STEP(r), below 0.
 */
#define PP_FINAL_RANGES 16
#define PP_FINAL_ALL PP_FINAL_RANGES	/* every range not yet done */
#define PP_FINAL_STEP(r) (-1 - (int64) (r))
#define PP_FINAL_RANGE(g) ((int) (-1 - (g)))

/*
 * Workers claim the final step's ranges when the chunks wrote at least this
 * many partial rows; for fewer, starting them costs more than they save,
 * and the coordinator combines every range in one pass.
 */
#define PP_FINAL_PARALLEL_ROWS 65536
extern void PpProcessRetrying(PpRunSpec *spec, PpRunSlot *slot, int64 g, int worker,
							  bool own_transaction);

#endif							/* PARPROC_PIPELINE_H */
