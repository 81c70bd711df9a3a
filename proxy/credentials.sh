#!/bin/sh
# Run by the nginx image's entrypoint before nginx starts: renders what the configuration
# includes from /tmp/bookshop. For each role, the password comes from BOOKSHOP_<ROLE>_PASSWORD, or
# the compose secret /run/secrets/bookshop_<role>_password (BOOKSHOP_<ROLE>_PASSWORD_FILE on
# the host; readable by uid 101), or else is generated once and kept on the proxy's volume.
# Only bcrypt hashes (cost 10) reach nginx; no password is ever logged.
# With cert.pem and key.pem in /etc/nginx/tls, both entries speak HTTPS only.
set -eu
kept=/var/lib/bookshop-proxy
out=/tmp/bookshop
tls=/etc/nginx/tls
mkdir -p "$out"
umask 077

# Prints the role's "user:hash" line; $1 role, $2 prefix of its variables.
hashed_credential() {
  role=$1
  prefix=$2
  user=$(printenv "${prefix}_USER" || true)
  user=${user:-$role}
  password=$(printenv "${prefix}_PASSWORD" || true)
  file=/run/secrets/bookshop_${role}_password
  case "$user" in *:*)
    echo "$0: ${prefix}_USER must not contain ':'" >&2
    exit 1 ;;
  esac
  if [ -n "$password" ] && [ -s "$file" ]; then
    echo "$0: set ${prefix}_PASSWORD or ${prefix}_PASSWORD_FILE, not both" >&2
    exit 1
  fi
  if [ -s "$file" ]; then
    password=$(cat "$file")
  fi
  if [ -z "$password" ]; then
    if [ ! -s "$kept/$role.password" ]; then
      head -c 24 /dev/urandom | base64 | tr '+/' '-_' >"$kept/$role.password"
    fi
    password=$(cat "$kept/$role.password")
    echo "$0: the $role '$user' has a generated password; read it with:" \
      "docker compose exec proxy cat $kept/$role.password" >&2
  fi
  printf '%s\n' "$password" | htpasswd -n -i -B -C 10 "$user" | sed '/^$/d'
}

# The key that seals the cookies of checked passwords (login.js): new at each start.
head -c 32 /dev/urandom >"$out/login.key"

operator=$(hashed_credential operator BOOKSHOP_OPERATOR)
viewer=$(hashed_credential viewer BOOKSHOP_VIEWER)
printf '%s\n' "$operator" >"$out/operator.htpasswd"
# Operators may watch through the read-only entry too.
printf '%s\n%s\n' "$viewer" "$operator" >"$out/viewer.htpasswd"

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
