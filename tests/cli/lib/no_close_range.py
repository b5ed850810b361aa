#!/usr/bin/env python3
"""no_close_range.py PROGRAM ARGS...: runs PROGRAM under a seccomp filter that makes close_range
fail with ENOSYS, as on kernels before 5.9 and under container profiles that do not know it
(release.sh: silt's exit must not wait on it). Linux, x86-64 and arm64 (syscall 436 on both)."""
import ctypes
import os
import struct
import sys

libc = ctypes.CDLL(None, use_errno=True)
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
BPF_LD_W_ABS, BPF_JEQ_K, BPF_RET_K = 0x20, 0x15, 0x06
SECCOMP_RET_ERRNO, SECCOMP_RET_ALLOW, ENOSYS, CLOSE_RANGE = 0x00050000, 0x7FFF0000, 38, 436


def insn(code, k, jt=0, jf=0):
    return struct.pack("HBBI", code, jt, jf, k)


# the system call's number (offset 0 of seccomp_data): close_range fails, the rest is allowed
prog = (insn(BPF_LD_W_ABS, 0) + insn(BPF_JEQ_K, CLOSE_RANGE, 0, 1) +
        insn(BPF_RET_K, SECCOMP_RET_ERRNO | ENOSYS) + insn(BPF_RET_K, SECCOMP_RET_ALLOW))
code = ctypes.create_string_buffer(prog)


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


fprog = SockFprog(len(prog) // 8, ctypes.cast(code, ctypes.c_void_p))
if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or \
        libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog)) != 0:
    sys.exit("seccomp: " + os.strerror(ctypes.get_errno()))
os.execv(sys.argv[1], sys.argv[1:])
