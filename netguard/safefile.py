"""Files root may trust: the checks before netguard reads cache or state as root.

Whoever can write the cache or State-Dir decides which networks this host
cannot reach, so a file is read only if it and every directory above it
belong to root (or to the user running netguard) and nobody else can write
them, except through a sticky directory such as /tmp: the rule OpenSSH's
StrictModes applies. Files are opened without following symlinks and
without blocking (a FIFO planted as a cache entry must not hang ifup), and
read only up to a limit fixed before the first byte.
"""

from __future__ import annotations

import errno
import os
import stat

from netguard.errors import NetguardError


class UnsafeFile(NetguardError):
    """A file or directory netguard refuses to read, or cannot read; the message names it."""


def _trusted_owner(uid: int) -> bool:
    return uid in (0, os.geteuid())


def check_directory(path: str) -> None:
    """path and each directory above it: a trusted owner, not writable by others unless sticky."""
    current = os.path.realpath(path)
    while True:
        try:
            info = os.stat(current)
        except FileNotFoundError:
            pass  # not made yet: whoever makes it below a checked parent is us
        except OSError as err:
            raise UnsafeFile(f"cannot check {current}: {err.strerror}") from None
        else:
            writable_by_others = info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
            if not _trusted_owner(info.st_uid) or (writable_by_others and not info.st_mode & stat.S_ISVTX):
                raise UnsafeFile(
                    f"{current} is not root's or others can write it, so its files could be replaced; "
                    f"refused; fix with: chown root:root {current} && chmod go-w {current}"
                )
        parent = os.path.dirname(current)
        if parent == current:
            return
        current = parent


def own_directory(path: str) -> None:
    """Make path (a directory of netguard's own below a checked State-Dir or Cache-Dir) if absent,
    then refuse it unless it is a real directory, not a link, root's (or ours), writable by no one else.

    A link planted in its place would make root write wherever it points."""
    try:
        os.makedirs(path, mode=0o755, exist_ok=True)
        descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as err:
        if err.errno in (errno.ELOOP, errno.ENOTDIR, errno.EEXIST):
            raise UnsafeFile(f"{path} is not a directory (a link or a file?); refused; remove it") from None
        raise UnsafeFile(f"cannot make {path}: {err.strerror}; check the directory above it") from None
    try:
        info = os.fstat(descriptor)
    finally:
        os.close(descriptor)
    if not _trusted_owner(info.st_uid) or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise UnsafeFile(
            f"{path} is not root's or others can write it; refused; fix with: "
            f"chown root:root {path} && chmod 755 {path}"
        )


def read_bounded(
    path: str,
    limit: int,
    allow_pipe: bool = False,
    follow: bool = False,
    check_owner: bool = True,
    dir_fd: int | None = None,
) -> bytes:
    """The file's bytes, if it is a regular file we trust (or a pipe, when allowed) of at most limit bytes.

    follow: a symlink is followed (the configuration may be managed as one);
    the file it names is checked all the same. check_owner=False: a file the
    admin named on the command line (`netguard import`), whoever owns it.
    dir_fd: path is relative to that directory descriptor.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
    try:
        descriptor = os.open(path, flags, dir_fd=dir_fd)
    except (FileNotFoundError, PermissionError):
        raise  # absent: the caller knows what that means; EACCES: "run as root", not "corrupt"
    except OSError as err:
        if err.errno == errno.ELOOP:  # the last component is a symlink
            raise UnsafeFile(f"{path} is a symlink; refused (netguard does not follow links here)") from None
        raise UnsafeFile(f"cannot read {path}: {err.strerror}") from None
    try:
        info = os.fstat(descriptor)
        if stat.S_ISFIFO(info.st_mode) and allow_pipe:
            os.set_blocking(descriptor, True)
        elif not stat.S_ISREG(info.st_mode):
            raise UnsafeFile(f"{path} is not a regular file; refused")
        elif check_owner and (
            not _trusted_owner(info.st_uid) or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
        ):
            raise UnsafeFile(
                f"{path} is not root's or is group/world-writable; refused; "
                f"fix with: chown root:root {path} && chmod 644 {path}"
            )
        elif info.st_size > limit:
            raise UnsafeFile(f"{path} is {info.st_size} bytes, more than the limit of {limit}; refused")
        chunks = []
        size = 0
        while size <= limit:
            chunk = os.read(descriptor, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise UnsafeFile(f"{path} holds more than the limit of {limit} bytes; refused")
        return b"".join(chunks)
    except OSError as err:
        raise UnsafeFile(f"cannot read {path}: {err.strerror}") from None
    finally:
        os.close(descriptor)


def open_lock(path: str) -> int:
    """The lock file's descriptor; a symlink planted in its place is refused, never followed,
    and anything but a regular file (a FIFO, a device) is refused without blocking on it."""
    try:
        descriptor = os.open(
            path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o600
        )
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise UnsafeFile(f"{path} is a symlink; refused; remove it") from None
        raise UnsafeFile(f"cannot open {path}: {err.strerror}") from None
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise UnsafeFile(f"{path} is not a regular file; refused; remove it")
    return descriptor


def open_directory(base: str, *parts: str, make: bool = False) -> int:
    """A descriptor of base/parts...: base checked (check_directory), then each part entered
    with openat(O_NOFOLLOW) and refused unless a real directory, root's (or ours), writable by
    no one else. The one way into State-Dir's subdirectories: reads, writes and unlinks then go
    through the descriptor (dir_fd), so no link planted at any level is ever followed, whatever
    the operation. make: create missing parts (0755). FileNotFoundError when one is absent."""
    check_directory(base)
    if make:
        os.makedirs(base, mode=0o755, exist_ok=True)
    # As check_directory judged it: the resolved path, its last component opened without following.
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    descriptor = os.open(os.path.realpath(base), flags)
    try:
        for depth, part in enumerate(parts, 1):
            where = os.path.join(base, *parts[:depth])
            if make:
                try:
                    os.mkdir(part, 0o755, dir_fd=descriptor)
                except FileExistsError:
                    pass
            try:
                inner = os.open(
                    part,
                    os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                    dir_fd=descriptor,
                )
            except OSError as err:
                if err.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise UnsafeFile(
                        f"{where} is not a directory (a link or a file?); refused; remove it"
                    ) from None
                raise
            os.close(descriptor)
            descriptor = inner
            info = os.fstat(descriptor)
            if not _trusted_owner(info.st_uid) or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                raise UnsafeFile(
                    f"{where} is not root's or others can write it; refused; fix with: "
                    f"chown root:root {where} && chmod 755 {where}"
                )
        return descriptor
    except BaseException:
        os.close(descriptor)
        raise


def one_name(name: str) -> bool:
    """A record's file name is one path component, never `..` or a path."""
    return "/" not in name and name not in ("", ".", "..")


