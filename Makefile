# accmatch: plain PGXS build.  Warning flags come from the caller, e.g.
#   make PG_CFLAGS="-Wall -Wextra -Werror"

MODULE_big = accmatch
MATCH_OBJS = \
	src/match.o \
	src/match_catalog.o \
	src/match_core.o \
	src/match_ids.o \
	src/match_ids_keys.o \
	src/match_ids_rank.o \
	src/match_ids_radix.o \
	src/match_input.o \
	src/match_keys.o \
	src/match_months.o \
	src/match_result.o \
	src/match_rows.o \
	src/match_spill.o
ALLOCATE_OBJS = \
	src/allocate.o \
	src/allocate_amount.o \
	src/allocate_core.o \
	src/corrections.o \
	src/ledger.o \
	src/ledger_lookup.o
SUMMARY_OBJS = \
	src/summary.o \
	src/summary_agg.o \
	src/summary_binary.o \
	src/summary_json.o \
	src/summary_state.o \
	src/summary_text.o \
	src/summary_v11.o
OBJS = \
	$(MATCH_OBJS) \
	$(ALLOCATE_OBJS) \
	$(SUMMARY_OBJS) \
	src/account_actions.o \
	src/created_at.o

EXTENSION = accmatch
DATA = accmatch--1.0.sql accmatch--1.0--1.1.sql accmatch--1.1.sql \
	accmatch--1.1--1.2.sql accmatch--1.2.sql

REGRESS = setup upgrade match_rules match_errors match_types match_ids match_partition allocate_rules allocate_errors corrections summary summary_state summary_rollup documents summary_parallel distributed cleanup
# results/ goes under REGRESS_OUTPUTDIR (test/valgrind.sh points it elsewhere)
REGRESS_OUTPUTDIR ?= .
# (PGXS passes --inputdir=$(srcdir), so the tests are found from a build
# directory too)
REGRESS_OPTS = --outputdir=$(REGRESS_OUTPUTDIR) --load-extension=accmatch
# isolation tests (pg_isolation_regress): specs and expected output in
# test/isolation/, results in output_iso/ under REGRESS_OUTPUTDIR
ISOLATION = corrections
ISOLATION_OPTS = --inputdir=$(srcdir)/test/isolation \
	--outputdir=$(REGRESS_OUTPUTDIR)/output_iso --load-extension=accmatch

# Server headers are system headers: -Wextra then speaks of our code only.
PG_CPPFLAGS = -isystem $(includedir_server)

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(MATCH_OBJS) $(ALLOCATE_OBJS): src/match.h
src/corrections.o src/ledger.o src/ledger_lookup.o: src/ledger.h
src/match_input.o src/match_keys.o src/match_rows.o src/match_spill.o: src/match_input_int.h
$(OBJS): src/compat.h
src/match_ids.o src/match_ids_keys.o src/match_ids_rank.o src/match_ids_radix.o: src/match_ids_int.h
src/match_core.o: src/match_sort.h
$(SUMMARY_OBJS): src/summary.h src/summary_int.h
src/account_actions.o: src/summary.h src/created_at.h
src/created_at.o: src/created_at.h

# Out-of-tree builds (make -f SRCDIR/Makefile VPATH=SRCDIR, as Debian's
# pg_buildext runs it in build-NN/): the objects go to src/ under the
# build directory, which must exist before the compiler writes there.
ifneq ($(VPATH),)
$(shell mkdir -p src)
endif

# pgTAP suite; needs a running server and pgTAP installed (see test/check.sh).
.PHONY: prove
prove:
	pg_prove --failures $(srcdir)/test/*.sql

# PGXN release archive: accmatch-<version>.zip, <version> being the release
# version in META.json, made by git archive from the committed HEAD
# (test/pgxn.sh checks it).
.PHONY: dist
dist:
	version=$$(grep -m 1 -o '"version": *"[^"]*"' $(srcdir)/META.json | cut -d '"' -f 4) && \
	git -C $(srcdir) archive --format=zip --prefix=$(EXTENSION)-$$version/ \
		--output=$(CURDIR)/$(EXTENSION)-$$version.zip HEAD && \
	echo "$(EXTENSION)-$$version.zip"

# make print-VAR prints the value of VAR (the test scripts read REGRESS and
# REGRESS_OPTS this way)
print-%:
	@echo '$($*)'
