"""Users: creating them, checking a password, changing and resetting it, disabling, and the
first administrator that `run.py up` prints.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile);
a hash made with older parameters is upgraded at the next good sign-in. Changing,
resetting or disabling ends the user's other sessions (models/login_sessions.py). Every
change is audited with who made it.
"""
from __future__ import annotations

import functools
import os
import re
import secrets as random
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from models import audit, home, login_sessions
from models.account_tables import User
from models.db import utcnow, write_transaction
from models.errors import Conflict, NotFound
from models.i18n import N_

USERNAME = re.compile(r"^\w[\w.@-]{0,63}$")
MIN_PASSWORD_LENGTH = 10
INITIAL_PASSWORD_FILE = "initial-admin-password"
FIRST_ADMIN = "admin"

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified when the username is unknown, so a wrong name costs the same time as a wrong
    password. Made on the first such sign-in, not at import: hashing takes 64 MiB and most of a
    second, which every CLI command and the daemon (they import this module) would pay."""
    return _hasher.hash("not a password of anyone")


def password_problem(password: str, username: str = ""):
    """Why `password` cannot be set (a message), or None."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        return N_("the password needs at least {n} characters", n=MIN_PASSWORD_LENGTH)
    if username and password.strip().lower() == username.lower():
        return N_("the password must not be the username")
    return None


def get(username: str) -> User:
    user = User.get_or_none(User.username == username)
    if user is None:
        raise NotFound(N_("no user named '{name}'", name=username))
    return user


def all_users() -> list[User]:
    return list(User.select().order_by(User.username))


def create(username: str, password: str, actor: str, *, is_admin: bool = False, display_name: str = "",
           must_change: bool = True) -> User:
    username = (username or "").strip()
    if not USERNAME.match(username):
        raise ValueError(N_("username: use letters, digits, '.', '_', '@' or '-' (at most 64, starting with a "
                            "letter or digit)"))
    if problem := password_problem(password, username):
        raise ValueError(problem)
    with write_transaction():
        if User.get_or_none(User.username == username) is not None:
            raise Conflict(N_("a user named '{name}' already exists", name=username))
        user = User.create(username=username, display_name=display_name.strip(), password_hash=_hasher.hash(password),
                           is_admin=is_admin, must_change_password=must_change, created_by=actor,
                           password_changed_at=utcnow())
        audit.record(actor, "create", user, is_admin=is_admin)
    return user


def authenticate(username: str, password: str) -> User | None:
    """The active user with this username and password, else None (never says which was wrong)."""
    user = User.get_or_none(User.username == (username or "").strip())
    try:
        _hasher.verify(user.password_hash if user else _dummy_hash(), password or "")
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.is_active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        User.update(password_hash=_hasher.hash(password)).where(User.id == user.id).execute()
    return user


def change_password(user: User, old: str, new: str, *, keep_session: int | None = None) -> None:
    """The user's own change: the old password is asked again; other sessions end."""
    try:
        _hasher.verify(user.password_hash, old or "")
    except (VerificationError, InvalidHashError):
        raise ValueError(N_("the current password is not right")) from None
    if new == old:
        raise ValueError(N_("the new password must differ from the current one"))
    _set_password(user, new, user.username, must_change=False, keep_session=keep_session)
    if user.username == FIRST_ADMIN:              # printed once, kept only until it is replaced
        (home.current() / INITIAL_PASSWORD_FILE).unlink(missing_ok=True)


def reset_password(username: str, actor: str) -> str:
    """An administrator's reset: a new random password, to be changed at the next sign-in."""
    user = get(username)
    password = random.token_urlsafe(12)
    _set_password(user, password, actor, must_change=True)
    return password


def _set_password(user: User, password: str, actor: str, *, must_change: bool, keep_session: int | None = None):
    if problem := password_problem(password, user.username):
        raise ValueError(problem)
    with write_transaction():
        User.update(password_hash=_hasher.hash(password), must_change_password=must_change,
                    password_changed_at=utcnow()).where(User.id == user.id).execute()
        login_sessions.end_all(user, "password changed", keep=keep_session)
        audit.record(actor, "reset password" if actor != user.username else "change password", user)
    user.must_change_password = must_change


def set_active(username: str, active: bool, actor: str) -> User:
    user = get(username)
    if not active and user.is_admin and _other_active_admins(user) == 0:
        raise Conflict(N_("'{name}' is the last active administrator; make another one first", name=username))
    with write_transaction():
        User.update(is_active=active).where(User.id == user.id).execute()
        if not active:
            login_sessions.end_all(user, "user disabled")
        audit.record(actor, "enable" if active else "disable", user)
    user.is_active = active
    return user


def set_admin(username: str, is_admin: bool, actor: str) -> User:
    user = get(username)
    if not is_admin and user.is_admin and _other_active_admins(user) == 0:
        raise Conflict(N_("'{name}' is the last active administrator; make another one first", name=username))
    with write_transaction():
        User.update(is_admin=is_admin).where(User.id == user.id).execute()
        audit.record(actor, "make administrator" if is_admin else "remove administrator", user)
    user.is_admin = is_admin
    return user


def set_language(user: User, language: str) -> None:
    User.update(language=language or "").where(User.id == user.id).execute()


def _other_active_admins(user: User) -> int:
    return User.select().where(User.is_admin == True, User.is_active == True, User.id != user.id).count()  # noqa: E712


def ensure_first_admin(data_dir: Path) -> str | None:
    """On a database with no user: create `admin` with a random password, write it to
    `<home>/initial-admin-password` (owner-only) and return it, to be printed once.
    Later calls return None; the file stays until the administrator replaces the password."""
    path = Path(data_dir) / INITIAL_PASSWORD_FILE
    with write_transaction():
        if User.select().exists():
            return None
        password = random.token_urlsafe(12)
        create(FIRST_ADMIN, password, "setup", is_admin=True, display_name="Administrator", must_change=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(password + "\n")
    return password
