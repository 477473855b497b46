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
from cdshedge_cvx.risk._factor import FactorCovariance

__all__ = [
    "ESTIMATORS",
    "CovarianceEstimator",
    "EWMACovariance",
    "FactorCovariance",
    "LedoitWolfCovariance",
    "RollingCovariance",
    "SampleCovariance",
    "get_estimator",
]
