"""Staff management at the desk (owners and managers): add, change group, disable, password, PIN.

Everything goes to the server at once (staff changes are not made offline): the server checks
that the manager may do it and records it in the audit log.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QFrame, QHBoxLayout, QHeaderView, QInputDialog, QLineEdit, QPushButton, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from desk.ops import Op
from desk.widgets.common import label
from desk.widgets.grants_dialog import GrantsDialog
from desk.widgets.group_dialog import GroupDialog
from sync.staff_client import StaffApi
from sync.core.wire_staff import GroupCreate, GroupDetail, GroupUpdate, StaffCreate, StaffDetail, StaffUpdate

COLUMNS = ("Name", "User name", "Group", "Status", "PIN")


class StaffScreen(QWidget):
    title = "Staff"

    def __init__(self, api: StaffApi, notify: Callable[[str, str], None]):
        super().__init__()
        self.api = api
        self.notify = notify
        self.staff: list[StaffDetail] = []
        self.groups: list[GroupDetail] = []
        self.words: dict[str, str] = {}

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAccessibleName("Staff members")

        self.toggle = QPushButton("Disable")
        self.toggle.clicked.connect(self._toggle_clicked)
        self.group_button = QPushButton("Change group…")
        self.group_button.clicked.connect(self._group_clicked)
        self.password_button = QPushButton("New password…")
        self.password_button.clicked.connect(self._password_clicked)
        self.pin_button = QPushButton("Set PIN…")
        self.pin_button.clicked.connect(self._pin_clicked)
        self.grants_button = QPushButton("Permissions…")
        self.grants_button.clicked.connect(self._grants_clicked)
        self.new_group_button = QPushButton("New group…")
        self.new_group_button.setAccessibleName("New group")
        self.new_group_button.setToolTip("Make a custom group with the permissions you pick")
        self.new_group_button.clicked.connect(self._new_group_clicked)
        self.edit_group_button = QPushButton("Edit group…")
        self.edit_group_button.setAccessibleName("Edit group")
        self.edit_group_button.setToolTip("Change the name or permissions of the selected staff member's custom group")
        self.edit_group_button.clicked.connect(self._edit_group_clicked)
        actions = QHBoxLayout()
        for b in (self.toggle, self.group_button, self.grants_button, self.password_button, self.pin_button):
            actions.addWidget(b)
        actions.addStretch(1)
        actions.addWidget(self.edit_group_button)
        actions.addWidget(self.new_group_button)

        self.new_username = QLineEdit()
        self.new_username.setAccessibleName("New user name")
        self.new_name = QLineEdit()
        self.new_name.setAccessibleName("New staff name")
        self.new_group = QComboBox()
        self.new_group.setAccessibleName("New staff group")
        self.new_password = QLineEdit()
        self.new_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.new_password.setAccessibleName("New staff password")
        self.new_pin = QLineEdit()
        self.new_pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.new_pin.setAccessibleName("New staff PIN")
        self.add_button = QPushButton("Add staff member")
        self.add_button.setObjectName("primary")
        self.add_button.clicked.connect(self._add_clicked)
        add = QFrame()
        form = QFormLayout(add)
        form.addRow(label("User name"), self.new_username)
        form.addRow(label("Name"), self.new_name)
        form.addRow(label("Group"), self.new_group)
        form.addRow(label("Password (8 or more)"), self.new_password)
        form.addRow(label("PIN (optional)"), self.new_pin)
        form.addRow(self.add_button)

        left = QVBoxLayout()
        left.addWidget(self.table, 1)
        left.addLayout(actions)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.addLayout(left, 3)
        side = QVBoxLayout()
        side.addWidget(label("Add a staff member", "sectionTitle"))
        side.addWidget(add)
        side.addStretch(1)
        layout.addLayout(side, 2)

    # --- the screen contract of the main window ---------------------------------------------
    def activate(self) -> None:
        Op(self, self.load, doing="loading the staff list").run()

    def refresh(self) -> None:
        pass

    def set_location(self, _location) -> None:
        pass

    # --- work (awaitable, so tests drive it the way the buttons do) -------------------------
    async def load(self) -> None:
        self.staff = await self.api.list_staff()
        if not self.groups:
            listed = await self.api.groups()
            self.groups, self.words = listed.groups, listed.permissions
            for g in self.groups:
                self.new_group.addItem(g.label, g.name)
            self.new_group.setCurrentIndex(max(0, self.new_group.findData("front-desk")))
        self._show()

    async def add(self, username: str, name: str, group: str, password: str, pin: str = "") -> StaffDetail:
        created = await self.api.create(StaffCreate(username=username, display_name=name, group=group, password=password,
                                                    pin=pin or None))
        self.notify(f"{created.display_name} can now sign in", "ok")
        await self.load()
        return created

    async def set_active(self, staff_id: str, active: bool) -> StaffDetail:
        changed = await self.api.update(staff_id, StaffUpdate(active=active))
        self.notify(f"{changed.display_name} {'can sign in again' if active else 'is disabled and signed out everywhere'}", "ok")
        await self.load()
        return changed

    async def set_group(self, staff_id: str, group: str) -> StaffDetail:
        changed = await self.api.update(staff_id, StaffUpdate(group=group))
        await self.load()
        return changed

    async def create_group(self, body: GroupCreate) -> GroupDetail:
        made = await self.api.create_group(body)
        self.notify(f"Group {made.label} is made; pick it with Change group or for a new staff member", "ok")
        self.groups = []  # read again, so both the group lists show the new one
        self.new_group.clear()
        await self.load()
        return made

    def group_dialog(self, editing: GroupDetail | None = None) -> GroupDialog:
        return GroupDialog(self.words, self.groups, self, editing=editing)

    async def update_group(self, name: str, body: GroupUpdate) -> GroupDetail:
        changed = await self.api.update_group(name, body)
        self.notify(f"Group {changed.label} is saved: everyone in it has its permissions now", "ok")
        self.groups = []
        self.new_group.clear()
        await self.load()
        return changed

    def _edit_group_clicked(self) -> None:
        s = self.selected()
        group = next((g for g in self.groups if s is not None and g.name == s.group), None)
        if group is None or group.built_in:
            self.notify("Pick a staff member in a custom group first; built-in groups stay as they are.", "amber")
            return
        dialog = self.group_dialog(editing=group)
        dialog.accepted.connect(lambda: Op(self, lambda: self.update_group(group.name, dialog.update()),
                                           doing="saving the group").run())  # fmt: skip
        dialog.open()

    async def set_grants(self, staff_id: str, grants: list[str]) -> StaffDetail:
        changed = await self.api.update(staff_id, StaffUpdate(grants=grants))
        self.notify(f"{changed.display_name}'s permissions are saved", "ok")
        await self.load()
        return changed

    def grants_dialog(self, s: StaffDetail) -> GrantsDialog:
        group = next((g for g in self.groups if g.name == s.group), None)
        return GrantsDialog(s, self._label_of(s.group), group.permissions if group else [], self.words, self)

    def selected(self) -> StaffDetail | None:
        rows = self.table.selectionModel().selectedRows()
        return self.staff[rows[0].row()] if rows else None

    def _label_of(self, group: str) -> str:
        return next((g.label for g in self.groups if g.name == group), group)

    def _show(self) -> None:
        self.table.setRowCount(len(self.staff))
        for r, s in enumerate(self.staff):
            cells = (s.display_name, s.username, self._label_of(s.group), "Active" if s.active else "Disabled", "Set" if s.has_pin else "")
            for c, text in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(text))

    # --- buttons ------------------------------------------------------------------------------
    def _add_clicked(self) -> None:
        args = (self.new_username.text().strip(), self.new_name.text().strip(), self.new_group.currentData(),
                self.new_password.text(), self.new_pin.text().strip())
        if not args[0] or len(args[3]) < 8:
            self.notify("Type a user name and a password of 8 or more characters.", "amber")
            return
        Op(self, lambda: self.add(*args), doing="adding a staff member").success(lambda _s: self._clear_form()).run()

    def _clear_form(self) -> None:
        for f in (self.new_username, self.new_name, self.new_password, self.new_pin):
            f.clear()

    def _toggle_clicked(self) -> None:
        s = self.selected()
        if s is None:
            self.notify("Pick a staff member in the list first.", "amber")
            return
        Op(self, lambda: self.set_active(s.id, not s.active), doing="changing a staff member").run()

    def _group_clicked(self) -> None:
        s = self.selected()
        if s is None or not self.groups:
            return
        labels = [g.label for g in self.groups]
        choice, ok = QInputDialog.getItem(self, "Change group", f"Group for {s.display_name}", labels,
                                          labels.index(self._label_of(s.group)) if self._label_of(s.group) in labels else 0, False)
        if ok:
            group = self.groups[labels.index(choice)].name
            Op(self, lambda: self.set_group(s.id, group), doing="changing a group").run()

    def _grants_clicked(self) -> None:
        s = self.selected()
        if s is None:
            self.notify("Pick a staff member in the list first.", "amber")
            return
        dialog = self.grants_dialog(s)
        dialog.accepted.connect(lambda: Op(self, lambda: self.set_grants(s.id, dialog.grants()), doing="saving permissions").run())
        dialog.open()  # not exec(): a nested loop would stall the desk's asyncio tasks

    def _new_group_clicked(self) -> None:
        if not self.words:
            self.notify("The staff list is still loading. Try again in a moment.", "amber")
            return
        dialog = self.group_dialog()
        dialog.accepted.connect(lambda: Op(self, lambda: self.create_group(dialog.body()), doing="making a group").run())
        dialog.open()  # not exec(): a nested loop would stall the desk's asyncio tasks

    def _password_clicked(self) -> None:
        s = self.selected()
        if s is None:
            return
        password, ok = QInputDialog.getText(self, "New password", f"New password for {s.display_name} (8 or more)",
                                            QLineEdit.EchoMode.Password)
        if ok and password:
            Op(self, lambda: self.api.reset_password(s.id, password), doing="setting a password").success(
                lambda _d: self.notify(f"New password set; {s.display_name} is signed out everywhere", "ok")).run()

    def _pin_clicked(self) -> None:
        s = self.selected()
        if s is None:
            return
        pin, ok = QInputDialog.getText(self, "Set PIN", f"PIN for {s.display_name} (4 to 8 digits)", QLineEdit.EchoMode.Password)
        if ok and pin:
            Op(self, lambda: self.api.set_pin(s.id, pin), doing="setting a PIN").success(lambda _d: self.activate()).run()
