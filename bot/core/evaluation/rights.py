"""Participants' data rights: everything Blether holds about a person (/me data), and erasing it (/me delete).

Erasure in one unit of work where possible: profile, consent history, RSVPs, DM reminder choice, reflections,
attendance, voice presence, pending deliveries addressed to the person (cancelled), the edits of messages already
posted that carry their words or name (Flash Report drafts, reflection summaries with quotes: see
bot.core.delivery.posted) and the audit entry all commit together. The Flash Report side runs first in its own
transaction (FlashService.erase_user: deletes the person's items, forgets them as a nominator, drops their words
from published snapshots, marks the snapshot and schedules the edit of the posted messages). Both halves are
idempotent, so a failure between them is repaired by running /me delete again. Afterwards the SQLite
write-ahead log is checkpointed, so no old copy of a page keeps their words (secure_delete zeroes the rest).

The audit entry (action "erasure") holds the server id, the time, how many records of each kind were removed,
and a random receipt code that is shown only to the person; actor_id is left empty and no user id, name or
content is written. A hash of the user id (even salted with a server secret) would let anyone holding that
secret and a member list find out who asked to be erased, which defeats the erasure; the receipt lets the person
prove the request was carried out without Blether keeping anything that points back to them.

Kept on purpose: audit entries of things the person did as a facilitator, attendance they recorded for others
(recorded_by), and the deliveries outbox's dedupe keys of messages already sent (they carry the user id so a
message is never sent twice; they hold no content).
"""

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.core.delivery.posted import SqlPostedRepository, edit_postings_of
from bot.core.delivery.repository import SqlDeliveryRepository
from bot.core.flash.domain import ErasureResult, FlashRecord, ItemKind
from bot.core.flash.repository import SqlFlashItemRepository
from bot.core.groups.repository import SqlConnectionRepository, SqlGroupRepository
from bot.core.interviews.repository import SqlInterviewRepository
from bot.core.messages import FileAttachment
from bot.core.participants.repository import SqlConsentRepository, SqlParticipantRepository
from bot.core.programme.repository import (
    SqlProgrammeRepository,
    SqlReminderPreferenceRepository,
    SqlRsvpRepository,
    SqlSessionRepository,
)
from bot.core.questionnaires.repository import SqlQuestionnaireRepository
from bot.core.reflections.repository import SqlAttendanceRepository, SqlReflectionRepository
from bot.core.storage.database import UnitOfWork
from bot.core.storage.state import SqlAuditRepository

ERASURE_ACTION = "erasure"
CATEGORY_LABELS = {
    "profile": "profile",
    "community_names": "community name only you used",
    "consent_answers": "consent answers",
    "rsvps": "RSVPs",
    "reminder_preference": "reminder preference",
    "reflections": "reflections",
    "attendance": "attendance records",
    "voice_stays": "voice channel visits",
    "group_places": "places in small groups",
    "connections": "introductions and their answers",
    "questionnaire_responses": "questionnaire responses (with their answers)",
    "interview_list": "place on the interview list",
}


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_receipt() -> str:
    """Return a random erasure receipt code ("ER-" and 12 upper-case hex characters)."""
    return "ER-" + secrets.token_hex(6).upper()


@dataclass(frozen=True, slots=True)
class ErasureReport:
    """What /me delete removed; receipt is the code also written to the audit trail (nothing else links them)."""

    guild_id: int
    receipt: str
    erased_at: datetime
    removed: Mapping[str, int] = field(default_factory=dict)
    flash_items_removed: int = 0
    flash_entries_removed: int = 0
    flash_issues_amended: tuple[int, ...] = ()
    deliveries_cancelled: int = 0
    posted_messages_edited: int = 0

    @property
    def total(self) -> int:
        """Return how many records were removed or changed in all."""
        return (
            sum(self.removed.values())
            + self.flash_items_removed
            + self.flash_entries_removed
            + self.deliveries_cancelled
            + self.posted_messages_edited
        )

    @property
    def nothing_held(self) -> bool:
        """Tell whether Blether held nothing about the person."""
        return self.total == 0

    def lines(self) -> list[str]:
        """Return plain-language lines describing what was removed (for the confirmation message)."""
        lines = [f"{count} {CATEGORY_LABELS.get(name, name)}" for name, count in self.removed.items() if count]
        if self.flash_items_removed:
            lines.append(f"{self.flash_items_removed} Flash Report items (resources, stories, nominated messages)")
        if self.flash_entries_removed:
            issues = ", ".join(f"#{n}" for n in self.flash_issues_amended)
            lines.append(f"{self.flash_entries_removed} entries in published Flash Reports ({issues}), now marked")
        if self.deliveries_cancelled:
            lines.append(f"{self.deliveries_cancelled} scheduled messages to you, cancelled")
        if self.posted_messages_edited:
            lines.append(
                f"{self.posted_messages_edited} earlier posts with your words or name (Flash Report drafts, reflection "
                "summaries), being edited to leave them out"
            )
        return lines

    def audit_detail(self) -> str:
        """Return the audit entry's text: the receipt and counts, never ids or content."""
        counts = ", ".join(f"{name} {count}" for name, count in self.removed.items())
        return (
            f"receipt {self.receipt}; {counts}; flash items {self.flash_items_removed}, "
            f"flash published entries {self.flash_entries_removed}; deliveries cancelled {self.deliveries_cancelled}; "
            f"posted messages edited {self.posted_messages_edited}"
        )


