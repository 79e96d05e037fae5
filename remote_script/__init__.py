"""VimAbl's Remote Script for Ableton Live.

Live imports this package from ``<User Library>/Remote Scripts/VimAbl/`` and
calls ``create_instance`` when "VimAbl" is chosen as a Control Surface.
"""

from .LiveState import LiveState


def create_instance(c_instance):
    return LiveState(c_instance)
