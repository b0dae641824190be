"""The actions of the Step Functions API, by name, each a function of the engine and the
request's parameters returning the response's fields (datetimes for dates)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stepline.api.actions import activities, definitions, executions, state_machines
from stepline.engine import Engine

Action = Callable[[Engine, dict[str, Any]], dict[str, Any]]

ACTIONS: dict[str, Action] = {
    "CreateStateMachine": state_machines.create_state_machine,
    "DescribeStateMachine": state_machines.describe_state_machine,
    "UpdateStateMachine": state_machines.update_state_machine,
    "DeleteStateMachine": state_machines.delete_state_machine,
    "ListStateMachines": state_machines.list_state_machines,
    "PublishStateMachineVersion": state_machines.publish_state_machine_version,
    "ListStateMachineVersions": state_machines.list_state_machine_versions,
    "DeleteStateMachineVersion": state_machines.delete_state_machine_version,
    "CreateStateMachineAlias": state_machines.create_state_machine_alias,
    "DescribeStateMachineAlias": state_machines.describe_state_machine_alias,
    "UpdateStateMachineAlias": state_machines.update_state_machine_alias,
    "DeleteStateMachineAlias": state_machines.delete_state_machine_alias,
    "ListStateMachineAliases": state_machines.list_state_machine_aliases,
    "StartExecution": executions.start_execution,
    "DescribeExecution": executions.describe_execution,
    "DescribeStateMachineForExecution": executions.describe_state_machine_for_execution,
    "ListExecutions": executions.list_executions,
    "GetExecutionHistory": executions.get_execution_history,
    "StopExecution": executions.stop_execution,
    "RedriveExecution": executions.redrive_execution,
    "DescribeMapRun": executions.describe_map_run,
    "ListMapRuns": executions.list_map_runs,
    "UpdateMapRun": executions.update_map_run,
    "SendTaskSuccess": executions.send_task_success,
    "SendTaskFailure": executions.send_task_failure,
    "SendTaskHeartbeat": executions.send_task_heartbeat,
    "ValidateStateMachineDefinition": definitions.validate_state_machine_definition,
    "TestState": definitions.run_test_state,
    "TagResource": definitions.tag_resource,
    "UntagResource": definitions.untag_resource,
    "ListTagsForResource": definitions.list_tags_for_resource,
    "CreateActivity": activities.create_activity,
    "DescribeActivity": activities.describe_activity,
    "DeleteActivity": activities.delete_activity,
    "ListActivities": activities.list_activities,
    "GetActivityTask": activities.get_activity_task,
}
"""Every action but StartSyncExecution (awaited, see ``app``). GetActivityTask long-polls:
a server may await ``activities.begin_get_activity_task`` instead of holding a thread."""
