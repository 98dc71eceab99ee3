# accmatch: plain PGXS build.  Warning flags come from the caller, e.g.
#   make PG_CFLAGS="-Wall -Wextra -Werror"

MODULE_big = accmatch
OBJS = \
	src/match.o \
	src/match_input.o \
	src/summary.o \
	src/summary_agg.o \
	src/summary_json.o \
	src/account_actions.o \
	src/created_at.o

EXTENSION = accmatch
DATA = accmatch--1.0.sql

REGRESS = match_rules match_errors match_types match_partition summary documents summary_parallel
# results/ goes under REGRESS_OUTPUTDIR (test/valgrind.sh points it elsewhere)
REGRESS_OUTPUTDIR ?= .
REGRESS_OPTS = --inputdir=. --outputdir=$(REGRESS_OUTPUTDIR) --load-extension=accmatch

# Server headers are system headers: -Wextra then speaks of our code only.
PG_CPPFLAGS = -isystem $(includedir_server)

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(OBJS): src/accmatch.h
src/summary.o src/summary_agg.o src/summary_json.o: src/summary.h src/summary_int.h
src/summary.o src/summary_agg.o: src/compat.h
src/account_actions.o: src/summary.h src/created_at.h src/compat.h
src/created_at.o: src/created_at.h src/compat.h

# pgTAP suite; needs a running server and pgTAP installed (see test/check.sh).
.PHONY: prove
prove:
	pg_prove --failures test/*.sql
