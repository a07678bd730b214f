"""The sandbox's Lambda service: runs the deployed functions and polls their SQS sources.

moto stores functions but cannot run them (it needs Docker), so the sandbox does
what the Lambda service does with the configuration Terraform deployed:

- ``LambdaService.invoke`` reads the function's configuration through the
  Lambda API (GetFunction), downloads the zip and the layers from the
  locations Lambda returns, checks them against their CodeSha256, unpacks them
  into a cache keyed by that hash and runs the handler in a separate process:
  the runtime's Python version, the function's environment variables, task
  root and layers on the path, AWS calls sent to the emulator, the process
  killed on timeout. Execution environments stay warm between invocations, as
  on Lambda, and are replaced when the code or the configuration changes.
- ``EventSources`` keeps one ``QueuePoller`` per enabled SQS event source
  mapping (following what Terraform creates, changes and deletes). A poller
  receives batches by the mapping's batch size and batching window, with at most
  its maximum concurrency of invocations in flight, deletes the messages that
  succeeded and leaves the others (a failed invocation, or the
  ``batchItemFailures``) to come back after the visibility timeout, so that
  the queue's redrive policy moves them to the DLQ after N receives.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import importlib.metadata
import io
import json
import logging
import os
import re
import select
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
import weakref
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from botocore.config import Config
from botocore.exceptions import ClientError

from fileproc_sandbox import credentials, lambda_bootstrap
from fileproc_sandbox.credentials import FAKE_CREDENTIALS

log = logging.getLogger("fileproc.sandbox.runner")

# Lambda allows 10 s for the init phase, outside the function's own timeout. An init
# that takes longer is retried within the first invocation, where the retried init
# and the handler share the function's timeout (a "suppressed init").
INIT_TIMEOUT_SECONDS = 10.0
# Lambda reclaims idle execution environments after some minutes.
IDLE_WORKER_SECONDS = 600.0
# How often the sandbox ends the environments idle for that long. Without this
# sweep an environment was ended only when its function was invoked again, so the
# runtimes of a function not called again lingered until the sandbox stopped.
REAP_INTERVAL_SECONDS = 15.0
# The sandbox's per-function limit: at most this many environments per function
# (Lambda's is 1000 per account; this machine has 2 cores). Excess invocations wait.
DEFAULT_FUNCTION_CONCURRENCY = 4
# Pollers per mapping when the mapping sets no MaximumConcurrency.
DEFAULT_POLLERS = 2
# Long-poll wait of each ReceiveMessage (Lambda uses 20 s); shorter so that a
# deleted or changed mapping stops its pollers promptly.
RECEIVE_WAIT_SECONDS = 5
# The runtime's bundled SDK (Lambda's Python runtimes ship boto3), copied from
# this environment's pure-Python distributions.
SDK_DISTRIBUTIONS = (
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "python-dateutil",
    "six",
    "urllib3",
)
BOOTSTRAP = Path(lambda_bootstrap.__file__).resolve()


def aws_client(service: str, endpoint: str, region: str) -> Any:
    """A client for the emulator (boto3 clients are thread-safe: one per service and region)."""
    return credentials.client(
        service,
        endpoint,
        region,
        Config(retries={"max_attempts": 2, "mode": "standard"}, max_pool_connections=50),
    )


def region_of(arn: str) -> str:
    return arn.split(":")[3]


# ---------------------------------------------------------------- configuration


@dataclass(frozen=True)
class Layer:
    arn: str
    code_sha256: str  # base64, as Lambda reports it
    location: str


@dataclass(frozen=True)
class FunctionConfig:
    """What the runner needs of a function, from GetFunction and GetLayerVersion."""

    name: str
    arn: str
    region: str
    runtime: str
    handler: str
    timeout: int
    memory_mb: int
    environment: Mapping[str, str]
    code_sha256: str
    code_location: str
    layers: tuple[Layer, ...]
    log_group: str
    reserved_concurrency: int | None = None

    @property
    def fingerprint(self) -> str:
        """Changes whenever a warm environment of the old configuration must not be reused."""
        facts = [
            self.runtime,
            self.handler,
            self.timeout,
            self.memory_mb,
            sorted(self.environment.items()),
            self.code_sha256,
            [(layer.arn, layer.code_sha256) for layer in self.layers],
        ]
        return hashlib.sha256(json.dumps(facts).encode()).hexdigest()


def read_function_config(lambda_client: Any, name_or_arn: str) -> FunctionConfig:
    response = lambda_client.get_function(FunctionName=name_or_arn)
    conf = response["Configuration"]
    if conf.get("PackageType", "Zip") != "Zip":
        raise UnsupportedFunction(f"{conf['FunctionName']}: only zip packages run in the sandbox")
    layers = []
    for ref in conf.get("Layers") or []:
        layer_arn, _, number = ref["Arn"].rpartition(":")
        version = lambda_client.get_layer_version(LayerName=layer_arn, VersionNumber=int(number))
        layers.append(
            Layer(ref["Arn"], version["Content"]["CodeSha256"], version["Content"]["Location"])
        )
    logging_config = conf.get("LoggingConfig") or {}
    return FunctionConfig(
        name=conf["FunctionName"],
        arn=conf["FunctionArn"],
        region=region_of(conf["FunctionArn"]),
        runtime=conf.get("Runtime") or "",
        handler=conf.get("Handler") or "",
        timeout=int(conf.get("Timeout", 3)),
        memory_mb=int(conf.get("MemorySize", 128)),
        environment=dict((conf.get("Environment") or {}).get("Variables") or {}),
        code_sha256=conf["CodeSha256"],
        code_location=response["Code"]["Location"],
        layers=tuple(layers),
        log_group=logging_config.get("LogGroup") or f"/aws/lambda/{conf['FunctionName']}",
        reserved_concurrency=(response.get("Concurrency") or {}).get(
            "ReservedConcurrentExecutions"
        ),
    )


class UnsupportedFunction(Exception):
    """A function the sandbox cannot run (not a zip, not a Python runtime)."""


class InterpreterError(UnsupportedFunction):
    """The interpreter named for a runtime (FILEPROC_PYTHON3_12) cannot run it: the message
    says what is wrong with it. An error, never a silent fallback to another Python."""


class CodeIntegrityError(Exception):
    """Downloaded code does not match the CodeSha256 that Lambda reports."""


# ---------------------------------------------------------------- code and runtimes


class CodeCache:
    """Function zips and layers, unpacked once per CodeSha256."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def unpacked(self, location: str, code_sha256: str) -> Path:
        digest = base64.b64decode(code_sha256).hex()
        target = self.root / digest
        if target.is_dir():
            return target
        with self._lock:
            lock = self._locks.setdefault(digest, threading.Lock())
        with lock:
            if target.is_dir():
                return target
            with urllib.request.urlopen(location, timeout=120) as response:  # noqa: S310
                data = response.read()
            actual = base64.b64encode(hashlib.sha256(data).digest()).decode()
            if actual != code_sha256:
                raise CodeIntegrityError(
                    f"code at {location} has CodeSha256 {actual}, Lambda reports {code_sha256}"
                )
            staging = self.root / f".{digest}.{uuid.uuid4().hex}"
            staging.mkdir(parents=True)
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                # zipfile drops absolute and '..' parts of member names.
                archive.extractall(staging)
            staging.rename(target)
            log.info("unpacked %d bytes of code %s into %s", len(data), code_sha256, target)
        return target


