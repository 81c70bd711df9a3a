#!/bin/sh
# Run by the nginx image's entrypoint before nginx starts: renders what the configuration
# includes from /tmp/bookshop: the allowed host names and the listen settings. With cert.pem and
# key.pem in /etc/nginx/tls, both entries speak HTTPS only. (Passwords are the login service's.)
set -eu
out=/tmp/bookshop
tls=/etc/nginx/tls
mkdir -p "$out"
umask 077

# The host names both entries answer to (any port), from BOOKSHOP_ALLOWED_HOSTS: names or
# addresses, separated by spaces or commas ([::1] for an IPv6 address).
: >"$out/allowed-hosts.conf"
set -f  # [::1] is no file pattern
for host in $(printf '%s' "${BOOKSHOP_ALLOWED_HOSTS:?}" | tr ',A-Z' ' a-z'); do
  if ! printf '%s' "$host" | grep -Eqx '[a-z0-9.-]+|\[[0-9a-f:.]+\]'; then
    echo "$0: BOOKSHOP_ALLOWED_HOSTS: '$host' is no host name (without a port)" >&2
    exit 1
  fi
  echo "\"$host\" 1;" >>"$out/allowed-hosts.conf"
done

if [ -s "$tls/cert.pem" ] && [ -s "$tls/key.pem" ]; then
  ssl=" ssl"
  cat >"$out/tls.conf" <<CONF
ssl_certificate $tls/cert.pem;
ssl_certificate_key $tls/key.pem;
ssl_protocols TLSv1.2 TLSv1.3;
add_header Strict-Transport-Security "max-age=31536000" always;
CONF
  echo "$0: HTTPS with $tls/cert.pem" >&2
else
  ssl=""
  : >"$out/tls.conf"
fi
echo "listen 3000$ssl;" >"$out/listen-operator.conf"
echo "listen 3001$ssl;" >"$out/listen-viewer.conf"
