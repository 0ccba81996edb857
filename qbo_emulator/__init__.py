"""A wire-faithful QuickBooks Online emulator on loopback (see README.md and DESIGN.md)."""

from .config import EmulatorConfig
from .emulator import Emulator

__all__ = ["Emulator", "EmulatorConfig"]