def erasure_report(
    guild_id: int,
    *,
    now: datetime,
    removed: Mapping[str, int],
    flash: ErasureResult,
    deliveries_cancelled: int,
    posted_edited: int = 0,
) -> ErasureReport:
    """Assemble the report of an erasure with a fresh receipt."""
    return ErasureReport(
        guild_id=guild_id,
        receipt=new_receipt(),
        erased_at=now,
        removed=dict(removed),
        flash_items_removed=flash.items_removed,
        flash_entries_removed=flash.snapshot_items_removed,
        flash_issues_amended=tuple(flash.issues_marked),
        deliveries_cancelled=deliveries_cancelled,
        posted_messages_edited=posted_edited,
    )


async def erase_in(uow: UnitOfWork, guild_id: int, user_id: int, *, now: datetime) -> tuple[dict[str, int], int, int]:
    """Erase everything but the Flash Report side inside uow; return (removed by category, deliveries cancelled,
    posted messages to edit). The caller commits, then wakes the dispatcher for the edits.

    Each feature's repository deletes its own rows.
    """
    consent = await uow.repo(SqlConsentRepository).delete_user(guild_id, user_id)
    profile, community_names = await uow.repo(SqlParticipantRepository).delete_user(guild_id, user_id)
    rsvps = await uow.repo(SqlRsvpRepository).delete_user(guild_id, user_id)
    preference = await uow.repo(SqlReminderPreferenceRepository).delete_user(guild_id, user_id)
    reflections = await uow.repo(SqlReflectionRepository).delete_user(guild_id, user_id)
    attendance, voice = await uow.repo(SqlAttendanceRepository).delete_user(guild_id, user_id)
    groups = await uow.repo(SqlGroupRepository).delete_user(guild_id, user_id)
    connections = await uow.repo(SqlConnectionRepository).delete_user(guild_id, user_id)
    questionnaires = await uow.repo(SqlQuestionnaireRepository).delete_user(guild_id, user_id)
    interviews = await uow.repo(SqlInterviewRepository).delete_user(guild_id, user_id)
    removed = {
        "profile": profile,
        "consent_answers": consent,
        "community_names": community_names,
        "rsvps": rsvps,
        "reminder_preference": preference,
        "reflections": reflections,
        "attendance": attendance,
        "voice_stays": voice,
        "group_places": groups,
        "connections": connections,
        "questionnaire_responses": questionnaires,
        "interview_list": interviews,
    }
    cancelled = await uow.repo(SqlDeliveryRepository).cancel_addressed_to(guild_id, user_id, now=now)
    edited = await edit_postings_of(uow, guild_id, user_id, now=now)
    return removed, cancelled, edited


async def record_erasure(uow: UnitOfWork, report: ErasureReport) -> None:
    """Write the erasure's audit entry (no actor id, no content)."""
    await uow.repo(SqlAuditRepository).record(
        action=ERASURE_ACTION,
        now=report.erased_at,
        guild_id=report.guild_id,
        actor_id=None,
        detail=report.audit_detail(),
    )


# -- /me data ----------------------------------------------------------------------------------------------------


def _item(item: FlashRecord) -> dict[str, Any]:
    data: dict[str, Any] = {"id": item.id, "shared_at": _iso(item.created_at), "flash_report_issue": item.issue_number}
    if item.kind is ItemKind.RESOURCE:
        data |= {"url": item.url, "title": item.title, "note": item.note, "tags": list(item.tags)}
    elif item.kind is ItemKind.STORY:
        data |= {"story": item.text, "credit_by_name": item.credit_by_name}
    else:
        data |= {"message_link": item.jump_url, "excerpt": item.excerpt, "link": item.url, "note": item.note}
    data["name_shown"] = item.author_name
    return data