def unlink_in(base: str, part: str, name: str) -> None:
    """Remove base/part/name through open_directory's descriptor (no link followed); absent is fine."""
    if not one_name(name):
        return
    try:
        where = open_directory(base, part)
    except FileNotFoundError:
        return
    try:
        os.unlink(name, dir_fd=where)
    except FileNotFoundError:
        pass
    finally:
        os.close(where)


def listdir(path: str) -> list[str]:
    """The names in a directory netguard keeps, read through a descriptor opened without following
    a link (os.listdir(path) would follow one planted in its place); FileNotFoundError if absent."""
    try:
        descriptor = os.open(
            path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        )
    except OSError as err:
        if err.errno in (errno.ELOOP, errno.ENOTDIR):
            raise UnsafeFile(f"{path} is not a directory (a link or a file?); refused; remove it") from None
        raise
    try:
        return os.listdir(descriptor)
    finally:
        os.close(descriptor)


def write_atomic(
    directory: str, name: str, data: bytes, mode: int = 0o644, sync: bool = True, dir_fd: int | None = None
) -> str:
    """directory/name holds data, whole or not at all: temp file, (fsync,) rename, (fsync of the directory).

    The rename alone makes it whole for every reader and across a killed
    writer. fsync adds durability across a power loss: the cache needs it;
    State-Dir does not (it lives in /run, and what it records, the kernel's
    routes and sysctls, does not survive a power loss either), so its
    writers pass sync=False and a hook run spends no time waiting for a disk.

    The temp name starts with `.tmp.` (so a dead writer's leftovers are
    recognisable) and is created exclusively, never through a symlink.
    dir_fd: work through that descriptor of the directory (opened by the caller
    without following a link); `directory` then only names it in errors.
    """
    path = os.path.join(directory, name)
    temp_name = f".tmp.{os.getpid()}.{os.urandom(6).hex()}"
    temp, target = (temp_name, name) if dir_fd is not None else (os.path.join(directory, temp_name), path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    descriptor = os.open(temp, flags, 0o600, dir_fd=dir_fd)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            if sync:
                os.fsync(handle.fileno())
        os.rename(temp, target, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException as err:
        try:
            os.unlink(temp, dir_fd=dir_fd)
        except OSError:
            pass
        # write() and fsync() name no path; through dir_fd the call names the temp file: the
        # target's path is what the admin must look at.
        if isinstance(err, OSError) and (not err.filename or dir_fd is not None):
            raise OSError(err.errno, err.strerror, path) from None
        raise
    if sync and dir_fd is not None:
        os.fsync(dir_fd)
    elif sync:
        # The directory as configured may be a link (systemd's CacheDirectory= under DynamicUser
        # makes one); what it resolves to now is opened without following any further link.
        folder = os.open(
            os.path.realpath(directory), os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
        )
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    return path
