"""The self check-in kiosk: a full-screen desk at the entrance where families check their
children in (phone digits or a member card), signed in as a "kiosk" staff member.

    presenter.py   the flow and its words (plain Python)
    exit_pin.py    leaving the kiosk with a staff PIN, rate-limited
    options.py     KioskOptions: check-in window, blocking alerts, timeouts
    pages.py       the pages (thin Qt); window.py the full-screen window
    launch.py      open_kiosk_window(session): what `frontdesk --kiosk` opens
"""
