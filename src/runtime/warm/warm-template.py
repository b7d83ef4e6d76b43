"""Gantry's warm sandbox template.

Runs inside a bubblewrap sandbox (read-only host userland, no network, as an
unprivileged user) and keeps a few children ready, each already in its own
user, mount, network, ipc, uts and pid namespaces with a private /tmp and a
fresh /proc, its limits set and its capabilities dropped, waiting for exactly
one snippet. A request takes a waiting child, the child runs the snippet once
and exits; the template then prepares another. Nothing is reused.

In "fork" mode (python) the child is a fork of this interpreter and runs the
snippet in-process: no interpreter start-up on the request path. In "exec"
mode the child execs the configured interpreter ahead of demand (node, or a
plain python), which waits for its snippet on fd 3.

Protocol: one JSON object per line. The first line on stdin configures the
template; then {"op": "run", "id", "code", "timeout"} lines. The template
answers {"op": "ready", ...} once, and {"op": "done", "id", ...} per run.
"""

import ctypes
import fcntl
import errno
import json
import os
import resource
import selectors
import signal
import sys
import time
import traceback
import gc

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_RDONLY = 1
MS_REMOUNT = 32
MS_BIND = 4096
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_RELATIME = 1 << 21
MS_REC = 16384
MS_PRIVATE = 1 << 18
PR_SET_NO_NEW_PRIVS = 38
PR_SET_CHILD_SUBREAPER = 36
PR_CAPBSET_DROP = 24
CAP_LAST = 63
LINUX_CAPABILITY_VERSION_3 = 0x20080522
F_SETPIPE_SZ = 1031

libc = ctypes.CDLL(None, use_errno=True)


class CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def check(result, what):
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def mount(source, target, fstype, flags, data):
    check(libc.mount(source, target, fstype, ctypes.c_ulong(flags), data), f"mount {target.decode()}")


def write_file(path, text):
    with open(path, "w") as f:
        f.write(text)


def drop_capabilities():
    """No capability left in the child's own user namespace, and none to be had by exec."""
    for cap in range(CAP_LAST + 1):
        libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    data = (CapData * 2)()
    check(libc.capset(ctypes.byref(CapHeader(LINUX_CAPABILITY_VERSION_3, 0)), data), "capset")
    check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


SYS_CLONE = {"x86_64": 56, "aarch64": 220}.get(os.uname().machine)
NAMESPACES = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID


def clone_into_namespaces():
    """A fork straight into new user, mount, network, ipc, uts and pid namespaces.

    0 in the child, which is pid 1 of its own pid namespace; the child's pid in
    the parent. One process made per sandbox instead of two (unshare, then fork
    again for the pid namespace): the copied page tables of a forked
    interpreter are most of what a sandbox costs.
    """
    if SYS_CLONE is None:
        raise OSError(errno.ENOSYS, f"warm sandboxes are not made on {os.uname().machine}")
    pid = libc.syscall(ctypes.c_long(SYS_CLONE), ctypes.c_ulong(NAMESPACES | signal.SIGCHLD), None, None, None, None)
    if pid < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"clone: {os.strerror(err)}")
    return pid


def map_ids(config, uid, gid):
    """In the child: the template's user becomes `inner_uid` inside."""
    write_file("/proc/self/setgroups", "deny")
    write_file("/proc/self/uid_map", f"{config['inner_uid']} {uid} 1\n")
    write_file("/proc/self/gid_map", f"{config['inner_gid']} {gid} 1\n")


