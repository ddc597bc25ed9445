"""Monitoring: reference profiles, drift tests, label-free and realized performance, alerts.

:func:`run_monitor` is ``headrace monitor``: it reads the prediction log window by
window and puts together everything below.
"""

from headrace.monitor.alerts import Breach, WindowFigures, check_window, post_alert
from headrace.monitor.context import MonitoredModel, find_reference_profile, load_monitored_model
from headrace.monitor.current import CurrentSummary, summarize_log, summarize_log_table, summarize_table
from headrace.monitor.drift import ColumnDrift, DriftOptions, DriftReport, DriftTest, detect_drift
from headrace.monitor.estimate import PerformanceEstimate, apply_lfs_to_log, estimate_performance
from headrace.monitor.logdata import LogWindow, parse_window
from headrace.monitor.profile import ProfileSettings, ReferenceProfile, build_profile
from headrace.monitor.realized import RealizedMetrics, realized_metrics
from headrace.monitor.report import write_monitor_report
from headrace.monitor.runner import MonitorResult, WindowResult, run_monitor
from headrace.monitor.tokens import tokenize

__all__ = [
    "Breach",
    "ColumnDrift",
    "CurrentSummary",
    "DriftOptions",
    "DriftReport",
    "DriftTest",
    "LogWindow",
    "MonitorResult",
    "MonitoredModel",
    "PerformanceEstimate",
    "ProfileSettings",
    "RealizedMetrics",
    "ReferenceProfile",
    "WindowFigures",
    "WindowResult",
    "apply_lfs_to_log",
    "build_profile",
    "check_window",
    "detect_drift",
    "estimate_performance",
    "find_reference_profile",
    "load_monitored_model",
    "parse_window",
    "post_alert",
    "realized_metrics",
    "run_monitor",
    "summarize_log",
    "summarize_log_table",
    "summarize_table",
    "tokenize",
    "write_monitor_report",
]
