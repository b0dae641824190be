"""Behaviour of the JSONata adapter, pinned where possible to what AWS recorded."""

from __future__ import annotations

import copy
import hashlib
import re
import threading
import uuid
from typing import Any

import pytest

from stepline.asl.errors import QUERY_EVALUATION_ERROR, StatesQueryEvaluationError
from stepline.asl.jsonata import (
    UNDEFINED,
    FailureKind,
    InvalidJsonata,
    JsonataEvaluationError,
    compile_expression,
    compile_template,
    is_expression,
    to_states_error,
    type_name,
)
from stepline.asl.jsonata import expression as expression_module
from stepline.asl.jsonata.expression import to_json
from stepline.asl.jsonata.failures import describe_library_error

STATES: dict[str, Any] = {
    "input": {"a": 1, "nothing": None, "items": [1, "two", True], "half": 0.5},
    "context": {"State": {"Name": "S"}},
}


def evaluate(text: str, variables: dict[str, Any] | None = None) -> Any:
    return compile_expression(text).evaluate(STATES, variables or {})


def failure(text: str, variables: dict[str, Any] | None = None) -> JsonataEvaluationError:
    with pytest.raises(JsonataEvaluationError) as caught:
        compile_expression(text).evaluate_defined(STATES, variables or {})
    return caught.value


def cause(error: JsonataEvaluationError, field: str = "Output", event_id: int = 2) -> str:
    return to_states_error(error, state_name="S", entered_event_id=event_id, field=field).cause


PREFIX = "An error occurred while executing the state 'S' (entered at the event id #2). "


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("{% $x %}", True),
        ("{%%}", True),
        (" {% $x %}", False),
        ("{% $x %} ", False),
        ("{%", False),
        ("$x", False),
        (1, False),
        (None, False),
        (["{% $x %}"], False),
    ],
)
def test_is_expression(value: Any, expected: bool) -> None:
    assert is_expression(value) is expected


@pytest.mark.parametrize(
    "text",
    ["$x", "{%  %}", "{% 1 + %}", "{% $x ?? 1 %}", "{% $x ?: 1 %}", "{% [($a ?? 2)] %}"],
)
def test_compile_rejects(text: str) -> None:
    with pytest.raises(InvalidJsonata):
        compile_expression(text)


def test_syntax_error_names_the_library_code() -> None:
    with pytest.raises(InvalidJsonata, match=r"S0207: Unexpected end of expression"):
        compile_expression("{% 1 + %}")


def test_a_real_conditional_is_accepted() -> None:
    expression = compile_expression("{% $exists($x) ? $x : 'none' %}")
    assert expression.evaluate(STATES, {}) == "none"
    assert expression.evaluate(STATES, {"x": 3}) == 3
    assert repr(expression) == "JsonataExpression(\"$exists($x) ? $x : 'none'\")"


def test_states_and_variables_are_visible() -> None:
    assert evaluate("{% $states.input.a %}") == 1
    assert evaluate("{% $states.context.State.Name %}") == "S"
    assert evaluate("{% $sum($states.input.a + $v) %}", {"v": 6}) == 7


def test_null_is_not_undefined() -> None:
    assert evaluate("{% $states.input.nothing %}") is None
    assert evaluate("{% $v %}", {"v": None}) is None
    assert evaluate("{% $v = null %}", {"v": None}) is True
    assert evaluate("{% $missing %}") is UNDEFINED
    assert evaluate("{% $states.input.missing %}") is UNDEFINED
    assert evaluate("{% $parse('null') %}") is None


