"""One job run: its input (job.json), its steps and feedback, and its result file.

A job script calls run_job(); whatever happens, result.json is written (atomically) and the process
exits 0, so the worker can tell a failed job (feedback.error) from a crashed process.
"""

import ctypes
import json
import os
import resource
import signal
import sys
import time
import traceback
from contextlib import contextmanager

FEEDBACK_VERSION = "2.0"
PR_SET_PDEATHSIG = 1  # <sys/prctl.h>


class JobError(Exception):
    """A failure the job's author foresaw; error_type is one of the spec's (§13.2)."""

    def __init__(self, error_type: str, message: str):
        super().__init__(message)
        self.error_type = error_type


class Job:
    def __init__(self, workdir: str):
        self.workdir = os.path.abspath(workdir)
        self.files_dir = os.path.join(self.workdir, "files")
        with open(os.path.join(self.workdir, "job.json"), encoding="utf-8") as file:
            self.input = json.load(file)
        self.steps = []
        self.outputs = {}

    def path_in_files(self, relative: str) -> str:
        path = os.path.normpath(os.path.join(self.files_dir, relative))
        if os.path.commonpath([path, self.files_dir]) != self.files_dir:
            raise JobError("FILE_NOT_FOUND", f'"{relative}" is not inside the project\'s files')
        return path

    @contextmanager
    def step(self, step_id: str, name: str):
        """Records a step: stage 1 while it runs (and if it fails), 2 once done; yields its returns."""
        step = {"id": step_id, "name": name, "stage": 1, "returns": {}}
        self.steps.append(step)
        started = time.monotonic()
        log(f"step {step_id}: {name}")
        yield step["returns"]
        step["stage"] = 2
        # The bench reads these lines from the job's log to measure each step.
        log(f"step {step_id} done in {time.monotonic() - started:.3f} s")

    def start_qgis(self) -> None:
        """The first step of every job: QGIS starts once per job process."""
        with self.step("start_qgis", "Start QGIS") as returns:
            try:
                from .app import qgis_version, start_qgis
            except ModuleNotFoundError as error:
                raise JobError("MISSING_QGIS", f"QGIS's Python API cannot be imported ({error}): "
                               "install Debian's python3-qgis and qgis-providers") from error
            except ImportError as error:
                # Installed but not loadable: under an address-space limit below about 700 MB the
                # libraries fail to map ("failed to map segment").
                raise JobError("UNKNOWN", f"QGIS's libraries could not be loaded ({error}); "
                               "is the job's memory limit too low?") from error
            start_qgis()
            returns["qgis_version"] = qgis_version()

    def feedback(self, error: Exception = None) -> dict:
        return make_feedback(self.steps, self.outputs, error)


def make_feedback(steps: list, outputs: dict, error: Exception = None) -> dict:
    feedback = {"feedback_version": FEEDBACK_VERSION, "steps": steps, "outputs": outputs}
    if isinstance(error, JobError):
        feedback.update(error=str(error), error_type=error.error_type)
    elif error is not None:
        feedback.update(error=f"{type(error).__name__}: {error}", error_type="UNKNOWN",
                        error_stack="".join(traceback.format_exception(type(error), error,
                                                                       error.__traceback__)))
    return feedback


def log(message: str) -> None:
    print(f"[fieldbase] {message}", file=sys.stderr, flush=True)


def write_result(workdir: str, result: dict) -> None:
    # The worker may read result.json as soon as it exists: never let it see half a file.
    path = os.path.join(workdir, "result.json")
    with open(path + ".tmp", "w", encoding="utf-8") as file:
        json.dump(result, file, ensure_ascii=False)
        file.flush()
        os.fsync(file.fileno())
    os.replace(path + ".tmp", path)


def run_job(work, empty_result: dict) -> None:
    """Runs work(job) -> dict of result fields, writes result.json and exits the process.

    empty_result holds the fields a failed job reports (e.g. project_details: null).
    """
    _end_with_worker()
    workdir = sys.argv[1] if len(sys.argv) == 2 else None
    if workdir is None:
        print(f"usage: {sys.argv[0]} <workdir>", file=sys.stderr)
        sys.exit(2)
    job = None
    try:
        job = Job(workdir)
        result = dict(empty_result, **work(job), feedback=job.feedback())
    except Exception as error:
        # Also when job.json is missing or unreadable: the worker still gets a result saying why.
        feedback = job.feedback(error) if job else make_feedback([], {}, error)
        result = dict(empty_result, feedback=feedback)
        log(f"job failed: {feedback['error']}")
    write_result(workdir, result)
    _exit_after_result()


def _end_with_worker() -> None:
    """The kernel kills this process when the worker that started it dies.

    The worker kills a job's process group on timeout, memory cap or stop, but a worker killed with
    kill -9 cannot: without this, QGIS would run on, unbounded by the timeout, for a job already
    ended WORKER_LOST and retried elsewhere.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return  # not Linux: the worker's own kill is all there is
    if os.getppid() == 1:
        os._exit(1)  # the worker died before the signal was set, so it will never come


def _exit_after_result() -> None:
    app = sys.modules.get(__package__ + ".app")
    if app is not None:
        app.exit_qgis()
    # For operators sizing JOB_MEMORY_MB, and for the bench.
    log(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    sys.stdout.flush()
    sys.stderr.flush()
    # Python's own teardown can crash while sip deletes QGIS objects in the wrong order; the result is
    # written, so leave without it.
    os._exit(0)