class Runtimes:
    """Interpreters for Lambda's Python runtimes, and the SDK the runtime bundles."""

    def __init__(self, state_dir: Path) -> None:
        self.sdk_dir = state_dir / "runtime-sdk"
        self._interpreters: dict[str, str] = {}
        self._lock = threading.Lock()

    def interpreter(self, runtime: str) -> str:
        with self._lock:
            if runtime not in self._interpreters:
                self._interpreters[runtime] = self._find(runtime)
            return self._interpreters[runtime]

    def _find(self, runtime: str) -> str:
        found = find_interpreter(runtime)
        if found is not None:
            log.info("runtime %s runs with %s", runtime, found)
            return found
        log.warning(
            "NO INTERPRETER FOR %s on this machine (set %s to one); running its "
            "functions with %s (Python %d.%d) instead: wheels built for %s may not import",
            runtime,
            interpreter_variable(runtime),
            sys.executable,
            *sys.version_info[:2],
            runtime,
        )
        return sys.executable

    def ensure_sdk(self) -> Path:
        with self._lock:
            marker = self.sdk_dir / ".complete"
            if not marker.exists():
                _copy_distributions(SDK_DISTRIBUTIONS, self.sdk_dir)
                marker.touch()
            return self.sdk_dir


def interpreter_variable(runtime: str) -> str:
    """The environment variable naming the interpreter of a runtime: FILEPROC_PYTHON3_12."""
    return f"FILEPROC_{runtime.upper().replace('.', '_')}"


