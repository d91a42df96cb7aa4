#!/usr/bin/env python3
"""The pure-core rule, checked on what the build produced (ctest label `layout`).

A pure target (proto, clock, config, the daemon's policy targets) must
  1. reference no system-call wrapper, clock read, entropy, thread or Asio symbol: the undefined
     symbols (`nm`) of its static library are matched against DENIED_SYMBOLS (exact C names), and
     all its symbols, defined ones too, against DENIED_PATTERNS (demangled C++ names);
  2. include no Asio/Beast/spdlog header, no edge header of this project and no OS-only system
     header in its sources (headers and .cpp files of its directory, not recursive);
  3. link only other pure targets or header-only libraries: the `cmake --graphviz` dependency
     graph of a scratch configure is walked from each pure target.

Usage: check_pure.py --source-dir DIR --nm NM --cmake CMAKE --scratch DIR
                     --target NAME:LIBRARY:SOURCE_DIR [--target ...]
Prints one line per violation and exits 1 if there is any, else prints a summary and exits 0.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

# C functions that enter the kernel (or read a clock or entropy), as undefined symbols of an
# object file. Plain names: glibc's versioned names only appear in linked binaries.
DENIED_SYMBOLS = {
    # sockets
    "socket", "socketpair", "bind", "connect", "listen", "accept", "accept4", "shutdown",
    "send", "sendto", "sendmsg", "sendmmsg", "recv", "recvfrom", "recvmsg", "recvmmsg",
    "setsockopt", "getsockopt", "getsockname", "getpeername",
    # names and interfaces
    "getaddrinfo", "getnameinfo", "gethostbyname", "gethostbyname2", "getifaddrs",
    "freeifaddrs", "if_nametoindex", "if_indextoname", "uname", "gethostname",
    # clocks and timers
    "clock_gettime", "clock_settime", "clock_adjtime", "clock_getres", "gettimeofday",
    "settimeofday", "adjtimex", "ntp_adjtime", "ntp_gettime", "adjtime", "time", "timerfd_create",
    "timerfd_settime", "nanosleep", "clock_nanosleep", "usleep", "sleep",
    # entropy (OpenSSL's too: the auth core takes injected randomness)
    "getrandom", "getentropy", "RAND_bytes", "RAND_priv_bytes", "RAND_bytes_ex",
    "RAND_priv_bytes_ex", "RAND_seed", "RAND_poll",
    # OpenSSL IO and configuration files (the auth core computes only; TLS is edge code)
    "BIO_new_file", "BIO_new_fd", "BIO_new_socket", "BIO_new_connect", "BIO_new_accept",
    "OSSL_LIB_CTX_load_config", "CONF_modules_load_file", "OPENSSL_init_ssl", "SSL_CTX_new",
    "SSL_new", "OSSL_PROVIDER_load",
    # files
    "open", "open64", "openat", "openat64", "__open_2", "__open64_2", "__openat_2", "creat",
    "read", "__read_chk", "pread", "pread64", "write", "pwrite", "pwrite64", "readv", "writev",
    "close", "fsync", "fdatasync", "rename", "renameat", "renameat2", "unlink", "unlinkat",
    "mkdir", "rmdir", "stat", "fstat", "lstat", "fstatat", "chmod", "fchmod", "ioctl", "fcntl",
    "fopen", "fopen64", "fdopen", "fclose", "fread", "fwrite", "fflush", "mmap", "munmap",
    # polling, events, signals, processes
    "poll", "ppoll", "select", "pselect", "epoll_create", "epoll_create1", "epoll_ctl",
    "epoll_wait", "epoll_pwait", "eventfd", "signalfd", "pipe", "pipe2", "sigaction", "signal",
    "kill", "raise", "fork", "execve", "execvp", "syscall", "getpid", "pthread_create",
}

# Regular expressions over demangled C++ symbol names.
DENIED_PATTERNS = [
    (re.compile(r"boost::(asio|beast)::"), "Asio/Beast"),
    (re.compile(r"\bspdlog::"), "logging (the edge logs)"),
    (re.compile(r"std::chrono::_V2::(system|steady|high_resolution)_clock::now"), "clock read"),
    (re.compile(r"std::random_device"), "entropy"),
    (re.compile(r"std::thread::_M_start_thread"), "thread start"),
    (re.compile(r"std::this_thread::|std::(__)?sleep_for"), "sleep"),
    (re.compile(r"std::basic_(i|o)?fstream|std::basic_filebuf"), "file IO"),
]

# Deliberate exceptions, one per line with the reason (kept tiny; each one is reported).
ALLOWED: set = set()  # none: reading the config file lives in ntplite_config_os (config/os/)

# Includes a pure source must not have: Asio/Beast/logging, the project's edge headers, and
# system headers that only declare system calls.
DENIED_INCLUDE = re.compile(
    r'^\s*#\s*include\s*[<"]('
    r"boost/asio|boost/beast|spdlog/|"
    r"daemon/common/|daemon/server/|daemon/sync/|daemon/control/|daemon/engine\.hpp|config/os/|"
    r"daemon/signals\.hpp|clock/os/|tools/|"
    r"sys/timex\.h|sys/random\.h|sys/utsname\.h|sys/epoll\.h|sys/ioctl\.h|sys/stat\.h|"
    r"sys/socket\.h|ifaddrs\.h|netdb\.h|fcntl\.h|unistd\.h|thread[>\"]|"
    r"openssl/ssl\.h|openssl/rand\.h|openssl/bio\.h|openssl/conf\.h"
    r")"
)

# Libraries a pure target may link besides pure targets: header-only, no IO (ntplite_version:
# the generated constexpr version string).
HEADER_ONLY_OK = {"nlohmann_json::nlohmann_json", "ntplite_fmt", "ntplite_version"}

# Libraries one pure target may link directly (and others only through it): the auth core's
# cryptographic computation. Its symbols are checked like ours (no entropy, no file or TLS IO),
# and it creates a private OSSL_LIB_CTX, so no openssl.cnf is read.
CRYPTO_LINKS = {"ntplite_auth": {"OpenSSL::Crypto"}}


def symbols(nm, library):
    """(undefined, all) demangled symbol names of a static library."""
    out = subprocess.run([nm, "-C", library], check=True, capture_output=True, text=True)
    undefined, every = set(), set()
    for line in out.stdout.splitlines():
        # "ADDRESS TYPE NAME" for defined symbols, "TYPE NAME" (indented) for undefined ones.
        m = re.match(r"^\s*(?:[0-9a-fA-F]+\s+)?([A-Za-z?-])\s+(.+)$", line)
        if not m:
            continue
        kind, name = m.group(1), m.group(2)
        every.add(name)
        if kind in ("U", "w", "v"):
            undefined.add(name)
    return undefined, every


def check_symbols(name, nm, library):
    problems = []
    undefined, every = symbols(nm, library)
    if not every:
        return [f"{name}: no symbols in {library} (nm output not understood?)"]
    for sym in sorted(undefined & DENIED_SYMBOLS):
        problems.append(f"{name}: references system call wrapper '{sym}' ({library})")
    # C++ patterns also over defined symbols: Asio's templates are instantiated (weak, defined)
    # in the object that uses them, not left undefined.
    for sym in sorted(every):
        for pattern, what in DENIED_PATTERNS:
            if pattern.search(sym) and (name, what) not in ALLOWED:
                problems.append(f"{name}: references {what} symbol '{sym}' ({library})")
    return problems


def check_includes(name, source_dir):
    problems = []
    for entry in sorted(os.listdir(source_dir)):
        if not entry.endswith((".cpp", ".hpp", ".h", ".c")):
            continue
        path = os.path.join(source_dir, entry)
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                if DENIED_INCLUDE.match(line):
                    problems.append(f"{name}: {path}:{lineno}: forbidden include: {line.strip()}")
    return problems


def dependency_graph(cmake, source_dir, scratch):
    """Edges of the real target graph, from `cmake --graphviz` of a throw-away configure."""
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    dot = os.path.join(scratch, "deps.dot")
    subprocess.run([cmake, "-S", source_dir, "-B", scratch, "-DNTPLITE_BUILD_TESTS=OFF",
                    f"--graphviz={dot}"], check=True, capture_output=True, text=True)
    edges = {}
    edge_re = re.compile(r"^\s*\"node\d+\"\s*->\s*\"node\d+\".*//\s*(\S+)\s*->\s*(\S+)\s*$")
    with open(dot, encoding="utf-8") as f:
        for line in f:
            m = edge_re.match(line)
            if m:
                edges.setdefault(m.group(1), set()).add(m.group(2))
    return edges


def check_links(pure, edges):
    problems = []
    if not edges:
        return ["dependency graph: no edges found in the graphviz output"]
    for name in sorted(pure):
        if name not in edges and not any(name in deps for deps in edges.values()):
            problems.append(f"{name}: not in the dependency graph (renamed? update tests/CMakeLists.txt)")
            continue
        seen, todo = set(), [name]
        while todo:
            for dep in edges.get(todo.pop(), ()):
                if dep not in seen:
                    seen.add(dep)
                    todo.append(dep)
        crypto_ok = set().union(*CRYPTO_LINKS.values())
        for dep in sorted(seen - set(pure) - HEADER_ONLY_OK - crypto_ok):
            problems.append(f"{name}: links non-pure target '{dep}'")
        direct = edges.get(name, set()) & crypto_ok
        for dep in sorted(direct - CRYPTO_LINKS.get(name, set())):
            problems.append(f"{name}: links '{dep}' directly (only {', '.join(CRYPTO_LINKS)} may)")
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--nm", required=True)
    ap.add_argument("--cmake", required=True)
    ap.add_argument("--scratch", required=True)
    ap.add_argument("--target", action="append", required=True,
                    help="NAME:STATIC_LIBRARY:SOURCE_DIR of a pure target")
    args = ap.parse_args()

    targets = [t.split(":", 2) for t in args.target]
    problems = []
    for name, library, source_dir in targets:
        problems += check_symbols(name, args.nm, library)
        problems += check_includes(name, source_dir)
    problems += check_links({t[0] for t in targets},
                            dependency_graph(args.cmake, args.source_dir, args.scratch))
    for p in problems:
        print("FAIL", p)
    if problems:
        print(f"layout: {len(problems)} violation(s) of the pure-core rule")
        return 1
    print(f"layout: {len(targets)} pure targets clean: "
          + ", ".join(t[0] for t in targets)
          + f" (exceptions: {', '.join(f'{a}: {b}' for a, b in sorted(ALLOWED))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
