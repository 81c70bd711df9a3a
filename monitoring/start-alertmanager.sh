#!/bin/sh
# Renders alertmanager.yml (Alertmanager reads no environment variables in its configuration),
# checks it, then becomes Alertmanager. The webhook URL is written into /tmp only, never into a file
# of the repository or a volume.
set -eu
url=${BOOKSHOP_ALERT_WEBHOOK_URL:-}
case "$url" in
  "") receiver=none ;;
  http://*|https://*) receiver=webhook ;;
  *) echo "BOOKSHOP_ALERT_WEBHOOK_URL must start with http:// or https://" >&2; exit 1 ;;
esac
case "$url" in
  *[\"\\\ ]*) echo "BOOKSHOP_ALERT_WEBHOOK_URL must not contain quotes, backslashes or spaces" >&2; exit 1 ;;
esac
sed -e "s|\${RECEIVER}|$receiver|" \
    -e "s|\${BOOKSHOP_ALERT_GROUP_WAIT}|$BOOKSHOP_ALERT_GROUP_WAIT|" \
    -e "s|\${BOOKSHOP_ALERT_GROUP_INTERVAL}|$BOOKSHOP_ALERT_GROUP_INTERVAL|" \
    -e "s|\${BOOKSHOP_ALERT_REPEAT_INTERVAL}|$BOOKSHOP_ALERT_REPEAT_INTERVAL|" \
    /etc/bookshop/monitoring/alertmanager.yml >/tmp/alertmanager.yml
if [ "$receiver" = webhook ]; then
  printf '  - name: webhook\n    webhook_configs:\n      - url: "%s"\n        send_resolved: true\n' "$url" \
    >>/tmp/alertmanager.yml
fi
amtool check-config /tmp/alertmanager.yml >/dev/null
exec /bin/alertmanager --config.file=/tmp/alertmanager.yml --storage.path=/alertmanager \
  --web.listen-address=:9093 --cluster.listen-address=