def set_up_sandbox(config, cgroup_name):
    """In the sandbox's pid 1, before any snippet: its file system, limits and identity."""
    os.setsid()
    if config.get("cgroup"):
        join_own_cgroup(config, cgroup_name)
    mount(None, b"/", None, MS_REC | MS_PRIVATE, None)
    tmp = f"size={config['tmp_bytes']},mode=1777,nr_inodes=4096".encode()
    mount(b"tmpfs", b"/tmp", b"tmpfs", MS_NOSUID | MS_NODEV, tmp)
    mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)
    # /dev is the template's, shared by all its sandboxes: each gets its own
    # /dev/shm and ptys, and /dev itself becomes read-only.
    shm = f"size={config['shm_bytes']},mode=1777,nr_inodes=256".encode()
    mount(b"tmpfs", b"/dev/shm", b"tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, shm)
    mount(b"devpts", b"/dev/pts", b"devpts", MS_NOSUID | MS_NOEXEC, b"newinstance,ptmxmode=0666,mode=0620")
    remount_read_only(b"/dev")
    if config.get("cgroup"):
        # The template's cgroup is no business of the snippet's: hidden under an empty, read-only tmpfs.
        mount(b"tmpfs", config["cgroup"].encode(), b"tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, b"size=4k")
    check(libc.sethostname(b"sandbox", 7), "sethostname")
    memory = config["memory_bytes"]
    resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
    resource.setrlimit(resource.RLIMIT_NPROC, (config["pids"], config["pids"]))
    resource.setrlimit(resource.RLIMIT_FSIZE, (config["tmp_bytes"], config["tmp_bytes"]))
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.setresgid(config["inner_gid"], config["inner_gid"], config["inner_gid"])
    os.setresuid(config["inner_uid"], config["inner_uid"], config["inner_uid"])
    drop_capabilities()
    os.chdir("/tmp")


def join_own_cgroup(config, name):
    """A memory cgroup of its own under the template's, capped at the sandbox's memory, joined at once.

    The cgroup may be one an ended sandbox left empty: making and removing
    memory cgroups costs the kernel more than the rest of a sandbox, so the
    template hands them on (see CgroupShelf).
    """
    path = os.path.join(config["cgroup"], name)
    try:
        os.mkdir(path)
        memory = str(config["memory_bytes"])
        write_file(os.path.join(path, "memory.limit_in_bytes"), memory)
        memsw = os.path.join(path, "memory.memsw.limit_in_bytes")
        if os.path.exists(memsw):
            write_file(memsw, memory)
    except FileExistsError:
        pass
    write_file(os.path.join(path, "cgroup.procs"), "0")


def oom_kills(config, name):
    """How many processes the kernel has killed in a cgroup for its memory, ever."""
    if not config.get("cgroup") or name is None:
        return 0
    try:
        with open(os.path.join(config["cgroup"], name, "memory.oom_control")) as f:
            for line in f:
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
    except OSError:
        pass
    return 0


class CgroupShelf:
    """Empty sandbox cgroups, kept to be handed to the next sandboxes; beyond `keep`, removed."""

    def __init__(self, config, keep):
        self.config = config
        self.keep = keep
        self.free = []
        self.made = 0

    def take(self):
        if self.free:
            return self.free.pop()
        self.made += 1
        return f"s{self.made}"

    def give_back(self, name):
        if not self.config.get("cgroup") or name is None:
            return
        if len(self.free) < self.keep:
            self.free.append(name)
            return
        try:
            os.rmdir(os.path.join(self.config["cgroup"], name))
        except OSError:
            pass


def remount_read_only(path):
    """Makes a mount read-only, keeping the flags it has (a mount from outside the user namespace may not lose them)."""
    flags = os.statvfs(path).f_flag
    # statvfs's ST_* bits are MS_* bits, but for relatime.
    kept = flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME)
    if flags & os.ST_RELATIME:
        kept |= MS_RELATIME
    mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | kept, None)


def read_all(fd):
    chunks = []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def child_main(config, control, ready, out, err, cgroup_name):
    """The sandbox: prepared, then one snippet, then gone. Never returns.

    Its descriptors: 0 /dev/null, 1 and 2 the output pipes, 3 the snippet (read
    to end of file), 4 the status pipe: `R` when it is ready for its snippet,
    `X<exit code>` when the snippet is done.
    """
    status = 127
    try:
        set_up_sandbox(config, cgroup_name)
        null = os.open("/dev/null", os.O_RDONLY)
        for source, target in ((null, 0), (out, 1), (err, 2), (control, 3), (ready, 4)):
            os.dup2(source, target)
        os.closerange(5, 65536)
        if config["mode"] == "exec":
            limit = config["max_cpu_seconds"]
            resource.setrlimit(resource.RLIMIT_CPU, (limit, limit + 1))
            os.execve(config["argv"][0], config["argv"], config["env"])
        os.environ.clear()
        os.environ.update(config["env"])
        status = run_snippet_from(3, 4)
    except BaseException as error:  # noqa: BLE001 - the sandbox reports whatever stopped it
        try:
            os.write(2, f"sandbox: {error}\n".encode())
        except OSError:
            pass
    os._exit(status)


