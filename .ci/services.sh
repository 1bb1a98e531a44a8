# Sourced by .ci/run: starts a throwaway PostgreSQL cluster on loopback and exports
# PERFGATE_TEST_POSTGRES_URL for the tests that need it (they fail without it).
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PG_PORT=${PG_PORT:-$(free_port)}
PG_PASSWORD=perfgate-test-secret
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$PGBIN" ]; then
  echo "PostgreSQL is not installed" >&2
  return 1
fi
PGDATA=$(mktemp -d /tmp/perfgate-pg.XXXXXX)
pwfile=$(mktemp)
echo "$PG_PASSWORD" > "$pwfile"
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    chown -R postgres "$PGDATA" "$pwfile"
    su postgres -s /bin/sh -c "$*"
  else
    sh -c "$*"
  fi
}
as_pg "$PGBIN/initdb -D $PGDATA -U perfgate --auth=scram-sha-256 --pwfile=$pwfile >/dev/null"
as_pg "$PGBIN/pg_ctl -D $PGDATA -l $PGDATA/server.log -o \"-p $PG_PORT -c listen_addresses=127.0.0.1 -k $PGDATA\" -w start >/dev/null"
rm -f "$pwfile"
export PERFGATE_TEST_POSTGRES_URL="postgresql://perfgate:$PG_PASSWORD@127.0.0.1:$PG_PORT/postgres"
export PERFGATE_TEST_PG_STOP="$PGBIN/pg_ctl -D $PGDATA -m fast stop"
echo "PostgreSQL started on 127.0.0.1:$PG_PORT"

# A throwaway MariaDB server for the MySQL/MariaDB database scenarios.
MY_PORT=${MY_PORT:-$(free_port)}
MYDIR=$(mktemp -d /tmp/perfgate-maria.XXXXXX)
if [ "$(id -u)" -eq 0 ]; then chown -R mysql "$MYDIR"; MYUSER="--user=mysql"; else MYUSER=""; fi
mariadb-install-db $MYUSER --datadir="$MYDIR/data" --auth-root-authentication-method=normal >"$MYDIR/install.log" 2>&1
if [ "$(id -u)" -eq 0 ]; then
  su mysql -s /bin/sh -c "mariadbd --datadir=$MYDIR/data --socket=$MYDIR/sock --port=$MY_PORT --bind-address=127.0.0.1 --pid-file=$MYDIR/pid" >"$MYDIR/server.log" 2>&1 &
else
  mariadbd --datadir="$MYDIR/data" --socket="$MYDIR/sock" --port="$MY_PORT" --bind-address=127.0.0.1 --pid-file="$MYDIR/pid" >"$MYDIR/server.log" 2>&1 &
fi
for _ in $(seq 100); do
  mariadb -uroot --socket="$MYDIR/sock" -e "select 1" >/dev/null 2>&1 && break
  sleep 0.2
done
[ -f "$MYDIR/pid" ] || { echo "MariaDB did not start:" >&2; tail -20 "$MYDIR/server.log" >&2; return 1; }
mariadb -uroot --socket="$MYDIR/sock" -e "CREATE USER 'perfgate'@'127.0.0.1' IDENTIFIED BY 'maria-test-secret'; CREATE DATABASE perfgate; GRANT ALL ON perfgate.* TO 'perfgate'@'127.0.0.1';"
export PERFGATE_TEST_MYSQL_URL="mysql://perfgate:maria-test-secret@127.0.0.1:$MY_PORT/perfgate"
export PERFGATE_TEST_MY_STOP="kill $(cat "$MYDIR/pid" 2>/dev/null)"
echo "MariaDB started on 127.0.0.1:$MY_PORT"