def test_undefined_sentinel() -> None:
    assert repr(UNDEFINED) == "UNDEFINED"
    assert not UNDEFINED
    assert type(UNDEFINED)() is UNDEFINED


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{% 1.0 * 3 %}", 3),
        ("{% 6 / 4 %}", 1.5),
        ("{% $states.input.half * 4 %}", 2),
        ("{% [1.0, 2.5] %}", [1, 2.5]),
        ("{% {'n': 2.0} %}", {"n": 2}),
        ("{% 1e21 * 10 %}", 1e22),
        ("{% $sum([1, 2, 3]) %}", 6),
    ],
)
def test_integral_numbers_become_integers(text: str, expected: Any) -> None:
    result = evaluate(text)
    assert result == expected
    assert type(result) is type(expected)
    if isinstance(result, list):
        assert [type(item) for item in result] == [type(item) for item in expected]


def test_results_are_plain_json_and_share_the_input() -> None:
    items = evaluate("{% $states.input.items %}")
    assert items is STATES["input"]["items"]
    whole = evaluate("{% $states.input %}")
    assert whole is STATES["input"]
    built = evaluate("{% [1, 'two', 3] %}")
    assert type(built) is list
    mapped = evaluate("{% $states.input.items[$type($) = 'number'] %}")
    assert mapped == 1


@pytest.mark.parametrize(
    "text",
    [
        "{% $merge([$states.input, {'b': 2}]) %}",
        "{% $states.input ~> |$|{'a': 9}| %}",
        "{% $sort($states.input.items.$string()) %}",
        "{% $append($states.input.items, [4]) %}",
        "{% $reverse($states.input.items) %}",
        "{% $spread($states.input) %}",
        "{% $each($states.input, function($v, $k) { $k }) %}",
        "{% $distinct($states.input.items) %}",
    ],
)
def test_inputs_are_never_written(text: str) -> None:
    before = copy.deepcopy(STATES)
    evaluate(text)
    assert before == STATES


def test_unsupported_results() -> None:
    for text in ("{% function($x){$x} %}", "{% $string %}", "{% [1, $string] %}", "{% /ab/ %}"):
        error = failure(text)
        assert error.kind is FailureKind.UNSUPPORTED_RESULT


def test_recorded_unsupported_result_text() -> None:
    # test_map_state_items_eval_jsonata_fail[function]
    error = failure("{% $fn := function($x){$x} %}")
    assert cause(error, "Items") == (
        PREFIX + "The JSONata expression '$fn := function($x){$x}' specified for the field "
        "'Items' returned an unsupported result type."
    )


def test_recorded_undefined_text() -> None:
    # test_undefined_reference[BASE_UNDEFINED_OUTPUT]
    error = failure("{% $doesNotExist %}")
    assert cause(error) == (
        PREFIX + "The JSONata expression '$doesNotExist' specified for the field 'Output' "
        "returned nothing (undefined)."
    )


def test_recorded_function_error_text() -> None:
    # test_math_random_seeded
    error = failure("{% $randomSeeded($states.input.FunctionInput.fst) %}")
    assert cause(error, "Output/FunctionResult") == (
        PREFIX + "The JSONata expression '$randomSeeded($states.input.FunctionInput.fst)' "
        "specified for the field 'Output/FunctionResult' threw an error during evaluation. "
        "T1006: Attempted to invoke a non-function"
    )


@pytest.mark.parametrize(
    ("text", "actual", "rendered"),
    [
        ("{% true %}", "boolean", "true"),
        ("{% null %}", "null", "null"),
        ("{% 1 %}", "number", "1"),
        ("{% {'foo': 'bar'} %}", "object", '{"foo":"bar"}'),
        ("{% 'string' %}", "string", '"string"'),
    ],
)
def test_recorded_unexpected_type_text(text: str, actual: str, rendered: str) -> None:
    # test_map_state_items_eval_jsonata_fail[*]
    with pytest.raises(JsonataEvaluationError) as caught:
        compile_expression(text).evaluate_as(STATES, {}, "array")
    source = text[2:-2].strip()
    assert cause(caught.value, "Items") == (
        PREFIX + f"The JSONata expression '{source}' specified for the field 'Items' returned "
        f"an unexpected result type. Expected 'array', but was '{actual}' for value: {rendered}"
    )


