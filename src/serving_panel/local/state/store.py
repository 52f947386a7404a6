"""The local workspace's state in SQLite (WAL): identities, tokens, endpoints and their ACLs.

This is the only module that speaks SQL. It returns plain records, keeps transactions short,
and guards concurrent updates with compare-and-set on the endpoint's update state, so a
refused request never changes what is stored. Configs are stored as the JSON documents the API
serves (minus per-request fields such as the caller's permission level).

The lookups every query makes (token to principal, its groups, its levels on an endpoint, the
endpoint by name) are remembered until the database next changes, by this connection or any
other (the handle in the caller's process writes identities straight into the file): each
lookup first asks SQLite's `data_version`, so a revoked token is refused on the next request.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from serving_panel.local.state import jsontext

SCHEMA_VERSION = 1
#: Lookups remembered between commits (see `Store._remembered`); past this many, all are dropped.
MEMO_MAX = 4096

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE principals (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('user', 'service_principal', 'group')),
    name TEXT NOT NULL,
    display_name TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    UNIQUE (kind, name)
);
CREATE TABLE memberships (
    group_id INTEGER NOT NULL REFERENCES principals(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES principals(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, member_id)
);
CREATE TABLE tokens (
    token_hash TEXT PRIMARY KEY,
    principal_id INTEGER NOT NULL REFERENCES principals(id) ON DELETE CASCADE,
    comment TEXT NOT NULL DEFAULT '',
    created_ms INTEGER NOT NULL
);
CREATE TABLE endpoints (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    creator TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    ready TEXT NOT NULL,
    config_update TEXT NOT NULL,
    last_config_version INTEGER NOT NULL DEFAULT 0,
    config TEXT,
    pending_config TEXT,
    attributes TEXT NOT NULL
);
CREATE TABLE acl (
    endpoint_id TEXT NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
    principal_id INTEGER NOT NULL REFERENCES principals(id) ON DELETE CASCADE,
    level TEXT NOT NULL,
    PRIMARY KEY (endpoint_id, principal_id)
);
"""


def now_ms() -> int:
    return int(time.time() * 1000)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class StoreConflictError(Exception):
    """A write lost a compare-and-set or broke a uniqueness rule; nothing was changed."""


@dataclass(frozen=True)
class Principal:
    id: int
    kind: str  # user | service_principal | group
    name: str  # user_name, application id, or group display name
    display_name: str


@dataclass(frozen=True)
class Endpoint:
    id: str
    name: str
    creator: str
    created_ms: int
    updated_ms: int
    ready: str
    config_update: str
    last_config_version: int
    config: dict[str, Any] | None
    pending_config: dict[str, Any] | None
    attributes: dict[str, Any]


@dataclass(frozen=True)
class AclEntry:
    principal: Principal
    level: str


def _dumps(value: Any) -> str | None:
    """Strict JSON: a value that could not be served again (NaN, say) fails the write."""
    return None if value is None else jsontext.dumps(value)


def _loads(text: str | None) -> Any:
    # Databases written before input was strict may hold NaN or Infinity: read them as null,
    # so every response that includes them can still be written as strict JSON.
    return None if text is None else json.loads(text, parse_constant=lambda _: None)