def run_snippet_from(control, status_fd):
    """Gets everything ready, says so, waits for its one snippet and runs it.

    What can be done before the snippet arrives is done here, ahead of demand:
    the standard streams, a first compile (a forked interpreter pays for the
    memory it touches first; better now than on the request). When the snippet
    is done its exit status goes to the template on `status_fd`, and its output
    streams are closed, so the answer need not wait for the process to be torn
    down.
    """
    streams = python_streams()
    compile("pass", "<string>", "exec")
    # The sandbox was cloned without Python's fork hooks: random's state would be the template's.
    if "random" in sys.modules:
        sys.modules["random"].seed()
    os.write(status_fd, b"R")
    request = read_all(control)
    os.close(control)
    header, _, code = request.partition(b"\n")
    limit = int(header)
    resource.setrlimit(resource.RLIMIT_CPU, (limit, limit + 1))
    status = run_python(code.decode("utf-8", "replace"), streams)
    try:
        os.write(status_fd, f"X{status}\n".encode())
        os.close(1)
        os.close(2)
    except OSError:
        pass
    return status


def python_streams():
    sys.stdin = open(0, "r")
    sys.stdout = open(1, "w", buffering=8192, encoding="utf-8", errors="backslashreplace", closefd=False)
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)
    sys.argv = ["-c"]
    return sys.stdout, sys.stderr


def run_python(code, streams):
    """Runs a snippet as `python3 -c` would: its exit status, tracebacks on stderr."""
    scope = {"__name__": "__main__", "__builtins__": __builtins__}
    status = 0
    try:
        exec(compile(code, "<string>", "exec"), scope)
    except SystemExit as stop:
        if stop.code is None:
            status = 0
        elif isinstance(stop.code, int):
            status = stop.code & 0xFF
        else:
            print(stop.code, file=sys.stderr)
            status = 1
    except BaseException as error:  # noqa: BLE001 - as the interpreter: print and exit 1
        # From the snippet's own frames on, as `python3 -c` shows it: not this function's.
        traceback.print_exception(type(error), error, error.__traceback__.tb_next)
        status = 1
    for stream in streams:
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001 - a closed stdout is the snippet's own business
            pass
    return status


class Sandbox:
    """A prepared child: its pid (pid 1 of its own namespace), pipes, and the run it serves."""

    def __init__(self, pid, control, ready, out, err):
        self.pid = pid
        self.control = control
        self.ready_fd = ready
        self.out = out
        self.err = err
        self.ready = False
        self.run = None
        # The wait status once reaped; the exit code once the sandbox has told it.
        self.status = None
        self.told_code = None
        self.status_bytes = b""
        self.open_streams = 2
        self.answered = False
        self.cgroup = None
        self.oom_baseline = 0


