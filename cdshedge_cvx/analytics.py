"""CDS analytics on the flat-hazard model (public module; the code lives in :mod:`cdshedge_cvx.credit`)."""

from cdshedge_cvx.credit._analytics import (
    ACCRUAL_DAYS_PER_YEAR,
    MAX_MATURITY_YEARS,
    cs01_to_notional,
    jump_to_default,
    notional_to_cs01,
    premium_accrued,
    rpv01,
)

__all__ = ["ACCRUAL_DAYS_PER_YEAR", "MAX_MATURITY_YEARS", "cs01_to_notional", "jump_to_default",
           "notional_to_cs01", "premium_accrued", "rpv01"]
