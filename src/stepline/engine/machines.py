"""State machines, their versions and aliases, as AWS's API has them.

Every update stores a new definition (``definitions``), so executions keep running the one they
started with. A version freezes a revision; an alias routes starts between one or two versions
by weight. Responses use boto3's shapes (datetimes); the HTTP layer turns them into AWS's JSON.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from stepline.asl.jsontext import dumps, loads
from stepline.engine import arns, errors, paging
from stepline.engine.history import moment
from stepline.engine.targets import Resolved
from stepline.runtime import InvalidDefinitionError, compile_definition
from stepline.store import SqlStore
from stepline.store.catalog import DuplicateResource
from stepline.store.records import AliasRecord, StateMachineRecord, VersionRecord

TYPES = ("STANDARD", "EXPRESS")
LOGGING_LEVELS = ("ALL", "ERROR", "FATAL", "OFF")
TAG_LIMIT = 50
DEFAULT_SETTINGS: dict[str, Any] = {
    "loggingConfiguration": {"level": "OFF", "includeExecutionData": False},
    "tracingConfiguration": {"enabled": False},
    "encryptionConfiguration": {"type": "AWS_OWNED_KEY"},
}


class Machines:
    """The state machine half of the engine's API (mixed into ``Engine``)."""

    store: SqlStore
    region: str
    account: str
    role_arn: str | None

    def _now(self) -> float:
        raise NotImplementedError

    # State machines -----------------------------------------------------------------------

    def create_state_machine(
        self,
        name: str,
        definition: str | Mapping[str, Any],
        role_arn: str | None = None,
        *,
        type: str = "STANDARD",
        logging: Mapping[str, Any] | None = None,
        tracing: Mapping[str, Any] | None = None,
        encryption: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
        publish: bool = False,
        version_description: str | None = None,
    ) -> dict[str, Any]:
        """CreateStateMachine: a new state machine (or the same one again, unchanged)."""
        arns.check_name(name)
        if type not in TYPES:
            raise errors.ValidationException(
                f"1 validation error detected: Value '{type}' at 'type' failed to satisfy "
                "constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]"
            )
        if version_description is not None and not publish:
            raise errors.ValidationException(
                "Version description can only be set when publish is true"
            )
        text = _definition_text(definition)
        _compile(text, type)
        role = self._role(role_arn)
        settings = _settings(logging, tracing, encryption)
        arn = arns.machine(self.region, self.account, name)
        existing = self.store.state_machine(arn)
        if existing is not None:
            return self._created_again(existing, text, role, type, settings)
        now = self._now()
        definition_id = self.store.add_definition(
            arn, name, type, text, now=now, logging_level=_kept_level(logging)
        )
        record = StateMachineRecord(
            arn, name, type, "ACTIVE", definition_id, role, None, dumps(settings),
            str(uuid.uuid4()), now,
        )  # fmt: skip
        try:
            self.store.add_state_machine(record)
        except DuplicateResource:
            raise errors.StateMachineAlreadyExists(
                f"State Machine Already Exists: '{arn}'"
            ) from None
        if tags:
            self.store.tag(arn, dict(tags))
        created: dict[str, Any] = {"stateMachineArn": arn, "creationDate": moment(now)}
        if publish:
            version = self._publish(record, version_description)
            created["stateMachineVersionArn"] = version.arn
        return created

    def _created_again(
        self, existing: StateMachineRecord, text: str, role: str, type_: str, settings: Any
    ) -> dict[str, Any]:
        """AWS answers a repeated identical CreateStateMachine with the existing machine."""
        definition = self.store.definition(existing.definition_id)
        same = (
            definition is not None
            and definition.text == text
            and existing.role_arn == role
            and existing.type == type_
            and loads(existing.settings) == settings
        )
        if existing.status == "DELETING":
            raise errors.StateMachineDeleting(f"State Machine is being deleted: '{existing.arn}'")
        if not same:
            raise errors.StateMachineAlreadyExists(
                f"State Machine Already Exists: '{existing.arn}'"
            )
        return {"stateMachineArn": existing.arn, "creationDate": moment(existing.creation_date)}

    def register_state_machine(
        self,
        name: str,
        definition: str | Mapping[str, Any],
        *,
        type: str = "STANDARD",
        logging_level: str | None = None,
    ) -> str:
        """Create the state machine ``name``, or give it this definition if it exists (new
        executions run it; those running keep theirs); its ARN. A shortcut for tests and
        tools over ``create_state_machine`` and ``update_state_machine``."""
        logging = {"level": logging_level, "includeExecutionData": True} if logging_level else None
        arn = arns.machine(self.region, self.account, name)
        existing = self.store.state_machine(arn)
        if existing is None:
            self.create_state_machine(name, definition, type=type, logging=logging)
        elif existing.type != type:
            raise errors.ConflictException(f"'{name}' is a {existing.type} state machine")
        else:
            self.update_state_machine(arn, definition=definition, logging=logging)
        return arn

    def describe_state_machine(self, arn: str) -> dict[str, Any]:
        """DescribeStateMachine, of a state machine or of one of its versions."""
        if arns.is_version(arn):
            version = self._version(arn)
            return self._described(self._machine(version.state_machine_arn), version)
        machine = self._machine(arn)
        return self._described(machine, machine)

    def _described(
        self, machine: StateMachineRecord, source: StateMachineRecord | VersionRecord
    ) -> dict[str, Any]:
        """The fields of ``machine`` as ``source`` (the machine, or a version) has them."""
        definition = self.store.definition(source.definition_id)
        described: dict[str, Any] = {
            "stateMachineArn": source.arn,
            "name": machine.name,
            "status": machine.status,
            "definition": definition.text if definition is not None else "",
            "roleArn": source.role_arn,
            "type": machine.type,
            "creationDate": moment(source.creation_date),
            **loads(source.settings),
            "revisionId": source.revision_id,
        }
        if source.description is not None:
            described["description"] = source.description
        return described

    def update_state_machine(
        self,
        arn: str,
        *,
        definition: str | Mapping[str, Any] | None = None,
        role_arn: str | None = None,
        logging: Mapping[str, Any] | None = None,
        tracing: Mapping[str, Any] | None = None,
        encryption: Mapping[str, Any] | None = None,
        publish: bool = False,
        version_description: str | None = None,
    ) -> dict[str, Any]:
        """UpdateStateMachine: a new revision (and, with ``publish``, a version of it)."""
        if arns.qualifier(arn) is not None:
            raise errors.StateMachineDoesNotExist(arn)
        machine = self._machine(arn)
        if version_description is not None and not publish:
            raise errors.ValidationException(
                "Version description can only be set when publish is true"
            )
        now = self._now()
        settings = loads(machine.settings)
        settings.update(
            {
                key: dict(value)
                for key, value in (
                    ("loggingConfiguration", logging),
                    ("tracingConfiguration", tracing),
                    ("encryptionConfiguration", encryption),
                )
                if value is not None
            }
        )
        _check_settings(settings)
        fields: dict[str, Any] = {
            "update_date": now,
            "revision_id": str(uuid.uuid4()),
            "settings": dumps(settings),
        }
        if role_arn is not None:
            fields["role_arn"] = self._role(role_arn)
        if definition is not None or logging is not None:
            text = (
                _definition_text(definition)
                if definition is not None
                else self._definition_text(machine)
            )
            _compile(text, machine.type)
            kept = self.store.definition(machine.definition_id)
            level = _kept_level(logging)
            if logging is None and kept is not None:
                level = kept.logging_level
            fields["definition_id"] = self.store.add_definition(
                arn, machine.name, machine.type, text, now=now, logging_level=level
            )
        self.store.update_state_machine(arn, **fields)
        updated: dict[str, Any] = {"updateDate": moment(now), "revisionId": fields["revision_id"]}
        if publish:
            version = self._publish(self._machine(arn), version_description)
            updated["stateMachineVersionArn"] = version.arn
        return updated

    def delete_state_machine(self, arn: str) -> None:
        """DeleteStateMachine: gone at once for new starts; running executions go on."""
        if arns.qualifier(arn) is not None:
            raise errors.ValidationException(
                "The state machine ARN must not be a version or alias ARN"
            )
        arns.machine_of(arn)
        if self.store.state_machine(arn) is not None:
            self.store.delete_state_machine(arn)

    def list_state_machines(
        self, *, max_results: int = 100, next_token: str | None = None
    ) -> dict[str, Any]:
        records = self.store.state_machines(limit=max_results + 1, after=next_token)
        page = records[:max_results]
        listed: dict[str, Any] = {
            "stateMachines": [
                {
                    "stateMachineArn": record.arn,
                    "name": record.name,
                    "type": record.type,
                    "creationDate": moment(record.creation_date),
                }
                for record in page
            ]
        }
        if len(records) > max_results:
            listed["nextToken"] = page[-1].arn
        return listed

    # Versions -----------------------------------------------------------------------------

    def publish_state_machine_version(
        self, arn: str, *, revision_id: str | None = None, description: str | None = None
    ) -> dict[str, Any]:
        machine = self._machine(arn)
        if revision_id is not None and revision_id != machine.revision_id:
            raise errors.ConflictException(
                f"Failed to publish the State Machine version for revision {revision_id}. "
                f"The current State Machine revision is {machine.revision_id}."
            )
        latest = self.store.versions(arn)
        if latest and latest[0].revision_id == machine.revision_id:
            return {  # this revision is published already
                "stateMachineVersionArn": latest[0].arn,
                "creationDate": moment(latest[0].creation_date),
            }
        version = self._publish(machine, description)
        return {
            "stateMachineVersionArn": version.arn,
            "creationDate": moment(version.creation_date),
        }

    def _publish(self, machine: StateMachineRecord, description: str | None) -> VersionRecord:
        now = self._now()

        def make(number: int) -> VersionRecord:
            return VersionRecord(
                f"{machine.arn}:{number}", machine.arn, number, machine.definition_id,
                machine.role_arn, description, machine.settings, machine.revision_id, now,
            )  # fmt: skip

        return self.store.publish_version(machine.arn, make)

    def list_state_machine_versions(
        self, arn: str, *, max_results: int = 100, next_token: str | None = None
    ) -> dict[str, Any]:
        self._machine(arn)
        versions = self.store.versions(arn)
        start = paging.position(next_token) or 0
        page = versions[start : start + max_results]
        listed: dict[str, Any] = {
            "stateMachineVersions": [
                {"stateMachineVersionArn": v.arn, "creationDate": moment(v.creation_date)}
                for v in page
            ]
        }
        if start + max_results < len(versions):
            listed["nextToken"] = str(start + max_results)
        return listed

    def delete_state_machine_version(self, arn: str) -> None:
        if not arns.is_version(arn):
            raise errors.ValidationException("The ARN is not a state machine version ARN")
        for alias in self.store.aliases(arns.machine_of(arn)):
            if arn in (route["stateMachineVersionArn"] for route in loads(alias.routing)):
                raise errors.ConflictException(
                    f"Version to be deleted must not be referenced by an alias. Current list of "
                    f"aliases referencing this version: [{alias.name}]"
                )
        self.store.delete_version(arn)

    # Aliases ------------------------------------------------------------------------------

    def create_state_machine_alias(
        self, name: str, routing: list[Mapping[str, Any]], *, description: str | None = None
    ) -> dict[str, Any]:
        arns.check_name(name)
        if name.isdigit():
            raise errors.InvalidName(f"Invalid Name: '{name}'")
        machine_arn = self._check_routing(routing)
        arn = f"{machine_arn}:{name}"
        routing_text = dumps([dict(route) for route in routing])
        existing = self.store.alias(arn)
        if existing is not None:
            if existing.routing != routing_text or existing.description != description:
                raise errors.ConflictException(
                    "Failed to create alias because an alias with the same name and a "
                    "different routing configuration already exists."
                )
            return {"stateMachineAliasArn": arn, "creationDate": moment(existing.creation_date)}
        now = self._now()
        self.store.add_alias(AliasRecord(arn, machine_arn, name, description, routing_text, now))
        return {"stateMachineAliasArn": arn, "creationDate": moment(now)}

    def _check_routing(self, routing: list[Mapping[str, Any]]) -> str:
        """The state machine the routes' versions belong to; AWS's checks on the weights."""
        if not 1 <= len(routing) <= 2:
            raise errors.ValidationException("An alias routes to one or two versions")
        machines = {arns.machine_of(route["stateMachineVersionArn"]) for route in routing}
        if len(machines) != 1:
            raise errors.ValidationException("The versions of an alias must be of one machine")
        for route in routing:
            self._version(route["stateMachineVersionArn"])
        if sum(int(route["weight"]) for route in routing) != 100:
            raise errors.ValidationException(
                "Sum of routing configuration weights must be equal to 100."
            )
        return machines.pop()

    def describe_state_machine_alias(self, arn: str) -> dict[str, Any]:
        alias = self._alias(arn)
        described: dict[str, Any] = {
            "stateMachineAliasArn": alias.arn,
            "name": alias.name,
            "routingConfiguration": loads(alias.routing),
            "creationDate": moment(alias.creation_date),
        }
        if alias.description is not None:
            described["description"] = alias.description
        if alias.update_date is not None:
            described["updateDate"] = moment(alias.update_date)
        return described

    def update_state_machine_alias(
        self,
        arn: str,
        *,
        description: str | None = None,
        routing: list[Mapping[str, Any]] | None = None,
    ) -> dict[str, Any]:
        alias = self._alias(arn)
        routing_text = alias.routing
        if routing is not None:
            self._check_routing(routing)
            routing_text = dumps([dict(route) for route in routing])
        now = self._now()
        self.store.update_alias(
            arn,
            description=description if description is not None else alias.description,
            routing=routing_text,
            now=now,
        )
        return {"updateDate": moment(now)}

    def delete_state_machine_alias(self, arn: str) -> None:
        self._alias(arn)
        self.store.delete_alias(arn)

    def list_state_machine_aliases(
        self, arn: str, *, max_results: int = 100, next_token: str | None = None
    ) -> dict[str, Any]:
        self._machine(arn)
        aliases = self.store.aliases(arn)
        start = paging.position(next_token) or 0
        page = aliases[start : start + max_results]
        listed: dict[str, Any] = {
            "stateMachineAliases": [
                {"stateMachineAliasArn": a.arn, "creationDate": moment(a.creation_date)}
                for a in page
            ]
        }
        if start + max_results < len(aliases):
            listed["nextToken"] = str(start + max_results)
        return listed

    # Tags ---------------------------------------------------------------------------------

    def tag_resource(self, arn: str, tags: Mapping[str, str]) -> None:
        self._taggable(arn)
        if len(self.store.tags(arn) | dict(tags)) > TAG_LIMIT:
            raise errors.TooManyTags(f"Too many tags: a resource has at most {TAG_LIMIT}")
        self.store.tag(arn, dict(tags))

    def untag_resource(self, arn: str, keys: list[str]) -> None:
        self._taggable(arn)
        self.store.untag(arn, keys)

    def list_tags_for_resource(self, arn: str) -> dict[str, str]:
        self._taggable(arn)
        return self.store.tags(arn)

    def _taggable(self, arn: str) -> None:
        """State machines, aliases and activities carry tags (versions do not)."""
        parsed = arns.parse(arn)
        found = False
        if parsed.kind == "activity":
            found = self.store.activity(arn) is not None
        elif parsed.kind == "stateMachine" and not arns.is_version(arn):
            found = (
                self.store.alias(arn) is not None
                if arns.is_alias(arn)
                else self.store.state_machine(arn) is not None
            )
        if not found:
            raise errors.ResourceNotFound(f"Resource not found: '{arn}'")

    def state_machine_arn_of(self, name: str) -> str:
        """The ARN a name stands for: ``NAME``, ``NAME:ALIAS`` or ``NAME:VERSION``, or an ARN."""
        if name.startswith("arn:"):
            return name
        machine_name, _, qualifier = name.partition(":")
        arn = arns.machine(self.region, self.account, machine_name)
        return f"{arn}:{qualifier}" if qualifier else arn

    # Resolving what a start names ---------------------------------------------------------

    def resolve(self, arn: str) -> list[Resolved]:
        """What a StartExecution of ``arn`` may run: a state machine's current revision, one
        of its versions, or each version an alias routes to, with its weight."""
        if arns.is_version(arn):
            version = self._version(arn)
            machine = self._machine(version.state_machine_arn)
            return [Resolved(machine, version.definition_id, version.role_arn, arn)]
        if arns.is_alias(arn):
            alias = self._alias(arn, missing=errors.StateMachineDoesNotExist)
            resolved = []
            for route in loads(alias.routing):
                version = self._version(route["stateMachineVersionArn"])
                machine = self._machine(version.state_machine_arn)
                resolved.append(
                    Resolved(
                        machine,
                        version.definition_id,
                        version.role_arn,
                        version.arn,
                        arn,
                        int(route["weight"]),
                    )
                )
            return resolved
        machine = self._machine(arn)
        return [Resolved(machine, machine.definition_id, machine.role_arn)]

    # Lookups ------------------------------------------------------------------------------

    def _machine(self, arn: str) -> StateMachineRecord:
        arns.machine_of(arn)
        machine = self.store.state_machine(arn)
        if machine is None:
            raise errors.StateMachineDoesNotExist(arn)
        return machine

    def _version(self, arn: str) -> VersionRecord:
        arns.machine_of(arn)
        version = self.store.version(arn)
        if version is None:
            raise errors.StateMachineDoesNotExist(arn)
        return version

    def _alias(
        self, arn: str, missing: type[errors.EngineError] = errors.ResourceNotFound
    ) -> AliasRecord:
        arns.machine_of(arn)
        alias = self.store.alias(arn)
        if alias is None:
            if missing is errors.ResourceNotFound:
                raise errors.ResourceNotFound("Request references a resource that does not exist.")
            raise missing(f"State Machine Does Not Exist: '{arn}'")
        return alias

    def _definition_text(self, machine: StateMachineRecord) -> str:
        definition = self.store.definition(machine.definition_id)
        return definition.text if definition is not None else ""

    def _role(self, role_arn: str | None) -> str:
        role = role_arn or self.role_arn or f"arn:aws:iam::{self.account}:role/stepline"
        if not role.startswith("arn:"):
            raise errors.InvalidArn(f"Invalid Arn: 'Invalid ARN prefix: {role}'")
        return role