def find_interpreter(runtime: str) -> str | None:
    """This machine's interpreter for a Lambda Python runtime ("python3.12"), or None.

    Looked for in order: $FILEPROC_PYTHON3_12, pyenv's versions, python3.12 on PATH,
    then the Pythons uv installed (``uv python install 3.12``, what ``make demo`` runs
    when it finds none). A variable naming anything but that version's interpreter is
    an InterpreterError that says what is wrong with it, not something to skip.
    """
    match = re.fullmatch(r"python(\d+)\.(\d+)", runtime)
    if not match:
        raise UnsupportedFunction(f"runtime {runtime!r}: the sandbox runs Python runtimes only")
    version = (int(match[1]), int(match[2]))
    variable = interpreter_variable(runtime)
    override = os.environ.get(variable)
    if override:
        return _checked_override(variable, override, version)
    for candidate in [
        *_pyenv_interpreters(version),
        shutil.which(f"python{version[0]}.{version[1]}"),
        _uv_managed_interpreter(version),
    ]:
        if candidate and _python_version(candidate) == version:
            return candidate
    return None


def _checked_override(variable: str, path: str, version: tuple[int, int]) -> str:
    wanted = f"Python {version[0]}.{version[1]}"
    found = shutil.which(path)  # a bare name on PATH, or a path that must be executable
    if found is None:
        what = "is not executable" if Path(path).exists() else "does not exist"
        raise InterpreterError(f"{variable}={path} {what}: set it to a {wanted} interpreter")
    actual = _python_version(found)
    if actual is None:
        raise InterpreterError(f"{variable}={path} does not run as a Python: set it to {wanted}")
    if actual != version:
        raise InterpreterError(
            f"{variable}={path} is Python {actual[0]}.{actual[1]}, not {version[0]}.{version[1]}"
            f": set it to a {wanted} interpreter"
        )
    return found


def uv_command() -> str | None:
    """uv beside this Python (the project's .venv has it), else on PATH."""
    beside = Path(sys.executable).parent / "uv"
    return str(beside) if beside.is_file() else shutil.which("uv")


