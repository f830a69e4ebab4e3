"""The citizen's flows as step tables: pure Python, no Qt.

``steps`` holds the table (step → next step, a pure function of the flow state), ``journey`` drives it
with the side effects (save, submit, print) through the seams in ``ports``, and ``views`` turns the
current state into the plain data a screen shows and speaks.
"""
