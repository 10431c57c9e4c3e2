"""Field metadata: what the setup form, the live-changes panel, `ganstudio config --fields` and the
simple range checks know about one config field, declared beside the field itself (core.config)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from ganstudio.core.config import RunConfig

ADVANCED, STABILISATION, QUALITY, PERFORMANCE = "Advanced", "Stabilisation", "Quality metrics", "Performance"
AUGMENTATION = "Augmentation (small data)"
T = TypeVar("T")


@dataclass(frozen=True)
class FieldSpec:
    """How one field is shown, checked and changed. `low`/`high` bound numbers (`open_*`: the bound itself
    is refused); `choices` maps each allowed value to its label in the form; `zero` says what 0 means."""

    label: str
    help: str
    fold: str = ""  # the form's fold the field sits in; "" = the top of the form
    low: float | None = None
    high: float | None = None
    open_low: bool = False
    open_high: bool = False
    choices: Mapping[Any, str] | None = None
    choices_checked: bool = True  # False: the form offers the choices, the range alone is checked
    zero: str = ""
    what: str = ""  # a noun that starts the range error ("learning rate must be > 0")
    live: bool = False  # may change during a run (Trainer.apply_changes)
    beside: bool = False  # sits beside the previous field, in its row of the form
    step: int = 1  # a spin box's arrow step

    def range_error(self, kind: str, value: Any) -> str | None:
        """Why `value` (already of the field's type) is out of range or not a choice; None when it fits."""
        if self.choices is not None and self.choices_checked:
            if value in self.choices:
                return None
            shown = repr(value) if len(repr(value)) <= 40 else "that"
            return f"must be {self.allowed(kind)}, not {shown}"
        fits = (self.low is None or value > self.low or (not self.open_low and value == self.low)) and (
            self.high is None or value < self.high or (not self.open_high and value == self.high)
        )
        if fits:
            return None
        shown = f"{value:,}" if kind == "int" else f"{value:g}" if float(f"{value:g}") == value else repr(value)
        return f"{self.what + ' ' if self.what else ''}must be {self.allowed(kind)}, not {shown}"

    def allowed(self, kind: str) -> str:
        """The values the checks accept, in words ("an integer from 1 to 1,024"); "" when any of its type."""
        zero = f" (0 = {self.zero})" if self.zero else ""
        if self.choices is not None and self.choices_checked:
            return f"one of {', '.join(map(str, self.choices))}"
        if kind == "int" and self.low is not None and self.high is not None:
            low = f"0 ({self.zero})" if self.low == 0 and self.zero else f"{self.low:,}"
            return f"an integer from {low} to {self.high:,}"
        if kind == "int" and self.low is not None:
            return f"an integer >= {self.low:,}{zero}"
        if self.low is not None and self.high is not None:
            low, high = "(" if self.open_low else "[", ")" if self.open_high else "]"
            return f"in {low}{self.low:g}, {self.high:g}{high}{zero}"
        if self.low is not None:
            return f"{'>' if self.open_low else '>='} {self.low:g}{zero}"
        return ""


def setting(
    default: T,
    label: str,
    help: str,
    *,
    at_least: float | None = None,
    more_than: float | None = None,
    at_most: float | None = None,
    below: float | None = None,
    choices: Mapping[Any, str] | tuple[Any, ...] | None = None,
    **spec: Any,
) -> T:
    """A dataclass field with its FieldSpec; typed as its default so the dataclass keeps its field types.
    Choices given as a tuple are their own labels."""
    low = more_than if more_than is not None else at_least
    high = below if below is not None else at_most
    labels = {value: str(value) for value in choices} if isinstance(choices, tuple) else choices
    info = FieldSpec(
        label,
        help,
        low=low,
        high=high,
        open_low=more_than is not None,
        open_high=below is not None,
        choices=labels,
        **spec,
    )
    made: T = field(default=default, metadata={"spec": info})
    return made


@dataclass(frozen=True)
class ConfigField:
    """One declared field, by its dotted name ("optim.lr_g"), as the form, the live panel and
    `ganstudio config --fields` walk them."""

    section: str
    name: str
    kind: str  # the annotation: "int", "float", "bool", "str" or "str | None"
    default: Any
    spec: FieldSpec

    @property
    def path(self) -> str:
        return f"{self.section}.{self.name}"

    def value_in(self, config: RunConfig) -> Any:
        return getattr(getattr(config, self.section), self.name)
