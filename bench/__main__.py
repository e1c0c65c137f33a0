"""`make bench`: every benchmark, printing figures and ratios against same-run baselines."""

from bench import sync_first_pull, sync_latency, sync_push
from bench import receipt_render, search_typing, swipe_checkin
from bench import push_permissions
from bench import import_rows

search_typing.run()
receipt_render.run()
swipe_checkin.run()
sync_first_pull.run()
sync_push.run()
sync_latency.run()
push_permissions.run()
import_rows.run()
