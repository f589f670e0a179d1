"""gwmap: 冠县地下水监管一张图, the groundwater supervision map of Guan County."""

__version__ = "0.1.0"
