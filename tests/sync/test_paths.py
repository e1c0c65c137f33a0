from __future__ import annotations

from pathlib import Path

import pytest

from sync import paths


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://Desk.Example.com", "desk.example.com"),
        ("https://desk.example.com:443/api", "desk.example.com"),
        ("https://desk.example.com:8443", "desk.example.com_8443"),
        ("http://127.0.0.1:8800", "127.0.0.1_8800"),
        ("desk.example.com", "desk.example.com"),
    ],
)
def test_server_key(url: str, key: str):
    assert paths.server_key(url) == key


def test_one_folder_per_server_and_account(tmp_path: Path):
    a = paths.desk_data_dir("https://desk.example.com", "Acme", base=tmp_path)
    assert a == tmp_path / "desk.example.com-acme"
    assert a == paths.desk_data_dir("https://DESK.example.com/", "acme", base=tmp_path)
    assert a != paths.desk_data_dir("https://desk.example.com", "other", base=tmp_path)
    assert a != paths.desk_data_dir("https://desk.example.com:8443", "acme", base=tmp_path)
    assert not a.exists()


def test_names_stay_inside_the_base_folder(tmp_path: Path):
    odd = paths.desk_data_dir("http://x", "../../etc/pass wd", base=tmp_path)
    assert odd.parent == tmp_path and "/" not in odd.name and ".." not in odd.name


def test_default_is_the_users_data_folder(monkeypatch, tmp_path: Path):
    monkeypatch.setattr(paths.platformdirs, "user_data_path", lambda app, appauthor: tmp_path / app)
    assert paths.desk_data_dir("https://desk.example.com", "acme") == tmp_path / "Frontdesk" / "desks" / "desk.example.com-acme"
