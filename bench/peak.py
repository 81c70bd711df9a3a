"""Runs one command and writes its wall time and peak RSS as JSON to the file named first.

    python -I -S bench/peak.py RESULT.json COMMAND [ARGUMENT ...]

Started lean on purpose: Linux keeps a process's peak RSS across exec, counting the memory of
the process it was forked from, so the benchmark (which has imported pandas and Dagster) cannot
spawn measured commands itself. This launcher is about 10 MB: readings near that mean "at most".
"""

import json
import os
import sys
import time


def main(result_path: str, command: list[str]) -> int:
    started = time.perf_counter()
    pid = os.posix_spawnp(command[0], command, os.environ)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    with open(result_path, "w") as result:
        json.dump({"seconds": seconds, "peak_rss_kb": usage.ru_maxrss, "exit_code": code}, result)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
