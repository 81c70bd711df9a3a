#!/bin/sh
# Webserver and daemon reach the Docker engine through its socket (the run launcher), and the
# group that owns the socket differs from machine to machine. Started as root, this joins that
# group, then drops root for good: the service itself runs as uid 10001.
set -eu
if [ "$(id -u)" != 0 ]; then
  exec "$@"
fi
groups=10001
if [ -S /var/run/docker.sock ]; then
  groups="$groups,$(stat -c %g /var/run/docker.sock)"
fi
exec setpriv --reuid=10001 --regid=10001 --groups="$groups" --inh-caps=-all --bounding-set=-all -- "$@"
