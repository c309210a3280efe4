"""The bench's own Django app (installed only by ``bench.settings`` and ``bench.settings_live``).

- ``PeerFlow``: the bare-viewflow peer of the review chain (Start → three approval View tasks
  → End, viewflow's ``select_for_update`` lock), served by ``bench.views.peer_decision``;
- ``LoadRow``: the rows the load baseline's bare view updates.

Its tables exist only in the bench's throw-away database (its migration runs when
``python -m bench`` creates it); the product never imports this package.
"""
