"""Every MongoDB query of the signing service: sign requests, their leases and their outbox."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from hoso_common.events import EventData
from hoso_common.outbox import OutboxRelay, with_events
from hoso_signing.domain.sign_request import SignRequest
from hoso_signing.domain.states import SignStatus, sources_of

COLLECTION = "sign_requests"
Doc = dict[str, Any]

# The bulky fields a lookup for status or routing never needs (FerretDB takes projections on
# find only, not on findAndModify).
_LIGHT = {"outbox": 0, "state": 0}


def to_sign_request(raw: Doc) -> SignRequest:
    return SignRequest.model_validate({**raw, "id": raw["_id"]})


def _maybe(raw: Doc | None) -> SignRequest | None:
    return to_sign_request(raw) if raw is not None else None


class SignRequestRepository:
    """Sign requests in MongoDB; a write that stores events hands them to the outbox relay."""

    def __init__(
        self, db: AsyncDatabase[Doc], *, source: str, relay: OutboxRelay | None = None
    ) -> None:
        self.collection: AsyncCollection[Doc] = db[COLLECTION]
        self.source = source
        self.relay = relay

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("status", ASCENDING), ("next_poll_at", ASCENDING)])
        await self.collection.create_index([("status", ASCENDING), ("updated_at", ASCENDING)])
        await self.collection.create_index([("transaction_id", ASCENDING)])

    async def insert(self, request: SignRequest) -> bool:
        """Store a new request; False when this request id exists already."""
        # Unset fields stay absent: the lease queries look for fields that do not exist.
        raw = request.model_dump(exclude_none=True, exclude={"id", "finish_attempts"})
        raw["status"] = request.status.value
        for name in ("object", "visible_stamp"):
            value = getattr(request, name)
            if value is not None:
                raw[name] = value.model_dump(mode="json")
        try:
            await self.collection.insert_one({"_id": request.id, **raw, "outbox": []})
        except DuplicateKeyError:
            return False
        return True

    async def get(self, request_id: str, *, light: bool = False) -> SignRequest | None:
        return _maybe(
            await self.collection.find_one({"_id": request_id}, _LIGHT if light else None)
        )

    async def get_for_signer(self, request_id: str, signer_sub: str) -> SignRequest | None:
        return _maybe(
            await self.collection.find_one({"_id": request_id, "signer_sub": signer_sub}, _LIGHT)
        )

    async def find_by_transaction(self, provider: str, transaction_id: str) -> SignRequest | None:
        return _maybe(
            await self.collection.find_one(
                {"transaction_id": transaction_id, "provider": provider}, _LIGHT
            )
        )

    async def move(
        self,
        request_id: str,
        expected: SignStatus,
        target: SignStatus,
        fields: Mapping[str, Any],
        now: datetime,
    ) -> SignRequest | None:
        """Conditional state change; None when the request is no longer in `expected`."""
        return await self._move(request_id, expected, target, fields, now)

    async def record_answer(
        self,
        request_id: str,
        *,
        provider: str,
        transaction_id: str,
        target: SignStatus,
        fields: Mapping[str, Any],
        now: datetime,
        events: Sequence[EventData],
    ) -> SignRequest | None:
        """prepared/awaiting -> the CA's answer, for this provider's transaction only."""
        return await self._move(
            request_id,
            [SignStatus.PREPARED, SignStatus.AWAITING_APPROVAL],
            target,
            {**fields, "transaction_id": transaction_id},
            now,
            events=events,
            # Before the transaction id is stored (a webhook faster than our write), any
            # transaction of the request's provider is this one.
            extra_filter={"provider": provider, "transaction_id": {"$in": [None, transaction_id]}},
            unset=["poll_lease_until", "poll_owner", "next_poll_at"],
        )

    async def _move(
        self,
        request_id: str,
        expected: SignStatus | list[SignStatus],
        target: SignStatus,
        fields: Mapping[str, Any],
        now: datetime,
        *,
        events: Sequence[EventData] = (),
        extra_filter: Doc | None = None,
        unset: Sequence[str] = (),
    ) -> SignRequest | None:
        """Conditional state change; None when the request is no longer in `expected`.

        The events are stored with the change and handed to the relay at once.
        """
        states = [expected] if isinstance(expected, SignStatus) else expected
        query: Doc = {"_id": request_id, "status": {"$in": [s.value for s in states]}}
        if extra_filter:
            query.update(extra_filter)
        update: Doc = {"$set": {**fields, "status": target.value, "updated_at": now}}
        if unset:
            update["$unset"] = {name: "" for name in unset}
        # The written request goes straight to the relay, which the handover lease allows.
        update = with_events(
            update, events, source=self.source, correlation_id=request_id, handover=True
        )
        raw = await self.collection.find_one_and_update(
            query, update, return_document=ReturnDocument.AFTER
        )
        if raw is None:
            return None
        if events and self.relay is not None:
            self.relay.written(self.collection, raw)
        return to_sign_request(raw)

    async def fail(
        self, request_id: str, reason: str, now: datetime, events: Sequence[EventData]
    ) -> SignRequest | None:
        """Move to failed from any non-final state, announcing it in the same update."""
        return await self._move(
            request_id,
            sources_of(SignStatus.FAILED),
            SignStatus.FAILED,
            {"failure_reason": reason, "completed_at": now},
            now,
            events=events,
            unset=["poll_lease_until", "poll_owner", "finish_lease_until", "state"],
        )

    async def due_for_poll(self, now: datetime, limit: int) -> list[str]:
        """Ids of awaiting requests whose poll is due (a plain read, no write lock held)."""
        return await self.ids_where(
            {"status": SignStatus.AWAITING_APPROVAL.value, "next_poll_at": {"$lte": now}},
            limit=limit,
        )

    async def claim_poll(
        self, request_id: str, owner: str, now: datetime, lease: timedelta
    ) -> SignRequest | None:
        """Take one due awaiting request so no other replica polls it meanwhile."""
        # Claimed by _id: on FerretDB a findAndModify that has to scan holds the stack's
        # write lock for the whole scan.
        raw = await self.collection.find_one_and_update(
            {
                "_id": request_id,
                "status": SignStatus.AWAITING_APPROVAL.value,
                "next_poll_at": {"$lte": now},
                "$or": [
                    {"poll_lease_until": {"$exists": False}},
                    {"poll_lease_until": {"$lt": now}},
                ],
            },
            {"$set": {"poll_lease_until": now + lease, "poll_owner": owner}},
            return_document=ReturnDocument.AFTER,
        )
        return _maybe(raw)

    async def release_poll(self, request_id: str, owner: str, next_poll_at: datetime) -> None:
        await self.collection.update_one(
            {"_id": request_id, "poll_owner": owner},
            {
                "$set": {"next_poll_at": next_poll_at},
                "$unset": {"poll_lease_until": "", "poll_owner": ""},
            },
        )

    async def claim_finish(
        self, request_id: str, owner: str, token: str, now: datetime, lease: timedelta
    ) -> SignRequest | None:
        """approved -> finishing, or take over a finishing claim whose lease ran out.

        `token` fences the attempt: every later write of this attempt requires it, so a
        stalled attempt whose claim was taken over can no longer complete the request.
        """
        raw = await self.collection.find_one_and_update(
            {
                "_id": request_id,
                "$or": [
                    {"status": SignStatus.APPROVED.value},
                    {
                        "status": SignStatus.FINISHING.value,
                        "$or": [
                            {"finish_lease_until": {"$lt": now}},
                            {"finish_lease_until": {"$exists": False}},
                        ],
                    },
                ],
            },
            {
                "$set": {
                    "status": SignStatus.FINISHING.value,
                    "finish_owner": owner,
                    "finish_token": token,
                    "finish_lease_until": now + lease,
                    "updated_at": now,
                },
                "$inc": {"finish_attempts": 1},
            },
            return_document=ReturnDocument.AFTER,
        )
        return _maybe(raw)

    async def still_finishing(
        self, request_id: str, token: str, now: datetime, lease: timedelta
    ) -> bool:
        """Renew the finish lease; False when another attempt took the request over."""
        result = await self.collection.update_one(
            {"_id": request_id, "status": SignStatus.FINISHING.value, "finish_token": token},
            {"$set": {"finish_lease_until": now + lease}},
        )
        return result.matched_count == 1

    async def complete(
        self,
        request_id: str,
        token: str,
        fields: Mapping[str, Any],
        now: datetime,
        events: Sequence[EventData],
    ) -> SignRequest | None:
        return await self._move(
            request_id,
            SignStatus.FINISHING,
            SignStatus.COMPLETED,
            {**fields, "completed_at": now},
            now,
            events=events,
            extra_filter={"finish_token": token},
            unset=["finish_lease_until", "state"],
        )

    async def release_finish(self, request_id: str, token: str, *, refund: bool = False) -> None:
        """Give a finish claim back after a failure so any replica may retry.

        With `refund`, the attempt does not count towards `finish_max_attempts`: a dependency
        that was away (the object store, the database) says nothing about the request.
        """
        update: Doc = {"$unset": {"finish_lease_until": ""}}
        if refund:
            update["$inc"] = {"finish_attempts": -1}
        await self.collection.update_one(
            {"_id": request_id, "status": SignStatus.FINISHING.value, "finish_token": token},
            update,
        )

    async def ids_where(self, query: Doc, limit: int = 100) -> list[str]:
        cursor = self.collection.find(query, {"_id": 1}, limit=limit)
        return [str(doc["_id"]) async for doc in cursor]

    async def expired_awaiting(self, now: datetime) -> list[str]:
        return await self.ids_where(
            {
                "status": {"$in": [SignStatus.AWAITING_APPROVAL.value, SignStatus.PREPARED.value]},
                "expires_at": {"$lt": now},
            }
        )

    async def stale_finishes(self, now: datetime, approved_before: datetime) -> list[str]:
        return await self.ids_where(
            {
                # The top-level status narrows the scan before the $or is evaluated.
                "status": {"$in": [SignStatus.FINISHING.value, SignStatus.APPROVED.value]},
                "$or": [
                    {"status": SignStatus.FINISHING.value, "finish_lease_until": {"$lt": now}},
                    {
                        "status": SignStatus.FINISHING.value,
                        "finish_lease_until": {"$exists": False},
                    },
                    {"status": SignStatus.APPROVED.value, "updated_at": {"$lt": approved_before}},
                ],
            }
        )

    async def stuck_before_approval(self, before: datetime) -> list[str]:
        return await self.ids_where(
            {
                "status": {"$in": [SignStatus.REQUESTED.value, SignStatus.PREPARED.value]},
                "updated_at": {"$lt": before},
            }
        )

    async def count_in(self, status: SignStatus) -> int:
        return await self.collection.count_documents({"status": status.value})

    async def oldest_update_in(self, status: SignStatus) -> datetime | None:
        """When the request longest in `status` entered it; None when there is none."""
        raw = await self.collection.find_one(
            {"status": status.value},
            projection={"updated_at": 1},
            sort=[("updated_at", ASCENDING)],
        )
        updated = (raw or {}).get("updated_at")
        return updated if isinstance(updated, datetime) else None
