"""The plugin host: hook specs (``spec``), the pluggy manager (``manager``) built by the one
factory (``factory.build_host``), plugin selection and settings, fault isolation."""
