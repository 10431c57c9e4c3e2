"""The config's sections, one dataclass each with its fields' metadata (field_spec.setting); core.config
assembles them into RunConfig, validates and reads them."""

MAX_STEPS = 100_000_000
