"""SQLite persistence: QBO objects per realm, OAuth state, requestid replies; the movable clock."""

import contextlib
import copy
import json
import sqlite3
import threading
from datetime import datetime, timedelta, timezone

SCHEMA = """
CREATE TABLE IF NOT EXISTS realms (
    realm_id TEXT PRIMARY KEY, template TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS objects (
    realm TEXT NOT NULL, entity TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0, updated TEXT NOT NULL,
    PRIMARY KEY (realm, entity, id));
CREATE INDEX IF NOT EXISTS objects_updated ON objects (realm, entity, updated);
CREATE TABLE IF NOT EXISTS id_seq (realm TEXT PRIMARY KEY, next_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS replies (
    realm TEXT NOT NULL, requestid TEXT NOT NULL, status INTEGER NOT NULL,
    content_type TEXT NOT NULL, body BLOB NOT NULL, PRIMARY KEY (realm, requestid));
CREATE TABLE IF NOT EXISTS apps (
    client_id TEXT PRIMARY KEY, client_secret TEXT NOT NULL, name TEXT NOT NULL,
    redirect_uris TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS auth_codes (
    code TEXT PRIMARY KEY, client_id TEXT NOT NULL, redirect_uri TEXT NOT NULL,
    realm TEXT NOT NULL, expires REAL NOT NULL, used INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS grants (
    id INTEGER PRIMARY KEY AUTOINCREMENT, client_id TEXT NOT NULL, realm TEXT NOT NULL,
    created REAL NOT NULL, hard_expires REAL NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token TEXT PRIMARY KEY, grant_id INTEGER NOT NULL, issued REAL NOT NULL,
    expires REAL NOT NULL, superseded REAL);
CREATE TABLE IF NOT EXISTS access_tokens (
    token TEXT PRIMARY KEY, grant_id INTEGER NOT NULL, expires REAL NOT NULL);
"""

# Bump whenever SCHEMA changes: CREATE TABLE IF NOT EXISTS leaves an older file's tables as they
# were, so a file of another version is refused (see Store.__init__) rather than failing later.
SCHEMA_VERSION = 1

TABLES = ("realms", "objects", "id_seq", "replies", "apps", "auth_codes", "grants", "refresh_tokens", "access_tokens")


def qbo_time(moment):
    """QBO's timestamp format (it uses the company's offset; the emulator is on UTC)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def parse_time(text):
    """Parse the timestamps clients send (date, naive or offset datetime); naive = UTC."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


class Clock:
    """Wall clock plus an offset that tests move to expire tokens and age data."""

    def __init__(self):
        self._offset = timedelta(0)

    def now(self):
        return (datetime.now(timezone.utc) + self._offset).replace(microsecond=0)

    def timestamp(self):
        return (datetime.now(timezone.utc) + self._offset).timestamp()

    def advance(self, seconds):
        self._offset += timedelta(seconds=seconds)

    def set(self, moment):
        self._offset = moment - datetime.now(timezone.utc)

    def reset(self):
        self._offset = timedelta(0)

    @property
    def offset_seconds(self):
        return self._offset.total_seconds()


class StoreVersionError(RuntimeError):
    """The SQLite file was written with another schema version."""


