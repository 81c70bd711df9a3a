#!/bin/sh
# Entrypoint of the Dagster images: exports the database passwords this container was given (the
# volume that compose mounts on /run/bookshop-passwords, written by docker/passwords.sh), then
# runs the command. A bookshop run container mounts what its code server mounts and so reads the
# MySQL reader's password here too; Dagster's it is given by the daemon's run launcher.
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
