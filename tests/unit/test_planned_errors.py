"""An OSError on a path is planned for: one line naming the path and the fix, never "please report it"."""

from __future__ import annotations

import errno
import os

import pytest

from netguard import applied
from netguard.errors import unexpected
from netguard.safefile import write_atomic


@pytest.mark.parametrize(
    "code, fix",
    [
        (errno.EROFS, "read-only"),
        (errno.ENOSPC, "full"),
        (errno.EDQUOT, "quota"),
        (errno.EISDIR, "a directory stands where"),
        (errno.ENOTDIR, "a file stands where"),
        (errno.ENOTEMPTY, "leftover"),
        (errno.EACCES, "run as root"),
    ],
)
def test_each_planned_errno_names_the_path_and_the_fix(code, fix):
    line = unexpected(OSError(code, os.strerror(code), "/run/netguard/applied/eth0"))
    assert line.startswith("/run/netguard/applied/eth0: ") and fix in line, line
    assert "unexpected" not in line and "please report" not in line


def test_an_error_with_no_path_is_still_said_as_unexpected():
    assert "please report it" in unexpected(OSError(errno.EIO, "Input/output error"))
    assert "please report it" in unexpected(ValueError("x"))


def test_a_path_with_a_terminal_escape_is_shown_escaped():
    line = unexpected(OSError(errno.EROFS, "Read-only file system", "/run/x\x1b[2J"))
    assert "\x1b" not in line and "\\x1b" in line


def test_a_failed_write_names_the_file_it_was_writing(tmp_path, monkeypatch):
    real_fdopen = os.fdopen

    class Full:
        def __init__(self, descriptor, mode):
            self.handle = real_fdopen(descriptor, mode)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, _data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as a full disk says it: no path

    monkeypatch.setattr(os, "fdopen", Full)
    with pytest.raises(OSError) as raised:
        write_atomic(str(tmp_path), "record", b"x" * 10)
    assert raised.value.filename == str(tmp_path / "record")
    assert unexpected(raised.value).startswith(f"{tmp_path}/record: No space left on device; ")
    assert os.listdir(tmp_path) == []  # the temp file is gone too


def test_a_directory_where_the_applied_record_goes_is_one_line_naming_it(tmp_path):
    (tmp_path / "applied" / "eth0" / "x").mkdir(parents=True)
    record = applied.Applied({}, {"inet6"})
    with pytest.raises(OSError) as raised:
        applied.save(str(tmp_path), "eth0", record)
    line = unexpected(raised.value)
    assert f"{tmp_path}/applied/eth0" in line and "remove it" in line, line
    assert "please report" not in line
