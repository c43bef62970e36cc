"""The nightly batch: an inbox of uploads → a warehouse of Parquet datasets → the fleet report's model."""
