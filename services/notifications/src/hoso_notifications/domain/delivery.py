"""The life of one message on one channel (e-mail, SMS), and what a transport may answer.

    pending ──claim──► claimed ──commit──► sending ──► sent
       ▲                  │                   │
       └── deferred ──────┴───── deferred ────┤ (the server said: not taken)
                                              ├──► failed     (refused for good)
                                              └──► uncertain  (no answer; never sent again)

`claimed` holds a lease: a replica that dies before `commit` leaves it to expire, and the
message is claimed again. `commit` is written just before the step that cannot be taken back
(SMTP's DATA): from then on the message is never handed to a transport again, so a replica
that dies between the server's answer and `sent` leaves `sending`, which a later pass settles
as `uncertain` instead of sending a second copy.
"""

from __future__ import annotations

from typing import Literal

State = Literal["pending", "claimed", "sending", "sent", "failed", "uncertain", "skipped"]
FINAL_STATES: tuple[State, ...] = ("sent", "failed", "uncertain", "skipped")
STATES: tuple[State, ...] = ("pending", "claimed", "sending", *FINAL_STATES)


class DeliveryDeferred(Exception):
    """Nothing was delivered and it may work later (server away, busy, 4xx): try again."""


class DeliveryRefused(Exception):
    """The server refused the message for good (5xx): it is not tried again."""


class DeliveryUncertain(Exception):
    """The connection ended after the message was handed over: it may have been delivered."""


class LeaseLost(Exception):
    """Another replica took the message over (this one was too slow): leave it to that one."""


def backoff_s(attempts: int, *, base_s: float, max_s: float) -> float:
    """Wait before the next attempt: doubling from `base_s`, never more than `max_s`."""
    return float(min(max_s, base_s * 2 ** max(0, attempts - 1)))
