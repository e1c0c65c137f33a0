"""`make bench`: every benchmark, printing figures and ratios against same-run baselines."""

from bench import search_typing

search_typing.run()
