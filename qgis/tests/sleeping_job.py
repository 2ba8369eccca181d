"""A job that only sleeps, for the tests of what happens to a job when its worker dies.

    sleeping_job.py <workdir>

Writes its pid to <workdir>/pid once running, then sleeps a minute.
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from fieldbase_qgis.job import run_job  # noqa: E402


def sleep(job) -> dict:
    with open(os.path.join(job.workdir, "pid"), "w", encoding="utf-8") as file:
        file.write(str(os.getpid()))
    time.sleep(60)
    return {}


run_job(sleep, {})
