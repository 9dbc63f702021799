"""The operator pages (staff only): dashboard, digest inspector, runs. No models: it reads digest and subscriptions."""
