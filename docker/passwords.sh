#!/bin/sh
# One-shot, before the databases start: the password of each database account. It comes from its
# variable (.env), or from the file its *_FILE variable names on the host (a compose secret), or
# else is generated on the first start and kept, so no two installs share one. Each is kept on the
# volume of the containers that use it (one volume per audience: admin, dagster, viewer); a
# container mounts only the passwords of the accounts it uses. No password is ever logged.
set -eu
umask 022
kept=/run/bookshop-passwords

# $1: file under $kept; $2: the variable that may set it (its secret has the same name, lowercase).
keep() {
  file=$kept/$1
  value=$(printenv "$2" || true)
  secret=/run/secrets/$(echo "$2" | tr 'A-Z' 'a-z')
  if [ -n "$value" ] && [ -s "$secret" ]; then
    echo "$0: set $2 or $2_FILE, not both" >&2
    exit 1
  fi
  if [ -s "$secret" ]; then
    value=$(cat "$secret")
  fi
  if [ -n "$value" ]; then
    printf '%s' "$value" >"$file.new"
    mv "$file.new" "$file"
  elif [ ! -s "$file" ]; then
    head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '\n' >"$file.new"
    mv "$file.new" "$file"
    echo "$0: $2 was generated; read it with: docker compose exec postgres cat $file" >&2
  fi
}

keep admin/postgres POSTGRES_ADMIN_PASSWORD
keep admin/mysql_root MYSQL_ROOT_PASSWORD
keep dagster/postgres DAGSTER_POSTGRES_PASSWORD
keep dagster/mysql_reader MYSQL_READER_PASSWORD
keep viewer/postgres DAGSTER_POSTGRES_VIEWER_PASSWORD
# Every code location's code server loads the instance: Dagster's password, and nothing else.
cp "$kept/dagster/postgres" "$kept/locations/postgres.new"
mv "$kept/locations/postgres.new" "$kept/locations/postgres"