def test_evaluate_as_accepts_the_expected_type() -> None:
    assert compile_expression("{% [0] %}").evaluate_as(STATES, {}, "array") == [0]
    with pytest.raises(JsonataEvaluationError) as caught:
        compile_expression("{% $nope %}").evaluate_as(STATES, {}, "array")
    assert caught.value.kind is FailureKind.UNDEFINED_RESULT


def test_states_error_is_catchable_and_located() -> None:
    error = failure("{% $nope %}")
    states_error = to_states_error(error, state_name="Fallback", entered_event_id=13, field="X")
    assert isinstance(states_error, StatesQueryEvaluationError)
    assert states_error.error == QUERY_EVALUATION_ERROR
    assert states_error.state_name == "Fallback"
    assert states_error.location == "X"
    assert "(entered at the event id #13)" in states_error.cause


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("{% $eval('1') %}", "T1006: Attempted to invoke a non-function"),
        ("{% 'a' + 1 %}", 'T2001: The left side of the "+" operator must evaluate to a number'),
        ("{% $error('boom') %}", "D3137: boom"),
        ("{% $substring(1, 'x') %}", 'T0410: Argument 1 of function "substring"'),
        ("{% ($f := function(){1 + $f()}; $f()) %}", "Stack overflow"),
        ("{% 1 / 0 %}", "division by zero"),
    ],
)
def test_evaluation_errors(text: str, detail: str) -> None:
    error = failure(text)
    assert error.kind is FailureKind.EVALUATION_ERROR
    assert error.detail.startswith(detail) or detail in error.detail


def test_library_error_without_known_code() -> None:
    class Odd(Exception):
        error = "X9999"

    assert describe_library_error(Odd("raw text"), {}) == "raw text"
    assert describe_library_error(ValueError("plain"), {"X": "y"}) == "plain"


def test_library_error_values_that_are_not_json() -> None:
    class Coded(Exception):
        error = "T1"
        current = object()
        expected = None
        extra = None

    rendered = describe_library_error(Coded(), {"T1": "Bad {{value}}"})
    assert rendered.startswith("T1: Bad <object object")


# --- AWS's added functions ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "size", "expected"),
    [
        ([0], 1, [[0]]),
        ([0], 5, [[0]]),
        ([0, 1, 2], 2, [[0, 1], [2]]),
        ([0, 1, 2, 3], 2, [[0, 1], [2, 3]]),
        ([0, 1, 2, 3], 3, [[0, 1, 2], [3]]),
        ([], 3, []),
    ],
)
def test_partition(items: list[int], size: int, expected: list[list[int]]) -> None:
    # the same table as test_array_partition (recorded on AWS)
    result = evaluate("{% $partition($xs, $n) %}", {"xs": items, "n": size})
    assert result == expected


@pytest.mark.parametrize("size", [0, -1, 1.5])
def test_partition_rejects_bad_sizes(size: float) -> None:
    error = failure("{% $partition([1, 2], $n) %}", {"n": size})
    assert error.kind is FailureKind.EVALUATION_ERROR


def test_range() -> None:
    assert evaluate("{% $range(0, 10, 2) %}") == [0, 2, 4, 6, 8, 10]
    assert evaluate("{% $range(5, 1, -2) %}") == [5, 3, 1]
    assert evaluate("{% $range(1, 1, 1) %}") == [1]
    assert evaluate("{% $range(3, 1, 1) %}") == []
    assert failure("{% $range(0, 3, 0) %}").kind is FailureKind.EVALUATION_ERROR
    assert failure("{% $range(0, 3.5, 1) %}").kind is FailureKind.EVALUATION_ERROR


@pytest.mark.parametrize(
    ("algorithm", "name"),
    [
        ("MD5", "md5"),
        ("SHA-1", "sha1"),
        ("SHA-256", "sha256"),
        ("SHA-384", "sha384"),
        ("SHA-512", "sha512"),
    ],
)
def test_hash(algorithm: str, name: str) -> None:
    result = evaluate("{% $hash('input data', $a) %}", {"a": algorithm})
    assert result == hashlib.new(name, b"input data").hexdigest()


