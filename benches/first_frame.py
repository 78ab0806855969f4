#!/usr/bin/env python3
"""Run the console in a pseudo-terminal until its first frame (FRONTDESK_EXIT_AFTER_FIRST_FRAME)
and print the wall time from process start to the first frame's last byte, to the process's
exit, and its peak RSS.

The first frame ends with the last output before the console leaves the alternate screen
(`ESC [ ? 1049 l`); the exit comes up to 100 ms later, when the input thread's poll notices
the quit (a real Ctrl-c takes the same time to give the terminal back).

The pseudo-terminal answers the cursor-position query crossterm sends when it starts, as a
terminal emulator would (`script` with no terminal behind it cannot).
Usage: first_frame.py BINARY ARGS...   (used by benches/group_e2e.sh)
"""
import os
import fcntl
import pty
import struct
import termios
import resource
import sys
import time

def main() -> int:
    env = dict(os.environ, FRONTDESK_EXIT_AFTER_FIRST_FRAME="1", TERM="xterm-256color")
    started = time.monotonic()
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(sys.argv[1], sys.argv[1:], env)
    # A 100x30 terminal, the size the criterion benches draw at.
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    out = b""
    last_before_leave = None
    last_output = started
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        if b"\x1b[?1049l" in chunk and last_before_leave is None:
            head = chunk.split(b"\x1b[?1049l")[0]
            last_before_leave = time.monotonic() if head else last_output
        last_output = time.monotonic()
        out += chunk
        if b"\x1b[6n" in chunk:
            os.write(fd, b"\x1b[1;1R")
    _, status = os.waitpid(pid, 0)
    wall = time.monotonic() - started
    rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    code = os.waitstatus_to_exitcode(status)
    frame = "?" if last_before_leave is None else f"{(last_before_leave - started) * 1000:.0f}"
    print(f"console start to first frame: {frame} ms (to exit {wall * 1000:.0f} ms), max RSS {rss_kb} kB, exit {code}")
    if code != 0:
        sys.stderr.write(out[-400:].decode(errors="replace") + "\n")
    return code

if __name__ == "__main__":
    sys.exit(main())