async def collect_personal_data(uow: UnitOfWork, guild_id: int, user_id: int, *, now: datetime) -> dict[str, Any]:
    """Return everything Blether holds about one person in one server, as JSON-ready data."""
    programme = await uow.repo(SqlProgrammeRepository).get(guild_id)
    sessions = {s.id: s for s in await uow.repo(SqlSessionRepository).list(guild_id)}

    def session(session_id: int) -> dict[str, Any]:
        found = sessions.get(session_id)
        return {"session_number": found.number if found else None, "session_title": found.title if found else None}

    profile = await uow.repo(SqlParticipantRepository).get(guild_id, user_id)
    history = await uow.repo(SqlConsentRepository).history(guild_id, user_id)
    current: dict[str, bool] = {}
    for event in history:
        current[event.purpose.value] = event.granted
    preference = await uow.repo(SqlReminderPreferenceRepository).get(guild_id, user_id)
    responses = [
        r for r in await uow.repo(SqlReflectionRepository).responses(guild_id=guild_id) if r.user_id == user_id
    ]
    attendance = [a for a in await uow.repo(SqlAttendanceRepository).rows(guild_id=guild_id) if a.user_id == user_id]
    items = await uow.repo(SqlFlashItemRepository).records(guild_id)
    audit = [e for e in await uow.repo(SqlAuditRepository).list(guild_id=guild_id) if e.actor_id == user_id]
    pending = await uow.repo(SqlDeliveryRepository).pending_addressed_to(guild_id, user_id)
    postings = await uow.repo(SqlPostedRepository).carrying(guild_id, user_id)
    return {
        "about": (
            "Everything Blether holds about you in this server's programme. Times are UTC (ISO 8601). "
            "Use /me delete to erase it, /me consent to change what you agreed to."
        ),
        "generated_at": _iso(now),
        "server_id": str(guild_id),
        "user_id": str(user_id),
        "programme_timezone": programme.timezone if programme else None,
        "retention_months": programme.retention_months if programme else None,
        "profile": None
        if profile is None
        else {
            "community": profile.community,
            "area_type": profile.area.value if profile.area else None,
            "role": profile.role.value if profile.role else None,
            "active": profile.active,
            "joined_at": _iso(profile.joined_at),
            "left_at": _iso(profile.left_at),
        },
        "current_consent": current,
        "consent_history": [
            {
                "purpose": e.purpose.value,
                "answer": "yes" if e.granted else "no",
                "consent_text_version": e.text_version,
                "where": e.source.value,
                "recorded_at": _iso(e.recorded_at),
            }
            for e in history
        ],
        "rsvps": [
            session(r.session_id) | {"said_at": _iso(r.said_at)}
            for r in await uow.repo(SqlRsvpRepository).of_user(guild_id, user_id)
        ],
        "reminder_preference": None
        if preference is None
        else {"dm_reminders": preference.dm_enabled, "updated_at": _iso(preference.updated_at)},
        "reflections": [
            session(r.session_id)
            | {
                "submitted_at": _iso(r.submitted_at),
                "updated_at": _iso(r.updated_at),
                "rating": r.rating,
                "may_quote": r.quote_allowed,
                "answers": [{"question": a.label, "kind": a.kind.value, "answer": a.value} for a in r.answers],
            }
            for r in responses
        ],
        "attendance": [
            session(a.session_id) | {"how": a.source.value, "recorded_at": _iso(a.recorded_at)} for a in attendance
        ],
        "voice_channel_visits": [
            {"channel_id": str(v.channel_id), "joined_at": _iso(v.joined_at), "left_at": _iso(v.left_at)}
            for v in await uow.repo(SqlAttendanceRepository).stays_of(guild_id, user_id)
        ],
        "shared_resources": [_item(i) for i in items if i.kind is ItemKind.RESOURCE and i.author_id == user_id],
        "stories": [_item(i) for i in items if i.kind is ItemKind.STORY and i.author_id == user_id],
        "your_messages_nominated": [
            _item(i) for i in items if i.kind is ItemKind.NOMINATION and i.author_id == user_id
        ],
        "messages_you_nominated": [  # someone else's words: only the link and when, never their text or name
            {"id": i.id, "message_link": i.jump_url, "nominated_at": _iso(i.created_at)}
            for i in items
            if i.kind is ItemKind.NOMINATION and i.nominated_by_id == user_id and i.author_id != user_id
        ],
        "facilitator_actions": [{"action": e.action, "detail": e.detail, "at": _iso(e.created_at)} for e in audit],
        "scheduled_messages_to_you": [{"kind": d.kind, "due_at": _iso(d.due_at)} for d in pending],
        "posted_messages_with_your_words": [  # drafts and summaries in the facilitator channel; /me delete edits them
            {
                "channel_id": str(p.channel_id),
                "message_ids": [str(m) for m in p.message_ids],
                "posted_at": _iso(p.created_at),
            }
            for p in postings
        ],
    }


def personal_data_file(data: Mapping[str, Any], *, now: datetime) -> FileAttachment:
    """Return the personal data as a JSON attachment."""
    body = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return FileAttachment(
        f"blether-my-data-{now.astimezone(UTC):%Y-%m-%d}.json",
        body.encode("utf-8"),
        "Everything Blether holds about you",
    )
