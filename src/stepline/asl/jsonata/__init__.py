"""JSONata as AWS Step Functions runs it: ``{% ... %}`` expressions and templates.

Built on jsonata-python (see ``docs/adr/0002-jsonata-python.md``), with AWS's additions
(``$partition``, ``$range``, ``$hash``, ``$random``, ``$uuid``, ``$parse``), without ``$eval``,
and with results converted to plain JSON (integral numbers as integers).

The exception tree::

    InvalidJsonata (ValueError)         at compile time: the text is not accepted JSONata
    JsonataEvaluationError              at evaluation: kind + detail + path inside a template
        -> to_states_error(...) ->      JsonataQueryEvaluationError, a StatesQueryEvaluationError
                                        carrying AWS's cause text, the state and the location
"""

from stepline.asl.jsonata.expression import (
    UNDEFINED,
    InvalidJsonata,
    JsonataExpression,
    compile_expression,
    is_expression,
)
from stepline.asl.jsonata.failures import (
    FailureKind,
    JsonataEvaluationError,
    JsonataQueryEvaluationError,
    to_states_error,
)
from stepline.asl.jsonata.template import JsonataTemplate, compile_template
from stepline.asl.jsontext import type_name

__all__ = [
    "UNDEFINED",
    "FailureKind",
    "InvalidJsonata",
    "JsonataEvaluationError",
    "JsonataExpression",
    "JsonataQueryEvaluationError",
    "JsonataTemplate",
    "compile_expression",
    "compile_template",
    "is_expression",
    "to_states_error",
    "type_name",
]
