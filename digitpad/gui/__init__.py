"""The window: one module per tab, plus the main window, the training worker and the charts."""

from digitpad.gui.refcount_guard import guard_singletons

# Before any view paints or any signal fires: see refcount_guard for the binding bug this
# keeps from crashing the app.
guard_singletons()