class Template:
    def __init__(self, config):
        self.config = config
        self.selector = selectors.DefaultSelector()
        self.spares = []
        self.preparing = 0
        self.by_pid = {}
        self.queue = []
        self.output_cap = config["output_cap"]
        self.inbox = b""
        self.retry_at = 0.0
        self.cgroups = CgroupShelf(config, config["spares"] * 2)
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_w, False)
        self.selector.register(self.wake_r, selectors.EVENT_READ, ("wake", None))
        self.selector.register(0, selectors.EVENT_READ, ("stdin", None))

    def send(self, message):
        data = (json.dumps(message) + "\n").encode()
        view = memoryview(data)
        while view:
            try:
                written = os.write(1, view)
                view = view[written:]
            except BlockingIOError:
                selectors.select.select([], [1], [])

    def prepare(self):
        """Makes a sandbox: a child in namespaces of its own, which sets itself up and says when it is ready."""
        control_r, control_w = os.pipe()
        # Room for a whole snippet, so handing it over never blocks the template.
        fcntl.fcntl(control_w, F_SETPIPE_SZ, self.config["control_pipe_bytes"])
        ready_r, ready_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        cgroup_name = self.cgroups.take()
        oom_baseline = oom_kills(self.config, cgroup_name)
        uid, gid = os.getuid(), os.getgid()
        try:
            pid = clone_into_namespaces()
        except OSError:
            for fd in (control_r, control_w, ready_r, ready_w, out_r, out_w, err_r, err_w):
                os.close(fd)
            self.cgroups.give_back(cgroup_name)
            raise
        if pid == 0:
            try:
                # Nothing of the template's (other sandboxes' pipes above all) goes along.
                close_all_except((0, 1, 2, control_r, ready_w, out_w, err_w))
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                map_ids(self.config, uid, gid)
                child_main(self.config, control_r, ready_w, out_w, err_w, cgroup_name)
            except BaseException as error:  # noqa: BLE001 - its status pipe closes unready, and the template discards it
                try:
                    os.write(2, f"warm template: a sandbox could not be set up: {error}\n".encode())
                finally:
                    os._exit(127)
        for fd in (control_r, ready_w, out_w, err_w):
            os.close(fd)
        self.preparing += 1
        sandbox = Sandbox(pid, control_w, ready_r, out_r, err_r)
        sandbox.cgroup = cgroup_name
        sandbox.oom_baseline = oom_baseline
        self.by_pid[pid] = sandbox
        self.selector.register(ready_r, selectors.EVENT_READ, ("status", sandbox))

    def refill(self):
        if time.monotonic() < self.retry_at:
            return
        while len(self.spares) + self.preparing < self.config["spares"]:
            try:
                self.prepare()
            except Exception as error:  # noqa: BLE001 - told to Gantry; tried again later
                self.send({"op": "error", "message": f"cannot prepare a sandbox: {error}"})
                self.retry_at = time.monotonic() + 1.0
                return

    def on_status(self, sandbox):
        """Bytes from a sandbox's status pipe: `R` once it is ready, `X<code>` when its snippet is done."""
        if sandbox.ready_fd < 0:
            return  # closed earlier in the same round of events
        try:
            chunk = os.read(sandbox.ready_fd, 64)
        except OSError:
            chunk = b""
        if not chunk:
            self.selector.unregister(sandbox.ready_fd)
            os.close(sandbox.ready_fd)
            sandbox.ready_fd = -1
            if not sandbox.ready:
                # It could not set itself up: not tried again at once, so a host that refuses
                # sandboxes does not keep the template busy making them.
                self.preparing -= 1
                self.by_pid.pop(sandbox.pid, None)
                self.discard(sandbox)
                self.send({"op": "error", "message": "a sandbox could not be set up (see the template's stderr)"})
                self.retry_at = time.monotonic() + 1.0
            return
        if not sandbox.ready:
            if chunk[:1] != b"R":
                return
            sandbox.ready = True
            self.retry_at = 0.0
            self.preparing -= 1
            self.spares.append(sandbox)
            chunk = chunk[1:]
            self.dispatch()
        sandbox.status_bytes += chunk
        if sandbox.run is not None and sandbox.status_bytes.startswith(b"X") and sandbox.status_bytes.endswith(b"\n"):
            text = sandbox.status_bytes[1:-1].decode(errors="replace")
            if text.isdigit():
                sandbox.told_code = int(text)
                self.maybe_done(sandbox)

    def discard(self, sandbox):
        if sandbox.status is not None:
            # Reaped: its processes are all gone, its cgroup is empty for the next.
            self.cgroups.give_back(sandbox.cgroup)
            sandbox.cgroup = None
        else:
            try:
                os.kill(sandbox.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for fd in (sandbox.control, sandbox.out, sandbox.err, sandbox.ready_fd):
            if fd < 0:
                continue
            try:
                if fd == sandbox.ready_fd:
                    self.selector.unregister(fd)
            except (KeyError, ValueError):
                pass
            try:
                os.close(fd)
            except OSError:
                pass
        sandbox.control = sandbox.out = sandbox.err = sandbox.ready_fd = -1

    def on_request(self, request):
        if request.get("op") == "run":
            request["received"] = time.monotonic()
            self.queue.append(request)
            self.dispatch()
        elif request.get("op") == "status":
            self.send({"op": "status", "spares": len(self.spares), "preparing": self.preparing, "queued": len(self.queue)})

    def dispatch(self):
        while self.queue and self.spares:
            request = self.queue.pop(0)
            sandbox = self.spares.pop(0)
            self.start(sandbox, request)
        self.refill()

    def start(self, sandbox, request):
        timeout = float(request["timeout"])
        run = {
            "id": request["id"],
            "out": bytearray(),
            "err": bytearray(),
            "truncated": False,
            "timed_out": False,
            "deadline": time.monotonic() + timeout,
            "timeout": timeout,
        }
        sandbox.run = run
        header = str(max(1, int(timeout + 0.999))).encode()
        payload = header + b"\n" + request["code"].encode("utf-8", "surrogatepass")
        run["forked"] = time.monotonic()
        self.write_control(sandbox, payload)
        run["fork_ms"] = (run["forked"] - request["received"]) * 1000
        run["started"] = time.monotonic()
        self.selector.register(sandbox.out, selectors.EVENT_READ, ("out", sandbox))
        self.selector.register(sandbox.err, selectors.EVENT_READ, ("err", sandbox))

    def write_control(self, sandbox, payload):
        # The snippet's whole code, then end of file: the sandbox reads it before running anything.
        view = memoryview(payload)
        try:
            while view:
                view = view[os.write(sandbox.control, view):]
        except OSError:
            pass
        os.close(sandbox.control)
        sandbox.control = -1

    def on_output(self, sandbox, stream):
        fd = sandbox.out if stream == "out" else sandbox.err
        if fd < 0:
            return  # closed earlier in the same round of events
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            chunk = b""
        run = sandbox.run
        if not chunk:
            self.selector.unregister(fd)
            os.close(fd)
            if stream == "out":
                sandbox.out = -1
            else:
                sandbox.err = -1
            sandbox.open_streams -= 1
            self.maybe_done(sandbox)
            return
        buffer = run[stream]
        room = self.output_cap - len(run["out"]) - len(run["err"])
        if len(chunk) > room:
            buffer.extend(chunk[: max(room, 0)])
            if not run["truncated"]:
                run["truncated"] = True
                # Output past the cap is not kept; the snippet that makes it is stopped.
                os.kill(sandbox.pid, signal.SIGKILL)
        else:
            buffer.extend(chunk)

    def on_exit(self, pid, status):
        sandbox = self.by_pid.get(pid)
        if sandbox is None:
            return
        sandbox.status = status
        if sandbox.answered:
            # Its answer went out when it told its exit code; now it is gone too.
            self.by_pid.pop(pid, None)
            self.discard(sandbox)
            return
        if sandbox.run is None:
            # Died while waiting (killed from outside, or it failed to set up).
            self.by_pid.pop(pid, None)
            if sandbox.ready:
                self.spares.remove(sandbox)
            elif sandbox.ready_fd >= 0:
                self.preparing -= 1
                # Died before it was ready: made again after a pause, not in a tight loop.
                self.retry_at = time.monotonic() + 1.0
            self.discard(sandbox)
            self.refill()
            return
        self.maybe_done(sandbox)

    def maybe_done(self, sandbox):
        """Answers once the output is complete and the exit code known: told by the sandbox, or from its wait status."""
        if sandbox.answered or sandbox.open_streams > 0:
            return
        run = sandbox.run
        if sandbox.told_code is not None and not run["timed_out"] and not run["truncated"]:
            exit_code, signal_number = sandbox.told_code, None
        elif sandbox.status is not None:
            status = sandbox.status
            if os.WIFEXITED(status):
                exit_code, signal_number = os.WEXITSTATUS(status), None
            else:
                exit_code, signal_number = None, os.WTERMSIG(status)
        else:
            return
        sandbox.answered = True
        out_of_memory = signal_number is not None and oom_kills(self.config, sandbox.cgroup) > sandbox.oom_baseline
        if sandbox.status is None:
            # Whatever it left behind goes with it; reaped later.
            try:
                os.kill(sandbox.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        else:
            self.by_pid.pop(sandbox.pid, None)
            self.discard(sandbox)
        self.send(
            {
                "op": "done",
                "id": run["id"],
                "stdout": run["out"].decode("utf-8", "replace"),
                "stderr": run["err"].decode("utf-8", "replace"),
                "exit_code": exit_code,
                "signal": signal_number,
                "oom": out_of_memory,
                "timed_out": run["timed_out"],
                "truncated": run["truncated"],
                "fork_ms": run["fork_ms"],
                "exec_ms": (time.monotonic() - run["started"]) * 1000,
            }
        )

    def check_deadlines(self):
        now = time.monotonic()
        for sandbox in list(self.by_pid.values()):
            run = sandbox.run
            if run is not None and not sandbox.answered and not run["timed_out"] and sandbox.status is None and now >= run["deadline"]:
                run["timed_out"] = True
                try:
                    os.kill(sandbox.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def next_deadline(self):
        deadlines = [s.run["deadline"] for s in self.by_pid.values() if s.run is not None and not s.answered and not s.run["timed_out"] and s.status is None]
        if self.retry_at > time.monotonic():
            deadlines.append(self.retry_at)
        return max(0.0, min(deadlines) - time.monotonic()) if deadlines else None

    def reap_all(self):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.on_exit(pid, status)

    def on_stdin(self):
        chunk = os.read(0, 65536)
        if not chunk:
            # Gantry went away: so does every sandbox.
            for sandbox in list(self.by_pid.values()):
                self.discard(sandbox)
            os._exit(0)
        self.inbox += chunk
        while b"\n" in self.inbox:
            line, _, self.inbox = self.inbox.partition(b"\n")
            if line.strip():
                self.on_request(json.loads(line))

    def loop(self):
        # The handler does nothing: the wake-up byte on wake_r is what the loop waits for.
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.set_wakeup_fd(self.wake_w)
        self.refill()
        self.send({"op": "ready", "pid": os.getpid(), "numpy": has_numpy()})
        while True:
            for key, _ in self.selector.select(self.next_deadline()):
                kind, sandbox = key.data
                if kind == "wake":
                    try:
                        os.read(self.wake_r, 4096)
                    except BlockingIOError:
                        pass
                    self.reap_all()
                elif kind == "stdin":
                    self.on_stdin()
                elif kind == "status":
                    self.on_status(sandbox)
                else:
                    self.on_output(sandbox, kind)
            self.check_deadlines()
            self.reap_all()
            self.refill()


def close_all_except(keep):
    """Closes every descriptor not in `keep`."""
    low = 0
    for fd in sorted(set(keep)):
        # closerange(n, n) would close everything (it passes n..n-1 on as an unsigned range).
        if low < fd:
            os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 65536)


def has_numpy():
    try:
        import importlib.util

        return importlib.util.find_spec("numpy") is not None
    except Exception:  # noqa: BLE001
        return False


def read_line(fd):
    """One line from `fd`, read byte by byte: nothing after it is taken from the pipe."""
    data = bytearray()
    while True:
        byte = os.read(fd, 1)
        if not byte or byte == b"\n":
            return bytes(data)
        data.extend(byte)


def main():
    if sys.argv[1:] == ["--run"]:
        # A plain interpreter of exec mode: descriptors as child_main left them.
        os._exit(run_snippet_from(3, 4))
    config = json.loads(read_line(0))
    check(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "subreaper")
    for module in config.get("preload", []):
        try:
            __import__(module)
        except ImportError:
            pass
    # Objects made so far stay out of the collector's way, so a forked sandbox
    # does not copy the pages a collection would touch.
    gc.freeze()
    Template(config).loop()


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # noqa: BLE001 - the one line Gantry logs
        sys.stderr.write(f"warm template failed: {error}\n")
        sys.exit(1)
