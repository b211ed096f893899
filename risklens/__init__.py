"""RiskLens: clinical risk prediction with explanations people can check."""
__version__ = "0.1.0"
