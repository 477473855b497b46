"""Covariance estimators."""

from __future__ import annotations

from cdshedge_cvx.risk._estimators import (
    ESTIMATORS,
    CovarianceEstimator,
    EWMACovariance,
    LedoitWolfCovariance,
    RollingCovariance,
    SampleCovariance,
    get_estimator,
)

__all__ = [
    "ESTIMATORS",
    "CovarianceEstimator",
    "EWMACovariance",
    "LedoitWolfCovariance",
    "RollingCovariance",
    "SampleCovariance",
    "get_estimator",
]
