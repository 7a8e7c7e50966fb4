"""Villages, member households and plots (later: plantings and input applications)."""