class Store:
    """A connection to one workspace's database; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._depth = 0  # open _transaction blocks, by the thread holding _lock
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA busy_timeout=5000")
        # `data_version` moves only on other connections' commits: ours are counted here.
        self._own_writes = 0
        self._memo: dict[tuple[object, ...], object] = {}
        self._memo_version: tuple[int, int] | None = None
        self._memo_own_writes = -1  # this store's commits as of the last look at the version
        self._checked = False  # inside `lookups()`, which looked at the version already
        self._migrate()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; a block opened inside another joins it (same thread, as the
        lock is held), so a check and the writes it guards can share one."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._db
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self._db
            except BaseException:
                self._depth = 0
                self._own_writes += 1  # reads inside it may have been remembered: forget them
                self._db.execute("ROLLBACK")
                raise
            self._depth = 0
            self._own_writes += 1
            self._db.execute("COMMIT")

    def _remembered(self, key: tuple[object, ...], load: Callable[[], T]) -> T:
        """`load()`'s answer, remembered until anything is committed to the database: by this
        store (counted in `_transaction`) or by any other connection, in this process or
        another (SQLite's `data_version`, one cheap pragma per call, or per `lookups()` block).
        Never inside a write transaction, whose reads may yet be rolled back."""
        with self._lock:
            if self._depth:
                return load()
            if not self._checked or self._own_writes != self._memo_own_writes:
                self._check_version()
            if key in self._memo:
                found: T = self._memo[key]  # type: ignore[assignment]
                return found
            value = load()
            self._memo[key] = value
            return value

    @contextmanager
    def lookups(self) -> Iterator[None]:
        """Remembered lookups made together, such as a query's checks at the door (token,
        groups, endpoint): they look at the database's version once, when the block starts,
        rather than once each, so they answer as of that moment. The store is held for the
        block: keep it short, with no await inside."""
        with self._lock:
            if self._checked or self._depth:
                yield
                return
            self._check_version()
            self._checked = True
            try:
                yield
            finally:
                self._checked = False

    def remembered(self, key: tuple[object, ...], load: Callable[[], T]) -> T:
        """`load()`'s answer, remembered as the store's own lookups are (`_remembered`): for a
        value made only of what this store reads, such as the caller behind a token. The key's
        first item names the kind of value, apart from the store's own kinds."""
        return self._remembered(key, load)

    def _check_version(self) -> None:
        """Forgets every remembered lookup if the database changed since they were made."""
        (changes,) = self._db.execute("PRAGMA data_version").fetchone()
        version = (int(changes), self._own_writes)
        if version != self._memo_version or len(self._memo) >= MEMO_MAX:
            self._memo.clear()
            self._memo_version = version
        self._memo_own_writes = self._own_writes

    @contextmanager
    def locked_endpoint(self, endpoint_id: str) -> Iterator[Endpoint | None]:
        """The endpoint's current record (None once deleted) inside one write transaction that
        lasts the block: what the block checks and what it then writes through this store see
        the same state, and an exception in the block writes nothing."""
        with self._transaction() as db:
            yield self._endpoint(
                db.execute("SELECT * FROM endpoints WHERE id=?", (endpoint_id,)).fetchone()
            )

    def _migrate(self) -> None:
        with self._transaction() as db:
            (version,) = db.execute("PRAGMA user_version").fetchone()
            if version == 0:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            elif version > SCHEMA_VERSION:
                raise RuntimeError(
                    f"{self.path} was written by a newer serving-panel (schema {version}); "
                    f"this one reads schema {SCHEMA_VERSION}"
                )

    # Identities -------------------------------------------------------------------------

    def add_principal(self, kind: str, name: str, display_name: str | None = None) -> Principal:
        with self._transaction() as db:
            try:
                cursor = db.execute(
                    "INSERT INTO principals (kind, name, display_name, created_ms)"
                    " VALUES (?,?,?,?)",
                    (kind, name, display_name or name, now_ms()),
                )
            except sqlite3.IntegrityError as error:
                raise StoreConflictError(f"{kind} '{name}' already exists") from error
            return Principal(int(cursor.lastrowid or 0), kind, name, display_name or name)

    def ensure_principal(self, kind: str, name: str, display_name: str | None = None) -> Principal:
        found = self.find_principal(kind, name)
        return found if found is not None else self.add_principal(kind, name, display_name)

    def find_principal(self, kind: str, name: str) -> Principal | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, kind, name, display_name FROM principals WHERE kind=? AND name=?",
                (kind, name),
            ).fetchone()
        return None if row is None else Principal(*row)

    def principal_by_id(self, principal_id: int) -> Principal | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, kind, name, display_name FROM principals WHERE id=?", (principal_id,)
            ).fetchone()
        return None if row is None else Principal(*row)

    def list_principals(self, kind: str) -> list[Principal]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, kind, name, display_name FROM principals WHERE kind=? ORDER BY name",
                (kind,),
            ).fetchall()
        return [Principal(*row) for row in rows]

    def add_member(self, group: Principal, member: Principal) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO memberships (group_id, member_id) VALUES (?, ?)",
                (group.id, member.id),
            )

    def groups_of(self, principal: Principal) -> list[Principal]:
        """Groups the principal belongs to, directly or through nested groups."""
        return list(self._remembered(("groups", principal.id), lambda: self._groups_of(principal)))

    def _groups_of(self, principal: Principal) -> tuple[Principal, ...]:
        with self._lock:
            rows = self._db.execute(
                """
                WITH RECURSIVE parents(id) AS (
                    SELECT group_id FROM memberships WHERE member_id = ?
                    UNION SELECT m.group_id FROM memberships m JOIN parents p ON m.member_id = p.id
                )
                SELECT pr.id, pr.kind, pr.name, pr.display_name
                FROM principals pr JOIN parents ON pr.id = parents.id ORDER BY pr.name
                """,
                (principal.id,),
            ).fetchall()
        return tuple(Principal(*row) for row in rows)

    def members_of(self, group: Principal) -> list[Principal]:
        with self._lock:
            rows = self._db.execute(
                """
                SELECT pr.id, pr.kind, pr.name, pr.display_name FROM principals pr
                JOIN memberships m ON m.member_id = pr.id WHERE m.group_id = ? ORDER BY pr.name
                """,
                (group.id,),
            ).fetchall()
        return [Principal(*row) for row in rows]

    def create_token(self, principal: Principal, comment: str = "") -> str:
        """A new personal access token for the principal; only its hash is stored."""
        token = "dapi" + secrets.token_hex(16)
        self.add_token(principal, token, comment)
        return token

    def add_token(self, principal: Principal, token: str, comment: str = "") -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO tokens (token_hash, principal_id, comment, created_ms)"
                " VALUES (?,?,?,?)",
                (hash_token(token), principal.id, comment, now_ms()),
            )

    def delete_token(self, token: str) -> bool:
        """Revokes a token: the next request with it gets 401. False when it was not known."""
        with self._transaction() as db:
            deleted = db.execute("DELETE FROM tokens WHERE token_hash = ?", (hash_token(token),))
            return deleted.rowcount > 0

    def principal_for_token(self, token: str) -> Principal | None:
        token_hash = hash_token(token)

        def load() -> Principal | None:
            row = self._db.execute(
                """
                SELECT p.id, p.kind, p.name, p.display_name FROM tokens t
                JOIN principals p ON p.id = t.principal_id WHERE t.token_hash = ?
                """,
                (token_hash,),
            ).fetchone()
            return None if row is None else Principal(*row)

        return self._remembered(("token", token_hash), load)

    # Endpoints ---------------------------------------------------------------------------

    def _endpoint(self, row: sqlite3.Row | None) -> Endpoint | None:
        if row is None:
            return None
        return Endpoint(
            id=row["id"],
            name=row["name"],
            creator=row["creator"],
            created_ms=row["created_ms"],
            updated_ms=row["updated_ms"],
            ready=row["ready"],
            config_update=row["config_update"],
            last_config_version=row["last_config_version"],
            config=_loads(row["config"]),
            pending_config=_loads(row["pending_config"]),
            attributes=_loads(row["attributes"]),
        )

    def create_endpoint(self, endpoint: Endpoint, creator: Principal) -> Endpoint:
        """Inserts the endpoint and gives its creator a direct CAN_MANAGE, atomically."""
        with self._transaction() as db:
            try:
                db.execute(
                    """
                    INSERT INTO endpoints (id, name, creator, created_ms, updated_ms, ready,
                        config_update, last_config_version, config, pending_config, attributes)
                    VALUES (?,?,?,?,?,?,?,?,?,?,?)
                    """,
                    (
                        endpoint.id,
                        endpoint.name,
                        endpoint.creator,
                        endpoint.created_ms,
                        endpoint.updated_ms,
                        endpoint.ready,
                        endpoint.config_update,
                        endpoint.last_config_version,
                        _dumps(endpoint.config),
                        _dumps(endpoint.pending_config),
                        _dumps(endpoint.attributes),
                    ),
                )
            except sqlite3.IntegrityError as error:
                raise StoreConflictError(f"endpoint '{endpoint.name}' already exists") from error
            db.execute(
                "INSERT INTO acl (endpoint_id, principal_id, level) VALUES (?, ?, 'CAN_MANAGE')",
                (endpoint.id, creator.id),
            )
        return endpoint

    def endpoint_by_name(self, name: str, *, shared: bool = False) -> Endpoint | None:
        """The endpoint called `name`. `shared`: the record may be the one other callers got
        (remembered until the database changes), so its dicts must only be read."""

        def load() -> Endpoint | None:
            with self._lock:
                return self._endpoint(
                    self._db.execute("SELECT * FROM endpoints WHERE name=?", (name,)).fetchone()
                )

        return self._remembered(("endpoint", name), load) if shared else load()

    def endpoint_by_id(self, endpoint_id: str) -> Endpoint | None:
        with self._lock:
            return self._endpoint(
                self._db.execute("SELECT * FROM endpoints WHERE id=?", (endpoint_id,)).fetchone()
            )

    def list_endpoints(self) -> list[Endpoint]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM endpoints ORDER BY name").fetchall()
        return [e for e in (self._endpoint(row) for row in rows) if e is not None]

    def endpoints_in_progress(self) -> list[Endpoint]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM endpoints WHERE config_update='IN_PROGRESS' ORDER BY name"
            ).fetchall()
        return [e for e in (self._endpoint(row) for row in rows) if e is not None]

    def delete_endpoint(self, endpoint_id: str) -> Endpoint | None:
        """Deletes the endpoint (its ACL goes with it); what was stored, or None if nothing."""
        with self._transaction() as db:
            found = self._endpoint(
                db.execute("SELECT * FROM endpoints WHERE id=?", (endpoint_id,)).fetchone()
            )
            if found is not None:
                db.execute("DELETE FROM endpoints WHERE id=?", (found.id,))
        return found

    def _write(self, db: sqlite3.Connection, endpoint: Endpoint) -> None:
        db.execute(
            """
            UPDATE endpoints SET updated_ms=?, ready=?, config_update=?, last_config_version=?,
                config=?, pending_config=?, attributes=? WHERE id=?
            """,
            (
                endpoint.updated_ms,
                endpoint.ready,
                endpoint.config_update,
                endpoint.last_config_version,
                _dumps(endpoint.config),
                _dumps(endpoint.pending_config),
                _dumps(endpoint.attributes),
                endpoint.id,
            ),
        )

    def update_endpoint(
        self, endpoint_id: str, change: Callable[[Endpoint], Endpoint | None]
    ) -> Endpoint | None:
        """Applies `change` to the current record inside one transaction.

        `change` sees the freshest row and returns the new record, or None to leave it alone;
        it may raise to refuse (nothing is written). Returns what is stored afterwards, or None
        when the endpoint no longer exists.
        """
        with self._transaction() as db:
            current = self._endpoint(
                db.execute("SELECT * FROM endpoints WHERE id=?", (endpoint_id,)).fetchone()
            )
            if current is None:
                return None
            updated = change(current)
            if updated is None:
                return current
            self._write(db, updated)
            return updated

    def begin_update(
        self, endpoint_id: str, pending: Callable[[Endpoint], dict[str, Any]], at_ms: int
    ) -> Endpoint | None:
        """Stores a pending config and marks the update IN_PROGRESS, unless one already is
        (StoreConflictError); None when the endpoint no longer exists."""

        def change(current: Endpoint) -> Endpoint:
            if current.config_update == "IN_PROGRESS":
                raise StoreConflictError(f"endpoint '{current.name}' is already being updated")
            pending_config = pending(current)
            return replace(
                current,
                updated_ms=at_ms,
                config_update="IN_PROGRESS",
                pending_config=pending_config,
                last_config_version=int(pending_config["config_version"]),
            )

        return self.update_endpoint(endpoint_id, change)

    # ACLs --------------------------------------------------------------------------------

    def acl(self, endpoint_id: str) -> list[AclEntry]:
        with self._lock:
            rows = self._db.execute(
                """
                SELECT p.id, p.kind, p.name, p.display_name, a.level FROM acl a
                JOIN principals p ON p.id = a.principal_id WHERE a.endpoint_id = ?
                ORDER BY p.kind, p.name
                """,
                (endpoint_id,),
            ).fetchall()
        return [AclEntry(Principal(*row[:4]), row[4]) for row in rows]

    def set_acl(self, endpoint_id: str, entries: Iterable[tuple[Principal, str]]) -> None:
        """Replaces the endpoint's direct ACL (PUT)."""
        with self._transaction() as db:
            db.execute("DELETE FROM acl WHERE endpoint_id=?", (endpoint_id,))
            db.executemany(
                "INSERT INTO acl (endpoint_id, principal_id, level) VALUES (?,?,?)",
                [(endpoint_id, principal.id, level) for principal, level in entries],
            )

    def merge_acl(self, endpoint_id: str, entries: Iterable[tuple[Principal, str]]) -> None:
        """Upserts the given principals' direct levels and leaves the others alone (PATCH)."""
        with self._transaction() as db:
            db.executemany(
                """
                INSERT INTO acl (endpoint_id, principal_id, level) VALUES (?,?,?)
                ON CONFLICT (endpoint_id, principal_id) DO UPDATE SET level=excluded.level
                """,
                [(endpoint_id, principal.id, level) for principal, level in entries],
            )

    def direct_levels(self, endpoint_id: str, principal_ids: Iterable[int]) -> list[str]:
        ids = tuple(principal_ids)
        if not ids:
            return []
        marks = ",".join("?" * len(ids))

        def load() -> tuple[str, ...]:
            rows = self._db.execute(
                f"SELECT level FROM acl WHERE endpoint_id=? AND principal_id IN ({marks})",  # noqa: S608
                (endpoint_id, *ids),
            ).fetchall()
            return tuple(row[0] for row in rows)

        return list(self._remembered(("levels", endpoint_id, ids), load))
