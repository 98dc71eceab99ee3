# accmatch: plain PGXS build.  Warning flags come from the caller, e.g.
#   make PG_CFLAGS="-Wall -Wextra -Werror"

MODULE_big = accmatch
MATCH_OBJS = \
	src/match.o \
	src/match_catalog.o \
	src/match_core.o \
	src/match_input.o \
	src/match_months.o
ALLOCATE_OBJS = \
	src/allocate.o \
	src/allocate_amount.o \
	src/allocate_core.o
OBJS = \
	$(MATCH_OBJS) \
	$(ALLOCATE_OBJS) \
	src/summary.o \
	src/documents.o

EXTENSION = accmatch
DATA = accmatch--1.0.sql accmatch--1.1.sql accmatch--1.0--1.1.sql

REGRESS = match_rules match_errors match_types match_partition allocate_rules allocate_errors summary documents summary_parallel
# results/ goes under REGRESS_OUTPUTDIR (test/valgrind.sh points it elsewhere)
REGRESS_OUTPUTDIR ?= .
REGRESS_OPTS = --inputdir=. --outputdir=$(REGRESS_OUTPUTDIR) --load-extension=accmatch

# Server headers are system headers: -Wextra then speaks of our code only.
PG_CPPFLAGS = -isystem $(includedir_server)

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(OBJS): src/accmatch.h
$(MATCH_OBJS) $(ALLOCATE_OBJS): src/match.h

# pgTAP suite; needs a running server and pgTAP installed (see test/check.sh).
.PHONY: prove
prove:
	pg_prove --failures test/*.sql
