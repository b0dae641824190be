"""JSONPath: Jayway's syntax and result shapes, AWS's failure details, ResultPath assignment."""

from __future__ import annotations

import pytest

from stepline.asl.jsonpath import (
    InvalidPath,
    PathNotFound,
    compile_path,
    compile_reference_path,
)
from stepline.asl.scope import JSON, Scope

STORE: JSON = {
    "store": {
        "book": [
            {"title": "A", "price": 8.95, "isbn": "1", "tags": ["x", "y"], "year": 1997},
            {"title": "B", "price": 12.99, "year": 1999},
            {"title": "C", "price": 8, "isbn": "3", "tags": [], "year": 2001, "flag": False},
        ],
        "bicycle": {"color": "red", "price": 19.95},
    },
    "detail-type": "event",
    "a b": 1,
    "empty": [],
    "n": None,
    "limit": 10,
}


def scope(data: JSON = STORE, context: JSON = None, **variables: JSON) -> Scope:
    return Scope(data, context if context is not None else {"Execution": {"Id": "e"}}, variables)


def read(text: str, data: JSON = STORE) -> JSON:
    return compile_path(text).evaluate(scope(data))


def titles(text: str) -> list[str]:
    found = read(text)
    assert isinstance(found, list)
    return [book["title"] for book in found]


def failure(text: str, data: JSON = STORE, **variables: JSON) -> str:
    with pytest.raises(PathNotFound) as caught:
        compile_path(text).evaluate(scope(data, **variables))
    assert caught.value.path == text
    return caught.value.detail


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$", STORE),
        ("$.limit", 10),
        ("$.store.bicycle.color", "red"),
        ("$['store']['bicycle']['color']", "red"),
        ('$["store"]["bicycle"].color', "red"),
        ("$.detail-type", "event"),
        ("$['a b']", 1),
        ("$.store.book[0].title", "A"),
        ("$.store.book[-1].title", "C"),
        ("$.store.book.[1].title", "B"),
        ("$.n", None),
        ("$.store.bicycle['color', 'price']", {"color": "red", "price": 19.95}),
        ("$.store.bicycle['color','nope']", {"color": "red"}),
        ("$[ 'limit' ]", 10),
        (" $.limit ", 10),
    ],
)
def test_definite_paths_read_one_value(text: str, expected: JSON) -> None:
    path = compile_path(text)
    assert path.is_definite
    assert path.text == text
    assert path.evaluate(scope()) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$.store.book[*].title", ["A", "B", "C"]),
        ("$.store.book.*.year", [1997, 1999, 2001]),
        ("$.store.bicycle.*", ["red", 19.95]),
        ("$.store.book[0,2].title", ["A", "C"]),
        ("$.store.book[0, 9, -1].title", ["A", "C"]),
        ("$.store.book[1:].title", ["B", "C"]),
        ("$.store.book[:1].title", ["A"]),
        ("$.store.book[-2:].title", ["B", "C"]),
        ("$.store.book[0:2].title", ["A", "B"]),
        ("$..color", ["red"]),
        ("$..tags[0]", ["x"]),
        ("$.store..price", [8.95, 12.99, 8, 19.95]),
        ("$.store.book[*]['title','year']", [
            {"title": "A", "year": 1997},
            {"title": "B", "year": 1999},
            {"title": "C", "year": 2001},
        ]),
        ("$.empty[*]", []),
        ("$.nothing[*]", []),
        ("$.limit[*]", []),
        ("$.limit[0,1]", []),
        ("$.limit[1:]", []),
        ("$..*", None),
    ],
)  # fmt: skip
def test_indefinite_paths_list_their_matches(text: str, expected: JSON) -> None:
    path = compile_path(text)
    assert not path.is_definite
    found = path.evaluate(scope())
    if expected is None:
        assert isinstance(found, list)
        assert found[0] == STORE["store"]
        assert 19.95 in found
    else:
        assert found == expected


