"""
landlock.py
-----------

Confine a job child's writes to its own scratch folder with Linux Landlock
(kernel 5.13+, no privileges needed): the child keeps reading what it needs
(Python, libraries, fonts, its inputs) but cannot create, change or delete
files anywhere else, so a native loader exploited by a hostile upload cannot
touch the local store, the database file or another job's folder.

Called between fork and exec (`preexec_fn`); where the kernel lacks Landlock
the child runs unconfined and `available()` says so (docs/security.md).
"""

from __future__ import annotations

import ctypes
import os

# syscall numbers are the same on x86_64 and arm64 (generic table)
_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

_WRITE_FILE = 1 << 1
_REMOVE_DIR = 1 << 4
_REMOVE_FILE = 1 << 5
_MAKE = sum(1 << n for n in range(6, 13))  # char, dir, reg, sock, fifo, block, sym
_REFER = 1 << 13  # ABI 2
_TRUNCATE = 1 << 14  # ABI 3

_libc = ctypes.CDLL(None, use_errno=True)


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def abi() -> int:
    """The kernel's Landlock ABI version, 0 when unavailable."""
    got = _libc.syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION))
    return max(int(got), 0)


def available() -> bool:
    return abi() > 0


def _write_rights(version: int) -> int:
    rights = _WRITE_FILE | _REMOVE_DIR | _REMOVE_FILE | _MAKE
    if version >= 2:
        rights |= _REFER
    if version >= 3:
        rights |= _TRUNCATE
    return rights


def restrict_writes(writable: list[str]) -> bool:
    """Allow this process (and its children) to write only beneath `writable`; False if unsupported.

    `/dev` stays writable for /dev/null and /dev/shm (multiprocessing, GL).
    """
    version = abi()
    if version <= 0:
        return False
    rights = _write_rights(version)
    attr = ctypes.c_uint64(rights)
    ruleset = _libc.syscall(_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(8), ctypes.c_uint32(0))
    if ruleset < 0:
        return False
    try:
        for path in [*writable, "/dev"]:
            if not os.path.exists(path):
                continue
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            try:
                beneath = _PathBeneath(allowed_access=rights, parent_fd=fd)
                if _libc.syscall(_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(beneath), 0) != 0:
                    raise OSError(ctypes.get_errno(), f"landlock: cannot allow writes beneath {path}")
            finally:
                os.close(fd)
        if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "landlock: PR_SET_NO_NEW_PRIVS failed")
        if _libc.syscall(_RESTRICT_SELF, ruleset, 0) != 0:
            raise OSError(ctypes.get_errno(), "landlock: restrict_self failed")
    finally:
        os.close(ruleset)
    return True
