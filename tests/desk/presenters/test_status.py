import datetime as dt

from desk.presenters.status import AMBER, NEUTRAL, RED, describe
from sync.views import SyncStatus


def local_utc(hour: int, minute: int) -> dt.datetime:
    """A UTC time that reads hour:minute on this machine's clock."""
    local = dt.datetime.now().astimezone().replace(hour=hour, minute=minute, second=0, microsecond=0)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def test_online_is_neutral_with_the_sync_time():
    line = describe(SyncStatus(online=True, pending=0, last_sync=local_utc(16, 3)))
    assert line.text == "● Online · 0 pending · synced 16:03"
    assert line.tone == NEUTRAL and line.attention == ""


def test_offline_is_amber_with_pending_and_the_last_sync():
    line = describe(SyncStatus(online=False, pending=3, last_sync=local_utc(15, 50), error="Can't reach the server."))
    assert line.text == "○ Offline · 3 pending · last synced 15:50"
    assert line.tone == AMBER
    assert "Can't reach the server." in line.tooltip


def test_never_synced_and_rejected_changes():
    line = describe(SyncStatus(online=False, pending=1, rejected=2))
    assert line.text == "○ Offline · 1 pending · not synced yet"
    assert line.attention == "2 need attention"


def test_signed_out_by_the_server_is_red():
    line = describe(SyncStatus(online=False, pending=4, needs_sign_in=True))
    assert line.tone == RED and "sign in again" in line.text


def test_reached_but_refused_says_why_in_the_servers_words_and_what_to_do():
    told = ("This desk's Frontdesk app is too old for the server. Please update the app; "
            "the work saved on this computer is kept and will be sent after the update.")
    line = describe(SyncStatus(online=True, pending=2, error=told))
    assert line.text == "● Online · 2 pending · not sent: This desk's Frontdesk app is too old for the server. Please update the app"
    assert line.tone == AMBER and told in line.tooltip
    short = describe(SyncStatus(online=True, pending=0, error="The server had a problem."))
    assert short.text.endswith("not sent: The server had a problem.")