def _definition_text(definition: str | Mapping[str, Any]) -> str:
    return definition if isinstance(definition, str) else dumps(dict(definition))


def _compile(text: str, type_: str) -> None:
    try:
        compile_definition(text, state_machine_type=type_)
    except InvalidDefinitionError as error:
        raise errors.InvalidDefinition(error.message) from None


def _kept_level(logging: Mapping[str, Any] | None) -> str | None:
    """The logging level an Express execution's kept history follows: the one configured, or
    None (keep it all) when no logging is configured (AWS would keep nothing; Stepline keeps
    the history readable, for ``express_history_seconds``)."""
    return None if logging is None else str(logging.get("level", "OFF"))


def _settings(
    logging: Mapping[str, Any] | None,
    tracing: Mapping[str, Any] | None,
    encryption: Mapping[str, Any] | None,
) -> dict[str, Any]:
    settings = {key: dict(value) for key, value in DEFAULT_SETTINGS.items()}
    if logging is not None:
        settings["loggingConfiguration"] = {"includeExecutionData": False, **logging}
    if tracing is not None:
        settings["tracingConfiguration"] = dict(tracing)
    if encryption is not None:
        settings["encryptionConfiguration"] = dict(encryption)
    _check_settings(settings)
    return settings


def _check_settings(settings: dict[str, Any]) -> None:
    logging = settings["loggingConfiguration"]
    level = logging.get("level", "OFF")
    if level not in LOGGING_LEVELS:
        raise errors.ValidationException(
            f"1 validation error detected: Value '{level}' at 'loggingConfiguration.level' "
            "failed to satisfy constraint: Member must satisfy enum value set: "
            "[ALL, ERROR, FATAL, OFF]"
        )
    destinations = logging.get("destinations") or []
    if len(destinations) > 1 or (level != "OFF" and "destinations" in logging and not destinations):
        raise errors.InvalidLoggingConfiguration(
            "Invalid Logging Configuration: Must specify exactly one Log Destination."
        )