def test_descent_visits_parents_before_children() -> None:
    data = {"a": {"x": 1, "b": {"x": 2}}, "c": [{"x": 3}]}
    assert read("$..x", data) == [1, 2, 3]
    assert read("$..*", {"a": {"b": 1}}) == [{"b": 1}, 1]
    assert read("$..[0]", data) == [{"x": 3}]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$.store.book[?(@.isbn)]", ["A", "C"]),
        ("$.store.book[?(!@.isbn)]", ["B"]),
        ("$.store.book[?(@.flag)]", ["C"]),
        ("$.store.book[?(@.price < 10)]", ["A", "C"]),
        ("$.store.book[?(@.price <= 8)]", ["C"]),
        ("$.store.book[?(@.price > 8.95)]", ["B"]),
        ("$.store.book[?(@.price >= 8.95)]", ["A", "B"]),
        ("$.store.book[?(@.title == 'B')]", ["B"]),
        ('$.store.book[?(@.title == "B")]', ["B"]),
        ("$.store.book[?(@.title != 'B')]", ["A", "C"]),
        ("$.store.book[?(@.isbn != '1')]", ["B", "C"]),
        ("$.store.book[?(@.title > 'A')]", ["B", "C"]),
        ("$.store.book[?(@.price == 8.0)]", ["C"]),
        ("$.store.book[?(@.price < 'x')]", []),
        ("$.store.book[?(@.flag == false)]", ["C"]),
        ("$.store.book[?(@.flag == 0)]", []),
        ("$.store.book[?(@.isbn == null)]", []),
        ("$.store.book[?(@.price < 10 && @.year > 2000)]", ["C"]),
        ("$.store.book[?(@.year == 1997 || @.year == 1999)]", ["A", "B"]),
        ("$.store.book[?((@.year == 1997 || @.year == 1999) && @.isbn)]", ["A"]),
        ("$.store.book[?(@.price < $.limit)]", ["A", "C"]),
        ("$.store.book[?(@.title in ['A', 'C'])]", ["A", "C"]),
        ("$.store.book[?(@.year in [1999])]", ["B"]),
        ("$.store.book[?(@.year in 1999)]", []),
        ("$.store.book[?(@.title nin ['A'])]", ["B", "C"]),
        ("$.store.book[?(@.title nin 'A')]", []),
        ("$.store.book[?(@.tags contains 'y')]", ["A"]),
        ("$.store.book[?(@.title contains 'B')]", ["B"]),
        ("$.store.book[?(@.year contains 1)]", []),
        ("$.store.book[?(@.tags subsetof ['x', 'y', 'z'])]", ["A", "C"]),
        ("$.store.book[?(@.tags subsetof 'x')]", []),
        ("$.store.book[?(@.tags anyof ['y'])]", ["A"]),
        ("$.store.book[?(@.tags noneof ['y'])]", ["C"]),
        ("$.store.book[?(@.tags size 2)]", ["A"]),
        ("$.store.book[?(@.title size 1)]", ["A", "B", "C"]),
        ("$.store.book[?(@.year size 1)]", []),
        ("$.store.book[?(@.tags empty true)]", ["C"]),
        ("$.store.book[?(@.tags empty false)]", ["A"]),
        ("$.store.book[?(@.title =~ /[ab]/i)]", ["A", "B"]),
        ("$.store.book[?(@.title =~ /A.+/)]", []),
        ("$.store.book[?(@.year =~ /1.*/)]", []),
        ("$.store.book[?(@.tags[0] == 'x')]", ["A"]),
        ("$.store.book[?(@.tags[*] contains 'x')]", ["A"]),
        ("$.store.book[?(@.title == A)]", ["A"]),
        ("$.store.book[?(@.year == 1.997e3)]", ["A"]),
        ("$.store.book[?(@ == $.store.book[1])]", ["B"]),
        ("$.store.book[?(@.tags == {})]", []),
    ],
)
def test_filters_follow_jayway(text: str, expected: list[str]) -> None:
    assert titles(text) == expected


def test_filter_on_an_object_tests_the_object_itself() -> None:
    assert read("$.store.bicycle[?(@.color == 'red')]") == [STORE["store"]["bicycle"]]
    assert read("$.store.bicycle[?(@.color == 'blue')]") == []
    assert read("$.limit[?(@.x)]") == []
    assert read("$[?(@.x)]", [{"x": 1}, 2]) == [{"x": 1}]


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("$.NoSuchInputPath", "No results for path: $['NoSuchInputPath']"),
        ("$.nope.deeper", "Missing property in path $['nope']"),
        ("$.store.nope.x", "Missing property in path $['store']['nope']"),
        ("$.limit.x", "No results for path: $['limit']['x']"),
        ("$.store.book[7].title", "No results for path: $['store']['book'][7]['title']"),
        ("$.store[0]", "No results for path: $['store'][0]"),
        ("$.store.book[0].nope", "No results for path: $['store']['book'][0]['nope']"),
        ("$.store.bicycle.color[0]", "No results for path: $['store']['bicycle']['color'][0]"),
        ("$.limit['a','b']", "No results for path: $['limit']['a', 'b']"),
        (
            "$['store','limit'].book",
            "Multi properties can only be used as path leafs: $['store', 'limit']",
        ),
    ],
)
def test_definite_paths_explain_what_they_missed(text: str, detail: str) -> None:
    assert failure(text) == detail


def test_a_string_is_never_indexed_like_an_array() -> None:
    assert failure("$.s[0]", {"s": "text"}) == "No results for path: $['s'][0]"
    assert failure("$.s.x", {"s": [1]}) == "No results for path: $['s']['x']"


