#!/usr/bin/env bash
# valgrind.sh: run the regression suite against a server running under
# valgrind memcheck, and fail if valgrind reports an error in accmatch code.
#
# A private cluster is created in a temporary directory (as the postgres
# user when run as root), its postmaster started under
#   valgrind --tool=memcheck --trace-children=yes --track-origins=yes
# (every backend and worker is a fork of it, so all of them are checked),
# and then run against it: `make installcheck` (every REGRESS test and
# ISOLATION spec of the Makefile) and the pgTAP files listed in
# $PGTAP_TESTS (by default test/security.sql, test/fuzz_documents.sql and
# test/summary_state.sql: every code path of the functions, 10,000
# malformed documents, and random action summary states through text,
# binary COPY and merges; PGTAP_TESTS= runs none, and
# PGTAP_TESTS="test/match.sql ..." any others, though a file that takes
# 20 s on its own takes 10 to 20 minutes here; test/cancel.sql's timings
# mean nothing under valgrind).  The server is stopped and the
# valgrind logs scanned: an error record (invalid read/write/free, use of
# uninitialised memory, conditional jump on it, ...) whose stack, or origin
# stack, has a frame in accmatch.so or in one of our source files fails the
# run; other records are listed but do not fail it.  A failing test fails
# the run too.
#
# Limits: Debian's postgres is not built with USE_VALGRIND, so there are
# no memory-context-level checks (a read past the end of a palloc'd chunk
# that stays inside the context's block, or of a pfree'd chunk, is not
# seen); valgrind sees malloc-level blocks and uninitialised bytes only.
# No --error-exitcode is given: a backend exiting with such a code would
# make the postmaster restart every session.  Leak checking is off (memory
# contexts free everything at once).
#
# Usage:  bash test/valgrind.sh          (after make install; takes minutes)
#         KEEP=1 bash test/valgrind.sh   (keep the cluster and logs)
#         VALGRIND_REGRESS='setup match_rules summary' PGTAP_TESTS=test/match.sql \
#             bash test/valgrind.sh      (a subset)
# The suppressions PostgreSQL itself needs are in test/valgrind.supp.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)

. test/pgversion.sh
bindir=$("$PG_CONFIG" --bindir)
port=${VALGRIND_PGPORT:-54329}
supp="$src/test/valgrind.supp"
PGTAP_TESTS=${PGTAP_TESTS-test/security.sql test/fuzz_documents.sql test/summary_state.sql}

command -v valgrind >/dev/null || { echo "valgrind: not installed" >&2; exit 2; }

# The whole suite runs unless VALGRIND_REGRESS picks tests: then every
# pg_regress file must be in the Makefile's REGRESS, or it would be skipped.
if [ -z "${VALGRIND_REGRESS:-}" ]; then
	regress=" $(make -s --no-print-directory PG_CONFIG="$PG_CONFIG" print-REGRESS) "
	for f in sql/*.sql; do
		t=$(basename "$f" .sql)
		case "$regress" in
			*" $t "*) ;;
			*) echo "valgrind: $f is not in the Makefile's REGRESS" >&2; exit 1 ;;
		esac
	done
fi

as_pg=()
[ "$(id -u)" -eq 0 ] && as_pg=(runuser -u postgres --)

tmp=$(mktemp -d /tmp/accmatch-valgrind.XXXXXX)
mkdir "$tmp/data" "$tmp/logs" "$tmp/sock" "$tmp/regress"
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$tmp/data" "$tmp/logs" "$tmp/sock"
chmod 755 "$tmp"
# the server runs as postgres, which may not read the checkout (/root)
cp "$supp" "$tmp/valgrind.supp"
chmod 644 "$tmp/valgrind.supp"
supp="$tmp/valgrind.supp"

stop_server() {
	if [ -f "$tmp/data/postmaster.pid" ]; then
		"${as_pg[@]}" "$bindir/pg_ctl" -D "$tmp/data" -m fast -t 600 -w stop \
			>/dev/null 2>&1 || true
	fi
}
# shellcheck disable=SC2317  # run by the trap below
cleanup() {
	stop_server
	if [ "${KEEP:-0}" = 1 ] || [ "${failed:-1}" != 0 ]; then
		echo "valgrind: cluster and logs kept in $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT

start=$(date +%s)
"${as_pg[@]}" "$bindir/initdb" -D "$tmp/data" -U postgres --auth=trust \
	--encoding=UTF8 --locale=C.UTF-8 --no-sync >"$tmp/initdb.log" 2>&1

# Small shared memory, no JIT (LLVM under valgrind is slow and noisy), the
# usual regression-test settings otherwise.  The postmaster's own output
# goes to postmaster.log.
"${as_pg[@]}" valgrind --tool=memcheck --trace-children=yes \
	--track-origins=yes --read-var-info=no --num-callers=40 \
	--leak-check=no --error-limit=no \
	--error-markers=VALGRINDERROR-BEGIN,VALGRINDERROR-END \
	--suppressions="$supp" --gen-suppressions=all \
	--log-file="$tmp/logs/valgrind.%p.log" \
	"$bindir/postgres" -D "$tmp/data" -p "$port" -k "$tmp/sock" \
	-c listen_addresses= -c shared_buffers=32MB \
	-c jit=off -c fsync=off -c autovacuum=off \
	-c max_parallel_workers_per_gather=2 \
	-c log_min_messages=warning -c log_line_prefix='%m [%p] ' \
	>"$tmp/postmaster.log" 2>&1 &

export PGHOST="$tmp/sock" PGPORT="$port" PGUSER=postgres PGDATABASE=postgres
for _ in $(seq 1 600); do
	"$bindir/pg_isready" -q && break
	sleep 1
done
"$bindir/pg_isready" -q || { echo "valgrind: server did not start" >&2; cat "$tmp/postmaster.log" >&2; exit 1; }
echo "valgrind: server up after $(( $(date +%s) - start )) s; logs in $tmp/logs"

tests_failed=0
echo "valgrind: make installcheck"
# shellcheck disable=SC2086
if ! make -s installcheck PG_CONFIG="$PG_CONFIG" \
	REGRESS_OUTPUTDIR="$tmp/regress" \
	${VALGRIND_REGRESS:+REGRESS="$VALGRIND_REGRESS"}; then
	cat "$tmp/regress/regression.diffs" \
		"$tmp/regress/output_iso/regression.diffs" 2>/dev/null || true
	tests_failed=1
fi

if [ -n "$PGTAP_TESTS" ]; then
	echo "valgrind: pg_prove $PGTAP_TESTS"
	"$bindir/psql" -Xq -c 'CREATE EXTENSION IF NOT EXISTS pgtap'
	# shellcheck disable=SC2086
	if ! pg_prove --failures $PGTAP_TESTS; then
		tests_failed=1
	fi
fi

stop_server
echo "valgrind: tests done after $(( $(date +%s) - start )) s"

# Split the logs into error records and sort them: ours (a frame of
# accmatch.so, of one of our source files, or of one of our C functions)
# or someone else's.  A record is printed with its file.
# (every C file of src/, so a new one is covered without an edit here)
c_files=
for f in src/*.c; do
	f=${f##*/}
	c_files+="${c_files:+|}${f%.c}"
