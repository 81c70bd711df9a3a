#!/bin/sh
# Entrypoint of the Dagster images: exports the database passwords this container was given (the
# volume that compose mounts on /run/bookshop-passwords, written by docker/passwords.sh), then
# runs the command. The daemon's run launcher copies them from its environment into each run
# container, which mounts no password volume and keeps the values it was given.
set -eu
kept=/run/bookshop-passwords
if [ -f "$kept/postgres" ]; then
  DAGSTER_POSTGRES_PASSWORD=$(cat "$kept/postgres")
  export DAGSTER_POSTGRES_PASSWORD
fi
if [ -f "$kept/mysql_reader" ]; then
  BOOKSHOP_MYSQL_PASSWORD=$(cat "$kept/mysql_reader")
  export BOOKSHOP_MYSQL_PASSWORD
fi
exec "$@"
