"""`tui-gan report`: figures and report.md from run directories alone (matplotlib, Agg)."""
