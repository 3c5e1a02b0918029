"""What the typed parameter sections share (``ingestion.IngestionParams``,
``vision.ImageFeaturesParams``, ``captioning.CaptionModelParams``, ``text.TextFeaturesParams``,
``fusion.FusionParams``, ``personas.ClusteringParams``).

A node annotates its ``params:<section>`` input with the section's type, and Kedro converts
the YAML dict into it before any node runs, failing the run when it does not validate
(docs/architecture.md). The types here make every section alike: a key that is no setting
is refused, a parsed section cannot be changed, and a ``ValidationError`` names each bad
setting by its dotted path from the top of the parameters, as it is written in
``conf/base/parameters_<section>.yml`` and on the command line
(``--params="clustering.users.hdbscan.min_cluster_size=4"``).

Only pydantic is imported: a node module can import its types when Kedro resolves its hints.
"""

from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    Strict,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

Integer = Annotated[int, Strict()]
"""An integer, as YAML writes it: not ``true``, ``2.0`` or ``"2"``."""
Count = Annotated[Integer, Field(ge=1)]
"""An integer >= 1."""
NonNegativeCount = Annotated[Integer, Field(ge=0)]
"""An integer >= 0."""
Number = Annotated[float, Strict()]
"""A number, integer or not, as YAML writes it: not ``true`` or ``"0.5"``."""
Share = Annotated[Number, Field(ge=0.0, le=1.0)]
"""A number in [0, 1]."""
Weight = Annotated[Number, Field(ge=0.0)]
"""A number >= 0."""
Seed = Annotated[Integer, Field(ge=0)]
"""A random seed: an integer >= 0 (NumPy and scikit-learn refuse negative seeds)."""


def one_error(error_type: str, message: str) -> WrapValidator:
    """A validator for an ``Annotated`` union type that reports one error, ``message`` (of
    type ``error_type``), when no member of the union accepts the value, instead of one error
    per member with the member's type in the setting's path."""

    def validate(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError:
            raise PydanticCustomError(error_type, message) from None

    return WrapValidator(validate)


class Settings(BaseModel):
    """A group of settings: keys that are no setting are refused (a misspelt key would
    otherwise be ignored), and the parsed values cannot be changed."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Section(Settings):
    """The settings under one top-level key of the parameters, named by ``SECTION``.

    Validation errors name every bad setting from the top of the parameters
    (``clustering.users.hdbscan.min_cluster_size``, not ``users.hdbscan.min_cluster_size``).
    """

    SECTION: ClassVar[str]

    @model_validator(mode="wrap")
    @classmethod
    def _name_settings_from_the_top(
        cls, data: Any, handler: ModelWrapValidatorHandler["Section"]
    ) -> "Section":
        try:
            return handler(data)
        except ValidationError as error:
            raise ValidationError.from_exception_data(
                error.title, [_under(cls.SECTION, detail) for detail in error.errors()]
            ) from None


def _under(section: str, detail: Any) -> InitErrorDetails:
    """One error of ``ValidationError.errors()`` with its location under ``section``; its
    type and rendered message are kept."""
    return InitErrorDetails(
        type=PydanticCustomError(detail["type"], detail["msg"]),
        loc=(section, *detail["loc"]),
        input=detail["input"],
    )
