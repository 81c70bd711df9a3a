#!/bin/bash
# The pipeline's read-only account: SELECT on shop.* and nothing else.
# Its name and password come from the environment, never from a file.
set -euo pipefail
: "${MYSQL_READER_USER:?set MYSQL_READER_USER to the pipeline account name}"
: "${MYSQL_READER_PASSWORD:?set MYSQL_READER_PASSWORD to the pipeline account password}"
reader_password=${MYSQL_READER_PASSWORD//\'/\'\'}
docker_process_sql <<SQL
CREATE USER IF NOT EXISTS '${MYSQL_READER_USER}'@'%' IDENTIFIED BY '${reader_password}';
GRANT SELECT ON shop.* TO '${MYSQL_READER_USER}'@'%';
SQL
