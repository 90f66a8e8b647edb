"""Logins are limited per address, per account (for every replica at once) and in password
hashes at once, each answered 429 with ``Retry-After``; argon2 is sized for the pod, and no
database connection is held while a password hashes (issue #17)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import eventlet
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bassin_common.config import Settings
from bassin_gateway import identities
from bassin_gateway.logins import AccountPolicy, AddressBuckets
from bassin_gateway.models import LoginFailures, User
from bassin_gateway.problems import TooManyRequests
from bassin_gateway.runtime import gateway_sessions

PASSWORD = "bonne-saison-2026"
LOGIN = "/api/v1/auth/login"


@pytest.fixture
def sessions(migrate_gateway: None, test_settings: Settings) -> Iterator[sessionmaker[Session]]:
    factory = gateway_sessions(test_settings)
    yield factory
    factory.kw["bind"].dispose()


@pytest.fixture
def new_user(sessions) -> callable:
    def make() -> str:
        suffix = uuid.uuid4().hex[:10]
        with sessions() as session:
            tenant = identities.create_tenant(session, f"piscines-{suffix}", "Piscines")
            identities.create_user(session, tenant.id, f"Gerant-{suffix}@Example.fr", PASSWORD, "Gérant", ["manager"])
            session.commit()
        return f"gerant-{suffix}@example.fr"

    return make


class CountingHasher:
    """Stands for ``identities._hasher``: counts verifications, and can note something
    about each one or make it slow (it runs in a real thread, as argon2 does)."""

    def __init__(
        self, real: PasswordHasher, seconds: float = 0.0, note=None, gate: threading.Event | None = None
    ) -> None:
        self.real, self.seconds, self.note, self.gate = real, seconds, note, gate
        self.verified = 0
        self.running = self.most_at_once = 0
        self._lock = threading.Lock()

    def verify(self, hash_: str, password: str) -> bool:
        with self._lock:
            self.verified += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            if self.note:
                self.note()
            time.sleep(self.seconds)
            if self.gate is not None:
                self.gate.wait(timeout=30)  # held until the test opens it
            return self.real.verify(hash_, password)
        finally:
            with self._lock:
                self.running -= 1

    def __getattr__(self, name: str):
        return getattr(self.real, name)


@pytest.fixture
def hasher(monkeypatch) -> CountingHasher:
    counting = CountingHasher(identities._hasher)
    monkeypatch.setattr(identities, "_hasher", counting)
    return counting


def login(app, email: str, password: str = PASSWORD, address: str = "192.0.2.1"):
    return app.test_client().post(
        LOGIN, json={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def failures_of(sessions, email: str) -> LoginFailures | None:
    with sessions() as session:
        return session.get(LoginFailures, email)


def assert_429(response, at_least: int, at_most: int) -> None:
    assert response.status_code == 429, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert at_least <= int(response.headers["Retry-After"]) <= at_most


# --- per account, shared by every replica ---------------------------------------------------------


def test_an_account_is_locked_after_its_free_failures_on_every_replica(stand_in_app, sessions, new_user):
    limits = {"login_account_free_failures": 3, "login_account_lock_seconds": 30}
    first, second = stand_in_app(sessions, **limits)[0], stand_in_app(sessions, **limits)[0]
    email = new_user()
    for attempt in range(3):
        assert login(first, email, "wrong-password", f"198.51.100.{attempt}").status_code == 401
    # The other replica knows: even the right password is refused while the lock lasts.
    assert_429(login(second, email, PASSWORD, "203.0.113.9"), 29, 30)
    assert failures_of(sessions, email).failures == 3


def test_each_further_failure_doubles_the_lock(stand_in_app, sessions, new_user):
    app, _ = stand_in_app(sessions, login_account_free_failures=1, login_account_lock_seconds=1)
    email = new_user()
    assert login(app, email, "wrong-password").status_code == 401
    assert_429(login(app, email, "wrong-password"), 1, 1)
    eventlet.sleep(1.1)
    assert login(app, email, "wrong-password").status_code == 401
    assert_429(login(app, email, "wrong-password"), 2, 2)
    assert failures_of(sessions, email).failures == 2  # refused while locked: not counted


def test_the_lock_grows_to_its_longest_and_no_further() -> None:
    policy = AccountPolicy(free_failures=5, lock_seconds=1, max_lock_seconds=900)
    assert [policy.lock_after(n) for n in range(4, 12)] == [0, 1, 2, 4, 8, 16, 32, 64]
    assert policy.lock_after(15) == 900 and policy.lock_after(10_000) == 900


def test_a_successful_login_forgets_the_failures(stand_in_app, sessions, new_user):
    app, _ = stand_in_app(sessions, login_account_free_failures=3)
    email = new_user()
    for _ in range(2):
        assert login(app, email, "wrong-password").status_code == 401
    assert login(app, email).status_code == 200
    assert failures_of(sessions, email) is None
    for _ in range(2):
        assert login(app, email, "wrong-password").status_code == 401
    assert login(app, email).status_code == 200


def test_an_unknown_email_is_answered_as_a_known_one_and_costs_a_hash(stand_in_app, sessions, new_user, hasher):
    app, _ = stand_in_app(sessions, login_account_free_failures=2, login_account_lock_seconds=30)
    unknown, known = f"personne-{uuid.uuid4().hex[:8]}@example.fr", new_user()
    answers = {}
    for email in (unknown, known):
        answers[email] = [login(app, email, "wrong-password").status_code for _ in range(3)]
    assert answers[unknown] == answers[known] == [401, 401, 429]
    assert hasher.verified == 4  # every 401 checked a password, the 429s none


def test_failures_older_than_a_day_are_forgotten_and_purged(stand_in_app, sessions, new_user, monkeypatch):
    from bassin_gateway import logins

    monkeypatch.setattr(logins, "PURGE_EVERY", 1)
    app, _ = stand_in_app(sessions, login_account_free_failures=3)
    email, stale = new_user(), f"old-{uuid.uuid4().hex[:8]}@example.fr"
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    with sessions() as session:
        for account in (email, stale):
            session.add(LoginFailures(account=account, failures=9, last_failed_at=two_days_ago))
        session.commit()
    assert login(app, email, "wrong-password").status_code == 401  # not locked: the 9 are forgotten
    assert failures_of(sessions, email).failures == 1
    assert failures_of(sessions, stale) is None  # purged


# --- per client address -------------------------------------------------------------------------------


def test_an_address_gets_429_after_its_burst_of_failures(stand_in_app, sessions, new_user, hasher):
    app, _ = stand_in_app(sessions, login_address_burst=3, login_address_per_minute=1)
    emails = [new_user() for _ in range(5)]
    assert [login(app, email, "wrong-password", "198.51.100.7").status_code for email in emails[:3]] == [401] * 3
    assert_429(login(app, emails[3], PASSWORD, "198.51.100.7"), 59, 60)
    assert hasher.verified == 3  # refused before hashing
    assert login(app, emails[3], PASSWORD, "198.51.100.8").status_code == 200  # another address


def test_successful_logins_do_not_use_up_the_address(stand_in_app, sessions, new_user):
    app, _ = stand_in_app(sessions, login_address_burst=2, login_address_per_minute=1)
    email = new_user()
    assert [login(app, email, address="198.51.100.20").status_code for _ in range(6)] == [200] * 6


def test_the_database_down_does_not_use_up_the_address(stand_in_app, unreachable_database):
    app, _ = stand_in_app(unreachable_database, login_address_burst=2)
    statuses = [login(app, "a@example.fr", "wrong-password", "198.51.100.30").status_code for _ in range(4)]
    assert statuses == [503] * 4


def test_ipv6_clients_are_counted_per_64_and_mapped_ipv4_as_ipv4() -> None:
    buckets = AddressBuckets(burst=1, per_minute=1)
    buckets.take("2001:db8:1:2::1")
    with pytest.raises(TooManyRequests):
        buckets.take("2001:db8:1:2:ffff::9")  # the same /64
    buckets.take("2001:db8:1:3::1")
    buckets.take("192.0.2.44")
    with pytest.raises(TooManyRequests):
        buckets.take("::ffff:192.0.2.44")


def test_the_address_table_is_bounded() -> None:
    buckets = AddressBuckets(burst=1, per_minute=1, capacity=100)
    for n in range(1000):
        buckets.take(f"10.0.{n // 256}.{n % 256}")
    assert len(buckets._buckets) == 100


# --- password hashing -----------------------------------------------------------------------------------


def test_no_more_passwords_hash_at_once_than_the_slots(stand_in_app, sessions, new_user, monkeypatch):
    # The two hashing logins hold their slots until the others have their answer. The hashes
    # run in tpool's OS threads: an Event of eventlet's (the patched threading's) set from
    # the hub does not wake them, so they waited out their 30 s; the OS's Event does.
    gate = eventlet.patcher.original("threading").Event()
    slow = CountingHasher(identities._hasher, gate=gate)
    monkeypatch.setattr(identities, "_hasher", slow)
    app, _ = stand_in_app(sessions, login_hashing_slots=2, login_hashing_wait_seconds=0)
    emails = [new_user() for _ in range(6)]
    pool = eventlet.GreenPool(6)
    logins = [pool.spawn(login, app, emails[n], PASSWORD, f"198.51.100.{40 + n}") for n in range(6)]
    deadline = time.monotonic() + 30
    while sum(thread.dead for thread in logins) < 4 and time.monotonic() < deadline:
        eventlet.sleep(0.01)
    gate.set()
    answers = [thread.wait() for thread in logins]
    statuses = sorted(a.status_code for a in answers)
    assert slow.most_at_once == 2
    assert statuses.count(200) == 2 and statuses.count(429) == 4, statuses
    assert all(a.headers["Retry-After"] == "1" for a in answers if a.status_code == 429)


def test_a_login_waits_a_little_for_a_hashing_slot(stand_in_app, sessions, new_user):
    app, _ = stand_in_app(sessions, login_hashing_slots=1, login_hashing_wait_seconds=0.5)
    limits = app.extensions["bassin"]["logins"]
    email = new_user()

    def hold(seconds: float) -> None:
        with limits.hashing_slot():
            eventlet.sleep(seconds)

    holder = eventlet.spawn(hold, 30)  # busy for far longer than the wait
    eventlet.sleep(0)
    started = time.monotonic()
    assert login(app, email).status_code == 429
    assert time.monotonic() - started >= 0.45  # it waited for the slot...
    assert not holder.dead  # ...and gave up while the slot was still taken (no clock bound: CI is loaded)
    holder.kill()
    holder = eventlet.spawn(hold, 0.1)  # freed within the wait
    eventlet.sleep(0)
    assert login(app, email).status_code == 200
    holder.wait()


def test_no_database_connection_is_held_while_a_password_hashes(stand_in_app, sessions, new_user, monkeypatch):
    engine = sessions.kw["bind"]
    held: list[int] = []
    monkeypatch.setattr(
        identities, "_hasher", CountingHasher(identities._hasher, note=lambda: held.append(engine.pool.checkedout()))
    )
    app, _ = stand_in_app(sessions)
    email = new_user()
    assert login(app, email).status_code == 200
    assert login(app, email, "wrong-password").status_code == 401
    assert held == [0, 0]


def test_new_hashes_take_19_mib_and_old_ones_are_remade_at_login(stand_in_app, sessions, new_user):
    app, _ = stand_in_app(sessions)
    email = new_user()
    with sessions() as session:
        assert session.scalar(select(User.password_hash).where(User.email == email)).startswith(
            "$argon2id$v=19$m=19456,t=2,p=1$"
        )
        old = PasswordHasher().hash(PASSWORD)  # argon2-cffi's defaults: 64 MiB, 4 lanes
        session.execute(update(User).where(User.email == email).values(password_hash=old))
        session.commit()
    assert login(app, email).status_code == 200
    with sessions() as session:
        remade = session.scalar(select(User.password_hash).where(User.email == email))
    assert remade.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert login(app, email).status_code == 200


# --- input ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "a\x00@example.fr", "password": "x" * 12}, "email"),
        ({"email": "a" * 250 + "@example.fr", "password": "x" * 12}, "email"),
        ({"email": "a@example.fr", "password": "x" * 1025}, "password"),
        ({"email": "a@example.fr"}, "password"),
    ],
    ids=["nul", "long-email", "long-password", "missing"],
)
def test_credentials_that_cannot_be_an_account_are_a_422(stand_in_app, sessions, body, field):
    app, _ = stand_in_app(sessions)
    response = app.test_client().post(LOGIN, json=body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]
