"""Built-in plugins, registered through the clientwise entry point group like any third-party plugin."""
