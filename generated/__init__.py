# generated from spec/openapi.yaml by nox -s generate — do not edit
"""Types and endpoint descriptions generated from spec/openapi.yaml."""

__all__: list[str] = []
