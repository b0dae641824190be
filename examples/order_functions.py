"""Functions for examples/order.asl.json, written as AWS Lambda Python handlers."""

from typing import Any

PRICES = {"A": 250, "B": 100}


def price(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"sku": event["sku"], "total": PRICES[event["sku"]] * event["qty"]}
