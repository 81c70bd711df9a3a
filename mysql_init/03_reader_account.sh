#!/bin/bash
# The pipeline's read-only account: SELECT on shop.* and nothing else. Its password is the one
# kept on the dagster password volume (docker/passwords.sh), or MYSQL_READER_PASSWORD if set.
set -euo pipefail
: "${MYSQL_READER_USER:?set MYSQL_READER_USER to the pipeline account name}"
reader_password=${MYSQL_READER_PASSWORD:-$(cat /run/bookshop-passwords/dagster/mysql_reader)}
reader_password=${reader_password//\'/\'\'}
docker_process_sql <<SQL
CREATE USER IF NOT EXISTS '${MYSQL_READER_USER}'@'%' IDENTIFIED BY '${reader_password}';
GRANT SELECT ON shop.* TO '${MYSQL_READER_USER}'@'%';
SQL
