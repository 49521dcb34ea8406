#!/usr/bin/env bash
# A local PostgreSQL for the repository suite: Debian's package, listening on 127.0.0.1 and the
# unix socket only, a `codeyard` role and a `codeyard_test` database. Idempotent: safe to run on
# a machine that has it all already. Prints the URL to pass as CODEYARD_TEST_DATABASE_URL on its
# last line (every test run makes its own schema in that database, so runs do not collide).
set -euo pipefail

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
if ! command -v pg_lsclusters >/dev/null || [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
  $SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi

# The first (Debian 12: only) cluster the package made, e.g. "15 main".
read -r version cluster _ < <(pg_lsclusters -h | head -n 1)
conf="/etc/postgresql/$version/$cluster/postgresql.conf"
# Debian's default is localhost already; set it explicitly so no other address is ever listened on.
if ! $SUDO grep -q "^listen_addresses = '127.0.0.1'" "$conf"; then
  echo "listen_addresses = '127.0.0.1'" | $SUDO tee -a "$conf" >/dev/null
  $SUDO pg_ctlcluster "$version" "$cluster" stop >/dev/null 2>&1 || true
fi
$SUDO pg_ctlcluster "$version" "$cluster" start >/dev/null 2>&1 || true
pg_lsclusters -h | grep -q "^$version $cluster .* online" || { echo "postgres.sh: cluster $version/$cluster did not start" >&2; exit 1; }
port=$(pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c { print $3 }')

as_postgres() { $SUDO su postgres -c "$1"; }
# Trusted loopback only; the password is for tests on this machine and never leaves it.
if [ "$(as_postgres "psql -p $port -tAc \"SELECT 1 FROM pg_roles WHERE rolname = 'codeyard'\"")" != "1" ]; then
  as_postgres "psql -p $port -qc \"CREATE ROLE codeyard LOGIN PASSWORD 'codeyard' SUPERUSER\""
fi
if [ "$(as_postgres "psql -p $port -tAc \"SELECT 1 FROM pg_database WHERE datname = 'codeyard_test'\"")" != "1" ]; then
  as_postgres "createdb -p $port -O codeyard codeyard_test"
fi

echo "postgres://codeyard:codeyard@127.0.0.1:$port/codeyard_test"
