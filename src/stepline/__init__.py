"""Stepline runs AWS Step Functions state machines (the Amazon States Language) anywhere."""

__version__ = "0.1.0"
