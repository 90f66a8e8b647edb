"""Limits on logins, each answered 429 with ``Retry-After``:

- per client address, in each gateway process: a token bucket of failed logins
  (``login_address_burst`` in a row, then ``login_address_per_minute``); a login takes a
  token before its password is checked, and gives it back when it succeeds or when the
  gateway failed it (its database away, no hashing slot free). Another replica counts on
  its own, so N replicas allow up to N times as much;
- per account, shared by every replica through the gateway's database: after
  ``login_account_free_failures`` failures in a row, the account (an e-mail address,
  whether it exists or not, so the answer tells nothing) is locked for
  ``login_account_lock_seconds``, doubling with each further failure up to
  ``login_account_max_lock_seconds``; a successful login clears it, and failures older
  than a day are forgotten;
- password hashing: at most ``login_hashing_slots`` at once per process (argon2 takes
  19 MiB each, see ``identities``); a login waits ``login_hashing_wait_seconds`` at most
  for a free slot.
"""

from __future__ import annotations

import ipaddress
import itertools
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from eventlet.semaphore import Semaphore
from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from bassin_gateway.models import LoginFailures
from bassin_gateway.problems import TooManyRequests
from bassin_gateway.settings import GatewaySettings

FORGET_FAILURES_AFTER = timedelta(days=1)
MAX_ADDRESSES = 100_000  # buckets kept per process; the least recently seen go first
PURGE_EVERY = 100  # failures recorded by a process between purges of forgotten rows


class AccountLocked(TooManyRequests):
    """A login for a locked account: a failure too, counted against its address."""


class AddressBuckets:
    """Failed logins per client address (IPv6: per /64, what one client usually holds)."""

    def __init__(self, burst: int, per_minute: float, capacity: int = MAX_ADDRESSES) -> None:
        self.burst = burst
        self.per_second = per_minute / 60
        self.capacity = capacity
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)

    def take(self, address: str) -> None:
        key, now = _address_key(address), time.monotonic()
        tokens = self._tokens(key, now)
        if tokens < 1:
            wait = (1 - tokens) / self.per_second if self.per_second > 0 else 3600
            raise TooManyRequests("too many failed logins from this address; try again later", wait)
        self._store(key, tokens - 1, now)

    def give_back(self, address: str) -> None:
        key, now = _address_key(address), time.monotonic()
        self._store(key, min(self.burst, self._tokens(key, now) + 1), now)

    def _tokens(self, key: str, now: float) -> float:
        tokens, at = self._buckets.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - at) * self.per_second)

    def _store(self, key: str, tokens: float, now: float) -> None:
        self._buckets[key] = (tokens, now)
        self._buckets.move_to_end(key)
        while len(self._buckets) > self.capacity:
            self._buckets.popitem(last=False)


def _address_key(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


@dataclass(frozen=True)
class AccountPolicy:
    free_failures: int
    lock_seconds: float
    max_lock_seconds: float

    def lock_after(self, failures: int) -> float:
        """Seconds the account is locked after its ``failures``-th failure in a row."""
        if failures < self.free_failures:
            return 0.0
        return min(self.max_lock_seconds, self.lock_seconds * 2 ** min(failures - self.free_failures, 40))


class LoginLimits:
    def __init__(self, addresses: AddressBuckets, accounts: AccountPolicy, slots: int, slot_wait: float) -> None:
        self.addresses = addresses
        self.accounts = accounts
        self._hashing = Semaphore(slots)
        self._slot_wait = slot_wait
        self._recorded = itertools.count(1)

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> LoginLimits:
        return cls(
            AddressBuckets(settings.login_address_burst, settings.login_address_per_minute),
            AccountPolicy(
                settings.login_account_free_failures,
                settings.login_account_lock_seconds,
                settings.login_account_max_lock_seconds,
            ),
            settings.login_hashing_slots,
            settings.login_hashing_wait_seconds,
        )

    @contextmanager
    def hashing_slot(self) -> Iterator[None]:
        """One of the process's password-hashing slots, or 429 if none frees up in time."""
        if not self._hashing.acquire(blocking=self._slot_wait > 0, timeout=self._slot_wait or None):
            raise TooManyRequests("too many logins at once; try again in a moment", 1)
        try:
            yield
        finally:
            self._hashing.release()

    @staticmethod
    def check_account(session: Session, account: str) -> None:
        """429 while ``account`` is locked."""
        left = session.scalar(
            select(func.extract("epoch", LoginFailures.locked_until - func.now())).where(
                LoginFailures.account == account, LoginFailures.locked_until > func.now()
            )
        )
        if left is not None:
            raise AccountLocked("too many failed logins for this account; try again later", float(left))

    def record_failure(self, session: Session, account: str) -> None:
        forgotten = LoginFailures.last_failed_at < func.now() - FORGET_FAILURES_AFTER
        failures = session.scalar(
            insert(LoginFailures)
            .values(account=account, failures=1, last_failed_at=func.now())
            .on_conflict_do_update(
                index_elements=[LoginFailures.account],
                set_={
                    "failures": case((forgotten, 1), else_=LoginFailures.failures + 1),
                    "last_failed_at": func.now(),
                },
            )
            .returning(LoginFailures.failures)
        )
        if lock := self.accounts.lock_after(failures):
            session.execute(
                update(LoginFailures)
                .where(LoginFailures.account == account)
                .values(locked_until=func.now() + timedelta(seconds=lock))
            )
        if next(self._recorded) % PURGE_EVERY == 0:
            session.execute(
                delete(LoginFailures).where(
                    LoginFailures.last_failed_at < func.now() - FORGET_FAILURES_AFTER,
                    or_(LoginFailures.locked_until.is_(None), LoginFailures.locked_until < func.now()),
                )
            )

    @staticmethod
    def clear_failures(session: Session, account: str) -> None:
        session.execute(delete(LoginFailures).where(LoginFailures.account == account))
