"""Step Functions ARNs: building them, telling their kinds apart, and AWS's checks on names."""

from __future__ import annotations

import re
from dataclasses import dataclass

from stepline.engine import errors

# AWS refuses whitespace, brackets, wildcards, these punctuation marks and control characters
# in the names of state machines, executions, aliases and activities.
_FORBIDDEN = re.compile(r'[\s<>{}\[\]?*"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]')
_NAME_LIMIT = 80


def check_name(name: str, limit: int = _NAME_LIMIT) -> str:
    """``name`` if AWS accepts it for a resource, else ``InvalidName``."""
    if not name or len(name) > limit or _FORBIDDEN.search(name):
        raise errors.InvalidName(f"Invalid Name: '{name}'")
    return name


@dataclass(frozen=True, slots=True)
class Arn:
    """A Step Functions ARN taken apart: ``kind`` is the resource type (``stateMachine``,
    ``execution``, ``express``, ``activity``, ``mapRun``) and ``parts`` what follows it."""

    region: str
    account: str
    kind: str
    parts: tuple[str, ...]

    @property
    def machine_name(self) -> str:
        return self.parts[0]


def parse(arn: str) -> Arn:
    """Take an ARN apart; ``InvalidArn`` with AWS's wording if it is not a Step Functions one."""
    if not arn.startswith("arn:"):
        raise errors.InvalidArn(f"Invalid Arn: 'Invalid ARN prefix: {arn}'")
    fields = arn.split(":")
    if len(fields) < 7 or fields[2] != "states" or not fields[5]:
        raise errors.InvalidArn(f"Invalid Arn: 'Resource type not valid in this context: {arn}'")
    return Arn(fields[3], fields[4], fields[5], tuple(fields[6:]))


def machine(region: str, account: str, name: str) -> str:
    return f"arn:aws:states:{region}:{account}:stateMachine:{name}"


def activity(region: str, account: str, name: str) -> str:
    return f"arn:aws:states:{region}:{account}:activity:{name}"


def machine_of(arn: str) -> str:
    """The state machine ARN a state machine, version or alias ARN belongs to."""
    parsed = parse(arn)
    if parsed.kind != "stateMachine":
        raise errors.InvalidArn(f"Invalid Arn: 'Resource type not valid in this context: {arn}'")
    return machine(parsed.region, parsed.account, parsed.parts[0])


def qualifier(arn: str) -> str | None:
    """A version number or alias name after the state machine's name, if any."""
    parsed = parse(arn)
    return parsed.parts[1] if parsed.kind == "stateMachine" and len(parsed.parts) > 1 else None


def is_version(arn: str) -> bool:
    found = qualifier(arn)
    return found is not None and found.isdigit()


def is_alias(arn: str) -> bool:
    found = qualifier(arn)
    return found is not None and not found.isdigit()
