"""The published OpenAPI document describes what the operations really take and give.

django-ninja names each schema component after its Python class and keeps the last one it meets: two
routers with a `ReasonIn` each used to publish one `ReasonIn` for both, so a client generated from the
document sent the wrong fields to one of them. These tests build the document the way django-ninja does and
fail on any name given to two different definitions."""

from __future__ import annotations

import json
import typing
from collections import defaultdict
from collections.abc import Iterator
from enum import Enum
from typing import Any

import jsonschema_rs
import pytest
from ninja.openapi.schema import OpenAPISchema
from pydantic import BaseModel, WithJsonSchema
from pydantic.fields import FieldInfo
from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

from zhengxie.api.api import api

PREFIX = "api/v1/"


class RecordingSchema(OpenAPISchema):
    """django-ninja's own document builder, noting every definition it files under each name before the
    last one overwrites the others."""

    def __init__(self) -> None:
        self.filed: dict[str, list[str]] = defaultdict(list)
        super().__init__(api, PREFIX)

    def add_schema_definitions(self, definitions: dict) -> None:
        for name, definition in definitions.items():
            text = json.dumps(definition, sort_keys=True, ensure_ascii=False)
            if text not in self.filed[name]:
                self.filed[name].append(text)
        super().add_schema_definitions(definitions)


def _types_in(annotation: Any) -> Iterator[type]:
    """The classes an annotation names, except those it inlines with its own schema (WithJsonSchema)."""
    if typing.get_origin(annotation) is typing.Annotated:
        if not any(isinstance(m, WithJsonSchema) for m in annotation.__metadata__):
            yield from _types_in(typing.get_args(annotation)[0])
    elif typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            yield from _types_in(arg)
    elif isinstance(annotation, type):
        yield annotation


def _field_types(field: FieldInfo) -> Iterator[type]:
    if not any(isinstance(m, WithJsonSchema) for m in field.metadata):
        yield from _types_in(field.annotation)


def _classes_used() -> set[type]:
    """Every pydantic model and enum an operation takes or gives, with the models and enums inside them.
    django-ninja's own parameter wrappers (BodyParams, NinjaResponseSchema, …) are made per operation and
    never become components."""
    found: set[type] = set()
    todo: list[type] = []
    for router in api._get_bound_routers():
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for wrapper in [*operation.models, *operation.response_models.values()]:
                    if isinstance(wrapper, type) and issubclass(wrapper, BaseModel):
                        for field in wrapper.model_fields.values():
                            todo.extend(_field_types(field))
    while todo:
        cls = todo.pop()
        if cls in found or not issubclass(cls, BaseModel | Enum):
            continue
        found.add(cls)
        if issubclass(cls, BaseModel):
            for field in cls.model_fields.values():
                todo.extend(_field_types(field))
    return found


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_no_component_name_is_given_to_two_definitions():
    document = RecordingSchema()
    clashes = {name: texts for name, texts in document.filed.items() if len(texts) > 1}
    assert not clashes, "\n".join(f"{name}: {texts}" for name, texts in clashes.items())
    assert document.filed, "the document has no components: the recording saw nothing"


def test_every_schema_class_has_a_name_of_its_own():
    by_name: dict[str, set[str]] = defaultdict(set)
    # Ours only: django-ninja makes a Paged… class per paginated operation, alike for alike items.
    for cls in _classes_used():
        if cls.__module__.startswith("zhengxie."):
            by_name[cls.__name__].add(f"{cls.__module__}.{cls.__qualname__}")
    shared = {name: sorted(classes) for name, classes in by_name.items() if len(classes) > 1}
    assert not shared
    # The walk found the schemas the document publishes (a walk that found nothing would pass anyway).
    components = set(api.get_openapi_schema(path_prefix=PREFIX)["components"]["schemas"])
    models = {cls.__name__ for cls in _classes_used() if issubclass(cls, BaseModel)}
    assert {"ProposalOut", "ProposalReasonIn", "OpinionReasonIn", "ErrorOut", "MemberOut"} <= models
    assert models <= components


@pytest.mark.django_db
def test_published_document_is_valid_openapi_31(client):
    document = client.get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.1.")
    errors = [f"{e.instance_path}: {e.message}" for e in OPENAPI_31_VALIDATOR.iter_errors(document)]
    assert not errors, "\n".join(errors[:20])
    components = document["components"]["schemas"]
    # OpenAPI 3.1 leaves the schemas to JSON Schema: each component must be a valid 2020-12 schema.
    invalid = [name for name, schema in components.items() if not jsonschema_rs.meta.is_valid(schema)]
    assert not invalid
    missing = {ref for ref in _refs(document) if ref.removeprefix("#/components/schemas/") not in components}
    assert not missing
    assert "ReasonIn" not in components and "MergeIn" not in components and "Kind" not in components


def test_the_validator_would_see_a_broken_document():
    """Control: the OpenAPI 3.1 validator above does reject a document that is not one."""
    document = dict(api.get_openapi_schema(path_prefix=PREFIX))
    document["paths"] = {"no-leading-slash": {}}
    del document["info"]
    assert list(OPENAPI_31_VALIDATOR.iter_errors(document))
    assert not jsonschema_rs.meta.is_valid({"type": "text"})
