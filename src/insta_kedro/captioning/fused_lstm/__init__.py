"""The caption LSTM's recurrence as one fused CPU op, compiled on first use (``op``)."""
