"""The serving process's outbox worker: claims due messages, sends them, marks them sent, and retries
failures with exponential backoff. Woken at once when this process commits mail; it also polls (every
`MAIL_POLL_SECONDS`) for mail other processes enqueued and for claims of crashed workers that ran out."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from api.mail.transport import PermanentFailure, Transport, transport_from_settings
from api.settings import Settings
from db.engine import Database
from db.services import outbox
from db.types import utcnow

log = logging.getLogger("usergraph.mail")
BATCH = 10


class DeliveryWorker:
    def __init__(
        self,
        database: Database,
        transport: Transport,
        *,
        poll: timedelta = timedelta(seconds=5),
        lease: timedelta = timedelta(minutes=5),
        retry_base: timedelta = timedelta(seconds=30),
        retry_max: timedelta = timedelta(hours=1),
    ) -> None:
        self.database = database
        self.transport = transport
        self.poll, self.lease, self.retry_base, self.retry_max = poll, lease, retry_base, retry_max
        self._task: asyncio.Task | None = None
        self._wake = asyncio.Event()
        self._wake_up: outbox.WakeUp | None = None
        self._stopping = False

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._wake_up = outbox.WakeUp(lambda: loop.call_soon_threadsafe(self._wake.set))
        self._task = asyncio.create_task(self._run(), name="usergraph-mail-delivery")

    async def stop(self, timeout: float = 2.0) -> None:
        """Finish the pass in hand (up to `timeout`, then cancel it), then stop. A message cancelled
        mid-send keeps its claim until the lease runs out; then any process sends it again."""
        self._stopping = True
        if self._wake_up is not None:
            self._wake_up.close()
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout)
            except (TimeoutError, asyncio.CancelledError):
                pass

    async def _run(self) -> None:
        failures = 0
        while not self._stopping:
            self._wake.clear()
            try:
                claimed = await self.deliver_due()
                failures = 0
            except Exception as error:  # noqa: BLE001 - the database is down or not migrated: try later
                failures += 1
                claimed = 0
                log.warning("mail delivery could not reach the outbox (%s: %s); retrying", type(error).__name__, error)
            if claimed >= BATCH and not failures:
                continue  # more may be waiting
            delay = self.poll.total_seconds() * min(2 ** failures, 12) if failures else self.poll.total_seconds()
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
            except TimeoutError:
                pass

    async def deliver_due(self, now: datetime | None = None) -> int:
        """One pass: up to BATCH messages, each claimed just before it is sent, so a lease only ever has
        one send to cover (a batch under one lease could outlast it on a slow server, and another worker
        would send its tail again). Returns how many were claimed."""
        sent = 0
        while sent < BATCH:
            async with self.database.sessionmaker.begin() as db:
                claimed = await outbox.claim(db, lease=self.lease, limit=1, now=now)
            if not claimed:
                break
            for message in claimed:
                await self._deliver(message, now)
            sent += len(claimed)
        return sent

    async def _deliver(self, message: outbox.Claimed, now: datetime | None) -> None:
        try:
            await self.transport.send(sender=message.sender, recipient=message.recipient, content=message.content)
        except PermanentFailure as error:
            log.warning("mail %s to %s refused for good: %s", message.message_id, message.recipient, error)
            async with self.database.sessionmaker.begin() as db:
                await outbox.give_up(db, message, error=str(error), now=now)
            return
        except Exception as error:  # noqa: BLE001 - any other failure is worth another try later
            delay = outbox.backoff(message.attempts, base=self.retry_base, ceiling=self.retry_max)
            log.warning("mail %s to %s not sent (try %d: %s: %s); next try in %ds", message.message_id,
                        message.recipient, message.attempts, type(error).__name__, error, delay.total_seconds())
            async with self.database.sessionmaker.begin() as db:
                await outbox.retry_later(db, message, error=f"{type(error).__name__}: {error}", delay=delay,
                                         now=(now or utcnow()))
            return
        async with self.database.sessionmaker.begin() as db:
            await outbox.mark_sent(db, message, now=now)


def worker_from_settings(settings: Settings) -> DeliveryWorker:
    """A worker with a small pool of its own, so delivery never takes the API's connections."""
    transport = transport_from_settings(settings)
    database = Database.from_settings(settings.model_copy(update={"pool_size": 2, "max_overflow": 0}))
    return DeliveryWorker(
        database, transport,
        poll=timedelta(seconds=settings.mail_poll_seconds), lease=timedelta(seconds=settings.mail_lease_seconds),
        retry_base=timedelta(seconds=settings.mail_retry_base_seconds),
        retry_max=timedelta(seconds=settings.mail_retry_max_seconds),
    )


async def stop_worker(worker: DeliveryWorker) -> None:
    try:
        await worker.stop()
    finally:
        await worker.database.dispose()
