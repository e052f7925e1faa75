"""In-memory store of sign transactions, indexed for the phone, idempotency and expiry."""

from __future__ import annotations

import heapq
from collections.abc import Iterator

from hoso_sandbox_ca.domain.transactions import Provider, SignTransaction


class TransactionLedger:
    """All lookups are O(1) or O(pending of one user); expiry pops a heap."""

    def __init__(self) -> None:
        self._by_id: dict[str, SignTransaction] = {}
        self._by_caller: dict[tuple[Provider, str], str] = {}
        self._by_user: dict[str, dict[str, None]] = {}
        self._pending: dict[str, None] = {}
        self._expiry: list[tuple[float, str]] = []
        self._finished: list[tuple[float, str]] = []

    def __len__(self) -> int:
        return len(self._by_id)

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    def add(self, transaction: SignTransaction) -> None:
        key = (transaction.provider, transaction.caller_transaction_id)
        if key in self._by_caller:
            raise ValueError(f"caller transaction {key} already recorded")
        self._by_id[transaction.id] = transaction
        self._by_caller[key] = transaction.id
        self._by_user.setdefault(transaction.user_id, {})[transaction.id] = None
        if transaction.is_pending():
            self._pending[transaction.id] = None
            heapq.heappush(self._expiry, (transaction.expires_at, transaction.id))

    def get(self, transaction_id: str) -> SignTransaction | None:
        return self._by_id.get(transaction_id)

    def by_caller(self, provider: Provider, caller_transaction_id: str) -> SignTransaction | None:
        transaction_id = self._by_caller.get((provider, caller_transaction_id))
        return self._by_id.get(transaction_id) if transaction_id else None

    def for_user(self, user_id: str, *, pending_only: bool) -> list[SignTransaction]:
        """Newest first."""
        ids = self._by_user.get(user_id, {})
        found = [self._by_id[i] for i in ids]
        if pending_only:
            found = [t for t in found if t.is_pending()]
        return sorted(found, key=lambda t: t.created_at, reverse=True)

    def pending(self) -> list[SignTransaction]:
        return [self._by_id[i] for i in self._pending]

    def mark_finished(self, transaction: SignTransaction) -> None:
        """Call after `transaction.finish(...)`: drops it from the pending indexes."""
        self._pending.pop(transaction.id, None)
        heapq.heappush(self._finished, (transaction.finished_at or 0.0, transaction.id))

    def overdue(self, now: float) -> Iterator[SignTransaction]:
        """Pending transactions whose deadline has passed (each yielded once)."""
        while self._expiry and self._expiry[0][0] <= now:
            _, transaction_id = heapq.heappop(self._expiry)
            transaction = self._by_id.get(transaction_id)
            if transaction is not None and transaction.is_pending():
                yield transaction

    def forget_finished_before(self, cutoff: float) -> int:
        """Drop transactions that ended before `cutoff`, so long benchmarks keep memory flat."""
        dropped = 0
        while self._finished and self._finished[0][0] < cutoff:
            _, transaction_id = heapq.heappop(self._finished)
            transaction = self._by_id.pop(transaction_id, None)
            if transaction is None:
                continue
            self._by_caller.pop((transaction.provider, transaction.caller_transaction_id), None)
            user_ids = self._by_user.get(transaction.user_id)
            if user_ids is not None:
                user_ids.pop(transaction_id, None)
                if not user_ids:
                    del self._by_user[transaction.user_id]
            dropped += 1
        return dropped
