"""A progress line for the archive commands: redrawn in place on a terminal, sparse otherwise."""

import time


class ProgressLine:
    def __init__(self, stream, *, verb: str, every_seconds: float = 2.0):
        self.stream = stream
        self.verb = verb
        self.every_seconds = every_seconds
        self.interactive = getattr(stream, "isatty", lambda: False)()
        self.last = 0.0

    def __call__(self, table: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < (0.2 if self.interactive else self.every_seconds) and done < total:
            return
        self.last = now
        percent = 100 * done // total if total else 100
        line = f"{percent:3d}% {done:,}/{total:,} rows {self.verb} ({table})"
        if self.interactive:
            self.stream.write(f"\r{line:<78}", ending="")
            self.stream.flush()
        else:
            self.stream.write(line)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.interactive and self.last:
            self.stream.write("")
