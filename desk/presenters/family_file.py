"""The family file's side of the Families screen, without widgets: guardians, notes and students
as lines, the likely duplicates of the open family, who may add, edit or move, and the forms.

It follows the screen's FamilyPresenter (which family is open, where, who is signed in) and reads
sync.family_desk.FamilyDesk, the cache, offline too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from desk.presenters import family_forms as forms
from desk.presenters.family import FamilyPresenter
from sync.core.contact_fields import phone_text, region_of_zone
from sync.family_desk import FamilyDesk
from sync.family_file import DuplicateHit, FamilyFile
from sync.money_views import FamilyHit
from sync.core.permissions import FAMILY_ADD, FAMILY_EDIT, STUDENT_MOVE


@dataclass(frozen=True)
class GuardianLine:
    id: str
    name: str
    relation: str
    phone: str  # national format at this location
    email: str
    primary: str  # "Primary" or ""


@dataclass(frozen=True)
class NoteLine:
    id: str
    kind: str  # "Allergy"
    about: str  # "Ada", "Family"
    text: str
    status: str  # "Open", "Resolved"
    tone: str  # red (medical, allergy), amber, blue; muted when resolved


_TONES = {"medical": "red", "allergy": "red", "waiver": "amber", "balance": "amber"}


class FamilyFilePresenter:
    def __init__(self, families: FamilyDesk, screen: FamilyPresenter):
        self.families = families
        self.screen = screen
        self.file: FamilyFile | None = None
        self.hits: list[DuplicateHit] = []

    # --- where and when ----------------------------------------------------------------------
    @property
    def region(self) -> str:
        return region_of_zone(self.screen.location.timezone)

    def today(self) -> dt.date:
        """The location's day on the desk's clock (the money desk's seam), for ages and dates."""
        try:
            zone = ZoneInfo(self.screen.location.timezone)
        except (ValueError, KeyError):
            zone = ZoneInfo("UTC")
        return self.screen.money.now().astimezone(zone).date()

    # --- who may ---------------------------------------------------------------------------
    def may_add(self) -> bool:
        return self.screen.may(FAMILY_ADD)

    def may_edit(self) -> bool:
        return self.file is not None and self.screen.may(FAMILY_EDIT)

    def may_move(self) -> bool:
        return self.file is not None and self.screen.may(STUDENT_MOVE)

    # --- the open family -------------------------------------------------------------------
    def reload(self) -> FamilyFile | None:
        view = self.screen.view
        self.file, self.hits = None, []
        if view is not None:
            try:
                self.file = self.families.file(view.id, self.today())
            except LookupError:
                return None
            self.hits = self.families.duplicates_of(view.id, self.region)
        return self.file

    def guardian_lines(self) -> list[GuardianLine]:
        if self.file is None:
            return []
        return [GuardianLine(g.id, g.name, g.relation, phone_text(g.phone, self.region), g.email,
                             "Primary" if g.is_primary else "") for g in self.file.guardians]  # fmt: skip

    def note_lines(self) -> list[NoteLine]:
        if self.file is None:
            return []
        return [NoteLine(n.id, forms.NOTE_KINDS.get(n.kind, n.kind.title()), n.about or "Family", n.text,
                         "Open" if n.active else "Resolved", _TONES.get(n.kind, "blue") if n.active else "muted")
                for n in self.file.notes]  # fmt: skip

    def duplicate_text(self) -> str:
        """The banner over a family that may be on file twice (two desks added it offline)."""
        if not self.hits:
            return ""
        first = self.hits[0]
        more = f" (and {len(self.hits) - 1} more)" if len(self.hits) > 1 else ""
        return f"May be the same family as the {first.name}{more}: {'; '.join(first.reasons)}."

    def student(self, student_id: str | None):
        return next((s for s in self.file.students if s.id == student_id), None) if self.file else None

    # --- forms -----------------------------------------------------------------------------
    def new_family(self) -> forms.NewFamilyPresenter:
        return forms.NewFamilyPresenter(self.families, self.region, self.today)

    def family_form(self) -> forms.EditPresenter:
        assert self.file is not None
        return forms.family_form(self.families, self.file, self.region, self.today)

    def guardian_form(self, contact_id: str | None) -> forms.EditPresenter | None:
        g = next((g for g in self.file.guardians if g.id == contact_id), None) if self.file else None
        return forms.guardian_form(self.families, g, self.region, self.today) if g else None

    def student_form(self, student_id: str | None) -> forms.EditPresenter | None:
        st = self.student(student_id)
        return forms.student_form(self.families, st, self.region, self.today) if st else None

    def note_form(self, note_id: str | None) -> forms.EditPresenter | None:
        n = next((n for n in self.file.notes if n.id == note_id), None) if self.file else None
        return forms.note_form(self.families, n, self.region, self.today) if n else None

    def new_guardian_form(self) -> forms.EditPresenter:
        assert self.file is not None
        return forms.new_guardian_form(self.families, self.file.id, self.file.name, self.region, self.today)

    def new_student_form(self) -> forms.EditPresenter:
        assert self.file is not None
        return forms.new_student_form(self.families, self.file.id, self.file.name, self.region, self.today)

    def new_note_form(self) -> forms.EditPresenter:
        assert self.file is not None
        return forms.new_note_form(self.families, self.file.id, list(self.file.students), self.region, self.today)

    # --- quick actions ---------------------------------------------------------------------
    async def set_active(self, student_id: str, active: bool) -> str:
        await self.families.set_active(student_id, active)
        st = self.student(student_id)
        name = st.name if st else "The student"
        return f"{name} is active again" if active else f"{name} is now inactive (kept on file)"

    async def resolve(self, note_id: str) -> str:
        await self.families.resolve_note(note_id)
        return "Note resolved"

    def move_targets(self, text: str) -> list[FamilyHit]:
        """Families a student could move to: found by name, the open one left out."""
        here = self.file.id if self.file else None
        return [h for h in self.screen.money.search_families(text.strip(), limit=20) if h.id != here] if text.strip() else []

    async def move(self, student_id: str, target: FamilyHit) -> str:
        await self.families.move_student(student_id, target.id)
        st = self.student(student_id)
        return f"{st.name if st else 'The student'} moved to the {target.name} family"
