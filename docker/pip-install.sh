#!/bin/sh
# Both images install their packages with this, into the virtualenv at /opt/venv: the base
# image's pip installs (the virtualenv has no pip of its own), leaves no cache behind, the test
# suites that pandas and pyarrow ship are dropped, and bytecode is compiled at build time.
# Arguments: what to install, as for `pip install` (`-r locks/x.txt`, or `--no-deps ./user_code`).
set -eu
pip --python /opt/venv/bin/python install --no-cache-dir "$@"
site_packages=$(/opt/venv/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
rm -rf "$site_packages/pandas/tests" "$site_packages/pyarrow/tests"
/opt/venv/bin/python -m compileall -q -j 0 "$site_packages" >/dev/null
