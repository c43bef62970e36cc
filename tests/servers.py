"""Local servers for the object-storage and cluster tests: moto's S3 server and a Dask scheduler with workers.

Each listens on 127.0.0.1 only, on a free port, is started as a separate
process by the test that needs it, waited for within a bound, and stopped
(terminated, then killed) when the test is over.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def free_port() -> int:
    """A TCP port nothing listens on at 127.0.0.1 now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_S)


def _wait(ready: Callable[[], bool], process: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}: {log.read_text(errors='replace')[-2000:]}")
        if ready():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not start within {START_TIMEOUT_S:g} s: {log.read_text(errors='replace')[-2000:]}")


@contextmanager
def s3_server(folder: Path) -> Iterator[dict[str, str]]:
    """moto's S3 server on 127.0.0.1; yields the environment that points boto3/s3fs at it."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log = folder / "moto.log"
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], stdout=sink, stderr=sink
        )

    def ready() -> bool:
        try:
            with urllib.request.urlopen(endpoint, timeout=1):
                return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False

    # fsspec keeps one S3 filesystem per set of arguments: one made for an earlier server must not be reused.
    from s3fs import S3FileSystem

    S3FileSystem.clear_instance_cache()
    try:
        _wait(ready, process, "moto server", log)
        yield {**S3_ENV, "AWS_ENDPOINT_URL": endpoint}
    finally:
        S3FileSystem.clear_instance_cache()
        _stop(process)


@contextmanager
def dask_cluster(folder: Path, env: dict[str, str], *, workers: int = 2) -> Iterator[str]:
    """``dask scheduler`` and ``workers`` ``dask worker`` processes on 127.0.0.1; yields the address."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    environment = {**os.environ, **env}
    dask = str(Path(sys.executable).with_name("dask"))
    processes: list[subprocess.Popen[bytes]] = []
    log = folder / "scheduler.log"
    try:
        with open(log, "wb") as sink:
            processes.append(
                subprocess.Popen(
                    [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                    stdout=sink,
                    stderr=sink,
                    env=environment,
                )
            )
        for index in range(workers):
            with open(folder / f"worker-{index}.log", "wb") as sink:
                processes.append(
                    subprocess.Popen(
                        [
                            dask,
                            "worker",
                            address,
                            "--host",
                            "127.0.0.1",
                            "--nworkers",
                            "1",
                            "--nthreads",
                            "1",
                            "--no-dashboard",
                            "--local-directory",
                            str(folder / f"worker-{index}"),
                        ],
                        stdout=sink,
                        stderr=sink,
                        env=environment,
                    )
                )

        def ready() -> bool:
            text = log.read_text(errors="replace")
            return text.count("Register worker") >= workers

        _wait(ready, processes[0], "dask scheduler", log)
        yield address
    finally:
        for process in reversed(processes):
            _stop(process)
