#!/usr/bin/env bash
# Decomposes what an outbox event costs a business transaction on PostgreSQL, with pgbench:
# (a) begin; insert one business row; commit, against (a) plus a second business row and (a)
# plus the event insert as PostgresEventStatements issues it (advisory locks in the same
# statement, about 1 KB payload, jsonb headers), and variants of that insert without the
# writers lock, without the key lock, without both, with text headers, without the identity
# column, with the primary key as the only index, with a 2-byte payload, with the message id
# bound rather than computed by a SQL function (as the starter does), and sent with the
# COMMIT in one round trip (pipeline). Variants run in interleaved rounds on fresh tables.
#
# Usage: write-concurrency.sh [clients=32] [seconds=4] [rounds=4] [variant...]
# Connection: the libpq variables (PGHOST, PGPORT, PGUSER); creates and drops the database
# outbox_pgbench. With PG_POSTMASTER_PID set (the server runs on this machine and runs
# nothing else), also prints the server's CPU time per transaction: all its processes,
# exited backends included (read from /proc).
set -euo pipefail
clients=${1:-32}; seconds=${2:-4}; rounds=${3:-4}; shift $(( $# < 3 ? $# : 3 ))
variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(a a2 b b_nowriters b_nokey b_nolocks b_text b_noseq b_pkonly b_small b_bound b_pipe)
migrations=$(cd "$(dirname "$0")/../../outbox-core/src/main/resources/dev/outbox/db/event" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"; dropdb --if-exists outbox_pgbench' EXIT
dropdb --if-exists outbox_pgbench; createdb outbox_pgbench
psql="psql -X -q -v ON_ERROR_STOP=1 -d outbox_pgbench"
tables=(outbox_event outbox_event_text outbox_event_noseq outbox_event_pkonly)
for t in "${tables[@]}"; do
	cat "$migrations"/V1__*.sql "$migrations"/V2__*.sql "$migrations"/V3__*.sql | sed "s/\${event_table}/$t/g" > "$work/$t.sql"
done
sed -i "s/headers jsonb not null default '{}'::jsonb/headers text not null default '{}'/" "$work/outbox_event_text.sql"
sed -i 's/seq bigint generated always as identity,/seq bigint,/' "$work/outbox_event_noseq.sql"
for t in "${tables[@]}"; do $psql -f "$work/$t.sql"; done
$psql <<'SQL'
select format('drop index %I', indexname) from pg_indexes
	where tablename = 'outbox_event_pkonly' and indexname <> 'outbox_event_pkonly_pkey' \gexec
create table bench_order (id bigint primary key, customer text not null, total integer not null,
	created_at timestamptz not null default now());
-- time-ordered ids, like the starter's UUID v7 (bound by the starter, computed here)
create function uuid7() returns uuid language sql volatile as $$
	select encode(overlay(uuid_send(gen_random_uuid()) placing
		substring(int8send((extract(epoch from clock_timestamp()) * 1000)::bigint) from 3) from 1 for 6), 'hex')::uuid
$$;
SQL
payload="'\\x$(head -c 933 /dev/urandom | od -An -v -tx1 | tr -d ' \n')'::bytea"
business="\\set id random(1, 9000000000000000000)
\\set id2 random(1, 9000000000000000000)
\\set k random(-2147483648, 2147483647)
BEGIN;
insert into bench_order (id, customer, total) values (:id, 'customer-x', 100);"
# event <table> <locks: both|key|writers|none> <headers expression> <payload expression> [id expression]
event() {
	local cte="" from="(select 1) as one"
	case $2 in
		both) cte="with outbox_writers as (select pg_advisory_xact_lock_shared(cast(7239999999 as bigint))), outbox_lock as (select pg_advisory_xact_lock(12345, :k))"; from="outbox_writers, outbox_lock" ;;
		key) cte="with outbox_lock as (select pg_advisory_xact_lock(12345, :k))"; from="outbox_lock" ;;
		writers) cte="with outbox_writers as (select pg_advisory_xact_lock_shared(cast(7239999999 as bigint)))"; from="outbox_writers" ;;
	esac
	echo "$cte insert into $1 (id, aggregate_type, aggregate_id, event_type, destination, routing_key, message_key, partition_no, payload, content_type, headers, created_at, available_at, expires_at) select ${5:-uuid7()}, 'orders', 'order-' || :id, 'OrderPlaced', 'orders', null, 'order-' || :id, 3, $4, 'application/json', $3, now(), now(), null from $from;"
}
script() { { echo "$business"; [ -z "${2:-}" ] || echo "$2"; echo "END;"; } > "$work/$1.sql"; }
jsonb="cast('{}' as jsonb)"
script a
script a2 "insert into bench_order (id, customer, total) values (:id2, 'customer-y', 100);"
script b "$(event outbox_event both "$jsonb" "$payload")"
script b_nowriters "$(event outbox_event key "$jsonb" "$payload")"
script b_nokey "$(event outbox_event writers "$jsonb" "$payload")"
script b_nolocks "$(event outbox_event none "$jsonb" "$payload")"
script b_text "$(event outbox_event_text both "'{}'" "$payload")"
script b_noseq "$(event outbox_event_noseq both "$jsonb" "$payload")"
script b_pkonly "$(event outbox_event_pkonly both "$jsonb" "$payload")"
script b_small "$(event outbox_event both "$jsonb" "'\\x7b7d'::bytea")"
# the starter binds the message id; uuid7() above is a SQL function call per row
script b_bound "$(event outbox_event both "$jsonb" "$payload" "cast(lpad(to_hex(cast(:id as bigint)), 16, '0') || lpad(to_hex(cast(:id2 as bigint)), 16, '0') as uuid)")"
{ echo "$business"; echo '\startpipeline'; event outbox_event both "$jsonb" "$payload"; echo "END;"; echo '\endpipeline'; } > "$work/b_pipe.sql"
cpu() {
	[ -n "${PG_POSTMASTER_PID:-}" ] || { echo 0; return; }
	local total=0 f
	read -ra f <<< "$(sed 's/.*) //' /proc/"$PG_POSTMASTER_PID"/stat)"
	total=$(( f[11] + f[12] + f[13] + f[14] ))
	for p in $(pgrep -P "$PG_POSTMASTER_PID"); do
		read -ra f <<< "$(sed 's/.*) //' /proc/"$p"/stat 2>/dev/null)" || continue
		total=$(( total + f[11] + f[12] ))
	done
	echo $(( total * 1000000 / $(getconf CLK_TCK) ))
}
echo "load average at start: $(cat /proc/loadavg)"
for round in $(seq 1 "$rounds"); do
	$psql -c "truncate bench_order, $(IFS=,; echo "${tables[*]}")" -c checkpoint
	order=("${variants[@]}")
	if (( round % 2 == 0 )); then mapfile -t order < <(printf '%s\n' "${variants[@]}" | tac); fi
	for v in "${order[@]}"; do
		before=$(cpu)
		out=$(pgbench -n -M prepared -c "$clients" -j 2 -T "$seconds" -f "$work/$v.sql" outbox_pgbench 2>&1)
		sleep 0.3
		after=$(cpu)
		tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<< "$out")
		n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<< "$out")
		echo "$v ${tps:-0} $(( (after - before) / (n > 0 ? n : 1) ))"
	done
done > "$work/results"
echo "load average at end: $(cat /proc/loadavg)"
echo "$clients clients, $rounds rounds of $seconds s per variant; medians"
python3 - "$work/results" "${variants[@]}" <<'PY'
import collections, statistics, sys
tps, cpu = collections.defaultdict(list), collections.defaultdict(list)
for line in open(sys.argv[1]):
    v, t, c = line.split()
    tps[v].append(float(t)); cpu[v].append(int(c))
base = statistics.median(tps['a']) if 'a' in tps else None
print('| script | tx/s | ratio to a | server CPU µs/tx |')
print('|---|---:|---:|---:|')
for v in sys.argv[2:]:
    m = statistics.median(tps[v])
    ratio = f'{m / base:.2f}' if base else ''
    print(f'| {v} | {m:,.0f} | {ratio} | {statistics.median(cpu[v]):.0f} |')
PY
