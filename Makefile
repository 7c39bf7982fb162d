# parproc: PGXS build.  `make demo` and `make test` also set up everything
# they need (see README.md); plain `make && make install` is the usual
# extension build against the pg_config found first.

EXTENSION = parproc
EXTVERSION = 0.2
MODULE_big = parproc
OBJS = \
	src/parproc.o \
	src/guc.o \
	src/memory.o \
	src/agg/common.o \
	src/agg/state.o \
	src/agg/fractions.o \
	src/agg/stats.o \
	src/agg/percentile.o \
	src/agg/histogram.o \
	src/agg/vec.o \
	src/agg/matrix.o \
	src/agg/hll.o \
	src/agg/table_percentile.o \
	src/agg/topk.o \
	src/agg/qsketch.o \
	src/graph/defs.o \
	src/graph/load.o \
	src/graph/spread.o \
	src/graph/cache.o \
	src/pipeline/catalog.o \
	src/pipeline/stages.o \
	src/pipeline/chunk.o \
	src/pipeline/source_heap.o \
	src/pipeline/source_file.o \
	src/pipeline/sink_insert.o \
	src/pipeline/sink_upsert.o \
	src/pipeline/aggregate.o \
	src/pipeline/spec.o \
	src/pipeline/history.o \
	src/pipeline/coordinator.o \
	src/pipeline/api.o \
	src/pipeline/shmem.o \
	src/pipeline/veccompile.o \
	src/pipeline/vecfuncs.o \
	src/pipeline/vecexec.o \
	src/pipeline/explain.o \
	src/kernels/moments.o \
	src/kernels/comoments.o \
	src/kernels/linreg.o \
	src/kernels/sort.o \
	src/kernels/percentile.o \
	src/kernels/histogram.o \
	src/kernels/vec.o \
	src/kernels/hll.o \
	src/kernels/topk.o \
	src/kernels/qsketch.o \
	src/kernels/graph.o \
	src/kernels/batch.o \
	src/kernels/textparse.o \
	src/kernels/textfn.o \
	src/kernels/recsplit.o

DATA = sql/parproc--0.1.sql sql/parproc--0.1--0.2.sql
PG_CPPFLAGS = -I$(srcdir)/src
SHLIB_LINK = -lz

REGRESS = stats percentile histogram vec matrix linreg hll topk qsketch agg_state catalog graph pipeline pipeline_write pipeline_upsert pipeline_aggregate vectorize \
	pipeline_resume pipeline_source pipeline_security pipeline_file
ISOLATION = snapshot graph_refresh pipeline_concurrency pipeline_retry
REGRESS_OPTS = --inputdir=test
ISOLATION_OPTS = --inputdir=test
TAP_TESTS = 1
PROVE_TESTS = test/t/*.pl

EXTRA_CLEAN = bench/kernels test/unit/test_kernels $(FUZZ_TARGETS:%=test/unit/fuzz_%) test/unit/fuzz_*.log output_iso tmp_check

# Prefer PostgreSQL 15's pg_config when several versions are installed.
PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)

.DEFAULT_GOAL := all

ifneq ($(PGXS),)
include $(PGXS)
else
all install installcheck:
	@echo "pg_config was not found: install postgresql-server-dev-15," \
	      "or run 'make demo' or 'make test' as root, which installs it." >&2
	@exit 1
endif

# PGXS tracks no header dependencies: rebuild every object when a header changes.
$(OBJS): $(wildcard src/*.h src/*/*.h)

# gcc's -O2 vectorises only loops of known length; the vec_* kernels are
# written to be vectorised at any length (see src/kernels/vec.c).
VECTORIZE_CFLAGS = $(if $(findstring gcc,$(notdir $(CC))),-fvect-cost-model=dynamic)
src/kernels/vec.o: CFLAGS += $(VECTORIZE_CFLAGS)

# Unit tests of the pure-C kernels: no server needed.
# main.c runs the tests of test/unit/test_*.c, one file per kernel.
KERNEL_SRCS = $(wildcard src/kernels/*.c)
UNIT_SRCS = test/unit/main.c $(wildcard test/unit/test_*.c)
test/unit/test_kernels: $(UNIT_SRCS) test/unit/unit.h $(KERNEL_SRCS) $(wildcard src/kernels/*.h)
	$(or $(CC),cc) -O2 -g $(UNIT_CFLAGS) -o $@ $(UNIT_SRCS) $(KERNEL_SRCS) -lm

.PHONY: unittest fuzz test test-pg test-citus demo bench bench-report bench-kernels indent deb
unittest: test/unit/test_kernels
	test/unit/test_kernels

# Coverage-guided fuzzing of the decoders under AddressSanitizer (clang's
# libFuzzer, Debian package libclang-rt-14-dev).  FUZZ_SECONDS per target.
FUZZ_CC = $(firstword $(wildcard /usr/bin/clang-14) clang)
FUZZ_SECONDS ?= 20
FUZZ_TARGETS = hll topk qsketch textparse recsplit
test/unit/fuzz_%: test/unit/fuzz_%.c src/kernels/%.c src/kernels/%.h src/kernels/bytes.h src/kernels/sort.c
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -o $@ $< src/kernels/$*.c src/kernels/sort.c -lm
fuzz: $(FUZZ_TARGETS:%=test/unit/fuzz_%)
	@for t in $(FUZZ_TARGETS); do \
		test/unit/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=70000 >test/unit/fuzz_$$t.log 2>&1 \
			|| { tail -n 40 test/unit/fuzz_$$t.log; exit 1; }; \
		echo "fuzz_$$t: $$(grep -E '^Done [0-9]+ runs' test/unit/fuzz_$$t.log)"; \
	done

test:
	scripts/test.sh

# The same against PostgreSQL $(PGVERSION) (17 or 18) in a Debian root; root only.
test-pg:
	scripts/pgroot.sh $(PGVERSION)

# parproc on a three-node Citus cluster; Citus built from CITUS_SRC (its
# source archive) unless installed.
test-citus:
	CITUS_SRC="$(CITUS_SRC)" scripts/citus.sh

demo:
	scripts/demo.sh

# postgresql-<v>-parproc_<version>_<arch>.deb in tmp/deb/ (pg_buildext)
deb:
	scripts/deb.sh

# pgindent's layout (pg_bsd_indent), in place.
indent:
	scripts/indent.sh

# Kernel micro-benchmarks behind the README's design notes.
bench/kernels: bench/kernels.c src/kernels/sort.c src/kernels/percentile.c src/kernels/recsplit.c src/kernels/recsplit.h
	$(or $(CC),cc) -O2 -o $@ bench/kernels.c src/kernels/sort.c src/kernels/percentile.c src/kernels/recsplit.c -lm
bench-kernels: bench/kernels
	bench/kernels

bench:
	bench/run
	bench/vec
	bench/matrix
	bench/qsketch
	bench/hll
	bench/topk
	bench/graph
	bench/pipeline
	bench/vectorize
	bench/upsert
	bench/state

# bench/out/report.md: every bench's tables and plots (BENCH_QUICK=1: in minutes)
bench-report:
	bench/report