def test_hash_rejects_unknown_algorithms() -> None:
    error = failure("{% $hash('x', 'SHA-3') %}")
    assert "SHA-3" in error.detail


def test_random() -> None:
    unseeded = evaluate("{% $random() %}")
    assert 0 <= unseeded < 1
    first, second = evaluate("{% [$random(7), $random(7)] %}")
    assert first == second
    assert 0 <= first < 1
    assert failure("{% $random(0.5) %}").kind is FailureKind.EVALUATION_ERROR


def test_uuid() -> None:
    value = evaluate("{% $uuid() %}")
    assert uuid.UUID(value).version == 4
    assert evaluate("{% $uuid() = $uuid() %}") is False


def test_parse() -> None:
    assert evaluate("{% $parse($s) %}", {"s": '{"a":[1,null,2.0]}'}) == {"a": [1, None, 2]}
    assert evaluate("{% $parse('\"x\"') %}") == "x"
    error = failure("{% $parse('{') %}")
    assert error.kind is FailureKind.EVALUATION_ERROR


def test_now_is_current_on_every_thread() -> None:
    stamp = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
    assert stamp.fullmatch(evaluate("{% $now() %}"))
    results: list[Any] = []
    thread = threading.Thread(target=lambda: results.append(evaluate("{% $millis() %}")))
    thread.start()
    thread.join()
    assert results[0] >= evaluate("{% $millis() %}") - 60_000


def test_one_expression_from_many_threads() -> None:
    expression = compile_expression("{% $map($range(1, $n, 1), function($v) { $v * $k }) %}")
    errors: list[str] = []

    def work(k: int) -> None:
        for n in range(1, 60):
            result = expression.evaluate(STATES, {"n": n, "k": k})
            expected = [v * k for v in range(1, n + 1)] if n > 1 else k
            if result != expected:
                errors.append(f"{k}/{n}: {result!r}")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


# --- templates --------------------------------------------------------------------------------


def test_template_recorded_list_rich() -> None:
    # test_base_output_any_non_dict[LIST_RICH]
    value: list[Any] = [None, 0, 0.1, True, "string", [], "$nosuchvar", "$.no.such.path"]
    value += ["{% $states.input %}", {"key": "{% true %}"}]
    template = compile_template(value)
    assert template.has_expressions
    assert template.evaluate({"input": {"input_value": "x"}}, {}) == [
        None,
        0,
        0.1,
        True,
        "string",
        [],
        "$nosuchvar",
        "$.no.such.path",
        {"input_value": "x"},
        {"key": True},
    ]


def test_literal_templates_are_returned_as_is() -> None:
    value = {"a": [1, {"b": "text"}], "c": None}
    template = compile_template(value)
    assert not template.has_expressions
    assert template.evaluate(STATES, {}) is value
    assert repr(template) == f"JsonataTemplate({value!r})"


def test_template_single_expression() -> None:
    assert compile_template("{% $states.input.a %}").evaluate(STATES, {}) == 1


@pytest.mark.parametrize(
    ("value", "location"),
    [
        ("{% $doesNotExist %}", "Output"),
        ({"result": "{% $doesNotExist %}"}, "Output/result"),
        ({"a": [1, {"b": "{% $doesNotExist %}"}]}, "Output/a/1/b"),
    ],
)
def test_template_undefined_is_an_error_at_its_path(value: Any, location: str) -> None:
    # test_undefined_reference[BASE_UNDEFINED_OUTPUT_FIELD] and friends
    with pytest.raises(JsonataEvaluationError) as caught:
        compile_template(value).evaluate(STATES, {})
    states_error = to_states_error(caught.value, state_name="S", entered_event_id=2, field="Output")
    assert states_error.location == location
    assert states_error.cause == (
        PREFIX + f"The JSONata expression '$doesNotExist' specified for the field '{location}' "
        "returned nothing (undefined)."
    )