class Store:
    """One SQLite connection shared by all threads behind one lock: every request's work is
    one transaction, and the lock makes writes (and requestid checks) strictly serial."""

    def __init__(self, db_path, clock):
        self.clock = clock
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL" if db_path != ":memory:" else "PRAGMA journal_mode=MEMORY")
        self.conn.execute("PRAGMA synchronous=OFF")
        self._check_version(db_path)
        self.conn.executescript(SCHEMA)
        self.conn.execute("PRAGMA user_version = %d" % SCHEMA_VERSION)

    def _check_version(self, db_path):
        """A new (empty) file is fine; a file stamped with another schema version, or written
        before the stamp existed (version 0 with tables), is refused with what to do."""
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version == 0 and not self.conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone():
            return
        self.conn.close()
        raise StoreVersionError(
            "%s was written by another version of the QBO emulator (schema version %d, this one "
            "needs %d). Its data is a sandbox: delete the file and start again, and the emulator "
            "seeds a new one." % (db_path, version, SCHEMA_VERSION)
        )

    def close(self):
        with self.lock:
            self.conn.close()

    @contextlib.contextmanager
    def db(self):
        """The connection inside one transaction (committed on success, rolled back on error)."""
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    @contextlib.contextmanager
    def transaction(self, realm):
        with self.db() as conn:
            yield Tx(self, conn, realm)

    def wipe(self):
        with self.db() as conn:
            for table in TABLES:
                conn.execute("DELETE FROM %s" % table)

    def realms(self):
        with self.lock:
            rows = self.conn.execute("SELECT realm_id, template FROM realms ORDER BY created, realm_id").fetchall()
        return rows

    def realm_template(self, realm):
        with self.lock:
            row = self.conn.execute("SELECT template FROM realms WHERE realm_id = ?", (realm,)).fetchone()
        return row[0] if row else None

    def realm_exists(self, realm):
        with self.lock:
            return self.conn.execute("SELECT 1 FROM realms WHERE realm_id = ?", (realm,)).fetchone() is not None


