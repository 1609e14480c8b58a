"""Imported only by the generation pool's forkserver (``shards._context``), never by the
seed process: the forkserver hands its children the SIGINT disposition it found when it
started, so ignoring SIGINT here makes every pool worker ignore Ctrl-C from birth (a
terminal's Ctrl-C reaches the whole process group; the parent alone rolls back and
reports). Setting it in the pool's initializer leaves a window between fork and
initializer in which a worker dies with a KeyboardInterrupt traceback.

A worker that fails to start (the forkserver's child, before the pool's code runs) has
its error printed through ``sys.excepthook``. The one such failure seen is benign: Ctrl-C
or SIGTERM lands while a worker is being forked, the parent's shutdown removes the pool's
semaphores, and the new child cannot rebuild them (FileNotFoundError): a traceback after
the CLI's one "interrupted" line. The parent already reports any worker that dies ("a
generation worker process died ..."), so the children stay quiet; the server itself
keeps Python's hook."""

import os
import signal
import sys
from types import TracebackType

signal.signal(signal.SIGINT, signal.SIG_IGN)

_SERVER_PID = os.getpid()
_server_hook = sys.excepthook


def _quiet_in_children(
    kind: type[BaseException], value: BaseException, traceback: TracebackType | None
) -> None:
    if os.getpid() == _SERVER_PID:
        _server_hook(kind, value, traceback)


sys.excepthook = _quiet_in_children
