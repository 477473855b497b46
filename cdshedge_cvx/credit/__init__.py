"""Credit analytics: ISDA CDS Standard Model pricing and ISDA rate curves."""
