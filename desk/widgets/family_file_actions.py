"""The family file's part of the Families screen: guardians, notes and the maybe-twice banner drawn,
and its actions (new family, edit, inactive, resolve, move), each opening its dialog or running its op.

A mixin of desk.widgets.family_screen.FamilyScreen, which holds the widgets (`students_tab`,
`guardians_tab`, `notes_tab`, `same_box`...), `file` (desk.presenters.family_file), `notify`, and
the one-dialog-at-a-time helpers `_open` and `_dialog_open`.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QWidget

from desk.ops import Op
from desk.widgets.common import label
from desk.widgets.family_file_tabs import FileTab
from desk.widgets.move_student_dialog import MoveStudentDialog
from desk.widgets.new_family_dialog import NewFamilyDialog
from desk.widgets.record_dialog import RecordDialog


class FamilyFileActions:
    def _build_family_file(self) -> None:
        """The widgets of the family file (the screen lays them out): its buttons, banner and tabs."""
        self.edit_button = self._button("Edit family", "edit", "Change the family's name, address, phone or email")
        self.edit_button.clicked.connect(self.edit_family)
        self.same_banner = label("", "assignBanner", wrap=True)
        self.same_button = self._button("Open it", "same", "Open the family that looks the same")
        self.same_button.clicked.connect(self.open_same)
        same = QHBoxLayout()
        same.addWidget(self.same_banner, 1)
        same.addWidget(self.same_button)
        self.same_box = QWidget()
        self.same_box.setLayout(same)
        same.setContentsMargins(0, 0, 0, 0)
        self.students_tab = FileTab("Students", ["Student", "Age", "Born", ""], stretch=0)
        self.students = self.students_tab.table
        self.students_tab.action("add", "Add student", lambda: self._record(self.file.new_student_form()))
        self.students_tab.action("edit", "Edit", lambda: self._record(self.file.student_form(self.students_tab.selected())),
                                 on_row=True)  # fmt: skip
        self.students_tab.action("active", "Make inactive", self.toggle_active)
        self.students_tab.action("move", "Move to another family", self.move_student)
        self.students.itemSelectionChanged.connect(self._update_student_actions)
        self.guardians_tab = FileTab("Guardians", ["Name", "Relation", "Phone", "Email", ""], stretch=3)
        self.guardians_tab.action("add", "Add guardian", lambda: self._record(self.file.new_guardian_form()))
        self.guardians_tab.action("edit", "Edit", lambda: self._record(self.file.guardian_form(self.guardians_tab.selected())),
                                  on_row=True)  # fmt: skip
        self.notes_tab = FileTab("Notes", ["Kind", "About", "Note", "Status"], stretch=2)
        self.notes_tab.action("add", "Add note", lambda: self._record(self.file.new_note_form()))
        self.notes_tab.action("edit", "Edit", lambda: self._record(self.file.note_form(self.notes_tab.selected())),
                              on_row=True)  # fmt: skip
        self.notes_tab.action("resolve", "Resolve", self.resolve_note)

    def _fill_file(self) -> None:
        """Guardians, notes, and the banner of a family that may be on file twice."""
        f = self.file
        self.guardians_tab.fill([(g.id, [g.name, g.relation, g.phone, g.email, g.primary]) for g in f.guardian_lines()])
        notes = f.note_lines()
        self.notes_tab.fill([(n.id, [n.kind, n.about, n.text, n.status]) for n in notes],
                            muted={n.id for n in notes if n.status != "Open"})  # fmt: skip
        self.same_banner.setText(f.duplicate_text())
        self.same_box.setVisible(bool(f.hits))
        may_edit = f.may_edit()
        self.edit_button.setVisible(may_edit)
        for tab in (self.students_tab, self.guardians_tab, self.notes_tab):
            for button in tab.buttons.values():
                button.setVisible(may_edit)
        self.students_tab.buttons["move"].setVisible(f.may_move())

    def _update_student_actions(self) -> None:
        st = self.file.student(self.students_tab.selected())
        button = self.students_tab.buttons["active"]
        button.setText("Make active" if st is not None and not st.active else "Make inactive")
        button.setAccessibleName(button.text())
        for key in ("edit", "active", "move"):
            self.students_tab.buttons[key].setEnabled(st is not None)

    # --- the family file: new, edit, notes, inactive, move -------------------------------------
    def new_family(self) -> NewFamilyDialog | None:
        if not self.file.may_add() or self._dialog_open():
            return None
        dialog = NewFamilyDialog(self.file.new_family(), self)
        dialog.saved.connect(self._family_added)
        dialog.open_existing.connect(self.open_family)
        return self._open(dialog)

    def edit_family(self) -> RecordDialog | None:
        return self._record(self.file.family_form() if self.file.may_edit() else None)

    def _record(self, form) -> RecordDialog | None:
        """Open the edit (or add) form of one record; saved: the file shows it and a toast says what."""
        if form is None or not self.file.may_edit() or self._dialog_open():
            return None
        dialog = RecordDialog(form, self)
        dialog.saved.connect(self._file_saved)
        return self._open(dialog)

    def toggle_active(self) -> None:
        st = self.file.student(self.students_tab.selected())
        if st is None or not self.file.may_edit():
            return
        Op(self, lambda: self.file.set_active(st.id, not st.active), doing="changing the student").success(
            self._file_saved).run()  # fmt: skip

    def resolve_note(self) -> None:
        note_id = self.notes_tab.selected()
        if note_id is None or not self.file.may_edit():
            return
        Op(self, lambda: self.file.resolve(note_id), doing="resolving the note").success(self._file_saved).run()

    def move_student(self) -> MoveStudentDialog | None:
        student_id = self.students_tab.selected()
        if student_id is None or self._dialog_open():
            return None
        if not self.file.may_move():
            self.notify("Ask a manager: moving a child to another family needs their permission.", "amber")
            return None
        dialog = MoveStudentDialog(self.file, student_id, self)
        dialog.moved.connect(self._file_saved)
        return self._open(dialog)

    def open_same(self) -> bool:
        return bool(self.file.hits) and self.open_family(self.file.hits[0].family_id)

    def _family_added(self, family_id: str, text: str) -> None:
        self.open_family(family_id)
        self.notify(text, "ok")

    def _file_saved(self, text: str) -> None:
        self.refresh()
        self.notify(text, "ok")