class Tx:
    """The unit of work handed to the accounting hooks (contract in DESIGN.md)."""

    def __init__(self, store, conn, realm):
        self._store = store
        self._conn = conn
        self.realm = realm
        # (entity, id, operation) for webhooks, in order
        self.changes = []

    def now(self):
        return self._store.clock.now()

    @staticmethod
    def _load(row):
        return json.loads(row[0])

    def register_realm(self, template):
        """Protocol-internal: the company exists from this transaction on."""
        self._conn.execute(
            "INSERT INTO realms (realm_id, template, created) VALUES (?, ?, ?)",
            (self.realm, template, self.now().isoformat()),
        )

    def get(self, entity, id):
        row = self._conn.execute(
            "SELECT data FROM objects WHERE realm=? AND entity=? AND id=? AND deleted=0", (self.realm, entity, str(id))
        ).fetchone()
        return self._load(row) if row else None

    def all(self, entity):
        rows = self._conn.execute(
            "SELECT data FROM objects WHERE realm=? AND entity=? AND deleted=0 ORDER BY rowid", (self.realm, entity)
        ).fetchall()
        return [self._load(row) for row in rows]

    def some(self, entity, ids):
        """Live objects among `ids`, in the same order as all()."""
        ids = [str(i) for i in ids]
        rows = self._conn.execute(
            "SELECT data FROM objects WHERE realm=? AND entity=? AND deleted=0 AND id IN (%s) ORDER BY rowid"
            % ",".join("?" * len(ids)),
            (self.realm, entity, *ids),
        ).fetchall()
        return [self._load(row) for row in rows]

    def changed_since(self, entity, since):
        """Objects changed after `since` (a datetime), tombstones of deleted ones included (CDC)."""
        rows = self._conn.execute(
            "SELECT data FROM objects WHERE realm=? AND entity=? AND updated>? ORDER BY updated, rowid",
            (self.realm, entity, since.isoformat()),
        ).fetchall()
        return [self._load(row) for row in rows]

    def skip_id(self):
        """Leave the next Id of the sequence unused (a seeded object takes a fixed Id instead)."""
        self._next_id()

    def _next_id(self):
        row = self._conn.execute("SELECT next_id FROM id_seq WHERE realm=?", (self.realm,)).fetchone()
        next_id = row[0] if row else 1
        self._conn.execute(
            "INSERT INTO id_seq (realm, next_id) VALUES (?, ?) "
            "ON CONFLICT(realm) DO UPDATE SET next_id=excluded.next_id",
            (self.realm, next_id + 1),
        )
        return str(next_id)

    def _write(self, entity, obj, deleted=False):
        stamp = self.now().isoformat()
        self._conn.execute(
            "INSERT INTO objects (realm, entity, id, data, deleted, updated) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(realm, entity, id) DO UPDATE SET data=excluded.data, "
            "deleted=excluded.deleted, updated=excluded.updated",
            (self.realm, entity, obj["Id"], json.dumps(obj), int(deleted), stamp),
        )

    def insert(self, entity, obj):
        """Id (kept when the seed supplies one), SyncToken "0", MetaData."""
        stored = copy.deepcopy(obj)
        if not stored.get("Id") or self._exists(entity, stored["Id"]):
            stored["Id"] = self._next_id()
        stored["Id"] = str(stored["Id"])
        stored["SyncToken"] = "0"
        stamp = qbo_time(self.now())
        stored["MetaData"] = {**stored.get("MetaData", {}), "CreateTime": stamp, "LastUpdatedTime": stamp}
        self._write(entity, stored)
        self.changes.append((entity, stored["Id"], "Create"))
        return copy.deepcopy(stored)

    def _exists(self, entity, id):
        return (
            self._conn.execute(
                "SELECT 1 FROM objects WHERE realm=? AND entity=? AND id=?", (self.realm, entity, str(id))
            ).fetchone()
            is not None
        )

    def update(self, entity, obj):
        existing = self.get(entity, obj["Id"])
        if existing is None:
            raise KeyError("%s %s does not exist" % (entity, obj["Id"]))
        stored = copy.deepcopy(obj)
        stored["Id"] = existing["Id"]
        stored["SyncToken"] = str(int(existing.get("SyncToken", "0")) + 1)
        meta = dict(existing.get("MetaData", {}))
        meta.update({k: v for k, v in stored.get("MetaData", {}).items() if k not in ("CreateTime", "LastUpdatedTime")})
        meta["LastUpdatedTime"] = qbo_time(self.now())
        stored["MetaData"] = meta
        self._write(entity, stored)
        self.changes.append((entity, stored["Id"], "Update"))
        return copy.deepcopy(stored)

    def delete(self, entity, id):
        tombstone = {"status": "Deleted", "Id": str(id), "MetaData": {"LastUpdatedTime": qbo_time(self.now())}}
        self._write(entity, tombstone, deleted=True)
        self.changes.append((entity, str(id), "Delete"))

    def overwrite(self, entity, obj):
        """Seeding only: store obj as it is (no SyncToken bump, no change event)."""
        self._write(entity, copy.deepcopy(obj))

    def _singleton(self, entity):
        row = self._conn.execute(
            "SELECT data FROM objects WHERE realm=? AND entity=? AND deleted=0 ORDER BY rowid LIMIT 1",
            (self.realm, entity),
        ).fetchone()
        return self._load(row) if row else None

    def company_info(self):
        return self._singleton("CompanyInfo")

    def preferences(self):
        return self._singleton("Preferences")

    @contextlib.contextmanager
    def savepoint(self):
        """All or nothing for one batch item inside the request's transaction."""
        mark = len(self.changes)
        self._conn.execute("SAVEPOINT item")
        try:
            yield self
        except BaseException:
            self._conn.execute("ROLLBACK TO item")
            self._conn.execute("RELEASE item")
            del self.changes[mark:]
            raise
        self._conn.execute("RELEASE item")

    # requestid replies: protocol-internal, same transaction as the write they answer
    def reply_for(self, requestid):
        row = self._conn.execute(
            "SELECT status, content_type, body FROM replies WHERE realm=? AND requestid=?", (self.realm, requestid)
        ).fetchone()
        return (row[0], row[1], bytes(row[2])) if row else None

    def remember_reply(self, requestid, status, content_type, body):
        self._conn.execute(
            "INSERT OR REPLACE INTO replies (realm, requestid, status, content_type, body) VALUES (?, ?, ?, ?, ?)",
            (self.realm, requestid, status, content_type, body),
        )