def test_template_compile_errors_surface() -> None:
    with pytest.raises(InvalidJsonata):
        compile_template({"a": ["{% 1 + %}"]})


def test_template_does_not_write_into_its_definition() -> None:
    value = {"a": "{% $states.input.a %}", "b": ["{% 2 %}", "lit"]}
    before = copy.deepcopy(value)
    template = compile_template(value)
    assert template.evaluate(STATES, {}) == {"a": 1, "b": [2, "lit"]}
    assert value == before


# --- conversion edge cases -------------------------------------------------------------------


def test_type_names() -> None:
    values: tuple[Any, ...] = (None, True, 1, 1.5, "s", [], {})
    names = [type_name(v) for v in values]
    assert names == ["null", "boolean", "number", "number", "string", "array", "object"]


def test_to_json_rejects_non_finite_numbers() -> None:
    from stepline.asl.jsonata.expression import UnsupportedResultError  # noqa: PLC0415

    with pytest.raises(UnsupportedResultError):
        to_json(float("nan"))
    assert to_json(None) is UNDEFINED
    plain = {"k": [1, 2]}
    assert to_json(plain) is plain


def test_operator_check_visits_shared_nodes_once() -> None:
    import jsonata  # noqa: PLC0415

    from stepline.asl.jsonata.expression import _reject_newer_operators  # noqa: PLC0415

    ast = jsonata.Jsonata("[1, 2]").ast
    ast.expressions.append(ast.expressions[0])  # a node reachable twice, as a graph could be
    _reject_newer_operators(ast, "[1, 2]")


def test_selecting_input_containers_returns_them_without_a_walk() -> None:
    big = {"input": {"items": list(range(10_000)), "deep": {"list": [1.0]}}}
    expression = compile_expression("{% $states.input.items %}")
    assert expression.evaluate(big, {}) is big["input"]["items"]
    assert compile_expression("{% $v %}").evaluate({}, {"v": big["input"]}) is big["input"]
    assert compile_expression("{% $v %}").evaluate({}, {"v": [2]}) == [2]
    # deeper than the two levels remembered: converted (and so normalised)
    assert compile_expression("{% $states.input.deep.list %}").evaluate(big, {}) == [1]


def test_an_endless_expression_fails_instead_of_hanging(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(expression_module, "STEP_LIMIT", 5_000)
    endless = compile_expression("{% [1..100000].($ * 2) %}")
    with pytest.raises(JsonataEvaluationError) as failure:
        endless.evaluate({"input": {}}, {})
    assert "more than 5000 evaluation steps" in failure.value.detail


def test_a_runaway_recursion_fails_as_a_stack_overflow() -> None:
    endless = compile_expression("{% ($f := function(){$f()}; $f()) %}")
    with pytest.raises(JsonataEvaluationError) as failure:
        endless.evaluate({"input": {}}, {})
    assert failure.value.detail in {"Stack overflow"} or "evaluation steps" in failure.value.detail


def test_a_doubling_string_stops_at_the_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(expression_module, "STRING_LIMIT", 1_000_000)
    doubling = compile_expression(
        "{% ($double := function($s, $n){ $n = 0 ? $s : $double($s & $s, $n - 1) };"
        " $double('ab', 40)) %}"
    )
    with pytest.raises(JsonataEvaluationError) as failure:
        doubling.evaluate({"input": {}}, {})
    assert "longer than 1000000 characters" in failure.value.detail


def test_a_growing_array_stops_at_the_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(expression_module, "ARRAY_LIMIT", 1_000)
    growing = compile_expression("{% [1..5000] %}")
    with pytest.raises(JsonataEvaluationError) as failure:
        growing.evaluate({"input": {}}, {})
    assert "more than 1000 items" in failure.value.detail
