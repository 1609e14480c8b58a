"""Imported only by the generation pool's forkserver (``shards._context``), never by the
seed process: the forkserver hands its children the SIGINT disposition it found when it
started, so ignoring SIGINT here makes every pool worker ignore Ctrl-C from birth (a
terminal's Ctrl-C reaches the whole process group; the parent alone rolls back and
reports). Setting it in the pool's initializer leaves a window between fork and
initializer in which a worker dies with a KeyboardInterrupt traceback."""

import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)