def _uv_managed_interpreter(version: tuple[int, int]) -> str | None:
    """A Python that ``uv python install`` put on this machine (never a download)."""
    uv = uv_command()
    if uv is None:
        return None
    try:
        found = subprocess.run(
            [uv, "python", "find", "--managed-python", "--no-python-downloads",
             f"{version[0]}.{version[1]}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return found.stdout.strip() or None if found.returncode == 0 else None


def _pyenv_interpreters(version: tuple[int, int]) -> list[str]:
    root = Path(os.environ.get("PYENV_ROOT", "~/.pyenv")).expanduser()
    found = []
    for path in (root / "versions").glob(
        f"{version[0]}.{version[1]}.*/bin/python{version[0]}.{version[1]}"
    ):
        patch = path.parts[-3].split(".")[2]
        if patch.isdigit():
            found.append((int(patch), str(path)))
    return [path for _, path in sorted(found, reverse=True)]


def _python_version(executable: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [executable, "-c", "import sys; print(sys.version_info[0], sys.version_info[1])"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    return (int(out[0]), int(out[1])) if len(out) == 2 else None


def _copy_distributions(names: Iterable[str], target: Path) -> None:
    staging = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
    for name in names:
        dist = importlib.metadata.distribution(name)
        for entry in dist.files or []:
            parts = Path(str(entry)).parts
            if parts[0] == ".." or "__pycache__" in parts:
                continue
            if entry.suffix in (".so", ".pyd"):
                raise RuntimeError(f"{name} is not pure Python; the runtime SDK cannot be copied")
            source = Path(str(dist.locate_file(entry)))
            if source.is_file():
                (staging / entry).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, staging / entry)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)


# ---------------------------------------------------------------- execution environments


@dataclass
class Invocation:
    """The outcome of one invocation, as Lambda would report it."""

    request_id: str
    ok: bool
    payload: Any = None
    error: dict[str, Any] | None = None
    duration_ms: float = 0.0
    init_ms: float | None = None  # set on a cold start

    @property
    def error_type(self) -> str:
        return (self.error or {}).get("errorType", "")


LogSink = Callable[[FunctionConfig, str, str], None]  # config, log stream, message


def log_to_logger(config: FunctionConfig, stream: str, message: str) -> None:
    log.info("[%s] %s", config.name, message.rstrip("\n"))


class CloudWatchLogs:
    """A LogSink that also ships function output to the function's log group, as Lambda does.

    Lines are batched and sent every ``interval`` seconds. A log group that does
    not exist is not created: Terraform owns it, and a group made here would
    outlive ``terraform destroy``.
    """

    def __init__(self, endpoint: str, interval: float = 1.0) -> None:
        self._endpoint = endpoint
        self._interval = interval
        self._pending: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        self._streams: set[tuple[str, str, str]] = set()
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        threading.Thread(target=self._run, name="cloudwatch-logs", daemon=True).start()

    def __call__(self, config: FunctionConfig, stream: str, message: str) -> None:
        log_to_logger(config, stream, message)
        event = {"timestamp": int(time.time() * 1000), "message": message.rstrip("\n")}
        with self._lock:
            self._pending.setdefault((config.region, config.log_group, stream), []).append(event)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
        for (region, group, stream), events in pending.items():
            if region not in self._clients:
                self._clients[region] = aws_client("logs", self._endpoint, region)
            client = self._clients[region]
            try:
                if (region, group, stream) not in self._streams:
                    with contextlib.suppress(client.exceptions.ResourceAlreadyExistsException):
                        client.create_log_stream(logGroupName=group, logStreamName=stream)
                    self._streams.add((region, group, stream))
                client.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
            except client.exceptions.ResourceNotFoundException:
                continue  # no log group (yet): Lambda's output is lost, as on AWS
            except ClientError as exc:
                log.warning("could not ship %d log events to %s: %s", len(events), group, exc)

    def close(self) -> None:
        self._stop.set()
        self.flush()


@dataclass
class WorkerSetup:
    interpreter: str
    code_dir: Path
    layer_dirs: list[Path]
    sdk_dir: Path
    endpoint: str
    tmp_root: Path


class Worker:
    """One execution environment: a runtime process that ran the function's init once."""

    def __init__(
        self,
        config: FunctionConfig,
        setup: WorkerSetup,
        sink: LogSink,
        init_timeout: float = INIT_TIMEOUT_SECONDS,
    ) -> None:
        self.config = config
        self.id = uuid.uuid4().hex
        day = datetime.now(UTC).strftime("%Y/%m/%d")
        self.log_stream = f"{day}/[$LATEST]{self.id}"
        self.idle_since = time.monotonic()
        self._sink = sink
        self._tmp = setup.tmp_root / self.id
        self._tmp.mkdir(parents=True)
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        env = self._environment(setup)
        env[lambda_bootstrap.SANDBOX_FDS_ENV] = f"{to_child_r},{from_child_w}"
        started = time.monotonic()
        self._process = subprocess.Popen(
            [setup.interpreter, str(BOOTSTRAP)],
            cwd=setup.code_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=(to_child_r, from_child_w),
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._requests = os.fdopen(self._to_child, "wb")
        self._replies = os.fdopen(self._from_child, "rb")
        assert self._process.stdout is not None
        threading.Thread(target=self._pump_logs, args=(self._process.stdout,), daemon=True).start()
        ready = self._read_reply(init_timeout)
        self.init_ms = (time.monotonic() - started) * 1000
        if ready is None or ready.get("type") != "ready":
            timed_out = ready is None and self.alive
            self.stop()
            if ready is not None:
                error = ready.get("error") or {"errorType": "Runtime.Unknown"}
            elif timed_out:
                message = f"INIT timed out after {init_timeout:g} seconds"
                raise InitTimedOut({"errorType": "Sandbox.Timedout", "errorMessage": message})
            else:
                message = f"Runtime exited with error: exit status {self._process.returncode}"
                error = {"errorType": "Runtime.ExitError", "errorMessage": message}
            raise InitFailed(error)

    def _environment(self, setup: WorkerSetup) -> dict[str, str]:
        config = self.config
        layer_paths = []
        for layer in reversed(setup.layer_dirs):  # a later layer overrides an earlier one
            layer_paths += [str(layer / "python"), str(layer / "python" / "lib" / _site(config))]
        env = dict(config.environment)
        # What the runtime sets; Lambda does not let a function override these.
        env.update(FAKE_CREDENTIALS)
        env.update(
            {
                "AWS_ENDPOINT_URL": setup.endpoint,
                "AWS_REGION": config.region,
                "AWS_DEFAULT_REGION": config.region,
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{config.runtime}",
                "AWS_LAMBDA_FUNCTION_NAME": config.name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory_mb),
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
                "AWS_LAMBDA_LOG_GROUP_NAME": config.log_group,
                "AWS_LAMBDA_LOG_STREAM_NAME": self.log_stream,
                "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
                "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
                "LAMBDA_TASK_ROOT": str(setup.code_dir),
                "LAMBDA_RUNTIME_DIR": str(setup.sdk_dir),
                "_HANDLER": config.handler,
                "LANG": "en_US.UTF-8",
                "TZ": ":UTC",
                "PATH": f"{Path(setup.interpreter).parent}:/usr/local/bin:/usr/bin:/bin",
                "PYTHONPATH": os.pathsep.join(
                    [str(setup.code_dir), *layer_paths, str(setup.sdk_dir)]
                ),
                "PYTHONNOUSERSITE": "1",
                "PYTHONUNBUFFERED": "1",
                "HOME": str(self._tmp),
                "TMPDIR": str(self._tmp),
            }
        )
        return env

    def _pump_logs(self, stream: IO[bytes]) -> None:
        for raw in stream:
            self._sink(self.config, self.log_stream, raw.decode("utf-8", "replace"))

    def _read_reply(self, timeout: float) -> dict[str, Any] | None:
        """The next reply; None when the time ran out or the process ended (see .alive)."""
        readable, _, _ = select.select([self._replies], [], [], max(timeout, 0))
        if not readable:
            return None
        line = self._replies.readline()
        if not line:  # end of the pipe: the process is exiting
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=5)
            return None
        reply: dict[str, Any] = json.loads(line)
        return reply

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    def invoke(
        self, event: Any, request_id: str, trace_id: str, deadline: float | None = None
    ) -> Invocation:
        """Run one event; ``deadline`` (epoch seconds) when a retried init used some of the
        function's timeout, else the timeout counts from now."""
        config = self.config
        deadline = deadline or time.time() + config.timeout
        request = {
            "request_id": request_id,
            "deadline_ms": int(deadline * 1000),
            "invoked_function_arn": config.arn,
            "trace_id": trace_id,
            "event": event,
        }
        started = time.monotonic()
        try:
            self._requests.write(json.dumps(request).encode() + b"\n")
            self._requests.flush()
        except BrokenPipeError:
            pass  # the process died; the read below reports it
        reply = self._read_reply(deadline - time.time())
        duration = (time.monotonic() - started) * 1000
        if reply is None:
            timed_out = self.alive
            self.stop()
            if timed_out:
                message = f"Task timed out after {config.timeout:.2f} seconds"
                error = {"errorType": "Sandbox.Timedout", "errorMessage": message}
            else:
                code = self._process.returncode
                error = {
                    "errorType": "Runtime.ExitError",
                    "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: "
                    f"exit status {code}",
                }
            return Invocation(request_id, False, error=error, duration_ms=duration)
        if reply.get("type") == "result":
            return Invocation(request_id, True, payload=reply.get("payload"), duration_ms=duration)
        return Invocation(request_id, False, error=reply.get("error"), duration_ms=duration)

    def max_memory_mb(self) -> int:
        try:
            status = Path(f"/proc/{self._process.pid}/status").read_text()
        except OSError:
            return 0
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        return int(match[1]) // 1024 if match else 0

    def stop(self) -> None:
        if self.alive:
            self._process.kill()
        self._process.wait()
        for channel in (self._requests, self._replies):
            with contextlib.suppress(OSError):
                channel.close()
        shutil.rmtree(self._tmp, ignore_errors=True)


def _site(config: FunctionConfig) -> str:
    return f"{config.runtime}/site-packages"


class InitFailed(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("errorMessage", "init failed"))
        self.error = error


class InitTimedOut(InitFailed):
    """The init phase ran out of time (not an error of the function's code)."""


@dataclass
class FunctionPool:
    """The warm environments of one function and its concurrency limit."""

    limit: int
    idle: list[Worker] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    slots: threading.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        self.slots = threading.Semaphore(self.limit)

    def take(self, fingerprint: str) -> Worker | None:
        """A warm environment of this configuration; stale and long-idle ones are retired."""
        now = time.monotonic()
        with self.lock:
            keep: list[Worker] = []
            retire: list[Worker] = []
            for worker in self.idle:
                current = worker.config.fingerprint == fingerprint and worker.alive
                fresh = now - worker.idle_since < IDLE_WORKER_SECONDS
                (keep if current and fresh else retire).append(worker)
            self.idle = keep
            found = self.idle.pop() if self.idle else None
        for worker in retire:
            worker.stop()
        return found

    def reap(self, now: float | None = None) -> int:
        """End the environments idle for IDLE_WORKER_SECONDS or more, and dead ones; how many."""
        now = time.monotonic() if now is None else now
        with self.lock:
            keep: list[Worker] = []
            retire: list[Worker] = []
            for worker in self.idle:
                fresh = now - worker.idle_since < IDLE_WORKER_SECONDS
                (keep if worker.alive and fresh else retire).append(worker)
            self.idle = keep
        for worker in retire:
            worker.stop()
        return len(retire)

    def give_back(self, worker: Worker) -> None:
        worker.idle_since = time.monotonic()
        with self.lock:
            self.idle.append(worker)

    def stop_all(self) -> None:
        with self.lock:
            workers, self.idle = self.idle, []
        for worker in workers:
            worker.stop()


class LambdaService:
    """Invokes deployed functions the way Lambda does, with the configuration Lambda reports."""

    def __init__(
        self,
        endpoint: str,
        state_dir: Path,
        sink: LogSink = log_to_logger,
        function_concurrency: int = DEFAULT_FUNCTION_CONCURRENCY,
    ) -> None:
        self.endpoint = endpoint
        self.code = CodeCache(state_dir / "code")
        self.runtimes = Runtimes(state_dir)
        self._tmp_root = state_dir / "tmp"
        shutil.rmtree(self._tmp_root, ignore_errors=True)
        self._sink = sink
        self._function_concurrency = function_concurrency
        self._pools: dict[str, FunctionPool] = {}
        self._clients: dict[str, Any] = {}
        self._workers: weakref.WeakSet[Worker] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        threading.Thread(target=self._reap_idle, name="idle-reaper", daemon=True).start()

    def _reap_idle(self) -> None:
        """End idle environments on a timer, as Lambda does, not only on the next invoke."""
        while not self._stopping.wait(REAP_INTERVAL_SECONDS):
            with self._lock:
                pools = list(self._pools.values())
            ended = sum(pool.reap() for pool in pools)
            if ended:
                log.info(
                    "ended %d execution environment(s) idle for %.0f s", ended, IDLE_WORKER_SECONDS
                )

    def lambda_client(self, region: str) -> Any:
        with self._lock:
            if region not in self._clients:
                self._clients[region] = aws_client("lambda", self.endpoint, region)
            return self._clients[region]

    def function_config(self, function_arn: str) -> FunctionConfig:
        return read_function_config(self.lambda_client(region_of(function_arn)), function_arn)

    def _pool(self, config: FunctionConfig) -> FunctionPool:
        limit = self._function_concurrency
        if config.reserved_concurrency is not None:
            limit = min(limit, config.reserved_concurrency)
        with self._lock:
            pool = self._pools.get(config.arn)
            if pool is None or pool.limit != limit:
                if pool is not None:
                    pool.stop_all()
                pool = self._pools[config.arn] = FunctionPool(max(limit, 0))
            return pool

    def invoke(self, function_arn: str, event: Any) -> Invocation:
        """Run one synchronous invocation (RequestResponse) of a function by ARN."""
        request_id = str(uuid.uuid4())
        try:
            config = self.function_config(function_arn)
        except (ClientError, UnsupportedFunction) as exc:
            log.error("cannot invoke %s: %s", function_arn, exc)
            error = {"errorType": type(exc).__name__, "errorMessage": str(exc)}
            return Invocation(request_id, False, error=error)
        pool = self._pool(config)
        if pool.limit == 0:
            error = {"errorType": "TooManyRequestsException", "errorMessage": "Rate Exceeded."}
            return Invocation(request_id, False, error=error)
        with pool.slots:
            return self._invoke_in_pool(pool, config, event, request_id)

    def _invoke_in_pool(
        self, pool: FunctionPool, config: FunctionConfig, event: Any, request_id: str
    ) -> Invocation:
        worker = pool.take(config.fingerprint)
        init_ms = None
        deadline = None
        if worker is None:
            try:
                worker, deadline = self._cold_start(config)
            except InitFailed as exc:
                day = datetime.now(UTC).strftime("%Y/%m/%d")
                stream = f"{day}/[$LATEST]init-errors"
                self._sink(config, stream, f"INIT_REPORT Status: error {exc.error}\n")
                return Invocation(request_id, False, error=exc.error)
            except (OSError, CodeIntegrityError, UnsupportedFunction) as exc:
                log.error("cannot start %s: %s", config.name, exc)
                error = {"errorType": "Sandbox.StartError", "errorMessage": str(exc)}
                return Invocation(request_id, False, error=error)
            init_ms = worker.init_ms
        stream = worker.log_stream
        self._sink(config, stream, f"START RequestId: {request_id} Version: $LATEST\n")
        trace_id = f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0"
        result = worker.invoke(event, request_id, trace_id, deadline)
        result.init_ms = init_ms
        report = (
            f"REPORT RequestId: {request_id}\tDuration: {result.duration_ms:.2f} ms\t"
            f"Memory Size: {config.memory_mb} MB\tMax Memory Used: {worker.max_memory_mb()} MB"
        )
        if init_ms is not None:
            report += f"\tInit Duration: {init_ms:.2f} ms"
        if not result.ok:
            report += f"\tStatus: {result.error_type or 'error'}"
        self._sink(config, stream, f"END RequestId: {request_id}\n")
        self._sink(config, stream, report + "\n")
        if worker.alive:
            pool.give_back(worker)
        return result

    def _cold_start(self, config: FunctionConfig) -> tuple[Worker, float | None]:
        """A new environment and the invocation's deadline (None: the function's full timeout).

        As Lambda does, an init over INIT_TIMEOUT_SECONDS is not an error of the
        invocation: the init runs again from scratch within the invocation, and the
        retried init and the handler share the function's timeout. A busy machine
        makes cold starts slow; failing them would fail invocations Lambda serves.
        """
        try:
            return self._start_worker(config), None
        except InitTimedOut as exc:
            day = datetime.now(UTC).strftime("%Y/%m/%d")
            self._sink(
                config,
                f"{day}/[$LATEST]init-errors",
                f"INIT_REPORT Init Duration: {INIT_TIMEOUT_SECONDS * 1000:.2f} ms\t"
                f"Phase: init\tStatus: timeout ({exc}); retried within the invocation\n",
            )
        retry_started = time.time()
        try:
            worker = self._start_worker(config, init_timeout=config.timeout)
        except InitTimedOut:
            message = f"Task timed out after {config.timeout:.2f} seconds"
            raise InitTimedOut({"errorType": "Sandbox.Timedout", "errorMessage": message}) from None
        return worker, retry_started + config.timeout

    def _start_worker(self, config: FunctionConfig, init_timeout: float | None = None) -> Worker:
        setup = WorkerSetup(
            interpreter=self.runtimes.interpreter(config.runtime),
            code_dir=self.code.unpacked(config.code_location, config.code_sha256),
            layer_dirs=[self.code.unpacked(lay.location, lay.code_sha256) for lay in config.layers],
            sdk_dir=self.runtimes.ensure_sdk(),
            endpoint=self.endpoint,
            tmp_root=self._tmp_root,
        )
        worker = Worker(config, setup, self._sink, init_timeout or INIT_TIMEOUT_SECONDS)
        with self._lock:
            self._workers.add(worker)
        return worker

    def shutdown(self) -> None:
        """Stop every execution environment, idle or busy (a busy one fails its invocation)."""
        self._stopping.set()
        with self._lock:
            pools = list(self._pools.values())
            workers = list(self._workers)
        for pool in pools:
            pool.stop_all()
        for worker in workers:
            worker.stop()


# ---------------------------------------------------------------- SQS event sources


@dataclass(frozen=True)
class QueueMapping:
    """An SQS event source mapping, as ListEventSourceMappings reports it."""

    uuid: str
    function_arn: str
    queue_arn: str
    batch_size: int
    batching_window_seconds: int
    max_concurrency: int | None
    report_item_failures: bool
    filtered: bool = False  # FilterCriteria: not emulated, every message is delivered

    @classmethod
    def from_api(cls, esm: Mapping[str, Any]) -> QueueMapping:
        return cls(
            uuid=esm["UUID"],
            function_arn=esm["FunctionArn"],
            queue_arn=esm["EventSourceArn"],
            batch_size=int(esm.get("BatchSize") or 10),
            batching_window_seconds=int(esm.get("MaximumBatchingWindowInSeconds") or 0),
            max_concurrency=(esm.get("ScalingConfig") or {}).get("MaximumConcurrency"),
            report_item_failures="ReportBatchItemFailures"
            in (esm.get("FunctionResponseTypes") or []),
            filtered=bool((esm.get("FilterCriteria") or {}).get("Filters")),
        )

    @property
    def region(self) -> str:
        return region_of(self.queue_arn)


def sqs_record(message: Mapping[str, Any], queue_arn: str) -> dict[str, Any]:
    """One record of the event Lambda sends for an SQS batch."""
    attributes = {
        name: value
        for name, value in (message.get("Attributes") or {}).items()
        if name
        in (
            "ApproximateReceiveCount",
            "SentTimestamp",
            "SenderId",
            "ApproximateFirstReceiveTimestamp",
            "AWSTraceHeader",
            "SequenceNumber",
            "MessageGroupId",
            "MessageDeduplicationId",
            "DeadLetterQueueSourceArn",
        )
    }
    message_attributes = {
        name: {
            "stringValue": value.get("StringValue"),
            "binaryValue": base64.b64encode(value["BinaryValue"]).decode()
            if "BinaryValue" in value
            else None,
            "stringListValues": value.get("StringListValues", []),
            "binaryListValues": value.get("BinaryListValues", []),
            "dataType": value["DataType"],
        }
        for name, value in (message.get("MessageAttributes") or {}).items()
    }
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region_of(queue_arn),
    }


