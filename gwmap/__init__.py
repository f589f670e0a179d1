"""gwmap: 地下水监管一张图, a county's groundwater supervision map (the county is a profile in its database)."""

__version__ = "0.1.0"
