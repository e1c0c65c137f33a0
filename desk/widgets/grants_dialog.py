"""Advanced permissions for one staff member, beyond their group: a box per permission."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QVBoxLayout, QWidget

from desk.widgets.common import label
from sync.core.wire_staff import StaffDetail


class GrantsDialog(QDialog):
    def __init__(self, staff: StaffDetail, group_label: str, group_permissions: list[str], words: dict[str, str],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Permissions of {staff.display_name}")
        self.setAccessibleName(f"Permissions of {staff.display_name}")
        layout = QVBoxLayout(self)
        layout.addWidget(label(f"{group_label} can already do the greyed ones. Tick more to give them to "
                               f"{staff.display_name} alone.", "muted", wrap=True))
        self.boxes: dict[str, QCheckBox] = {}
        for name, text in words.items():
            box = QCheckBox(text)
            in_group = name in group_permissions
            box.setChecked(in_group or name in staff.grants)
            box.setEnabled(not in_group)
            layout.addWidget(box)
            self.boxes[name] = box
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def grants(self) -> list[str]:
        """The ticked permissions the group does not already give."""
        return sorted(n for n, b in self.boxes.items() if b.isEnabled() and b.isChecked())
