"""The plugin host: hook specs, the pluggy manager, plugin selection and settings, fault isolation."""
