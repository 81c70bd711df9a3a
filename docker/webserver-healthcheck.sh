#!/bin/bash
# Healthy while the webserver answers GET /server_info with 200. Plain bash over /dev/tcp: no
# Python start-up for each check.
set -eu
exec 3<>/dev/tcp/127.0.0.1/3000
printf 'GET /server_info HTTP/1.0\r\n\r\n' >&3
head -n 1 <&3 | grep -q ' 200 '