def failed_message_ids(payload: Any, batch_ids: set[str]) -> set[str] | None:
    """The ids a ReportBatchItemFailures response names; None when Lambda fails the whole batch.

    Lambda's rules: no response, an empty one or an empty list is full success; a
    malformed response, or an identifier that is empty or not in the batch, fails it all.
    """
    if payload is None or payload == {} or payload == "":
        return set()
    if not isinstance(payload, dict):
        return None
    failures = payload.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        return None
    ids = set()
    for failure in failures:
        item = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(item, str) or item not in batch_ids:
            return None
        ids.add(item)
    return ids


class QueuePoller:
    """Does for one SQS event source mapping what Lambda's pollers do."""

    def __init__(self, mapping: QueueMapping, service: LambdaService) -> None:
        self.mapping = mapping
        self._service = service
        self._sqs = aws_client("sqs", service.endpoint, mapping.region)
        name = mapping.queue_arn.split(":")[5]
        self._queue_url = self._sqs.get_queue_url(
            QueueName=name, QueueOwnerAWSAccountId=mapping.queue_arn.split(":")[4]
        )["QueueUrl"]
        self._stop = threading.Event()
        count = mapping.max_concurrency or DEFAULT_POLLERS
        self._threads = [
            threading.Thread(target=self._run, name=f"poller-{name}-{i}", daemon=True)
            for i in range(count)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                batch = self._receive_batch()
                if batch:
                    self._process(batch)
            except Exception:
                log.exception("poller of %s failed; retrying", self.mapping.queue_arn)
                self._stop.wait(1.0)

    def _receive(self, count: int, wait: int) -> list[dict[str, Any]]:
        response = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=min(count, 10),
            WaitTimeSeconds=wait,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages: list[dict[str, Any]] = response.get("Messages", [])
        return messages

    def _receive_batch(self) -> list[dict[str, Any]]:
        """Up to BatchSize messages, gathering for up to the batching window once one arrived."""
        mapping = self.mapping
        batch = self._receive(mapping.batch_size, RECEIVE_WAIT_SECONDS)
        if not batch or mapping.batching_window_seconds == 0:
            return batch
        deadline = time.monotonic() + mapping.batching_window_seconds
        while len(batch) < mapping.batch_size and not self._stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            more = self._receive(mapping.batch_size - len(batch), min(int(remaining) or 1, 20))
            batch += more
            if not more and remaining < 1:
                break
        return batch

    def _process(self, batch: list[dict[str, Any]]) -> None:
        mapping = self.mapping
        event = {"Records": [sqs_record(message, mapping.queue_arn) for message in batch]}
        result = self._service.invoke(mapping.function_arn, event)
        if not result.ok:
            log.warning(
                "%s failed a batch of %d from %s: %s",
                mapping.function_arn.split(":")[6],
                len(batch),
                mapping.queue_arn.split(":")[5],
                result.error,
            )
            return  # every message comes back after its visibility timeout
        ids = {message["MessageId"] for message in batch}
        failed = failed_message_ids(result.payload, ids) if mapping.report_item_failures else set()
        if failed is None:
            log.warning(
                "%s returned an invalid batchItemFailures: %r", mapping.function_arn, result.payload
            )
            return
        done = [message for message in batch if message["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            entries = [
                {"Id": str(i), "ReceiptHandle": message["ReceiptHandle"]}
                for i, message in enumerate(done[start : start + 10])
            ]
            self._sqs.delete_message_batch(QueueUrl=self._queue_url, Entries=entries)


class EventSources:
    """One poller per enabled SQS event source mapping, following what Terraform changes."""

    def __init__(
        self,
        service: LambdaService,
        regions: Callable[[], Iterable[str]],
        interval_seconds: float = 1.0,
    ) -> None:
        self._service = service
        self._regions = regions
        self._interval = interval_seconds
        self._pollers: dict[str, QueuePoller] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="event-sources", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        for poller in self._pollers.values():
            poller.stop()

    @property
    def mappings(self) -> list[QueueMapping]:
        return [poller.mapping for poller in list(self._pollers.values())]

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.sync()
            except Exception:
                log.exception("reading the event source mappings failed")
            self._stop.wait(self._interval)

    def _enabled_mappings(self) -> dict[str, QueueMapping]:
        found = {}
        for region in self._regions():
            paginator = self._service.lambda_client(region).get_paginator(
                "list_event_source_mappings"
            )
            for page in paginator.paginate():
                for esm in page["EventSourceMappings"]:
                    if esm.get("State") == "Enabled" and esm["EventSourceArn"].startswith(
                        "arn:aws:sqs:"
                    ):
                        found[esm["UUID"]] = QueueMapping.from_api(esm)
        return found

    def sync(self) -> None:
        wanted = self._enabled_mappings()
        for key, poller in list(self._pollers.items()):
            if wanted.get(key) != poller.mapping:
                poller.stop()
                del self._pollers[key]
                log.info(
                    "stopped polling %s for %s",
                    poller.mapping.queue_arn,
                    poller.mapping.function_arn,
                )
        for key, mapping in wanted.items():
            if key not in self._pollers and not self._stop.is_set():
                if mapping.filtered:
                    log.warning(
                        "%s has FilterCriteria, which the sandbox does not apply: "
                        "every message goes to the function",
                        mapping.uuid,
                    )
                poller = QueuePoller(mapping, self._service)
                poller.start()
                self._pollers[key] = poller
                log.info("polling %s for %s: %s", mapping.queue_arn, mapping.function_arn, mapping)
