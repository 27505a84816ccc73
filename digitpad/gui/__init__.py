"""The window: one module per tab, plus the main window, the training worker and the charts."""