def test_context_object_and_variables_are_roots() -> None:
    assert compile_path("$$").evaluate(scope()) == {"Execution": {"Id": "e"}}
    assert compile_path("$$.Execution.Id").evaluate(scope()) == "e"
    assert compile_path("$order.items[1]").evaluate(scope(order={"items": [1, 2]})) == 2
    assert compile_path("$order").evaluate(scope(order=None)) is None
    assert compile_path("$order..x").evaluate(scope(order={"x": 1})) == [1]
    assert compile_path("$_v1").evaluate(scope(_v1=3)) == 3


def test_an_undefined_variable_names_nothing() -> None:
    assert failure("$missing.x") == "No results for path: $missing.x"
    assert failure("$missing[*]") == "No results for path: $missing[*]"


def test_quoted_names_unescape_only_their_own_quote() -> None:
    key = 'Test\\""Name"'
    assert read('$[\'Test\\""Name"\']', {key: "value"}) == "value"
    assert read("$['it\\'s']", {"it's": 1}) == 1
    assert read('$["say \\"hi\\""]', {'say "hi"': 2}) == 2


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a.b",
        "$.",
        "$..",
        "$.a.",
        "$.a b",
        "$.length()",
        "$.a[",
        "$.a[]",
        "$.a[x]",
        "$.a[1:2:3]",
        "$.a[1,]",
        "$.a['x'",
        "$.a['x' 'y']",
        "$.a['x',1]",
        "$.a[?(@.x == 1]",
        "$.a[?()]",
        "$.a[?(@.x ==)]",
        "$.a[?('x')]",
        "$.a[?(@.x in [1,)]",
        "$.a[?(@.x.length() > 1)]",
        "$x y",
        "$ a",
    ],
)
def test_invalid_paths_fail_at_compile_time(text: str) -> None:
    with pytest.raises(InvalidPath):
        compile_path(text)


def test_reference_paths_place_a_value_copying_only_the_path() -> None:
    document: JSON = {"a": {"b": 1, "keep": [1]}, "other": {"x": 1}}
    result = compile_reference_path("$.a.c").assign(document, "v")
    assert result == {"a": {"b": 1, "keep": [1], "c": "v"}, "other": {"x": 1}}
    assert document == {"a": {"b": 1, "keep": [1]}, "other": {"x": 1}}
    assert result["other"] is document["other"]
    assert result["a"]["keep"] is document["a"]["keep"]


def test_reference_paths_create_missing_objects_and_replace_the_root() -> None:
    assert compile_reference_path("$.x.y['z']").assign({}, 1) == {"x": {"y": {"z": 1}}}
    assert compile_reference_path("$").assign({"a": 1}, [2]) == [2]
    assert compile_reference_path("$.list[1]").assign({"list": [1, 2]}, 9) == {"list": [1, 9]}
    assert compile_reference_path("$.list[-1].k").assign({"list": [{}]}, 9) == {"list": [{"k": 9}]}


@pytest.mark.parametrize(
    ("text", "document"),
    [
        ("$.a.b", {"a": "text"}),
        ("$.a", [1]),
        ("$.list[2]", {"list": [1, 2]}),
        ("$.list[0]", {"list": {"0": 1}}),
    ],
)
def test_reference_paths_refuse_steps_into_non_containers(text: str, document: JSON) -> None:
    with pytest.raises(PathNotFound):
        compile_reference_path(text).assign(document, 1)


@pytest.mark.parametrize("text", ["$$.Execution", "$var.x", "$.a[*]", "$.a[0,1]", "$..a", "x"])
def test_reference_paths_are_definite_data_paths(text: str) -> None:
    with pytest.raises(InvalidPath):
        compile_reference_path(text)


def test_compiled_paths_are_values() -> None:
    assert compile_path("$.a") == compile_path("$.a")
    assert "evaluate" not in repr(compile_path("$.a"))


@pytest.mark.parametrize(
    ("text", "rendered"),
    [
        ("$.store.book[*]['a','b'].c", "$['store']['book'][*]['a', 'b']"),
        ("$.x[0,1]['a','b'].c", "$['x'][0,1]['a', 'b']"),
        ("$.x[1:]['a','b'].c", "$['x'][1:]['a', 'b']"),
        ("$.x[:-1]['a','b'].c", "$['x'][:-1]['a', 'b']"),
        ("$..x['a','b'].c", "$..['x']['a', 'b']"),
        ("$[?(@.a)]['a','b'].c", "$[?]['a', 'b']"),
    ],
)
def test_multi_names_before_the_leaf_fail_when_run(text: str, rendered: str) -> None:
    path = compile_path(text)
    assert failure(text) == f"Multi properties can only be used as path leafs: {rendered}"
    assert path.is_definite


def test_multi_names_skip_what_is_not_an_object() -> None:
    assert read("$.mixed[*]['a','b']", {"mixed": [1, {"a": 1, "c": 2}]}) == [{"a": 1}]


def test_array_quantifiers_need_arrays() -> None:
    assert titles("$.store.book[?(@.tags anyof 'x')]") == []
    assert titles("$.store.book[?(@.title anyof ['A'])]") == []
