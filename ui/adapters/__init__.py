"""Thin QObjects, one per core object: they expose core state as properties and forward slots.

No decisions live here: every rule is in ``kiosk`` and tested without Qt.
"""
