#!/bin/sh
# Renders prometheus.yml with the scrape and evaluation interval, then becomes Prometheus, which
# keeps its data on the prometheus_data volume for BOOKSHOP_PROMETHEUS_RETENTION_TIME or
# BOOKSHOP_PROMETHEUS_RETENTION_SIZE, whichever is reached first, and serves its UI under
# /prometheus/ (the proxy's operator entry passes that path on).
set -eu
sed "s|\${BOOKSHOP_MONITORING_INTERVAL_SECONDS}|$BOOKSHOP_MONITORING_INTERVAL_SECONDS|g" \
  /etc/bookshop/monitoring/prometheus.yml >/tmp/prometheus.yml
exec /bin/prometheus \
  --config.file=/tmp/prometheus.yml \
  --storage.tsdb.path=/prometheus \
  --storage.tsdb.retention.time="$BOOKSHOP_PROMETHEUS_RETENTION_TIME" \
  --storage.tsdb.retention.size="$BOOKSHOP_PROMETHEUS_RETENTION_SIZE" \
  --web.external-url=/prometheus/ \
  --web.route-prefix=/prometheus \
  --web.console.templates=/etc/bookshop/monitoring/consoles \
  --web.console.libraries=/etc/prometheus/console_libraries