done
ours_re='accmatch\.so|[( ]('"$c_files"')\.c:[0-9]+\)|(match_payments|match_resolve_table|match_check_same_types|month_map_[a-z_]+|match_reader_[a-z_]+|action_summary_[a-z_]+|account_actions)[ (]'
report="$tmp/valgrind-errors.txt"
: >"$report"
ours=0
others=0
for log in "$tmp"/logs/valgrind.*.log; do
	[ -e "$log" ] || continue
	# records between the markers, as one line each (\x1f between lines)
	while IFS= read -r rec; do
		[ -n "$rec" ] || continue
		if printf '%s' "$rec" | grep -Eq "$ours_re"; then
			ours=$((ours + 1))
			tag=ACCMATCH
		else
			others=$((others + 1))
			tag=other
		fi
		{
			echo "=== [$tag] $(basename "$log")"
			printf '%s\n' "$rec" | tr '\037' '\n'
		} >>"$report"
	done < <(awk '
		/VALGRINDERROR-BEGIN/ { inrec = 1; rec = ""; next }
		/VALGRINDERROR-END/ { if (inrec) print rec; inrec = 0; next }
		inrec { sub(/^==[0-9]+== ?/, ""); rec = rec $0 "\037" }
	' "$log")
done

echo "valgrind: $(find "$tmp/logs" -type f | wc -l) processes, $ours error record(s) in accmatch, $others elsewhere"
if [ "$others" -gt 0 ]; then
	echo "valgrind: errors outside accmatch (not failing the run), by kind and first frame:"
	awk '/^=== \[other\]/ { getline kind; getline frame; sub(/^ *at 0x[0-9A-F]+: /, "", frame); print "  " kind " | " frame }' \
		"$report" | sort | uniq -c | sort -rn
fi
if [ "$ours" -gt 0 ]; then
	echo "valgrind: errors in accmatch:"
	awk '/^=== \[ACCMATCH\]/ { p = 1 } /^=== \[other\]/ { p = 0 } p' "$report"
fi
[ "${KEEP:-0}" = 1 ] || [ "$ours" -gt 0 ] || [ "$tests_failed" -ne 0 ] &&
	echo "valgrind: full report in $report"

failed=0
[ "$ours" -eq 0 ] || failed=1
[ "$tests_failed" -eq 0 ] || { echo "valgrind: some tests failed under valgrind"; failed=1; }
echo "valgrind: total $(( $(date +%s) - start )) s, $([ "$failed" -eq 0 ] && echo PASS || echo FAIL)"
exit "$failed"
