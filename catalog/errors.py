"""Errors a user can hit. Each carries a message written for the user, never a traceback."""

from __future__ import annotations


class TunewiseError(Exception):
    """Base class for every error whose message is meant for the user."""


class ConfigError(TunewiseError):
    """A run config, CLI flag or tool argument is invalid."""


class DataError(TunewiseError):
    """An uploaded or referenced dataset cannot be used as it is."""


class PathError(TunewiseError):
    """A path points outside the workspace or to something that does not exist."""


class JobError(TunewiseError):
    """A job cannot be found, started, cancelled or resumed."""


class ModelError(TunewiseError):
    """A model cannot be found or loaded."""
